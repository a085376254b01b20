import Foundation
import Logging
import SkiffDNS
import SkiffTestSupport
import Testing

/// The cluster network on `scripts/cluster` hosts (network namespaces on a shared bridge, each
/// with its own agent): pod IPs across hosts, Services through every node's nftables, cluster
/// DNS, and LoadBalancer/NodePort from outside the cluster (the root namespace, on the bridge).
@Suite("Cluster network (root, multi-host)", .serialized)
struct ClusterNetworkTests {
    /// The test machine's address on the hosts' bridge: "outside the cluster", and where the
    /// hosts' resolv.conf sends names cluster DNS forwards.
    static let outside = "10.99.0.1"

    @Test(
        "three hosts (host-gw): pod to pod by IP keeping the source, UDP, node to pod, masquerade to hosts; Services by name, VIP, NodePort and LoadBalancer; affinity, ETP Local, readiness; DNS records; a deleted Node's routes go"
    )
    func hostGateway() async throws {
        let upstream = try await FakeUpstream.start(address: Self.outside)
        defer { upstream.stop() }
        try await TestCluster.with(nodes: 3) { cluster in
            let net = Net(cluster: cluster)
            try await net.apply(Manifests.workloads)
            let ips = try await net.runningPods(["web-1", "web-2", "web-3", "client", "udp", "flip"])
            try await podNetwork(net, ips: ips)
            try await services(net, ips: ips)
            try await dns(net, ips: ips)
            try await readiness(net)
            try await badInput(net)
            try await deletedNodeLosesRoutes(net)
        }
    }

    @Test("VXLAN forced: pods on two hosts reach each other keeping their IPs over the VXLAN device, and leaving the cluster is masqueraded")
    func vxlan() async throws {
        try await TestCluster.with(nodes: 2, agentArguments: ["--pod-network=vxlan"]) { cluster in
            let net = Net(cluster: cluster)
            try await net.apply(Manifests.vxlanPods)
            let ips = try await net.runningPods(["web-2", "client"])
            let link = try await cluster.exec(on: "node1", ["ip", "-d", "link", "show", "skiff.vxlan"])
            #expect(link.stdout.contains("vxlan id 1") && link.stdout.contains("dstport 8472"), "\(link)")
            let routes = try await cluster.exec(on: "node1", ["ip", "route"]).stdout
            #expect(routes.contains("dev skiff.vxlan"), "\(routes)")
            #expect(try await net.callerAddress(from: "client", ips["web-2"]!) == ips["client"])
            try await masqueradeToHost(net, from: "client", to: "node2")
        }
    }

    // MARK: - checks

    /// Pods reach pods on other hosts by IP, and the receiver sees the sender's pod IP; UDP too;
    /// a node reaches a pod on another node; a pod reaching another host is masqueraded.
    func podNetwork(_ net: Net, ips: [String: String]) async throws {
        let cluster = net.cluster
        let routes = try await cluster.exec(on: "node1", ["ip", "route"]).stdout
        #expect(!routes.contains("skiff.vxlan"), "peers on the node's subnet are reached host-gw: \(routes)")
        for target in ["web-2", "web-3"] {
            let seen = try await net.callerAddress(from: "client", ips[target]!)
            #expect(seen == ips["client"], "\(target) saw the client as \(seen)")
        }
        // busybox has no UDP client or server: socat and bash run in the two pods' network
        // namespaces (entered through their processes), so the datagram goes pod to pod.
        let receiver = try await net.podProcess("sleep 54322")
        let sender = try await net.podProcess("sleep 54321")
        let listener = Task {
            try await Tools.run(
                "/usr/bin/nsenter",
                ["--net=/proc/\(receiver)/ns/net", "timeout", "15", "socat", "-u", "UDP-RECVFROM:9000", "SYSTEM:cat; echo \" from $SOCAT_PEERADDR\""],
                timeout: 20)
        }
        try await Task.sleep(for: .milliseconds(300))
        for _ in 0..<10 {
            _ = try await Tools.run("/usr/bin/nsenter", ["--net=/proc/\(sender)/ns/net", "bash", "-c", "echo hello-over-udp >/dev/udp/\(ips["udp"]!)/9000"])
            try await Task.sleep(for: .milliseconds(300))
        }
        let received = try await listener.value.stdout
        #expect(received.contains("hello-over-udp") && received.contains("from \(ips["client"]!)"), "\(received)")
        let fromNode = try await net.hostGet(on: "node1", ips["web-3"]!, 8080, "/")
        #expect(fromNode == "hello from web-3")
        try await masqueradeToHost(net, from: "client", to: "node3")
    }

