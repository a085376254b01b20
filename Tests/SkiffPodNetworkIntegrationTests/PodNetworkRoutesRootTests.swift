import Glibc
import SkiffNetwork
import SkiffPodNetwork
import SkiffSystem
import Testing

/// Real routes, VXLAN devices, fdb entries and nft tables in network namespaces standing in for
/// three hosts (SimulatedCluster). Needs root, iproute2, nftables, socat and a kernel with VXLAN.
@Suite("Pod network across hosts (root, netns)", .enabled(if: getuid() == 0, "needs root: creates network namespaces, VXLAN devices and nft tables"))
struct PodNetworkRoutesRootTests {
    @Test("auto: host-gw to the same-subnet peer, VXLAN to the one behind a router; pod IPs survive across nodes, traffic leaving the cluster is masqueraded")
    func autoMode() throws {
        let cluster = try SimulatedCluster()
        defer { cluster.cleanUp() }
        let (h1, h2, h3) = (cluster.hosts[0], cluster.hosts[1], cluster.hosts[2])
        // A route an earlier agent left for a node that is gone: ours by its protocol.
        try cluster.ip(h1.namespace, "route add 10.42.99.0/24 via 192.168.71.99 dev eth0 proto 115")
        let reports = try cluster.syncAll(.auto)
        #expect(reports[0].routes.map(\.peer) == ["h2", "h3"])
        #expect(reports[0].routes[0].path == .hostGateway(via: try IPv4Address(h2.address)))
        #expect(reports[0].routes[1].path == .vxlan(VTEP(nodeIP: try IPv4Address(h3.address), podCIDR: try IPv4Network(h3.podCIDR))))
        let routes = try cluster.ip(h1.namespace, "route show proto 115")
        #expect(routes.contains("10.42.2.0/24 via 192.168.71.12 dev eth0"))
        #expect(routes.contains("10.42.3.0/24 via 10.42.3.0 dev skiff.vxlan onlink"))
        #expect(!routes.contains("10.42.99.0"), "the leftover route was removed")
        let device = try cluster.ip(h1.namespace, "-details link show skiff.vxlan")
        #expect(device.contains("mtu 1450") && device.contains("vxlan id 1 local 192.168.71.11 dev eth0") && device.contains("dstport 8472"))
        #expect(device.contains("nolearning") && device.contains("link/ether 02:6b:c0:a8:47:0b"))
        #expect(try cluster.ip(h1.namespace, "-4 address show skiff.vxlan").contains("inet 10.42.1.0/32"))
        #expect(try cluster.ip(h1.namespace, "neigh show dev skiff.vxlan").contains("10.42.3.0 lladdr 02:6b:c0:a8:48:0d PERMANENT"))
        #expect(
            cluster.inside(h1.namespace, "/usr/sbin/bridge", ["fdb", "show", "dev", "skiff.vxlan"])?.stdout.contains(
                "02:6b:c0:a8:48:0d dst 192.168.72.13 self permanent") == true)

        let pod2 = try PeerAddressServer(in: h2.podNamespace, port: 7000)
        defer { pod2.stop() }
        let pod3 = try PeerAddressServer(in: h3.podNamespace, port: 7000)
        defer { pod3.stop() }
        let node2 = try PeerAddressServer(in: h2.namespace, port: 7001)
        defer { node2.stop() }
        #expect(pod2.sourceSeen(from: h1.podNamespace, to: h2.podIP) == h1.podIP, "host-gw keeps the pod's source address")
        #expect(pod3.sourceSeen(from: h1.podNamespace, to: h3.podIP) == h1.podIP, "VXLAN keeps the pod's source address")
        #expect(pod2.sourceSeen(from: h3.podNamespace, to: h2.podIP) == h3.podIP)
        #expect(pod3.sourceSeen(from: h1.namespace, to: h3.podIP) == "10.42.1.0", "a node reaches a tunnelled pod from its VTEP address")
        #expect(pod2.sourceSeen(from: h1.namespace, to: h2.podIP) == h1.address)
        #expect(node2.sourceSeen(from: h1.podNamespace, to: h2.address) == h1.address, "leaving the cluster CIDR is masqueraded")
        let table = cluster.inside(h1.namespace, "/usr/sbin/nft", ["list", "table", "ip", "skiff-nat"])?.stdout ?? ""
        #expect(table.contains("ip saddr 10.42.0.0/16 ip daddr != 10.42.0.0/16 ip daddr != 224.0.0.0/4 masquerade fully-random"))

        let (local, peers) = try cluster.nodes(for: h1, mode: .auto)
        #expect(try h1.routes.sync(local: local, peers: peers).changes == 0, "a second sync changes nothing")

