import SkiffNetwork
import SkiffSystem
import Testing

@testable import SkiffPodNetwork

@Suite("Pod network plan")
struct PodNetworkPlanTests {
    let uplink: Uplink

    init() throws { uplink = Uplink(name: "eth0", mtu: 1500, subnet: try IPv4Network("192.168.1.0/24")) }

    func local(_ mode: PodNetworkMode) throws -> LocalNode {
        try LocalNode(name: "a", internalIP: "192.168.1.10", podCIDR: "10.42.1.0/24", clusterCIDR: "10.42.0.0/16", mode: mode)
    }

    var peers: [PeerNode] {
        get throws {
            [
                try PeerNode(name: "c", internalIP: "192.168.2.30", podCIDR: "10.42.3.0/24"),
                try PeerNode(name: "b", internalIP: "192.168.1.20", podCIDR: "10.42.2.0/24"),
                try PeerNode(name: "a", internalIP: "192.168.1.10", podCIDR: "10.42.1.0/24"),
                try PeerNode(name: "d", internalIP: "192.168.1.40", podCIDR: nil),
            ]
        }
    }

    @Test("auto: a same-subnet peer gets a plain route via its address, another subnet's goes through VXLAN; itself and peers without a podCIDR get none")
    func auto() throws {
        let (state, report) = PodNetworkPlan.desired(local: try local(.auto), uplink: uplink, peers: try peers)
        let c = VTEP(nodeIP: try IPv4Address("192.168.2.30"), podCIDR: try IPv4Network("10.42.3.0/24"))
        #expect(c.address.description == "10.42.3.0" && c.mac == "02:6b:c0:a8:02:1e")
        #expect(
            report.routes == [
                .init(peer: "b", podCIDR: try IPv4Network("10.42.2.0/24"), path: .hostGateway(via: try IPv4Address("192.168.1.20"))),
                .init(peer: "c", podCIDR: try IPv4Network("10.42.3.0/24"), path: .vxlan(c)),
            ])
        #expect(report.skipped == [.init(peer: "d", reason: "no podCIDR assigned yet")])
        #expect(
            state.device
                == NetworkState.Device(local: try IPv4Address("192.168.1.10"), underlying: "eth0", mtu: 1450, mac: "02:6b:c0:a8:01:0a"))
        #expect(state.deviceAddresses == ["10.42.1.0/32"])
        #expect(
            state.routes == [
                .init(destination: try IPv4Network("10.42.2.0/24"), gateway: try IPv4Address("192.168.1.20"), device: "eth0", onlink: false),
                .init(destination: try IPv4Network("10.42.3.0/24"), gateway: c.address, device: "skiff.vxlan", onlink: true),
            ])
        #expect(state.neighbours == [.init(address: c.address, mac: c.mac)])
        #expect(state.forwarding == [.init(mac: c.mac, destination: try IPv4Address("192.168.2.30"))])
    }

    @Test("vxlan mode tunnels to every peer, also those one hop away")
    func forcedVXLAN() throws {
        let (state, report) = PodNetworkPlan.desired(local: try local(.vxlan), uplink: uplink, peers: try peers)
        #expect(report.routes.map(\.peer) == ["b", "c"])
        #expect(state.routes.allSatisfy { $0.device == "skiff.vxlan" && $0.onlink })
        #expect(state.routes.map(\.gateway.description) == ["10.42.2.0", "10.42.3.0"])
        #expect(state.forwarding.map(\.destination.description) == ["192.168.1.20", "192.168.2.30"])
    }

    @Test("host-gw mode has no VXLAN device and skips a peer on another subnet, saying why")
    func hostGateway() throws {
        let (state, report) = PodNetworkPlan.desired(local: try local(.hostGateway), uplink: uplink, peers: try peers)
        #expect(state.device == nil && state.deviceAddresses.isEmpty && state.neighbours.isEmpty && state.forwarding.isEmpty)
        #expect(state.routes.map(\.destination.description) == ["10.42.2.0/24"])
        #expect(report.skipped.map(\.peer) == ["c", "d"])
        #expect(report.skipped[0].reason.contains("outside 192.168.1.0/24"))
    }

    @Test("peers whose podCIDR is outside the cluster or overlaps another's, or whose address another node has, are skipped")
    func conflicts() throws {
        let peers = [
            try PeerNode(name: "b", internalIP: "192.168.1.20", podCIDR: "10.42.2.0/24"),
            try PeerNode(name: "c", internalIP: "192.168.1.30", podCIDR: "10.42.2.128/25"),
            try PeerNode(name: "d", internalIP: "192.168.1.40", podCIDR: "10.99.0.0/24"),
            try PeerNode(name: "e", internalIP: "192.168.1.50", podCIDR: "10.42.1.0/24"),
            try PeerNode(name: "f", internalIP: "192.168.1.20", podCIDR: "10.42.6.0/24"),
            try PeerNode(name: "g", internalIP: "192.168.1.10", podCIDR: "10.42.7.0/24"),
        ]
        let (state, report) = PodNetworkPlan.desired(local: try local(.auto), uplink: uplink, peers: peers)
        #expect(state.routes.map(\.destination.description) == ["10.42.2.0/24"])
        #expect(
            report.skipped == [
                .init(peer: "c", reason: "podCIDR 10.42.2.128/25 overlaps b's 10.42.2.0/24"),
                .init(peer: "d", reason: "podCIDR 10.99.0.0/24 is outside the cluster CIDR 10.42.0.0/16"),
                .init(peer: "e", reason: "podCIDR 10.42.1.0/24 overlaps a's 10.42.1.0/24"),
                .init(peer: "f", reason: "its address 192.168.1.20 is also b's"),
                .init(peer: "g", reason: "its address 192.168.1.10 is this node's"),
            ])
    }

    @Test("node inputs are checked: addresses, CIDRs, a podCIDR inside the cluster CIDR")
    func validation() throws {
        #expect(throws: RuntimeError.self) { try PeerNode(name: "x", internalIP: "192.168.1", podCIDR: nil) }
        #expect(throws: RuntimeError.self) { try PeerNode(name: "x", internalIP: "192.168.1.1", podCIDR: "10.42.0.0") }
        #expect(throws: RuntimeError.self) { try LocalNode(name: "x", internalIP: "192.168.1.1", podCIDR: "10.43.0.0/24") }
        #expect(throws: RuntimeError.self) { try LocalNode(name: "x", internalIP: "192.168.1.1", podCIDR: "10.42.0.0/8") }
        let node = try LocalNode(name: "x", internalIP: "192.168.1.1", podCIDR: "10.42.7.9/24")
        #expect(node.podCIDR.description == "10.42.7.0/24" && node.mode == .auto && node.clusterCIDR.description == "10.42.0.0/16")
        #expect(VTEP.mac(for: try IPv4Address("10.0.255.1")) == "02:6b:0a:00:ff:01")
        #expect(PodNetworkMode(rawValue: "host-gw") == .hostGateway)
    }
}