    /// A pod on node1 connecting to another host's own address is seen as node1's address.
    func masqueradeToHost(_ net: Net, from pod: String, to host: String) async throws {
        let hostIP = try await net.hostIP(host)
        let podHost = try await net.nodeOf(pod)
        let listener = Task {
            try await Tools.run(
                "/usr/bin/nsenter",
                ["--net=/run/netns/skiffc-\(host)", "timeout", "20", "socat", "TCP-LISTEN:7000,reuseaddr", "SYSTEM:echo $SOCAT_PEERADDR"], timeout: 25)
        }
        defer { listener.cancel() }
        var seen = ""
        try await eventually(timeout: 10) {
            seen = try await net.cluster.kubectl("exec", pod, "--", "sh", "-c", "nc -w 2 \(hostIP) 7000 </dev/null").stdout
                .trimmingCharacters(in: .whitespacesAndNewlines)
            return !seen.isEmpty
        }
        #expect(seen == (try await net.hostIP(podHost)), "\(pod) reached \(host) as \(seen)")
    }

    /// Services: by short and full name and by VIP from a pod on another node, spread over the
    /// backends; NodePort and LoadBalancer from outside; ClientIP affinity; ETP Local.
    func services(_ net: Net, ips: [String: String]) async throws {
        let cluster = net.cluster
        try await net.apply(Manifests.services)
        let clusterIP = try await cluster.kubectl("get", "svc", "web", "-o", "jsonpath={.spec.clusterIP}").stdout
        var backends: Set<String> = []
        try await eventually(timeout: 20) {
            for host in ["web", "web.default.svc.cluster.local", clusterIP] {
                backends.insert(try await net.get(from: "client", host, 80, "/"))
            }
            return backends.isSuperset(of: ["hello from web-1", "hello from web-2"]) || backends.count >= 2
        }
        #expect(backends.count >= 2, "requests spread over several backends: \(backends)")
        #expect(backends.allSatisfy { $0.hasPrefix("hello from web-") }, "\(backends)")

        let nodePort = try await cluster.kubectl("get", "svc", "web-np", "-o", "jsonpath={.spec.ports[0].nodePort}").stdout
        for host in ["node1", "node3"] {
            let answer = try await net.outsideGet(try await net.hostIP(host), Int(nodePort) ?? 0, "/")
            #expect(answer.hasPrefix("hello from web-"), "NodePort on \(host): \(answer)")
        }

        var ingress = ""
        try await eventually(timeout: 20) {
            ingress = try await cluster.kubectl("get", "svc", "web-lb", "-o", "jsonpath={.status.loadBalancer.ingress[*].ip}").stdout
            return ingress.split(separator: " ").count == 3
        }
        #expect(ingress == "10.99.0.11 10.99.0.12 10.99.0.13")
        #expect(try await net.outsideGet("10.99.0.12", 8081, "/").hasPrefix("hello from web-"), "LoadBalancer on a node's address")

        var sticky: Set<String> = []
        for _ in 0..<8 { sticky.insert(try await net.get(from: "client", "sticky", 80, "/")) }
        #expect(sticky.count == 1, "ClientIP affinity keeps one backend: \(sticky)")

        // The kubernetes Service reaches the API server: its TLS listener answers a truncated
        // ClientHello with an alert (7 bytes), which shows the connection got there.
        let apiServer = try await cluster.kubectl(
            "exec", "client", "--", "sh", "-c", "printf '\\x16\\x03\\x01\\x00\\x05\\x01\\x00\\x00\\x01\\x00' | nc -w 3 kubernetes.default 443 | wc -c")
        #expect((Int(apiServer.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) > 0, "kubernetes.default:443 from a pod: \(apiServer)")

        let localPort = try await cluster.kubectl("get", "svc", "local-only", "-o", "jsonpath={.spec.ports[0].nodePort}").stdout
        #expect(try await net.outsideGet("10.99.0.12", Int(localPort) ?? 0, "/") == "hello from web-2")
        let elsewhere = try await net.outsideGet("10.99.0.11", Int(localPort) ?? 0, "/", timeout: 2)
        #expect(elsewhere.isEmpty, "externalTrafficPolicy Local: a node without a local endpoint does not answer (\(elsewhere))")
        _ = ips
    }

