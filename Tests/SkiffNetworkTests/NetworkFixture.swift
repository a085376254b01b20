import Glibc
import SkiffSystem
import Synchronization

@testable import SkiffNetwork

/// A private pod network for one test: its own bridge, /24 (or smaller) in 10.199.0.0/16, temp
/// sandbox and IPAM directories and a fake host resolv.conf, so tests never touch a real agent's
/// network and can run in parallel. `cleanUp()` tears everything down, also after a failure.
final class NetworkFixture: Sendable {
    private static let counter = Atomic<Int>(0)

    let network: PodSandboxNetwork
    let directory: String
    let bridge: String
    let cidr: IPv4Network
    let portBase: Int

    init(prefixLength: Int = 24) throws {
        // Command.run writes a probe's request to nc's stdin; when nc exits first (connection
        // refused while the server starts) that write must fail with EPIPE, not kill the tests.
        signal(SIGPIPE, SIG_IGN)
        let serial = Self.counter.add(1, ordering: .relaxed).newValue
        let pid = Int(getpid())
        let octet = (pid * 7 + serial * 13) % 250 + 3
        bridge = "skt\(pid % 100_000)n\(serial)"
        portBase = 20_000 + (pid % 400) * 100 + serial * 10
        var template = Array("/tmp/skiff-network-test-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw SystemError("mkdtemp", "/tmp/skiff-network-test-XXXXXX", errno: errno) }
        directory = String(cString: made)
        try FileSystem.write("\(directory)/resolv.conf", "nameserver 127.0.0.53\nnameserver 10.1.2.3\nsearch example.com\noptions ndots:2\n")
        let configuration = try PodNetworkConfiguration(
            networkName: "skiff-test-\(pid)-\(serial)", bridgeName: bridge, podCIDR: "10.199.\(octet).0/\(prefixLength)",
            ipamDataDirectory: "\(directory)/ipam")
        cidr = configuration.podCIDR
        network = PodSandboxNetwork(
            configuration: configuration, sandboxDirectory: "\(directory)/sandboxes", hostResolvConf: "\(directory)/resolv.conf",
            upstreamResolvConf: "\(directory)/no-upstream")
    }

    func request(_ name: String, hostPorts: [PortMapping] = [], hostNetwork: Bool = false) -> PodSandboxRequest {
        PodSandboxRequest(
            podUID: "uid-\(name)-\(getpid())", namespace: "default", name: name, hostname: name, hostNetwork: hostNetwork,
            portMappings: hostPorts, hostAliases: [HostAlias(ip: "10.9.9.9", hostnames: ["alias.example"])])
    }

    var leaseDirectory: String { "\(directory)/ipam/\(network.configuration.networkName)" }

    func leasedIPs() -> [String] {
        ((try? FileSystem.listDirectory(leaseDirectory)) ?? []).filter { IPv4Network.parseAddress($0) != nil }.sorted()
    }

    func cleanUp() {
        for uid in (try? network.podUIDs()) ?? [] { try? network.tearDown(podUID: uid) }
        _ = try? Command.run("/usr/sbin/ip", ["link", "del", bridge])
        let sandboxes = "\(directory)/sandboxes"
        while umount2(sandboxes, Int32(MNT_DETACH)) == 0 {}
        try? FileSystem.removeTree(directory)
    }
}

/// busybox httpd serving `body` as /index.html inside a network namespace, on port 8080.
final class PodWebServer {
    let pid: pid_t
    let root: String

    init(networkNamespace: String, body: String, in directory: String) throws {
        root = "\(directory)/www-\(UInt32.random(in: 0...UInt32.max))"
        try FileSystem.makeDirectories(root)
        try FileSystem.write("\(root)/index.html", body + "\n")
        pid = try Spawn.start(
            "/usr/bin/nsenter", ["nsenter", "--net=\(networkNamespace)", "/bin/busybox", "httpd", "-f", "-p", "8080", "-h", root],
            environment: ["PATH=/usr/bin:/bin"], newSession: true)
    }

    /// httpd forks a child per connection: kill the whole session's process group.
    func stop() {
        kill(-pid, SIGKILL)
        _ = try? Spawn.wait(pid)
    }
}

enum Probe {
    /// GET / from `address:port`, from inside `networkNamespace` (nil: the host). Retries for a
    /// few seconds while the server starts; returns the response body's last line or nil.
    static func get(_ address: String, _ port: Int, from networkNamespace: String? = nil) -> String? {
        let client = ["nc", "-w", "2", address, "\(port)"]
        let (program, arguments) =
            networkNamespace.map { ("/usr/bin/nsenter", ["--net=\($0)", "/bin/busybox"] + client) }
            ?? ("/bin/busybox", client)
        for _ in 0..<30 {
            if let output = try? Command.run(program, arguments, environment: ["PATH=/usr/bin:/bin"], input: Array("GET / HTTP/1.0\r\n\r\n".utf8)),
                output.stdout.contains("200 OK")
            {
                return output.stdout.split(whereSeparator: \.isNewline).last.map { String($0).trimmingWhitespace }
            }
            usleep(100_000)
        }
        return nil
    }

    static func natRules() -> String {
        (try? Command.run("/usr/sbin/iptables-save", ["-t", "nat"]))?.stdout ?? ""
    }

    /// The host's first global IPv4 address outside `excluding` (the test bridge).
    static func hostAddress(excluding bridge: String) -> String? {
        guard let output = try? Command.run("/usr/sbin/ip", ["-4", "-o", "addr", "show", "scope", "global"]) else { return nil }
        for line in output.stdout.split(whereSeparator: \.isNewline) {
            let fields = line.split(separator: " ")
            guard fields.count > 3, fields[1] != Substring(bridge), !fields[1].hasPrefix("skt"),
                let address = fields[3].split(separator: "/").first
            else { continue }
            return String(address)
        }
        return nil
    }
}
