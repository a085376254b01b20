import SkiffAPI
import SkiffControllers
import Testing

@Suite("ServiceLB: a LoadBalancer Service's ingress is the Ready nodes' addresses (in-process API)")
struct ServiceLBControllerTests {
    static func node(_ name: String, ip: String, ready: Bool) -> JSON {
        [
            "metadata": ["name": .string(name)],
            "status": [
                "addresses": [["type": "InternalIP", "address": .string(ip)]],
                "conditions": [["type": "Ready", "status": .string(ready ? "True" : "False")]],
            ],
        ]
    }

    @Test("ingress lists Ready nodes' InternalIPs in numeric order, follows a node going NotReady, and ClusterIP Services get none")
    func followsNodes() async throws {
        let harness = try await ControllerHarness.start()
        for (name, ip) in [("n2", "10.99.0.12"), ("n1", "10.99.0.9")] {
            #expect(try await harness.call("POST", "/api/v1/nodes", Self.node(name, ip: ip, ready: true)).status == 201)
        }
        let balancer: JSON = ["metadata": ["name": "lb"], "spec": ["type": "LoadBalancer", "ports": [["port": 80]]]]
        let plain: JSON = ["metadata": ["name": "plain"], "spec": ["ports": [["port": 80]]]]
        #expect(try await harness.call("POST", "/api/v1/namespaces/default/services", balancer).status == 201)
        #expect(try await harness.call("POST", "/api/v1/namespaces/default/services", plain).status == 201)
        func ingress(_ name: String) async throws -> [String] {
            let service = try await harness.call("GET", "/api/v1/namespaces/default/services/\(name)").body
            return (service["status"]["loadBalancer"]["ingress"].array ?? []).compactMap { $0["ip"].string }
        }
        #expect(try await harness.eventually { try await ingress("lb") == ["10.99.0.9", "10.99.0.12"] })
        let notReady: JSON = ["status": ["conditions": [["type": "Ready", "status": "Unknown"]]]]
        #expect(try await harness.call("PATCH", "/api/v1/nodes/n2/status", notReady, contentType: "application/merge-patch+json").status == 200)
        #expect(try await harness.eventually { try await ingress("lb") == ["10.99.0.9"] })
        #expect(try await ingress("plain").isEmpty)
    }

    @Test("only Ready, schedulable nodes with an address serve")
    func servingNodes() throws {
        let nodes = try [
            KubeNode(json: Self.node("a", ip: "10.0.0.2", ready: true)),
            KubeNode(json: Self.node("b", ip: "10.0.0.10", ready: true)),
            KubeNode(json: Self.node("c", ip: "10.0.0.3", ready: false)),
            KubeNode(json: ["metadata": ["name": "d"], "spec": ["unschedulable": true], "status": Self.node("d", ip: "10.0.0.4", ready: true)["status"]]),
        ]
        #expect(ServiceLBController.ingress(for: nodes) == ["10.0.0.2", "10.0.0.10"])
    }
}
