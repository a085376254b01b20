import Glibc
import SkiffServiceProxy
import Testing

private let vip = "10.43.0.10"

private func service(
    _ endpoints: [ProxyEndpoint], name: String = "web", clusterIP: String = vip, type: ProxyService.Kind = .clusterIP, nodePort: Int? = nil,
    protocol: ProxyProtocol = .tcp, affinity: Int? = nil, externalLocal: Bool = false
) -> ProxyService {
    ProxyService(
        namespace: "default", name: name, type: type, clusterIPs: [clusterIP], sessionAffinityTimeoutSeconds: affinity,
        externalTrafficPolicyLocal: externalLocal,
        ports: [ProxyServicePort(name: "p", protocol: `protocol`, port: 80, nodePort: nodePort, endpoints: endpoints)])
}

@Suite(
    "Service proxy (root, nftables)", .serialized,
    .enabled(if: getuid() == 0, "needs root: creates network namespaces, veths and nftables tables"))
struct ServiceProxyRootTests {
    @Test("a ClusterIP reaches its backends from a pod and from the node, spread over both")
    func clusterIP() throws {
        let network = try ProxyNetwork()
        defer { network.tearDown() }
        let proxy = network.proxy()
        let report = try proxy.sync(services: [service([network.endpoint("b1"), network.endpoint("b2")])])
        #expect(report.fullSync && report.skipped.isEmpty)
        var seen: Set<String> = []
        for _ in 0..<24 { seen.insert(try network.connect(from: network.clientNamespace, to: vip, port: 80).answer) }
        #expect(seen == ["b1", "b2"], "\(network.table())")
        var fromNode: Set<String> = []
        for _ in 0..<24 { fromNode.insert(try network.connect(from: network.nodeNamespace, to: vip, port: 80).answer) }
        #expect(fromNode == ["b1", "b2"])
    }

    @Test("UDP to a ClusterIP is answered, and after its endpoint changes the same flow reaches the new one")
    func udp() throws {
        let network = try ProxyNetwork()
        defer { network.tearDown() }
        let proxy = network.proxy()
        try proxy.sync(services: [service([network.endpoint("b1")], protocol: .udp)])
        #expect(try network.udp(from: network.clientNamespace, to: vip, port: 80, sourcePort: 40_000) == "b1", "\(network.table())")
        let report = try proxy.sync(services: [service([network.endpoint("b2")], protocol: .udp)])
        #expect(!report.fullSync && report.conntrackDeletions >= 1 && report.conntrackErrors.isEmpty)
        // Without the conntrack deletion this datagram would follow the old entry to b1.
        #expect(try network.udp(from: network.clientNamespace, to: vip, port: 80, sourcePort: 40_000) == "b2")
    }

    @Test("a NodePort answers on the node's address, from a pod and from the node itself")
    func nodePort() throws {
        let network = try ProxyNetwork()
        defer { network.tearDown() }
        let proxy = network.proxy()
        try proxy.sync(services: [service([network.endpoint("b1")], type: .nodePort, nodePort: 30_080)])
        #expect(try network.connect(from: network.clientNamespace, to: ProxyNetwork.nodeAddress, port: 30_080).answer == "b1", "\(network.table())")
        #expect(try network.connect(from: network.nodeNamespace, to: ProxyNetwork.nodeAddress, port: 30_080).answer == "b1")
        // Not on loopback: kube-proxy's nftables mode does not serve NodePorts on 127.0.0.1.
        #expect(try network.connect(from: network.nodeNamespace, to: "127.0.0.1", port: 30_080).answer != "b1")
    }

    @Test("ClientIP session affinity keeps a client on one backend")
    func affinity() throws {
        let network = try ProxyNetwork()
        defer { network.tearDown() }
        let proxy = network.proxy()
        try proxy.sync(services: [service([network.endpoint("b1"), network.endpoint("b2")], affinity: 60)])
        var seen: Set<String> = []
        for _ in 0..<16 { seen.insert(try network.connect(from: network.clientNamespace, to: vip, port: 80).answer) }
        #expect(seen.count == 1 && seen.isSubset(of: ["b1", "b2"]), "\(seen)")
    }

    @Test("a Service without endpoints refuses connections at once")
    func noEndpoints() throws {
        let network = try ProxyNetwork()
        defer { network.tearDown() }
        let proxy = network.proxy()
        try proxy.sync(services: [service([], type: .nodePort, nodePort: 30_080)])
        for (namespace, address, port) in [
            (network.clientNamespace, vip, 80), (network.nodeNamespace, vip, 80), (network.clientNamespace, ProxyNetwork.nodeAddress, 30_080),
            (network.nodeNamespace, ProxyNetwork.nodeAddress, 30_080),
        ] {
            let (answer, seconds) = try network.connect(from: namespace, to: address, port: port, timeout: 3)
            #expect(answer.contains("Connection refused") && seconds < 1, "\(namespace) → \(address):\(port): \(answer) after \(seconds) s")
        }
    }

