import Glibc
import SkiffServiceProxy
import SkiffSystem
import Synchronization

/// A node in miniature for the proxy's root tests: a "node" network namespace that holds the
/// proxy's table and routes, backend namespaces each behind its own veth (routed, so every
/// packet between pods crosses the node's netfilter hooks, as with a real node's bridge and
/// br_netfilter), each running a socat TCP and UDP server that answers with its name, and a
/// "client" pod namespace. Everything it makes, `tearDown` removes.
final class ProxyNetwork: Sendable {
    static let nodeAddress = "192.168.50.1"
    static let servicePort = 8080
    private static let counter = Mutex(0)

    let prefix: String
    let nodeNamespace: String
    /// Backend name → pod address (10.42.N.2).
    let backends: [String: String]
    private let servers: Mutex<[pid_t]> = Mutex([])
    private let namespaces: Mutex<[String]> = Mutex([])

    init(backendCount: Int = 2) throws {
        let number = Self.counter.withLock { value in
            value += 1
            return value
        }
        prefix = "skp\(getpid() % 100_000)x\(number)"
        nodeNamespace = "\(prefix)-node"
        var backends: [String: String] = [:]
        for index in 1...backendCount { backends["b\(index)"] = "10.42.\(index).2" }
        self.backends = backends
        do {
            try makeNamespace(nodeNamespace)
            try ip(nodeNamespace, "link", "set", "lo", "up")
            // The node's "uplink": a veth pair inside the node namespace (no dummy driver here)
            // carrying the node address. The service CIDR is routed there, as a node's default
            // route would: a VIP without endpoints is then forwarded, and rejected in forward.
            try ip(nodeNamespace, "link", "add", "uplink0", "type", "veth", "peer", "name", "uplink1")
            try ip(nodeNamespace, "link", "set", "uplink0", "up")
            try ip(nodeNamespace, "link", "set", "uplink1", "up")
            try ip(nodeNamespace, "addr", "add", "\(Self.nodeAddress)/24", "dev", "uplink0")
            try ip(nodeNamespace, "route", "add", "10.43.0.0/16", "dev", "uplink0")
            try run("ip", ["netns", "exec", nodeNamespace, "sysctl", "-qw", "net.ipv4.ip_forward=1"])
            for index in 1...backendCount { try addPod("b\(index)", subnet: index, serve: true) }
            try addPod("client", subnet: 99, serve: false)
        } catch {
            tearDown()
            throw error
        }
    }

    var clientNamespace: String { "\(prefix)-client" }

    func namespace(of pod: String) -> String { "\(prefix)-\(pod)" }

    /// A pod namespace with 10.42.SUBNET.2/24 behind a veth whose node end is 10.42.SUBNET.1.
    private func addPod(_ name: String, subnet: Int, serve: Bool) throws {
        let namespace = namespace(of: name)
        try makeNamespace(namespace)
        let hostEnd = "v\(name)"  // in the node namespace: names need not be unique beyond it
        try ip(nodeNamespace, "link", "add", hostEnd, "type", "veth", "peer", "name", "eth0", "netns", namespace)
        try ip(nodeNamespace, "addr", "add", "10.42.\(subnet).1/24", "dev", hostEnd)
        try ip(nodeNamespace, "link", "set", hostEnd, "up")
        try ip(namespace, "link", "set", "lo", "up")
        try ip(namespace, "addr", "add", "10.42.\(subnet).2/24", "dev", "eth0")
        try ip(namespace, "link", "set", "eth0", "up")
        try ip(namespace, "route", "add", "default", "via", "10.42.\(subnet).1")
        guard serve else { return }
        let tcp = try Spawn.start(
            "/usr/sbin/ip",
            ["ip", "netns", "exec", namespace, "socat", "TCP-LISTEN:\(Self.servicePort),fork,reuseaddr", "EXEC:/bin/echo \(name)"],
            environment: Self.environment)
        servers.withLock { $0.append(tcp) }
        // The UDP answer reads the datagram first: socat writing it to an `echo` that already
        // exited fails with EPIPE and drops the answer.
        let udp = try Spawn.start(
            "/usr/sbin/ip", ["ip", "netns", "exec", namespace, "socat", "UDP-RECVFROM:\(Self.servicePort),fork", "SYSTEM:read line; echo \(name)"],
            environment: Self.environment)
        servers.withLock { $0.append(udp) }
        try waitForListener(namespace: namespace)
    }