    /// Cluster DNS checked with dig from a host, and what a pod's resolv.conf says.
    func dns(_ net: Net, ips: [String: String]) async throws {
        let clusterIP = try await net.cluster.kubectl("get", "svc", "web", "-o", "jsonpath={.spec.clusterIP}").stdout
        #expect(try await net.dig("web.default.svc.cluster.local") == [clusterIP])
        #expect(try await net.dig("_http._tcp.web.default.svc.cluster.local", type: "SRV") == ["0 100 80 web.default.svc.cluster.local."])
        #expect(try await net.dig(clusterIP, reverse: true) == ["web.default.svc.cluster.local."])
        #expect(try await net.dig("db.default.svc.cluster.local").sorted() == [ips["web-1"]!, ips["web-2"]!, ips["web-3"]!].sorted())
        #expect(try await net.dig("ext.default.svc.cluster.local", type: "CNAME") == ["www.ns.svc.upstream.test."])
        #expect(try await net.digStatus("nope.default.svc.cluster.local") == "NXDOMAIN")
        #expect(try await net.digStatus("web.default.svc.cluster.local", type: "AAAA") == "NOERROR", "the name exists: NODATA, not NXDOMAIN")
        #expect(try await net.dig("www.ns.svc.upstream.test") == ["192.0.2.80"], "other names are forwarded to the host's resolver")
        let resolv = try await net.cluster.kubectl("exec", "client", "--", "cat", "/etc/resolv.conf").stdout
        #expect(resolv == "search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.43.0.10\noptions ndots:5\n")
    }

    /// A pod failing readiness stops receiving traffic within 2 s of its failing probe, and gets
    /// it back once ready.
    func readiness(_ net: Net) async throws {
        let cluster = net.cluster
        try await eventually(timeout: 20) { try await net.get(from: "client", "flip", 80, "/") == "hello from flip" }
        // Both pods share the host's kernel, so /proc/uptime times the two sides on one clock.
        let removedAt = try await cluster.kubectl("exec", "flip", "--", "sh", "-c", "rm /tmp/ready; cut -d' ' -f1 /proc/uptime").stdout
        let refusedAt = try await cluster.kubectl(
            "exec", "client", "--", "sh", "-c",
            "for i in $(seq 150); do printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 1 flip 80 2>/dev/null | grep -q hello || { cut -d' ' -f1 /proc/uptime; exit 0; }; sleep 0.05; done; exit 1"
        ).stdout
        let failedAt = try await cluster.kubectl("exec", "flip", "--", "cat", "/tmp/failed-at").stdout
        func seconds(_ text: String) -> Double { Double(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? .nan }
        let sinceProbeFailed = seconds(refusedAt) - seconds(failedAt)
        #expect(
            sinceProbeFailed <= 2,
            "traffic to an unready pod stopped \(sinceProbeFailed) s after its probe failed (\(seconds(refusedAt) - seconds(removedAt)) s after the file went)")
        #expect(try await cluster.kubectl("exec", "flip", "--", "sh", "-c", "rm /tmp/failed-at; touch /tmp/ready").status == 0)
        try await eventually(timeout: 10) { try await net.get(from: "client", "flip", 80, "/") == "hello from flip" }
    }

