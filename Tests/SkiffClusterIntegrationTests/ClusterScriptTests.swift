import Foundation
import SkiffTestSupport
import Testing

@Suite("scripts/cluster (root, multi-host)", .serialized)
struct ClusterScriptTests {
    /// One bring-up shared by every check (a cluster takes ~30 s to come up on the CI machine).
    @Test("three hosts: Ready nodes with their own pod CIDRs and addresses, a pod on each, power loss and reboot of one, and down leaves nothing behind")
    func threeHostsLifecycle() async throws {
        let cluster = try await TestCluster.up(nodes: 3)
        var seenProcesses: Set<Int32> = []
        do {
            try await checkNodesAndPods(cluster)
            seenProcesses = TestCluster.processes(inCgroup: "skiff-cluster")
            try await checkPowerLossAndReboot(cluster, node: cluster.nodes[1])
            seenProcesses.formUnion(TestCluster.processes(inCgroup: "skiff-cluster"))
        } catch {
            print(cluster.logTails())
            try? await cluster.down()
            throw error
        }
        try await cluster.down()
        try await checkNothingLeft(processes: seenProcesses)
    }

    @Test(
        "a VM host: the static agent on its own kernel (cgroup v2) joins over the bridge, runs a pod that reaches a netns host's pod and a Service (and is reached back), and is gone after kill-node and down"
    )
    func vmHost() async throws {
        let cluster = try await TestCluster.up(nodes: 1, vmNodes: 1)
        do {
            #expect(cluster.nodes == ["node1", "vm1"])
            let info = try await cluster.kubectl(
                "get", "node", "vm1", "-o", "jsonpath={.status.nodeInfo.kernelVersion} {.status.addresses[?(@.type==\"InternalIP\")].address}")
            let hostKernel = try await Tools.run("/bin/uname", ["-r"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(!hostKernel.isEmpty && !info.stdout.hasPrefix(hostKernel + " "), "the VM runs the host's kernel? \(info.stdout)")
            #expect(info.stdout.hasSuffix(" 10.99.0.201"), "\(info.stdout)")
            let applied = try await cluster.kubectl(
                "apply", "-f", "-",
                input: """
                    apiVersion: v1
                    kind: Pod
                    metadata: {name: on-vm1}
                    spec:
                      nodeName: vm1
                      terminationGracePeriodSeconds: 1
                      containers: [{name: c, image: busybox, command: [sleep, "3600"]}]
                    """)
            #expect(applied.status == 0, "\(applied)")
            _ = try await runningPod(cluster, "on-vm1", timeout: 240)
            // Served by the VM's node API through the server: the container sees cgroup v2 only.
            let cgroup = try await cluster.kubectl("exec", "on-vm1", "--", "cat", "/proc/self/cgroup")
            #expect(cgroup.stdout == "0::/\n", "\(cgroup)")
            try await checkVMPodNetwork(cluster)
            #expect(!TestCluster.processes(ofHost: "vm1").isEmpty)
            try await cluster.killNode("vm1")
            #expect(TestCluster.processes(ofHost: "vm1").isEmpty)
        } catch {
            print(cluster.logTails())
            try? await cluster.down()
            throw error
        }
        try await cluster.down()
        let links = try await Tools.run("/usr/sbin/ip", ["-o", "link", "show"]).stdout
        #expect(!links.contains("skc-vm1") && !links.contains("skiffcbr0"), "\(links)")
        #expect(!FileManager.default.fileExists(atPath: TestCluster.state))
    }

    /// The VM's pod and a netns host's pod reach each other by pod IP, and the VM's pod reaches a
    /// Service backed by both.
    func checkVMPodNetwork(_ cluster: TestCluster) async throws {
        let net = Net(cluster: cluster)
        try await net.apply(
            Manifests.web("web-1", node: "node1", labels: "app: web") + Manifests.web("web-vm", node: "vm1", labels: "app: web")
                + "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}\n")
        let ips = try await net.runningPods(["web-1", "web-vm"], timeout: 240)
        #expect(try await net.get(from: "on-vm1", ips["web-1"]!, 8080, "/") == "hello from web-1", "VM pod → netns host's pod")
        #expect(try await net.get(from: "web-1", ips["web-vm"]!, 8080, "/") == "hello from web-vm", "netns host's pod → VM pod")
        // The first answer waits for the slice and the proxies to catch up with the new pods.
        try await eventually(timeout: 30) { try await net.get(from: "on-vm1", "web", 80, "/").hasPrefix("hello from web-") }
        var answers: Set<String> = []
        for _ in 0..<6 { answers.insert(try await net.get(from: "on-vm1", "web", 80, "/")) }
        #expect(!answers.isEmpty && answers.allSatisfy { $0.hasPrefix("hello from web-") }, "VM pod → Service by name: \(answers)")
    }

    /// Three Ready Nodes with distinct podCIDRs and InternalIPs, and a busybox pod pinned to each
    /// (by spec.nodeName, and by the kubernetes.io/hostname label) Running there.
    func checkNodesAndPods(_ cluster: TestCluster) async throws {
        #expect(cluster.nodes == ["node1", "node2", "node3"])
        let nodes = try json(try await cluster.kubectl("get", "nodes", "-o", "json"))["items"] as? [[String: Any]] ?? []
        #expect(nodes.count == 3)
        var cidrs: Set<String> = []
        var addresses: [String: String] = [:]
        for node in nodes {
            let name = (node["metadata"] as? [String: Any])?["name"] as? String ?? ""
            cidrs.insert((node["spec"] as? [String: Any])?["podCIDR"] as? String ?? "")
            let status = node["status"] as? [String: Any] ?? [:]
            let ready = (status["conditions"] as? [[String: Any]] ?? []).first { $0["type"] as? String == "Ready" }
            #expect(ready?["status"] as? String == "True", "node \(name) is not Ready")
            addresses[name] = (status["addresses"] as? [[String: Any]] ?? []).first { $0["type"] as? String == "InternalIP" }?["address"] as? String
        }
        #expect(cidrs.count == 3 && !cidrs.contains(""), "pod CIDRs: \(cidrs)")
        #expect(addresses == ["node1": "10.99.0.11", "node2": "10.99.0.12", "node3": "10.99.0.13"])
        // `exec` runs on the host: its eth0 holds the node's address.
        let link = try await cluster.exec(on: "node2", ["ip", "-4", "-o", "addr", "show", "eth0"])
        #expect(link.stdout.contains("10.99.0.12/24"), "\(link)")

        var manifest = ""
        for (index, node) in cluster.nodes.enumerated() {
            let placement = index == 0 ? "nodeName: \(node)" : "nodeSelector: {kubernetes.io/hostname: \(node)}"
            manifest += """
                apiVersion: v1
                kind: Pod
                metadata: {name: on-\(node)}
                spec:
                  \(placement)
                  terminationGracePeriodSeconds: 1
                  containers: [{name: c, image: busybox, command: [sleep, "3600"]}]
                ---

                """
        }
        let applied = try await cluster.kubectl("apply", "-f", "-", input: manifest)
        #expect(applied.status == 0, "\(applied)")
        for node in cluster.nodes {
            let pod = try await runningPod(cluster, "on-\(node)", timeout: 90)
            #expect((pod["spec"] as? [String: Any])?["nodeName"] as? String == node)
            #expect((pod["status"] as? [String: Any])?["hostIP"] as? String == addresses[node])
        }
    }

    /// kill-node: every process of the host is gone and its Lease stops being renewed;
    /// start-node: the Node is Ready again with a fresh Lease, and its pod runs again.
    func checkPowerLossAndReboot(_ cluster: TestCluster, node: String) async throws {
        let containerBefore = try await containerID(cluster, "on-\(node)")
        let before = TestCluster.processes(ofHost: node)
        // The agent, the container's monitor and the container's process at least.
        #expect(before.count >= 3, "processes of \(node): \(before)")
        try await cluster.killNode(node)
        #expect(TestCluster.processes(ofHost: node).isEmpty)
        for pid in before { #expect(!TestCluster.isAlive(pid), "process \(pid) of \(node) survived kill-node") }
        let link = try await cluster.exec(on: node, ["ip", "-o", "link", "show", "eth0"])
        #expect(link.stdout.contains("state DOWN"), "\(link.stdout)")

        // The agent renews its Lease every 10 s: after 12 s a live agent would have.
        let renewed = try await renewTime(cluster, node)
        try await Task.sleep(for: .seconds(12))
        #expect(try await renewTime(cluster, node) == renewed, "\(node)'s Lease was renewed while it was down")

        try await cluster.startNode(node)
        try await eventually(timeout: 60) {
            let ready = try await cluster.kubectl(
                "get", "node", node, "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}")
            return ready.stdout == "True" ? try await renewTime(cluster, node) != renewed : false
        }
        // The reboot took the container: the agent starts a new one (a stale status would still
        // name the old one).
        let pod = try await runningPod(cluster, "on-\(node)", timeout: 90) { try await containerID(cluster, "on-\(node)") != containerBefore }
        let restarts = ((pod["status"] as? [String: Any])?["containerStatuses"] as? [[String: Any]])?.first?["restartCount"] as? Int
        #expect(restarts == 1)
        // Reached through the server and the node's own API on its address: the container lives.
        let hostname = try await cluster.kubectl("exec", "on-\(node)", "--", "hostname")
        #expect(hostname.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "on-\(node)", "\(hostname)")
        #expect(TestCluster.processes(ofHost: node).count >= 3)
    }

    /// After down: no namespace, link, route, nftables rule, mount, cgroup or process of the cluster.
    func checkNothingLeft(processes: Set<Int32>) async throws {
        let namespaces = try await Tools.run("/usr/sbin/ip", ["netns", "list"]).stdout
        #expect(!namespaces.contains("skiffc-"), "\(namespaces)")
        let pins = (try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? []
        #expect(!pins.contains { $0.hasPrefix("skiffc-") }, "\(pins)")
        let links = try await Tools.run("/usr/sbin/ip", ["-o", "link", "show"]).stdout
        #expect(!links.contains("skiffcbr0") && !links.contains("skc-"), "\(links)")
        let routes = try await Tools.run("/usr/sbin/ip", ["route", "show", "table", "all"]).stdout
        #expect(!routes.contains("skiffcbr0") && !routes.contains("10.99.0."), "\(routes)")
        // The nodes' tables lived in their namespaces (gone above); the root's must not name the
        // cluster's addresses (10.99.0.0/24 hosts, 10.98.0.0/16 pods).
        let ruleset = try await Tools.run("/usr/sbin/nft", ["list", "ruleset"]).stdout
        #expect(!ruleset.contains("10.99.0.") && !ruleset.contains("10.98."), "\(ruleset)")
        let mounts = (try? String(contentsOfFile: "/proc/self/mounts", encoding: .utf8)) ?? ""
        let ours = mounts.split(separator: "\n").filter { $0.contains(TestCluster.state) || $0.contains("/run/netns/skiffc-") }
        #expect(ours.isEmpty, "\(ours)")
        for mount in TestCluster.cgroupMounts() {
            #expect(!FileManager.default.fileExists(atPath: mount + "/skiff-cluster"), "\(mount)/skiff-cluster is left")
        }
        #expect(!processes.isEmpty)
        let alive = processes.filter(TestCluster.isAlive)
        #expect(alive.isEmpty, "processes left: \(alive)")
        #expect(!FileManager.default.fileExists(atPath: TestCluster.state))
    }

    // MARK: - Helpers

    func runningPod(
        _ cluster: TestCluster, _ name: String, timeout: TimeInterval, and condition: () async throws -> Bool = { true }
    ) async throws -> [String: Any] {
        var last: [String: Any] = [:]
        do {
            try await eventually(timeout: timeout) {
                last = try json(try await cluster.kubectl("get", "pod", name, "-o", "json"))
                let status = last["status"] as? [String: Any] ?? [:]
                let container = (status["containerStatuses"] as? [[String: Any]])?.first ?? [:]
                guard status["phase"] as? String == "Running", container["ready"] as? Bool == true else { return false }
                return try await condition()
            }
        } catch {
            throw Tools.Failure("pod \(name) did not run: \(last["status"] ?? "no status")")
        }
        return last
    }

    func containerID(_ cluster: TestCluster, _ pod: String) async throws -> String {
        try await cluster.kubectl("get", "pod", pod, "-o", "jsonpath={.status.containerStatuses[0].containerID}").stdout
    }

    func renewTime(_ cluster: TestCluster, _ node: String) async throws -> String {
        try await cluster.kubectl("get", "lease", "-n", "kube-node-lease", node, "-o", "jsonpath={.spec.renewTime}").stdout
    }

    func json(_ output: Tools.Output) throws -> [String: Any] {
        guard output.status == 0, let object = try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any] else {
            throw Tools.Failure("kubectl failed: \(output.stderr)")
        }
        return object
    }

    func eventually(timeout: TimeInterval, _ condition: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while try await !condition() {
            guard Date() < deadline else { throw Tools.Failure("condition not met within \(Int(timeout)) s") }
            try await Task.sleep(for: .milliseconds(500))
        }
    }
}
