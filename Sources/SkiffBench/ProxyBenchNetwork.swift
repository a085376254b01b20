import Glibc
import SkiffSystem

/// The bench's scratch network: a node namespace for the table, a backend namespace whose eth0
/// carries every endpoint address of the probed Service (one socat listener serves them all),
/// and a client pod namespace; both behind routed veths, so client traffic crosses the node's
/// hooks as pod traffic does.
struct ProxyBenchNetwork {
    let prefix = "skb\(getpid())"
    var nodeNamespace: String { "\(prefix)-node" }
    var backendNamespace: String { "\(prefix)-backend" }
    var clientNamespace: String { "\(prefix)-client" }
    private var server: pid_t = 0

    static func backendAddresses(count: Int) -> [String] { (0..<count).map { "10.42.1.\(2 + $0)" } }

    init(endpointCount: Int) throws {
        do {
            try Self.ip(nil, "netns", "add", nodeNamespace)
            try Self.ip(nodeNamespace, "link", "set", "lo", "up")
            try Self.run("ip", ["netns", "exec", nodeNamespace, "sysctl", "-qw", "net.ipv4.ip_forward=1"])
            for (namespace, subnet, addresses) in [
                (backendNamespace, 1, Self.backendAddresses(count: endpointCount)), (clientNamespace, 99, ["10.42.99.2"]),
            ] {
                try Self.ip(nil, "netns", "add", namespace)
                let hostEnd = "v\(subnet)"
                try Self.ip(nodeNamespace, "link", "add", hostEnd, "type", "veth", "peer", "name", "eth0", "netns", namespace)
                try Self.ip(nodeNamespace, "addr", "add", "10.42.\(subnet).1/24", "dev", hostEnd)
                try Self.ip(nodeNamespace, "link", "set", hostEnd, "up")
                try Self.ip(namespace, "link", "set", "lo", "up")
                for address in addresses { try Self.ip(namespace, "addr", "add", "\(address)/24", "dev", "eth0") }
                try Self.ip(namespace, "link", "set", "eth0", "up")
                try Self.ip(namespace, "route", "add", "default", "via", "10.42.\(subnet).1")
            }
            // The handshake is the kernel's: socat only has to keep the accept queue short.
            server = try Spawn.start(
                "/usr/sbin/ip",
                ["ip", "netns", "exec", backendNamespace, "socat", "TCP-LISTEN:8080,fork,reuseaddr,backlog=4096", "EXEC:/bin/true"],
                environment: Self.environment)
            for _ in 0..<100 {
                if try Self.run("ip", ["netns", "exec", backendNamespace, "ss", "-ltn"]).stdout.contains(":8080 ") { break }
                usleep(20_000)
            }
        } catch {
            tearDown()
            throw error
        }
    }

    /// Connect latencies (seconds) from the client namespace, VIP and direct interleaved, taken
    /// by this binary's `proxy-probe` running inside the namespace (a connect is microseconds; a
    /// process per connect would drown it).
    func probe(vip: String, vipPort: Int, endpointPort: Int, connects: Int) throws -> (vip: [Double], direct: [Double]) {
        guard let executable = FileSystem.symlinkTarget("/proc/self/exe") else { throw RuntimeError("cannot find this executable") }
        let output = try Self.run(
            "ip",
            [
                "netns", "exec", clientNamespace, executable, "proxy-probe", "--count", String(connects), "\(vip):\(vipPort)",
                "\(Self.backendAddresses(count: 1)[0]):\(endpointPort)",
            ])
        guard output.status == .exited(0) else { throw RuntimeError("proxy-probe failed: \(output.stderr)") }
        var vipSamples: [Double] = []
        var directSamples: [Double] = []
        for line in output.stdout.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count == 2, let value = Double(fields[1]) else { continue }
            if fields[0] == "0" { vipSamples.append(value) } else { directSamples.append(value) }
        }
        return (vipSamples, directSamples)
    }

    func tearDown() {
        if server > 0 {
            kill(server, SIGKILL)
            _ = try? Spawn.wait(server)
        }
        for namespace in [clientNamespace, backendNamespace, nodeNamespace] { _ = try? Self.run("ip", ["netns", "del", namespace]) }
    }

    static let environment = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]

    private static func ip(_ namespace: String?, _ arguments: String...) throws {
        let output = try run("ip", (namespace.map { ["-n", $0] } ?? []) + arguments)
        guard output.status == .exited(0) else { throw RuntimeError("ip \(arguments.joined(separator: " ")) failed: \(output.stderr)") }
    }

    @discardableResult
    private static func run(_ tool: String, _ arguments: [String]) throws -> CommandOutput {
        let path = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"].map { "\($0)/\(tool)" }.first(where: FileSystem.exists) ?? tool
        return try Command.run(path, arguments, environment: environment)
    }
}