    /// A Service with a port clash is refused with a clear error; garbage to the DNS server
    /// leaves it answering.
    func badInput(_ net: Net) async throws {
        let clash = try await net.cluster.kubectl(
            "apply", "-f", "-",
            input: "apiVersion: v1\nkind: Service\nmetadata: {name: clash}\nspec:\n  ports: [{name: a, port: 80}, {name: b, port: 80}]\n")
        #expect(clash.status != 0 && clash.stderr.contains("spec.ports[1]"), "\(clash)")
        let garbage = try await net.cluster.exec(
            on: "node1", ["bash", "-c", "head -c 700 /dev/urandom >/dev/udp/10.43.0.10/53; printf '\\x12' >/dev/udp/10.43.0.10/53; echo sent"])
        #expect(garbage.stdout.contains("sent"))
        #expect(try await net.digStatus("web.default.svc.cluster.local") == "NOERROR", "the DNS server still answers after garbage")
    }

    /// A Node that is gone (power lost, then deleted) loses its routes on every other node.
    func deletedNodeLosesRoutes(_ net: Net) async throws {
        let cluster = net.cluster
        let cidr = try await cluster.kubectl("get", "node", "node3", "-o", "jsonpath={.spec.podCIDR}").stdout
        #expect(try await cluster.exec(on: "node1", ["ip", "route"]).stdout.contains(cidr))
        try await cluster.killNode("node3")
        #expect(try await cluster.kubectl("delete", "node", "node3").status == 0)
        try await eventually(timeout: 15) { !(try await cluster.exec(on: "node1", ["ip", "route"]).stdout.contains(cidr)) }
        #expect(!(try await cluster.exec(on: "node2", ["ip", "route"]).stdout.contains(cidr)))
    }

    func eventually(timeout: TimeInterval, _ condition: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while try await !condition() {
            guard Date() < deadline else { throw Tools.Failure("condition not met within \(Int(timeout)) s") }
            try await Task.sleep(for: .milliseconds(300))
        }
    }
}

/// Requests and lookups made from pods, hosts and outside the cluster.
struct Net {
    let cluster: TestCluster

    func apply(_ manifest: String) async throws {
        let applied = try await cluster.kubectl("apply", "-f", "-", input: manifest)
        guard applied.status == 0 else { throw Tools.Failure("kubectl apply: \(applied.stderr)") }
    }

    /// Waits until every pod is Running and ready; returns their IPs.
    func runningPods(_ names: [String], timeout: TimeInterval = 180) async throws -> [String: String] {
        var ips: [String: String] = [:]
        let deadline = Date().addingTimeInterval(timeout)
        for name in names {
            while true {
                let state = try await cluster.kubectl("get", "pod", name, "-o", "jsonpath={.status.phase} {.status.containerStatuses[0].ready} {.status.podIP}")
                let fields = state.stdout.split(separator: " ").map(String.init)
                if fields.count == 3, fields[0] == "Running", fields[1] == "true" {
                    ips[name] = fields[2]
                    break
                }
                guard Date() < deadline else { throw Tools.Failure("pod \(name) did not run: \(state.stdout) \(state.stderr)") }
                try await Task.sleep(for: .milliseconds(500))
            }
        }
        return ips
    }

    /// An HTTP GET from inside a pod with busybox nc; the body's last line.
    func get(from pod: String, _ host: String, _ port: Int, _ path: String) async throws -> String {
        let output = try await cluster.kubectl(
            "exec", pod, "--", "sh", "-c", "printf 'GET \(path) HTTP/1.0\\r\\n\\r\\n' | nc -w 3 \(host) \(port)")
        return Self.lastLine(output.stdout)
    }

