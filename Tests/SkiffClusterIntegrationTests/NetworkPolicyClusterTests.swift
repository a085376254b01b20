import Foundation
import SkiffTestSupport
import Testing

/// NetworkPolicies enforced by the agents on `scripts/cluster` hosts: a server pod on node2,
/// clients on node1 (one labelled, one not, one in another namespace) and one beside the server
/// on node2. Ingress is checked on
/// node2, egress on node1. One cluster, the policies applied and removed in turn.
@Suite("NetworkPolicy (root, multi-host)", .serialized)
struct NetworkPolicyClusterTests {
    @Test(
        "default-deny blocks a client on another node while the server's HTTP readiness probe passes; allows by pod label, namespace, ipBlock/except with a port range, and named-port egress open exactly what they name; deleting the policies restores traffic; bad rules are 422s"
    )
    func policies() async throws {
        try await TestCluster.with(nodes: 2) { cluster in
            let net = Net(cluster: cluster)
            try await net.apply(Self.pods)
            let ips = try await net.runningPods(["server", "allowed", "other", "neighbour"])
            let outsider = try await Self.podIP(net, "outsider", namespace: "team-a")
            let server = ips["server"]!
            let check = Reach(net: net, server: server)

            // No policy: everyone gets through.
            try await check.expect(from: "allowed", 8080, open: true)
            try await check.expect(from: "other", 8080, open: true)
            try await check.expect(from: "neighbour", 8080, open: true)

            try await net.apply(Self.policy("deny-all", spec: "podSelector: {}\n  policyTypes: [Ingress]"))
            try await check.expect(from: "other", 8080, open: false)
            try await check.expect(from: "allowed", 8080, open: false)
            try await check.expect(from: "outsider", namespace: "team-a", 8080, open: false)
            // A pod on the server's own node and bridge: bridged traffic is filtered too.
            try await check.expect(from: "neighbour", 8080, open: false)
            // The node reaches its own pods (kubelet probes): the server stays ready.
            #expect(try await net.hostGet(on: "node2", server, 8080, "/") == "hello from server")
            try await Task.sleep(for: .seconds(3))
            let ready = try await cluster.kubectl("get", "pod", "server", "-o", "jsonpath={.status.containerStatuses[0].ready}").stdout
            #expect(ready == "true", "the readiness probe (httpGet every second) still passes under default-deny")

            // By pod label: exactly the labelled client, on exactly the listed port.
            try await net.apply(
                Self.policy(
                    "allow-client",
                    spec:
                        "podSelector: {matchLabels: {app: server}}\n  ingress: [{from: [{podSelector: {matchLabels: {role: client}}}], ports: [{port: 8080}]}]")
            )
            try await check.expect(from: "allowed", 8080, open: true)
            try await check.expect(from: "other", 8080, open: false)
            try await check.expect(from: "allowed", 9090, open: false)

            // By namespace: every pod of the labelled namespace.
            try await net.apply(
                Self.policy("allow-team-a", spec: "podSelector: {}\n  ingress: [{from: [{namespaceSelector: {matchLabels: {team: a}}}]}]"))
            try await check.expect(from: "outsider", namespace: "team-a", 8080, open: true)
            try await check.expect(from: "other", 8080, open: false)

            // An address block minus one client, on a port range: 9000-9100 opens 9090 to the
            // labelled client (inside the block) but not to the excepted one.
            let node1Pods = try await cluster.kubectl("get", "node", "node1", "-o", "jsonpath={.spec.podCIDR}").stdout
            try await net.apply(
                Self.policy(
                    "allow-block",
                    spec:
                        "podSelector: {matchLabels: {app: server}}\n  ingress: [{from: [{ipBlock: {cidr: \(node1Pods), except: [\(ips["other"]!)/32]}}], ports: [{port: 9000, endPort: 9100}]}]"
                ))
            try await check.expect(from: "allowed", 9090, open: true)
            try await check.expect(from: "other", 9090, open: false)
            try await check.expect(from: "other", 8080, open: false)

            // Egress from the labelled client (enforced on node1): only the server's port named
            // "http"; 9090 is now cut off at the source although the server's side allows it.
            try await net.apply(
                Self.policy(
                    "client-egress",
                    spec:
                        "podSelector: {matchLabels: {role: client}}\n  policyTypes: [Egress]\n  egress: [{to: [{podSelector: {matchLabels: {app: server}}}], ports: [{port: http}]}]"
                ))
            try await check.expect(from: "allowed", 9090, open: false)
            try await check.expect(from: "allowed", 8080, open: true)
            let table = try await cluster.exec(on: "node1", ["nft", "list", "table", "ip", "skiff-netpol"]).stdout
            #expect(table.contains("\(server) . 8080"), "the named port resolved to the server's container port: \(table)")

            // Removing the policies restores traffic.
            for name in ["deny-all", "allow-client", "allow-team-a", "allow-block", "client-egress"] {
                #expect(try await cluster.kubectl("delete", "networkpolicy", name).status == 0)
            }
            try await check.expect(from: "other", 8080, open: true)
            try await check.expect(from: "allowed", 9090, open: true)
            _ = outsider

            // Bad input: a 422 naming the field, through real kubectl.
            let badCIDR = try await cluster.kubectl(
                "apply", "-f", "-", input: Self.policy("bad-cidr", spec: "podSelector: {}\n  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/33}}]}]"))
            #expect(badCIDR.status != 0 && badCIDR.stderr.contains("spec.ingress[0].from[0].ipBlock.cidr"), "\(badCIDR)")
            let badRange = try await cluster.kubectl(
                "apply", "-f", "-", input: Self.policy("bad-range", spec: "podSelector: {}\n  ingress: [{ports: [{port: 9100, endPort: 9000}]}]"))
            #expect(badRange.status != 0 && badRange.stderr.contains("spec.ingress[0].ports[0].endPort"), "\(badRange)")
        }
    }