    @Test("externalTrafficPolicy Local drops NodePort traffic when no endpoint is on this node; the ClusterIP still works")
    func externalTrafficPolicyLocal() throws {
        let network = try ProxyNetwork()
        defer { network.tearDown() }
        let proxy = network.proxy(nodePortAddresses: [ProxyNetwork.nodeAddress])
        try proxy.sync(services: [service([network.endpoint("b1", isLocal: false)], type: .nodePort, nodePort: 30_080, externalLocal: true)])
        let (answer, seconds) = try network.connect(from: network.clientNamespace, to: ProxyNetwork.nodeAddress, port: 30_080, timeout: 1)
        #expect(answer.contains("timed out") && seconds >= 0.9, "\(answer) after \(seconds) s")
        #expect(try network.connect(from: network.clientNamespace, to: vip, port: 80).answer == "b1")
        try proxy.sync(services: [service([network.endpoint("b1", isLocal: true)], type: .nodePort, nodePort: 30_080, externalLocal: true)])
        #expect(try network.connect(from: network.clientNamespace, to: ProxyNetwork.nodeAddress, port: 30_080).answer == "b1")
    }

    @Test("a backend reaches itself through the VIP (hairpin)")
    func hairpin() throws {
        let network = try ProxyNetwork()
        defer { network.tearDown() }
        let proxy = network.proxy()
        try proxy.sync(services: [service([network.endpoint("b1")])])
        #expect(try network.connect(from: network.namespace(of: "b1"), to: vip, port: 80).answer == "b1", "\(network.table())")
    }

    @Test("a terminating endpoint still serving is used when nothing else is left, and not otherwise")
    func terminatingOnly() throws {
        let network = try ProxyNetwork()
        defer { network.tearDown() }
        let proxy = network.proxy()
        let leaving = network.endpoint("b1", ready: false, serving: true, terminating: true)
        try proxy.sync(services: [service([leaving])])
        #expect(try network.connect(from: network.clientNamespace, to: vip, port: 80).answer == "b1")
        try proxy.sync(services: [service([leaving, network.endpoint("b2")])])
        var seen: Set<String> = []
        for _ in 0..<12 { seen.insert(try network.connect(from: network.clientNamespace, to: vip, port: 80).answer) }
        #expect(seen == ["b2"])
    }

    @Test("incremental syncs take effect: endpoints swapped, a Service added and removed, without rewriting the table")
    func incremental() throws {
        let network = try ProxyNetwork()
        defer { network.tearDown() }
        let proxy = network.proxy()
        try proxy.sync(services: [service([network.endpoint("b1")])])
        #expect(try network.connect(from: network.clientNamespace, to: vip, port: 80).answer == "b1")
        let other = service([network.endpoint("b1")], name: "other", clusterIP: "10.43.0.11")
        let swap = try proxy.sync(services: [service([network.endpoint("b2")]), other])
        #expect(!swap.fullSync && swap.recoveredFrom == nil)
        #expect(try network.connect(from: network.clientNamespace, to: vip, port: 80).answer == "b2")
        #expect(try network.connect(from: network.clientNamespace, to: "10.43.0.11", port: 80).answer == "b1")
        let removal = try proxy.sync(services: [service([network.endpoint("b2")])])
        #expect(!removal.fullSync && removal.recoveredFrom == nil)
        #expect(try network.connect(from: network.clientNamespace, to: "10.43.0.11", port: 80, timeout: 1).answer != "b1")
        #expect(!network.table().contains("default/other"))
    }

    @Test("bad input is skipped and the rest of the table is programmed")
    func badInput() throws {
        let network = try ProxyNetwork()
        defer { network.tearDown() }
        let proxy = network.proxy()
        var clash = service([network.endpoint("b2")], name: "zclash")
        clash.ports.append(ProxyServicePort(name: "q", port: 80, endpoints: [network.endpoint("b2")]))
        let bad = service([ProxyEndpoint(address: "10.42.1.2; flush ruleset", port: 8080)], name: "bad", clusterIP: "10.43.0.12")
        let report = try proxy.sync(services: [service([network.endpoint("b1")]), clash, bad])
        #expect(report.skipped.count == 3, "\(report.skipped)")
        #expect(try network.connect(from: network.clientNamespace, to: vip, port: 80).answer == "b1")
    }
}