    /// The address `target`'s httpd saw the pod `pod` connect from (its CGI's REMOTE_ADDR, an
    /// IPv4-mapped IPv6 address on a dual-stack socket).
    func callerAddress(from pod: String, _ target: String) async throws -> String {
        var seen = try await get(from: pod, target, 8080, "/cgi-bin/ip")
        if seen.hasPrefix("["), seen.hasSuffix("]") { seen = String(seen.dropFirst().dropLast()) }
        return seen.hasPrefix("::ffff:") ? String(seen.dropFirst(7)) : seen
    }

    /// An HTTP GET from a host's own network namespace.
    func hostGet(on host: String, _ address: String, _ port: Int, _ path: String) async throws -> String {
        let output = try await cluster.exec(on: host, ["bash", "-c", Self.bashGet(address, port, path, timeout: 3)])
        return Self.lastLine(output.stdout)
    }

    /// An HTTP GET from outside the cluster (the test machine, on the bridge).
    func outsideGet(_ address: String, _ port: Int, _ path: String, timeout: Int = 3) async throws -> String {
        Self.lastLine(try await Tools.run("/bin/bash", ["-c", Self.bashGet(address, port, path, timeout: timeout)]).stdout)
    }

    static func bashGet(_ address: String, _ port: Int, _ path: String, timeout: Int) -> String {
        "timeout -s KILL \(timeout) bash -c 'exec 3<>/dev/tcp/\(address)/\(port) && printf \"GET \(path) HTTP/1.0\\r\\n\\r\\n\" >&3 && cat <&3' 2>/dev/null"
    }

