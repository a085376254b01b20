import SkiffAPI
import Testing

/// The Service rules endpoints rely on: unique port names and port/protocol pairs, and a
/// nodePort held by one Service only.
@Suite("Service validation: ports and nodePorts")
struct ServiceValidationTests {
    static func service(_ name: String, type: String = "ClusterIP", ports: [JSON]) -> JSON {
        ["metadata": ["name": .string(name)], "spec": ["type": .string(type), "selector": ["app": "web"], "ports": .array(ports)]]
    }

    static func causes(_ body: JSON) -> [String] { (body["details"]["causes"].array ?? []).compactMap { $0["field"].string } }

    @Test("the same port and protocol twice is 422 naming the second port; the same port over UDP is fine")
    func duplicatePort() async throws {
        let api = try await TestAPI()
        let duplicate = try await api.call(
            "POST", "/api/v1/namespaces/default/services",
            Self.service("dup", ports: [["name": "a", "port": 80], ["name": "b", "port": 80, "protocol": "TCP"]]))
        #expect(duplicate.status == 422)
        #expect(Self.causes(duplicate.body) == ["spec.ports[1]"])
        let dns = try await api.call(
            "POST", "/api/v1/namespaces/default/services",
            Self.service("dns", ports: [["name": "tcp", "port": 53], ["name": "udp", "port": 53, "protocol": "UDP"]]))
        #expect(dns.status == 201)
    }

    @Test("several ports need names, and different ones")
    func portNames() async throws {
        let api = try await TestAPI()
        let unnamed = try await api.call("POST", "/api/v1/namespaces/default/services", Self.service("a", ports: [["port": 80], ["name": "x", "port": 81]]))
        #expect(unnamed.status == 422)
        #expect(Self.causes(unnamed.body) == ["spec.ports[0].name"])
        let same = try await api.call(
            "POST", "/api/v1/namespaces/default/services", Self.service("b", ports: [["name": "x", "port": 80], ["name": "x", "port": 81]]))
        #expect(same.status == 422)
        #expect(Self.causes(same.body) == ["spec.ports[1].name"])
    }

    @Test("a nodePort another Service holds is 422, on create and on update")
    func nodePortTaken() async throws {
        let api = try await TestAPI()
        let first = try await api.call(
            "POST", "/api/v1/namespaces/default/services", Self.service("one", type: "NodePort", ports: [["port": 80, "nodePort": 30080]]))
        #expect(first.status == 201)
        let clash = try await api.call(
            "POST", "/api/v1/namespaces/default/services", Self.service("two", type: "NodePort", ports: [["port": 80, "nodePort": 30080]]))
        #expect(clash.status == 422)
        #expect(Self.causes(clash.body) == ["spec.ports[0].nodePort"])
        #expect(clash.body["message"].string?.contains("provided port is already allocated") == true)
        let other = try await api.call(
            "POST", "/api/v1/namespaces/default/services", Self.service("two", type: "NodePort", ports: [["port": 80, "nodePort": 30081]]))
        #expect(other.status == 201)
        var moved = other.body
        moved["spec"]["ports"][0]["nodePort"] = 30080
        let update = try await api.call("PUT", "/api/v1/namespaces/default/services/two", moved)
        #expect(update.status == 422)
        // Keeping its own nodePort is no clash.
        var relabelled = other.body
        relabelled["metadata"]["labels"] = ["tier": "front"]
        #expect(try await api.call("PUT", "/api/v1/namespaces/default/services/two", relabelled).status == 200)
    }
}