    static func podIP(_ net: Net, _ name: String, namespace: String) async throws -> String {
        let deadline = Date().addingTimeInterval(120)
        while true {
            let state = try await net.cluster.kubectl("get", "pod", name, "-n", namespace, "-o", "jsonpath={.status.phase} {.status.podIP}").stdout
            let fields = state.split(separator: " ").map(String.init)
            if fields.count == 2, fields[0] == "Running" { return fields[1] }
            guard Date() < deadline else { throw Tools.Failure("pod \(namespace)/\(name) did not run: \(state)") }
            try await Task.sleep(for: .milliseconds(500))
        }
    }

    static func policy(_ name: String, spec: String) -> String {
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: \(name)}\nspec:\n  \(spec)\n"
    }

    /// busybox httpd on 8080 (named http) and 9090 (named alt), ready by an httpGet probe from
    /// the node; clients are plain sleepers.
    static let pods = """
        apiVersion: v1
        kind: Namespace
        metadata: {name: team-a, labels: {team: a}}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: server, labels: {app: server}}
        spec:
          nodeName: node2
          terminationGracePeriodSeconds: 1
          containers:
          - name: httpd
            image: busybox
            command: [sh, -c, 'mkdir -p /tmp/www && echo "hello from server" >/tmp/www/index.html && httpd -p 9090 -h /tmp/www && exec httpd -f -p 8080 -h /tmp/www']
            ports: [{name: http, containerPort: 8080}, {name: alt, containerPort: 9090}]
            readinessProbe: {httpGet: {path: /, port: 8080}, periodSeconds: 1, failureThreshold: 1}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: allowed, labels: {role: client}}
        spec:
          nodeName: node1
          terminationGracePeriodSeconds: 1
          containers: [{name: c, image: busybox, command: [sleep, "3600"]}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: other}
        spec:
          nodeName: node1
          terminationGracePeriodSeconds: 1
          containers: [{name: c, image: busybox, command: [sleep, "3600"]}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: neighbour}
        spec:
          nodeName: node2
          terminationGracePeriodSeconds: 1
          containers: [{name: c, image: busybox, command: [sleep, "3600"]}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: outsider, namespace: team-a, labels: {role: client}}
        spec:
          nodeName: node1
          terminationGracePeriodSeconds: 1
          containers: [{name: c, image: busybox, command: [sleep, "3600"]}]
        """
}

/// Whether a client pod reaches the server's port, waited for until the policies in force say so.
struct Reach {
    let net: Net
    let server: String

    func get(from pod: String, namespace: String, _ port: Int) async throws -> String {
        let output = try await net.cluster.kubectl(
            "exec", "-n", namespace, pod, "--", "sh", "-c", "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 \(server) \(port)")
        return Net.lastLine(output.stdout)
    }

    /// Waits up to 15 s for the expected outcome, then checks once more that it holds.
    func expect(
        from pod: String, namespace: String = "default", _ port: Int, open: Bool, sourceLocation: SourceLocation = #_sourceLocation
    )
        async throws
    {
        let deadline = Date().addingTimeInterval(15)
        var answer = try await get(from: pod, namespace: namespace, port)
        while (answer == "hello from server") != open && Date() < deadline {
            try await Task.sleep(for: .milliseconds(300))
            answer = try await get(from: pod, namespace: namespace, port)
        }
        if (answer == "hello from server") == open { answer = try await get(from: pod, namespace: namespace, port) }
        #expect(
            (answer == "hello from server") == open, "\(namespace)/\(pod) → server:\(port) should be \(open ? "open" : "blocked"), got \"\(answer)\"",
            sourceLocation: sourceLocation)
    }
}
