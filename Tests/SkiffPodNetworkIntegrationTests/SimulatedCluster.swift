import Glibc
import SkiffNetwork
import SkiffPodNetwork
import SkiffSystem
import Synchronization

/// Three "hosts" as network namespaces behind a router namespace: h1 and h2 share the LAN
/// 192.168.71.0/24, h3 sits on 192.168.72.0/24, so h1 reaches h3 only through the router.
/// Each host has a `cni0` bridge at 10.42.N.1 and one pod namespace at 10.42.N.2 (N = 1, 2, 3).
/// Every name carries the test process's pid and a serial, so runs and tests never collide;
/// `cleanUp()` deletes the namespaces, which takes every interface in them along.
final class SimulatedCluster: Sendable {
    private static let counter = Atomic<Int>(0)

    struct Host: Sendable {
        let index: Int
        let namespace: String
        let podNamespace: String
        let address: String
        var podIP: String { "10.42.\(index).2" }
        var podCIDR: String { "10.42.\(index).0/24" }
        var routes: PodNetworkRoutes { PodNetworkRoutes(tools: NetworkTools(networkNamespace: namespace)) }
    }

    let router: String
    let hosts: [Host]
    private let made = Mutex<[String]>([])

    init() throws {
        // Command.run writes to socat's stdin; a client that exits first must not kill the tests.
        signal(SIGPIPE, SIG_IGN)
        let prefix = "skpn\(getpid())-\(Self.counter.add(1, ordering: .relaxed).newValue)"
        router = "\(prefix)-r"
        hosts = (1...3).map { index in
            Host(
                index: index, namespace: "\(prefix)-h\(index)", podNamespace: "\(prefix)-p\(index)",
                address: index == 3 ? "192.168.72.13" : "192.168.71.1\(index)")
        }
        do {
            try build()
        } catch {
            cleanUp()
            throw error
        }
    }

    private func build() throws {
        try addNamespace(router)
        try ip(router, "link set lo up")
        try sysctl(router, "net.ipv4.ip_forward=1")
        for (lan, address) in [("lan1", "192.168.71.1/24"), ("lan2", "192.168.72.1/24")] {
            try ip(router, "link add \(lan) type bridge")
            try ip(router, "address add \(address) dev \(lan)")
            try ip(router, "link set \(lan) up")
        }
        for host in hosts {
            let lan = host.index == 3 ? "lan2" : "lan1"
            let gateway = host.index == 3 ? "192.168.72.1" : "192.168.71.1"
            try addNamespace(host.namespace)
            try addNamespace(host.podNamespace)
            try ip(host.namespace, "link set lo up")
            try ip(host.podNamespace, "link set lo up")
            try ip(router, "link add h\(host.index) type veth peer name eth0 netns \(host.namespace)")
            try ip(router, "link set h\(host.index) master \(lan) up")
            try ip(host.namespace, "address add \(host.address)/24 dev eth0")
            try ip(host.namespace, "link set eth0 up")
            try ip(host.namespace, "route add default via \(gateway)")
            // What the CNI bridge plugin makes: a gateway bridge and a veth into the pod.
            try ip(host.namespace, "link add cni0 type bridge")
            try ip(host.namespace, "address add 10.42.\(host.index).1/24 dev cni0")
            try ip(host.namespace, "link set cni0 up")
            try ip(host.namespace, "link add vpod type veth peer name eth0 netns \(host.podNamespace)")
            try ip(host.namespace, "link set vpod master cni0 up")
            try ip(host.podNamespace, "link set eth0 mtu \(PodNetworkConfiguration.podMTU(mode: .vxlan, underlyingMTU: 1500))")
            try ip(host.podNamespace, "address add \(host.podIP)/24 dev eth0")
            try ip(host.podNamespace, "link set eth0 up")
            try ip(host.podNamespace, "route add default via 10.42.\(host.index).1")
        }
    }

    /// The Nodes as the agent on `host` would pass them: itself first, then every host.
    func nodes(for host: Host, mode: PodNetworkMode, peers: [Host]? = nil) throws -> (LocalNode, [PeerNode]) {
        let local = try LocalNode(name: "h\(host.index)", internalIP: host.address, podCIDR: host.podCIDR, mode: mode)
        let peers = try (peers ?? hosts).map { try PeerNode(name: "h\($0.index)", internalIP: $0.address, podCIDR: $0.podCIDR) }
        return (local, peers)
    }

    /// Syncs every host in `mode` with every other.
    func syncAll(_ mode: PodNetworkMode) throws -> [PodNetworkSyncReport] {
        try hosts.map { host in
            let (local, peers) = try nodes(for: host, mode: mode)
            return try host.routes.sync(local: local, peers: peers)
        }
    }

    /// Runs `ip -n NAMESPACE COMMAND…` and returns its output, for building and for checking
    /// what a sync left.
    @discardableResult
    func ip(_ namespace: String, _ command: String) throws -> String {
        try run("/usr/sbin/ip", ["-n", namespace] + command.split(separator: " ").map(String.init))
    }

    /// Runs `program` inside `namespace` and returns its output, or nil when it fails.
    func inside(_ namespace: String, _ program: String, _ arguments: [String]) -> CommandOutput? {
        try? Command.run("/usr/bin/nsenter", ["--net=/run/netns/\(namespace)", program] + arguments, environment: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"])
    }

    private func sysctl(_ namespace: String, _ setting: String) throws {
        guard let output = inside(namespace, "/usr/sbin/sysctl", ["-q", "-w", setting]), output.status == .exited(0) else {
            throw RuntimeError("sysctl \(setting) in \(namespace) failed")
        }
    }

    private func addNamespace(_ name: String) throws {
        try run("/usr/sbin/ip", ["netns", "add", name])
        made.withLock { $0.append(name) }
    }

    @discardableResult
    private func run(_ program: String, _ arguments: [String]) throws -> String {
        let output = try Command.run(program, arguments, environment: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"])
        guard output.status == .exited(0) else {
            throw RuntimeError("\(([program] + arguments).joined(separator: " ")) failed (\(output.status)): \(output.stderr)")
        }
        return output.stdout
    }

    func cleanUp() {
        for name in made.withLock({ $0 }).reversed() {
            _ = try? Command.run("/usr/sbin/ip", ["netns", "del", name])
        }
    }
}