    private func waitForListener(namespace: String) throws {
        for _ in 0..<100 {
            let sockets = try run("ip", ["netns", "exec", namespace, "ss", "-lntu"]).stdout
            if sockets.contains(":\(Self.servicePort) ") && sockets.split(separator: "\n").filter({ $0.contains(":\(Self.servicePort) ") }).count >= 2 {
                return
            }
            usleep(20_000)
        }
        throw RuntimeError("socat did not start listening in \(namespace)")
    }

    private func makeNamespace(_ name: String) throws {
        try ip(nil, "netns", "add", name)
        namespaces.withLock { $0.append(name) }
    }

    func tearDown() {
        for pid in servers.withLock({ $0 }) {
            kill(pid, SIGKILL)
            _ = try? Spawn.wait(pid)
        }
        for namespace in namespaces.withLock({ $0 }).reversed() {
            _ = try? run("ip", ["netns", "del", namespace])
        }
    }

    /// A ServiceProxy programming this node's namespace.
    func proxy(nodePortAddresses: [String] = []) -> ServiceProxy {
        ServiceProxy(
            node: ProxyNode(tableName: "skiff-proxy-test", clusterCIDR: "10.42.0.0/16", nodePortAddresses: nodePortAddresses),
            commands: SystemProxyCommands(networkNamespace: nodeNamespace))
    }

    /// An endpoint for backend `name` on the servers' port.
    func endpoint(_ name: String, ready: Bool = true, serving: Bool? = nil, terminating: Bool = false, isLocal: Bool = true) -> ProxyEndpoint {
        ProxyEndpoint(address: backends[name] ?? "", port: Self.servicePort, ready: ready, serving: serving, terminating: terminating, isLocal: isLocal)
    }

    /// What a TCP connection from `namespace` to address:port gets: the backend's name, or
    /// the client's error ("Connection refused", "Connection timed out"), and how long it took.
    func connect(from namespace: String, to address: String, port: Int, timeout: Int = 2) throws -> (answer: String, seconds: Double) {
        let start = ContinuousClock.now
        let output = try run(
            "ip", ["netns", "exec", namespace, "socat", "-T", "\(timeout)", "-t", "\(timeout)", "STDIO", "TCP:\(address):\(port),connect-timeout=\(timeout)"])
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let answer = output.status == .exited(0) ? output.stdout : output.stderr
        return (answer.split(whereSeparator: \.isNewline).last.map(String.init) ?? "", seconds)
    }

    /// The answer to one UDP datagram from `namespace` (empty when none came), optionally from a
    /// fixed source port so successive datagrams share one conntrack entry.
    func udp(from namespace: String, to address: String, port: Int, sourcePort: Int? = nil) throws -> String {
        let source = sourcePort.map { ",sourceport=\($0),reuseaddr" } ?? ""
        let output = try run(
            "ip", ["netns", "exec", namespace, "socat", "-T", "1", "-t", "1", "STDIO", "UDP:\(address):\(port)\(source)"], input: "ping\n")
        return output.stdout.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
    }

    /// The table as nft lists it, for failure messages.
    func table() -> String {
        (try? run("ip", ["netns", "exec", nodeNamespace, "nft", "list", "table", "ip", "skiff-proxy-test"]).stdout) ?? ""
    }

    static let environment = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]

    private func ip(_ namespace: String?, _ arguments: String...) throws {
        let output = try run("ip", (namespace.map { ["-n", $0] } ?? []) + arguments)
        guard output.status == .exited(0) else {
            throw RuntimeError("ip \(arguments.joined(separator: " ")) failed: \(output.stderr)")
        }
    }

    @discardableResult
    private func run(_ tool: String, _ arguments: [String], input: String = "") throws -> CommandOutput {
        try ProxyNetwork.run(tool, arguments, input: input)
    }

    @discardableResult
    static func run(_ tool: String, _ arguments: [String], input: String = "") throws -> CommandOutput {
        let path = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"].map { "\($0)/\(tool)" }.first(where: FileSystem.exists) ?? tool
        return try Command.run(path, arguments, environment: environment, input: Array(input.utf8))
    }
}
