import SkiffAPI
import Testing

@Suite("Service, EndpointSlice and Node models: decoding and defaults")
struct ServiceModelTests {
    @Test("a ClusterIP Service gets the API's defaults: TCP, targetPort = port, Cluster traffic policies, no affinity")
    func serviceDefaults() throws {
        let service = try KubeService(json: [
            "metadata": ["name": "web", "namespace": "shop"],
            "spec": ["clusterIP": "10.43.0.20", "selector": ["app": "web"], "ports": [["port": 80]]],
        ])
        #expect(service.key == "shop/web")
        #expect(service.spec.type == .clusterIP)
        #expect(service.spec.clusterIPs == ["10.43.0.20"])
        #expect(!service.spec.isHeadless)
        #expect(service.spec.selector == ["app": "web"])
        let port = try #require(service.spec.ports.first)
        #expect(port.protocol == .tcp)
        #expect(port.targetPort == .int(80))
        #expect(port.name == "")
        #expect(service.spec.sessionAffinityTimeoutSeconds == nil)
        #expect(service.spec.externalTrafficPolicy == .cluster)
        #expect(service.spec.internalTrafficPolicy == .cluster)
    }

    @Test("headless, named targetPorts, ClientIP affinity with its three-hour default, LoadBalancer ingress")
    func serviceVariants() throws {
        let headless = try KubeService(json: [
            "metadata": ["name": "db"], "spec": ["clusterIP": "None", "ports": [["name": "pg", "port": 5432, "targetPort": "postgres"]]],
        ])
        #expect(headless.spec.isHeadless)
        #expect(headless.spec.clusterIPs.isEmpty)
        #expect(headless.spec.ports.first?.targetPort == .string("postgres"))
        let sticky = try KubeService(json: [
            "spec": [
                "type": "LoadBalancer", "clusterIPs": ["10.43.0.9"], "sessionAffinity": "ClientIP", "externalTrafficPolicy": "Local",
                "ports": [["port": 80, "nodePort": 30080, "protocol": "UDP"]],
            ], "status": ["loadBalancer": ["ingress": [["ip": "10.99.0.11"], ["hostname": "lb.example"]]]],
        ])
        #expect(sticky.spec.type == .loadBalancer)
        #expect(sticky.spec.sessionAffinityTimeoutSeconds == 10800)
        #expect(sticky.spec.externalTrafficPolicy == .local)
        #expect(sticky.spec.ports.first?.nodePort == 30080)
        #expect(sticky.spec.ports.first?.protocol == .udp)
        #expect(sticky.loadBalancerIngressIPs == ["10.99.0.11"])
        let timed = try KubeService(json: [
            "spec": ["sessionAffinity": "ClientIP", "sessionAffinityConfig": ["clientIP": ["timeoutSeconds": 30]], "ports": [["port": 1]]]
        ])
        #expect(timed.spec.sessionAffinityTimeoutSeconds == 30)
    }

    @Test("a Service of the wrong shape is an error naming the field")
    func serviceErrors() {
        #expect(throws: JSONShapeError(path: "spec.ports[0].port", problem: "required field is missing")) {
            try KubeService(json: ["spec": ["ports": [["name": "x"]]]])
        }
        #expect(throws: JSONShapeError(path: "spec.type", problem: "unsupported value \"Weird\"")) {
            try KubeService(json: ["spec": ["type": "Weird"]])
        }
    }

    @Test("an EndpointSlice's unset conditions read as ready, serving = ready, not terminating; it round-trips its endpoints")
    func endpointSlice() throws {
        let slice = try EndpointSlice(json: [
            "metadata": ["name": "web-abc", "namespace": "shop", "labels": ["kubernetes.io/service-name": "web"]],
            "addressType": "IPv4",
            "endpoints": [
                ["addresses": ["10.42.1.5"], "nodeName": "n1", "targetRef": ["kind": "Pod", "namespace": "shop", "name": "web-1", "uid": "u"]],
                ["addresses": ["10.42.2.5"], "conditions": ["ready": false, "serving": true, "terminating": true], "hostname": "web-2"],
            ],
            "ports": [["name": "http", "port": 8080]],
        ])
        #expect(slice.serviceName == "web")
        #expect(slice.ports == [EndpointPort(name: "http", protocol: .tcp, port: 8080)])
        let first = try #require(slice.endpoints.first)
        #expect(first.conditions.isReady && first.conditions.isServing && !first.conditions.isTerminating)
        let second = slice.endpoints[1]
        #expect(!second.conditions.isReady && second.conditions.isServing && second.conditions.isTerminating)
        #expect(try Endpoint(json: JSONField(second.json)) == second)
        #expect(try Endpoint(json: JSONField(first.json)) == first)
    }

    @Test("a Node's pod range comes from podCIDRs, else podCIDR; its InternalIP is the first such address")
    func node() throws {
        let node = try KubeNode(json: [
            "metadata": ["name": "n1"], "spec": ["podCIDR": "10.42.3.0/24"],
            "status": ["addresses": [["type": "Hostname", "address": "n1"], ["type": "InternalIP", "address": "10.99.0.11"]]],
        ])
        #expect(node.name == "n1")
        #expect(node.podCIDRs == ["10.42.3.0/24"])
        #expect(node.internalIP == "10.99.0.11")
        let waiting = try KubeNode(json: ["metadata": ["name": "n2"]])
        #expect(waiting.podCIDRs.isEmpty && waiting.internalIP == nil)
    }
}