        // h3's Node is deleted: h1 drops its route, neighbour and fdb entry, and h3's pod is unreachable.
        let (_, remaining) = try cluster.nodes(for: h1, mode: .auto, peers: [h1, h2])
        let report = try h1.routes.sync(local: local, peers: remaining)
        #expect(report.routes.map(\.peer) == ["h2"] && report.changes == 3)
        #expect(!(try cluster.ip(h1.namespace, "route show proto 115")).contains("10.42.3.0"))
        #expect(try cluster.ip(h1.namespace, "neigh show dev skiff.vxlan").isEmpty)
        #expect(cluster.inside(h1.namespace, "/usr/sbin/bridge", ["fdb", "show", "dev", "skiff.vxlan"])?.stdout.contains("dst") == false)
        #expect(pod3.sourceSeen(from: h1.podNamespace, to: h3.podIP, attempts: 2) == nil)
        #expect(pod2.sourceSeen(from: h1.podNamespace, to: h2.podIP) == h1.podIP)

        try h1.routes.removeAll()
        #expect(try cluster.ip(h1.namespace, "route show proto 115").isEmpty)
        #expect(!(try cluster.ip(h1.namespace, "link show")).contains("skiff.vxlan"))
        #expect(cluster.inside(h1.namespace, "/usr/sbin/nft", ["list", "table", "ip", "skiff-nat"])?.status != .exited(0))
        try h1.routes.removeAll()
    }

    @Test("vxlan forced: every peer through the tunnel, also the one on the same LAN")
    func forcedVXLAN() throws {
        let cluster = try SimulatedCluster()
        defer { cluster.cleanUp() }
        let (h1, h2, h3) = (cluster.hosts[0], cluster.hosts[1], cluster.hosts[2])
        let reports = try cluster.syncAll(.vxlan)
        #expect(reports.allSatisfy { $0.skipped.isEmpty && $0.routes.count == 2 })
        let routes = try cluster.ip(h1.namespace, "route show proto 115")
        #expect(routes.contains("10.42.2.0/24 via 10.42.2.0 dev skiff.vxlan onlink"))
        #expect(routes.contains("10.42.3.0/24 via 10.42.3.0 dev skiff.vxlan onlink"))
        let pod2 = try PeerAddressServer(in: h2.podNamespace, port: 7000)
        defer { pod2.stop() }
        let pod1 = try PeerAddressServer(in: h1.podNamespace, port: 7000)
        defer { pod1.stop() }
        #expect(pod2.sourceSeen(from: h1.podNamespace, to: h2.podIP) == h1.podIP)
        #expect(pod1.sourceSeen(from: h3.podNamespace, to: h1.podIP) == h3.podIP)
        #expect(pod2.sourceSeen(from: h1.namespace, to: h2.podIP) == "10.42.1.0")
        let node2 = try PeerAddressServer(in: h2.namespace, port: 7001)
        defer { node2.stop() }
        #expect(node2.sourceSeen(from: h1.podNamespace, to: h2.address) == h1.address, "leaving the cluster CIDR is masqueraded")
        // Switching to host-gw replaces the tunnel routes in place and deletes the device.
        let (local, peers) = try cluster.nodes(for: h1, mode: .hostGateway)
        let report = try h1.routes.sync(local: local, peers: peers)
        #expect(report.routes.map(\.peer) == ["h2"] && report.skipped.map(\.peer) == ["h3"])
        #expect(!(try cluster.ip(h1.namespace, "link show")).contains("skiff.vxlan"))
        let hostRoutes = try cluster.ip(h1.namespace, "route show proto 115").split(separator: "\n")
        #expect(hostRoutes.count == 1 && hostRoutes[0].hasPrefix("10.42.2.0/24 via 192.168.71.12 dev eth0"))
    }

    @Test("a dummy link holds the DNS address: made once, reachable from a pod, removed")
    func dnsAddress() throws {
        let cluster = try SimulatedCluster()
        defer { cluster.cleanUp() }
        let h1 = cluster.hosts[0]
        let tools = NetworkTools(networkNamespace: h1.namespace)
        try HostAddresses.ensureDummy(interface: "skiff-dns", address: "10.43.0.10", tools: tools)
        try HostAddresses.ensureDummy(interface: "skiff-dns", address: "10.43.0.10", tools: tools)
        let shown = try cluster.ip(h1.namespace, "-4 address show skiff-dns")
        #expect(shown.contains("inet 10.43.0.10/32") && shown.split(separator: "\n").filter({ $0.contains("inet ") }).count == 1)
        let dns = try PeerAddressServer(in: h1.namespace, port: 5353)
        defer { dns.stop() }
        #expect(dns.sourceSeen(from: h1.podNamespace, to: "10.43.0.10") == h1.podIP)
        try HostAddresses.ensureDummy(interface: "skiff-dns", address: "10.43.0.11", tools: tools)
        let moved = try cluster.ip(h1.namespace, "-4 address show skiff-dns")
        #expect(moved.contains("inet 10.43.0.11/32") && !moved.contains("10.43.0.10"))
        #expect(throws: RuntimeError.self) { try HostAddresses.ensureDummy(interface: "eth0", address: "10.43.0.10", tools: tools) }
        try HostAddresses.removeDummy(interface: "skiff-dns", tools: tools)
        try HostAddresses.removeDummy(interface: "skiff-dns", tools: tools)
        #expect(!(try cluster.ip(h1.namespace, "link show")).contains("skiff-dns"))
    }
}
