import SkiffJSON
import SkiffNetwork
import SkiffSystem
import Testing

@testable import SkiffPodNetwork

@Suite("Pod network changes")
struct NetworkChangesTests {
    let uplink: Uplink
    let local: LocalNode
    let b: PeerNode
    let c: PeerNode

    init() throws {
        uplink = Uplink(name: "eth0", mtu: 1500, subnet: try IPv4Network("192.168.1.0/24"))
        local = try LocalNode(name: "a", internalIP: "192.168.1.10", podCIDR: "10.42.1.0/24")
        b = try PeerNode(name: "b", internalIP: "192.168.1.20", podCIDR: "10.42.2.0/24")
        c = try PeerNode(name: "c", internalIP: "192.168.2.30", podCIDR: "10.42.3.0/24")
    }

    func desired(_ peers: [PeerNode], mode: PodNetworkMode = .auto) -> NetworkState {
        var node = local
        node.mode = mode
        return PodNetworkPlan.desired(local: node, uplink: uplink, peers: peers).state
    }

    @Test("from nothing: the device, its address, the fdb entry, then neighbour and routes")
    func fromNothing() {
        let changes = NetworkState().changes(to: desired([b, c]))
        #expect(
            changes.links == [
                "link add skiff.vxlan type vxlan id 1 local 192.168.1.10 dev eth0 dstport 8472 nolearning",
                "link set skiff.vxlan mtu 1450 address 02:6b:c0:a8:01:0a up",
                "address replace 10.42.1.0/32 dev skiff.vxlan",
            ])
        #expect(changes.forwarding == ["fdb replace 02:6b:c0:a8:02:1e dev skiff.vxlan dst 192.168.2.30 self permanent"])
        #expect(
            changes.routes == [
                "neigh replace 10.42.3.0 lladdr 02:6b:c0:a8:02:1e dev skiff.vxlan nud permanent",
                "route replace 10.42.2.0/24 via 192.168.1.20 dev eth0 proto 115",
                "route replace 10.42.3.0/24 via 10.42.3.0 dev skiff.vxlan onlink proto 115",
            ])
    }

    @Test("a state already in place needs nothing")
    func idempotent() {
        #expect(desired([b, c]).changes(to: desired([c, b])).isEmpty)
        #expect(desired([b], mode: .hostGateway).changes(to: desired([b], mode: .hostGateway)).isEmpty)
    }

    @Test("a vanished peer loses its route, neighbour and fdb entry; the others are not touched")
    func peerRemoved() {
        let changes = desired([b, c]).changes(to: desired([b]))
        #expect(changes.links.isEmpty)
        #expect(changes.forwarding == ["fdb del 02:6b:c0:a8:02:1e dev skiff.vxlan dst 192.168.2.30 self"])
        #expect(changes.routes == ["route del 10.42.3.0/24 via 10.42.3.0 dev skiff.vxlan proto 115", "neigh del 10.42.3.0 dev skiff.vxlan"])
        let hostRoute = desired([b, c]).changes(to: desired([c]))
        #expect(hostRoute.forwarding.isEmpty && hostRoute.routes == ["route del 10.42.2.0/24 via 192.168.1.20 dev eth0 proto 115"])
    }

    @Test("a peer that changed address or podCIDR gets its entries rewritten, the old podCIDR's route removed")
    func peerChanged() throws {
        var moved = c
        moved.internalIP = try IPv4Address("192.168.2.31")
        moved.podCIDR = try IPv4Network("10.42.9.0/24")
        let changes = desired([b, c]).changes(to: desired([b, moved]))
        #expect(
            changes.forwarding == [
                "fdb del 02:6b:c0:a8:02:1e dev skiff.vxlan dst 192.168.2.30 self",
                "fdb replace 02:6b:c0:a8:02:1f dev skiff.vxlan dst 192.168.2.31 self permanent",
            ])
        #expect(
            changes.routes == [
                "route del 10.42.3.0/24 via 10.42.3.0 dev skiff.vxlan proto 115",
                "neigh del 10.42.3.0 dev skiff.vxlan",
                "neigh replace 10.42.9.0 lladdr 02:6b:c0:a8:02:1f dev skiff.vxlan nud permanent",
                "route replace 10.42.9.0/24 via 10.42.9.0 dev skiff.vxlan onlink proto 115",
            ])
    }

    @Test("switching a peer from host-gw to VXLAN replaces its route in place (no delete after the write)")
    func pathChanged() {
        let changes = desired([b]).changes(to: desired([b], mode: .vxlan))
        #expect(changes.links.isEmpty)
        #expect(changes.forwarding == ["fdb replace 02:6b:c0:a8:01:14 dev skiff.vxlan dst 192.168.1.20 self permanent"])
        #expect(
            changes.routes == [
                "neigh replace 10.42.2.0 lladdr 02:6b:c0:a8:01:14 dev skiff.vxlan nud permanent",
                "route replace 10.42.2.0/24 via 10.42.2.0 dev skiff.vxlan onlink proto 115",
            ])
    }

    @Test("a device from another node address is re-created; its own entries go with it and are written again")
    func deviceRecreated() {
        var old = desired([b, c])
        old.device?.local = IPv4Address(value: 0xc0a8_0163)
        old.deviceAddresses.append("10.42.200.0/32")
        let changes = old.changes(to: desired([b, c]))
        #expect(changes.links.first == "link del skiff.vxlan")
        #expect(changes.links.count == 4 && changes.links.last == "address replace 10.42.1.0/32 dev skiff.vxlan")
        #expect(changes.forwarding.count == 1 && changes.routes.count == 2)
        #expect(changes.routes.allSatisfy { $0.contains("skiff.vxlan") }, "the host-gw route stays as it is")
    }

    @Test("a changed MTU or MAC, a down device or a stray address is fixed in place")
    func deviceSettings() {
        var old = desired([c])
        old.device?.mtu = 1400
        old.device?.up = false
        old.deviceAddresses = ["10.42.1.0/32", "10.42.5.0/32"]
        let changes = old.changes(to: desired([c]))
        #expect(changes.links == ["link set skiff.vxlan mtu 1450 address 02:6b:c0:a8:01:0a up", "address del 10.42.5.0/32 dev skiff.vxlan"])
        #expect(changes.forwarding.isEmpty && changes.routes.isEmpty)
    }

    @Test("removing everything deletes the device (taking its entries) and the host-gw routes")
    func removal() {
        let changes = desired([b, c]).changes(to: NetworkState())
        #expect(changes.links == ["link del skiff.vxlan"])
        #expect(changes.forwarding.isEmpty)
        #expect(changes.routes == ["route del 10.42.2.0/24 via 192.168.1.20 dev eth0 proto 115"])
        #expect(desired([b], mode: .hostGateway).changes(to: NetworkState()).routes.count == 1)
    }

    @Test("the kernel's state is read back from iproute2's JSON, and matches the plan that wrote it")
    func parsing() throws {
        let links = try JSON(
            parsing: #"""
                [{"ifindex":3,"ifname":"eth0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1500,"address":"de:37:fd:bb:79:60",
                  "addr_info":[{"family":"inet","local":"192.168.1.10","prefixlen":24,"scope":"global"},{"family":"inet6","local":"fe80::1","prefixlen":64}]},
                 {"ifindex":4,"ifname":"skiff.vxlan","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1450,"address":"02:6b:c0:a8:01:0a",
                  "linkinfo":{"info_kind":"vxlan","info_data":{"id":1,"local":"192.168.1.10","link":"eth0","port_range":{"low":0,"high":0},"port":8472,"learning":false}},
                  "addr_info":[{"family":"inet","local":"10.42.1.0","prefixlen":32,"scope":"global","label":"skiff.vxlan"}]}]
                """#)
        #expect(try Uplink.find(IPv4Address("192.168.1.10"), in: links) == uplink)
        #expect(throws: RuntimeError.self) { try Uplink.find(IPv4Address("192.168.1.11"), in: links) }
        var observed = NetworkState()
        (observed.device, observed.deviceAddresses) = NetworkState.device(named: "skiff.vxlan", in: links)
        observed.routes = NetworkState.routes(
            in: try JSON(
                parsing: #"""
                    [{"dst":"10.42.2.0/24","gateway":"192.168.1.20","dev":"eth0","flags":[]},
                     {"dst":"10.42.3.0/24","gateway":"10.42.3.0","dev":"skiff.vxlan","flags":["onlink"]}]
                    """#))
        observed.neighbours = NetworkState.neighbours(
            in: try JSON(
                parsing: #"""
                    [{"dst":"10.42.3.0","lladdr":"02:6b:c0:a8:02:1e","state":["PERMANENT"]},{"dst":"10.42.4.0","lladdr":"02:00:00:00:00:01","state":["STALE"]}]
                    """#))
        observed.forwarding = NetworkState.forwarding(
            in: try JSON(
                parsing:
                    #"[{"mac":"02:6b:c0:a8:02:1e","dst":"192.168.2.30","flags":["self"],"state":"permanent"},{"mac":"ff:ff:ff:ff:ff:ff","flags":["self"]}]"#))
        #expect(observed == desired([b, c]))
        #expect(observed.changes(to: desired([b, c])).isEmpty)
        let other = NetworkState.device(named: "skiff.vxlan", in: try JSON(parsing: #"[{"ifname":"skiff.vxlan","linkinfo":{"info_kind":"bridge"}}]"#))
        let wanted = try #require(desired([b]).device)
        #expect(other.device.map { !$0.sameTunnel(as: wanted) } == true, "a bridge by our name is replaced")
        #expect(NetworkState.device(named: "skiff.vxlan", in: .array([])).device == nil)
    }

    @Test("masquerade: one nft transaction replacing the table; the listing it leaves reads as in place")
    func masquerade() throws {
        let rules = MasqueradeRules(clusterCIDR: try IPv4Network("10.42.0.0/16"))
        #expect(rules.script.hasPrefix("table ip skiff-nat\ndelete table ip skiff-nat\ntable ip skiff-nat {\n"))
        #expect(rules.script.contains("\t\tip saddr 10.42.0.0/16 ip daddr != 10.42.0.0/16 ip daddr != 224.0.0.0/4 masquerade fully-random\n"))
        let listing = """
            table ip skiff-nat {
            \tchain postrouting {
            \t\ttype nat hook postrouting priority srcnat; policy accept;
            \t\tip saddr 10.42.0.0/16 ip daddr != 10.42.0.0/16 ip daddr != 224.0.0.0/4 masquerade fully-random
            \t}
            }
            """
        #expect(rules.isInPlace(listing: listing))
        #expect(!MasqueradeRules(clusterCIDR: try IPv4Network("10.52.0.0/16")).isInPlace(listing: listing))
        #expect(!rules.isInPlace(listing: ""))
        #expect(!rules.isInPlace(listing: listing + "\n\t\tip saddr 1.2.3.4 masquerade"), "a second masquerade is not ours")
    }
}