    static func lastLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
    }

    func hostIP(_ host: String) async throws -> String {
        try String(contentsOfFile: TestCluster.state + "/hosts/\(host).ip", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The pid of the one process whose command line is `command` (a pod's unusual sleep).
    func podProcess(_ command: String) async throws -> String {
        let script = "for p in /proc/[0-9]*; do [ \"$(tr '\\0' ' ' <$p/cmdline 2>/dev/null)\" = '\(command) ' ] && echo ${p#/proc/}; done"
        let pids = try await Tools.run("/bin/bash", ["-c", script]).stdout.split(whereSeparator: \.isNewline)
        guard pids.count == 1, let pid = pids.first else { throw Tools.Failure("one process running \(command) expected, found \(pids)") }
        return String(pid)
    }

    func nodeOf(_ pod: String) async throws -> String {
        try await cluster.kubectl("get", "pod", pod, "-o", "jsonpath={.spec.nodeName}").stdout
    }

    /// `dig +short` against cluster DNS from node1's namespace.
    func dig(_ name: String, type: String = "A", reverse: Bool = false) async throws -> [String] {
        let query = reverse ? ["-x", name] : [name, type]
        let output = try await cluster.exec(on: "node1", ["dig", "+short", "+time=5", "+tries=2", "@10.43.0.10"] + query)
        return output.stdout.split(whereSeparator: \.isNewline).map(String.init)
    }

    func digStatus(_ name: String, type: String = "A") async throws -> String {
        let output = try await cluster.exec(on: "node1", ["dig", "+time=5", "+tries=2", "@10.43.0.10", name, type])
        guard let range = output.stdout.range(of: "status: ") else { return "no answer: \(output.stdout)" }
        return String(output.stdout[range.upperBound...].prefix { $0.isLetter })
    }
}

/// The resolver the hosts' resolv.conf names: a DNS server on the bridge address answering one
/// zone of its own, so a forwarded name has somewhere to go without leaving the machine.
final class FakeUpstream: Sendable {
    let server: DNSServer
    let task: Task<Void, Never>

    private init(server: DNSServer, task: Task<Void, Never>) {
        self.server = server
        self.task = task
    }

    /// Binds `address`:53 once the cluster's bridge holds the address; until then it retries.
    static func start(address: String) async throws -> FakeUpstream {
        var logger = Logger(label: "upstream")
        logger.logLevel = .error
        let records = ClusterDNSRecords(
            zone: "upstream.test", services: [DNSService(namespace: "ns", name: "www", clusterIPs: ["192.0.2.80"])])
        let server = DNSServer(configuration: .init(host: address, port: 53), records: records, forwarder: nil, logger: logger)
        let task = Task {
            // The bridge (and so the address) appears during `scripts/cluster up`.
            for _ in 0..<600 where !Task.isCancelled {
                if (try? await server.run()) != nil { return }
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
        return FakeUpstream(server: server, task: task)
    }

    func stop() { task.cancel() }
}

/// The pods and Services the checks use.
enum Manifests {
    /// busybox httpd answering "hello from NAME" on / and the caller's address on /cgi-bin/ip.
    /// With `readiness`, the pod is ready while /tmp/ready exists, probed every second; the first
    /// failing probe writes the time it failed (/proc/uptime) to /tmp/failed-at.
    static func web(_ name: String, node: String, labels: String, readiness: Bool = false) -> String {
        let check = #"cat /tmp/ready >/dev/null 2>&1 || { [ -f /tmp/failed-at ] || cut -d" " -f1 /proc/uptime >/tmp/failed-at; exit 1; }"#
        let probe =
            readiness
            ? "\n    readinessProbe: {exec: {command: [sh, -c, '\(check)']}, periodSeconds: 1, failureThreshold: 1, successThreshold: 1}" : ""
        return """
            apiVersion: v1
            kind: Pod
            metadata: {name: \(name), labels: {\(labels)}}
            spec:
              nodeName: \(node)
              terminationGracePeriodSeconds: 1
              containers:
              - name: httpd
                image: busybox
                command: [sh, -c, 'mkdir -p /tmp/www/cgi-bin && echo "hello from \(name)" >/tmp/www/index.html && printf "#!/bin/sh\\necho Content-Type: text/plain\\necho\\necho \\$REMOTE_ADDR\\n" >/tmp/www/cgi-bin/ip && chmod +x /tmp/www/cgi-bin/ip && touch /tmp/ready && exec httpd -f -p 8080 -h /tmp/www']
                ports: [{name: http, containerPort: 8080}]\(probe)
            ---

            """
    }

    static let client = """
        apiVersion: v1
        kind: Pod
        metadata: {name: client}
        spec:
          nodeName: node1
          terminationGracePeriodSeconds: 1
          containers: [{name: c, image: busybox, command: [sleep, "54321"]}]
        ---

        """

    static let workloads =
        web("web-1", node: "node1", labels: "app: web") + web("web-2", node: "node2", labels: "app: web, tier: local")
        + web("web-3", node: "node3", labels: "app: web") + web("flip", node: "node2", labels: "app: flip", readiness: true) + client
            + """
            apiVersion: v1
            kind: Pod
            metadata: {name: udp}
            spec:
              nodeName: node3
              terminationGracePeriodSeconds: 1
              containers: [{name: c, image: busybox, command: [sleep, "54322"]}]
            """

    static let vxlanPods = web("web-2", node: "node2", labels: "app: web") + client

    static let services = """
        apiVersion: v1
        kind: Service
        metadata: {name: web}
        spec: {selector: {app: web}, ports: [{name: http, port: 80, targetPort: http}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web-np}
        spec: {type: NodePort, selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web-lb}
        spec: {type: LoadBalancer, selector: {app: web}, ports: [{port: 8081, targetPort: http}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: sticky}
        spec: {selector: {app: web}, sessionAffinity: ClientIP, ports: [{port: 80, targetPort: 8080}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: local-only}
        spec: {type: NodePort, externalTrafficPolicy: Local, selector: {tier: local}, ports: [{port: 80, targetPort: 8080}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: db}
        spec: {clusterIP: None, selector: {app: web}, ports: [{name: http, port: 8080}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: ext}
        spec: {type: ExternalName, externalName: www.ns.svc.upstream.test}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: flip}
        spec: {selector: {app: flip}, ports: [{port: 80, targetPort: 8080}]}
        """
}
