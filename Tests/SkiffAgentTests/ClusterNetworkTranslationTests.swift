import SkiffAPI
import SkiffDNS
import SkiffServiceProxy
import Testing

@testable import SkiffAgent

@Suite("What the agent's proxy, DNS and routes are given, from Services, EndpointSlices and Nodes")
struct ClusterNetworkTranslationTests {
    static func service(_ spec: JSON, name: String = "web", namespace: String = "shop", status: JSON = [:]) throws -> KubeService {
        try KubeService(json: ["metadata": ["name": .string(name), "namespace": .string(namespace)], "spec": spec, "status": status])
    }

    static func slice(_ name: String, service: String = "web", ports: JSON, endpoints: JSON) throws -> EndpointSlice {
        try EndpointSlice(json: [
            "metadata": ["name": .string(name), "namespace": "shop", "labels": ["kubernetes.io/service-name": .string(service)]],
            "addressType": "IPv4", "ports": ports, "endpoints": endpoints,
        ])
    }

    @Test("each Service port takes its endpoints from the slices' port of the same name and protocol, deduplicated, local ones marked")
    func proxyEndpoints() throws {
        let web = try Self.service([
            "type": "NodePort", "clusterIP": "10.43.0.20",
            "ports": [["name": "http", "port": 80, "targetPort": "web", "nodePort": 30080], ["name": "dns", "port": 53, "protocol": "UDP"]],
        ])
        let slices = [
            try Self.slice(
                "web-a", ports: [["name": "http", "port": 8080], ["name": "dns", "port": 5353, "protocol": "UDP"]],
                endpoints: [
                    ["addresses": ["10.42.1.5"], "nodeName": "n1"],
                    ["addresses": ["10.42.2.5"], "nodeName": "n2", "conditions": ["ready": false, "serving": true, "terminating": true]],
                ]),
            // A pod whose named port resolves to another number sits in a slice of its own.
            try Self.slice("web-b", ports: [["name": "http", "port": 9090]], endpoints: [["addresses": ["10.42.3.5"], "nodeName": "n3"]]),
            // The same address twice while the controller moves it.
            try Self.slice("web-c", ports: [["name": "http", "port": 8080]], endpoints: [["addresses": ["10.42.1.5"], "nodeName": "n1"]]),
            try Self.slice("other", service: "other", ports: [["name": "http", "port": 1]], endpoints: [["addresses": ["10.42.9.9"]]]),
        ]
        let built = ProxyServices.build(services: [web], slices: slices, nodeName: "n1")
        let service = try #require(built.first)
        #expect(built.count == 1)
        #expect(service.type == .nodePort)
        #expect(service.clusterIPs == ["10.43.0.20"])
        let http = try #require(service.ports.first { $0.name == "http" })
        #expect(http.nodePort == 30080)
        #expect(
            http.endpoints == [
                ProxyEndpoint(address: "10.42.1.5", port: 8080, ready: true, serving: true, terminating: false, isLocal: true),
                ProxyEndpoint(address: "10.42.2.5", port: 8080, ready: false, serving: true, terminating: true, isLocal: false),
                ProxyEndpoint(address: "10.42.3.5", port: 9090, ready: true, serving: true, terminating: false, isLocal: false),
            ])
        let dns = try #require(service.ports.first { $0.name == "dns" })
        #expect(dns.protocol == .udp)
        #expect(dns.endpoints.map(\.port) == [5353, 5353])
    }

    @Test("headless and ExternalName Services are not proxied; LoadBalancer ingress IPs and Local policies carry over")
    func proxyKinds() throws {
        let headless = try Self.service(["clusterIP": "None", "ports": [["port": 80]]])
        let external = try Self.service(["type": "ExternalName", "externalName": "db.example.com"], name: "ext")
        let balancer = try Self.service(
            [
                "type": "LoadBalancer", "clusterIP": "10.43.0.30", "externalTrafficPolicy": "Local", "internalTrafficPolicy": "Local",
                "ports": [["port": 80, "nodePort": 30001]],
            ],
            name: "lb", status: ["loadBalancer": ["ingress": [["ip": "10.99.0.11"], ["ip": "10.99.0.12"]]]])
        let built = ProxyServices.build(services: [headless, external, balancer], slices: [], nodeName: "n1")
        #expect(built.map(\.name) == ["lb"])
        #expect(built.first?.loadBalancerIPs == ["10.99.0.11", "10.99.0.12"])
        #expect(built.first?.externalTrafficPolicyLocal == true)
        #expect(built.first?.internalTrafficPolicyLocal == true)
        #expect(built.first?.ports.first?.endpoints == [], "no slices: the proxy rejects connections to it")
    }

    @Test(
        "DNS: a ClusterIP Service answers with its VIP and named ports; a headless one with its endpoints, not-ready ones marked; ExternalName carries its target"
    )
    func dnsServices() throws {
        let web = try Self.service(["clusterIP": "10.43.0.20", "ports": [["name": "http", "port": 80], ["port": 81]]])
        let db = try Self.service(["clusterIP": "None", "ports": [["name": "pg", "port": 5432]]], name: "db")
        let ext = try Self.service(["type": "ExternalName", "externalName": "db.example.com"], name: "ext")
        let slices = [
            try Self.slice(
                "db-a", service: "db", ports: [["name": "pg", "port": 5432]],
                endpoints: [
                    ["addresses": ["10.42.1.7"], "hostname": "db-0"], ["addresses": ["10.42.1.8"], "conditions": ["ready": false]],
                ])
        ]
        let built = DNSServices.build(services: [web, db, ext], slices: slices)
        #expect(
            built[0]
                == DNSService(
                    namespace: "shop", name: "web", clusterIPs: ["10.43.0.20"], ports: [DNSPort(name: "http", port: 80), DNSPort(name: nil, port: 81)]))
        #expect(
            built[1]
                == DNSService(
                    namespace: "shop", name: "db", ports: [DNSPort(name: "pg", port: 5432)],
                    endpoints: [DNSEndpoint(address: "10.42.1.7", hostname: "db-0", ready: true), DNSEndpoint(address: "10.42.1.8", ready: false)]))
        #expect(built[2] == DNSService(namespace: "shop", name: "ext", externalName: "db.example.com"))
    }

    @Test("routes go to every other Node with an address; one without, or with a bad range, is reported and left out")
    func peers() throws {
        func node(_ name: String, _ ip: String?, _ cidr: String?) throws -> KubeNode {
            var json: JSON = ["metadata": ["name": .string(name)], "spec": [:]]
            if let cidr { json["spec"] = ["podCIDR": .string(cidr)] }
            if let ip { json["status"] = ["addresses": [["type": "InternalIP", "address": .string(ip)]]] }
            return try KubeNode(json: json)
        }
        var problems: [String] = []
        let peers = PodNetworkController.peers(
            of: [
                try node("n2", "10.99.0.12", "10.42.2.0/24"), try node("n1", "10.99.0.11", "10.42.1.0/24"), try node("n3", nil, "10.42.3.0/24"),
                try node("n4", "10.99.0.14", "not-a-cidr"), try node("n5", "10.99.0.15", nil),
            ],
            local: "n1"
        ) { problems.append($0) }
        #expect(peers.map(\.name) == ["n2", "n5"])
        #expect(peers.first?.podCIDR?.description == "10.42.2.0/24")
        #expect(peers.last?.podCIDR == nil, "a node still waiting for a range is a peer without a route")
        #expect(problems.count == 2)
        #expect(problems.contains { $0.contains("n3") && $0.contains("InternalIP") })
        #expect(problems.contains { $0.contains("n4") })
    }
}
