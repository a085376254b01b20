import Testing

@testable import SkiffServiceProxy

func web(
    endpoints: [ProxyEndpoint] = [ProxyEndpoint(address: "10.42.1.2", port: 8080), ProxyEndpoint(address: "10.42.2.3", port: 8080)],
    type: ProxyService.Kind = .clusterIP, nodePort: Int? = nil, protocol: ProxyProtocol = .tcp, affinity: Int? = nil,
    externalLocal: Bool = false, internalLocal: Bool = false, loadBalancerIPs: [String] = []
) -> ProxyService {
    ProxyService(
        namespace: "default", name: "web", type: type, clusterIPs: ["10.43.0.10"], loadBalancerIPs: loadBalancerIPs,
        sessionAffinityTimeoutSeconds: affinity, externalTrafficPolicyLocal: externalLocal, internalTrafficPolicyLocal: internalLocal,
        ports: [ProxyServicePort(name: "http", protocol: `protocol`, port: 80, nodePort: nodePort, endpoints: endpoints)])
}

let names = ChainNames(namespace: "default", name: "web", protocol: .tcp, portName: "http")
let node = ProxyNode(tableName: "skiff-test", clusterCIDR: "10.42.0.0/16")

@Suite("Service proxy rules")
struct ProxyRulesetTests {
    @Test("a ClusterIP maps its VIP port to a service chain that spreads evenly over one DNAT chain per endpoint")
    func clusterIP() {
        let (ruleset, skipped) = ProxyRuleset.build(services: [web()], node: node)
        #expect(skipped.isEmpty)
        #expect(ruleset.elements[.serviceIPs] == ["10.43.0.10 . tcp . 80": "goto \(names.service)"])
        #expect(ruleset.chains[names.service] == ["ip saddr != 10.42.0.0/16 jump mark-for-masquerade", "goto \(names.cluster)"])
        let first = names.endpoint(ProxyEndpoint(address: "10.42.1.2", port: 8080))
        let second = names.endpoint(ProxyEndpoint(address: "10.42.2.3", port: 8080))
        #expect(ruleset.chains[names.cluster] == ["numgen random mod 2 == 0 goto \(first)", "goto \(second)"])
        #expect(
            ruleset.chains[first] == ["ip saddr 10.42.1.2 jump mark-for-masquerade", "meta l4proto tcp dnat to 10.42.1.2:8080"])
        #expect(ruleset.chains.count == 4)
        #expect(ruleset.elements[.serviceNodePorts] == nil)
    }

    @Test("chain names are stable, unique per Service port and valid nft identifiers")
    func chainNames() {
        #expect(names.service == ChainNames(namespace: "default", name: "web", protocol: .tcp, portName: "http").service)
        #expect(names.service != ChainNames(namespace: "default", name: "web", protocol: .udp, portName: "http").service)
        #expect(names.service != ChainNames(namespace: "defaul", name: "tweb", protocol: .tcp, portName: "http").service)
        #expect(names.service.hasPrefix("service-") && names.service.hasSuffix("-default/web/tcp/http"))
        let odd = ChainNames(namespace: "we ird", name: "x;y", protocol: .tcp, portName: "\u{e9}")
        #expect(odd.service.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "/_.-".contains($0)) })
    }

    @Test("terminating endpoints are used only when no ready one is left")
    func terminating() {
        let ready = ProxyEndpoint(address: "10.42.1.2", port: 8080)
        let leaving = ProxyEndpoint(address: "10.42.2.3", port: 8080, ready: false, serving: true, terminating: true)
        let gone = ProxyEndpoint(address: "10.42.3.4", port: 8080, ready: false, serving: false, terminating: true)
        let both = ProxyRuleset.build(services: [web(endpoints: [ready, leaving, gone])], node: node).ruleset
        #expect(both.chains[names.cluster] == ["goto \(names.endpoint(ready))"])
        let onlyLeaving = ProxyRuleset.build(services: [web(endpoints: [leaving, gone])], node: node).ruleset
        #expect(onlyLeaving.chains[names.cluster] == ["goto \(names.endpoint(leaving))"])
    }

    @Test("a Service without usable endpoints is rejected; with endpoints elsewhere and a Local policy, dropped")
    func noEndpoints() {
        let none = ProxyRuleset.build(services: [web(endpoints: [], type: .nodePort, nodePort: 30080)], node: node).ruleset
        #expect(none.elements[.noEndpointServices] == ["10.43.0.10 . tcp . 80": "goto reject-chain"])
        #expect(none.elements[.noEndpointNodePorts] == ["tcp . 30080": "goto reject-chain"])
        #expect(none.chains.isEmpty)
        let remote = [ProxyEndpoint(address: "10.42.2.3", port: 8080, isLocal: false)]
        let local = ProxyRuleset.build(services: [web(endpoints: remote, type: .nodePort, nodePort: 30080, externalLocal: true)], node: node).ruleset
        #expect(local.elements[.noEndpointNodePorts] == ["tcp . 30080": "drop"])
        #expect(local.elements[.serviceIPs] == ["10.43.0.10 . tcp . 80": "goto \(names.service)"])
        let internalOnly = ProxyRuleset.build(services: [web(endpoints: remote, internalLocal: true)], node: node).ruleset
        #expect(internalOnly.elements[.noEndpointServices] == ["10.43.0.10 . tcp . 80": "drop"])
    }

    @Test("NodePorts and LoadBalancer IPs enter through the external chain, which masquerades for the Cluster policy")
    func external() {
        let service = web(type: .loadBalancer, nodePort: 30080, loadBalancerIPs: ["192.0.2.7"])
        let ruleset = ProxyRuleset.build(services: [service], node: node).ruleset
        #expect(ruleset.elements[.serviceNodePorts] == ["tcp . 30080": "goto \(names.external)"])
        #expect(ruleset.elements[.serviceIPs]?["192.0.2.7 . tcp . 80"] == "goto \(names.external)")
        #expect(ruleset.chains[names.external] == ["jump mark-for-masquerade", "goto \(names.cluster)"])
    }

    @Test("externalTrafficPolicy Local keeps external clients on this node's endpoints; pods and the node use all")
    func externalLocal() {
        let local = ProxyEndpoint(address: "10.42.1.2", port: 8080, isLocal: true)
        let remote = ProxyEndpoint(address: "10.42.2.3", port: 8080)
        let ruleset = ProxyRuleset.build(services: [web(endpoints: [local, remote], type: .nodePort, nodePort: 30080, externalLocal: true)], node: node)
            .ruleset
        #expect(
            ruleset.chains[names.external] == [
                "ip saddr 10.42.0.0/16 goto \(names.cluster)", "fib saddr type local jump mark-for-masquerade",
                "fib saddr type local goto \(names.cluster)", "goto \(names.local)",
            ])
        #expect(ruleset.chains[names.local] == ["goto \(names.endpoint(local))"])
        #expect(ruleset.chains[names.cluster] == ["numgen random mod 2 == 0 goto \(names.endpoint(local))", "goto \(names.endpoint(remote))"])
    }

    @Test("ClientIP affinity checks a per-endpoint timeout set before the random pick and refreshes it on use")
    func affinity() {
        let endpoint = ProxyEndpoint(address: "10.42.1.2", port: 8080)
        let ruleset = ProxyRuleset.build(services: [web(endpoints: [endpoint], affinity: 600)], node: node).ruleset
        #expect(ruleset.affinitySets == [names.affinity(endpoint): 600])
        #expect(ruleset.chains[names.cluster]?.first == "ip saddr @\(names.affinity(endpoint)) goto \(names.endpoint(endpoint))")
        #expect(ruleset.chains[names.endpoint(endpoint)]?[1] == "update @\(names.affinity(endpoint)) { ip saddr }")
    }

    @Test("bad input is left out with a reason and the rest still programs")
    func badInput() {
        var clash = web()
        clash.ports.append(ProxyServicePort(name: "again", port: 80, endpoints: []))
        clash.ports.append(ProxyServicePort(name: "bad-endpoint", port: 81, endpoints: [ProxyEndpoint(address: "10.42.1.300", port: 1)]))
        clash.ports.append(ProxyServicePort(name: "range", port: 70_000, endpoints: []))
        var otherOwner = web()
        otherOwner.name = "web2"
        var badIP = web()
        badIP.name = "web3"
        badIP.clusterIPs = ["10.43.0.; drop"]
        let (ruleset, skipped) = ProxyRuleset.build(services: [clash, otherOwner, badIP], node: node)
        #expect(skipped.count == 6)
        #expect(skipped.contains { $0.port == "again" && $0.reason.contains("listed twice") })
        #expect(skipped.contains { $0.port == "bad-endpoint" && $0.reason.contains("10.42.1.300") })
        #expect(skipped.contains { $0.port == "range" })
        #expect(skipped.contains { $0.name == "web2" && $0.reason.contains("already served by default/web") })
        #expect(skipped.contains { $0.name == "web3" && $0.reason.contains("not an IPv4 address") })
        #expect(skipped.contains { $0.name == "web3" && $0.reason == "no IPv4 clusterIP to serve" })
        #expect(ruleset.elements[.serviceIPs]?["10.43.0.10 . tcp . 80"] == "goto \(names.service)")
        // Port 81's only endpoint was bad: it is served as a port without endpoints.
        #expect(ruleset.elements[.noEndpointServices] == ["10.43.0.10 . tcp . 81": "goto reject-chain"])
        #expect(!ProxyScript.full(ruleset, node: node).contains(";  drop"))
    }

    @Test("NodePorts answer on the given node addresses, or on any local address but loopback")
    func nodePortAddresses() {
        let any = ProxyScript.base(node: node)
        #expect(any.contains("fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports"))
        let given = ProxyScript.base(node: ProxyNode(tableName: "t", nodePortAddresses: ["192.168.50.1"]))
        #expect(given.contains("add element ip t nodeport-ips { 192.168.50.1 }"))
        #expect(given.contains("ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports"))
    }
}
