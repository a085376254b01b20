import SkiffAPI
import Testing

/// networking.k8s.io/v1 NetworkPolicy: served with Kubernetes' defaults, and the malformed
/// rules Kubernetes refuses are 422s naming the field.
@Suite("NetworkPolicy: defaults and validation")
struct NetworkPolicyValidationTests {
    static let path = "/apis/networking.k8s.io/v1/namespaces/default/networkpolicies"

    static func policy(_ name: String, spec: JSON) -> JSON {
        ["apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": ["name": .string(name)], "spec": spec]
    }

    static func causes(_ body: JSON) -> [String] { (body["details"]["causes"].array ?? []).compactMap { $0["field"].string } }

    @Test("policyTypes default to Ingress, plus Egress when egress rules exist; a port's protocol to TCP")
    func defaults() async throws {
        let api = try await TestAPI()
        let deny = try await api.call("POST", Self.path, Self.policy("deny", spec: ["podSelector": .emptyObject]))
        #expect(deny.status == 201)
        #expect(deny.body["spec"]["policyTypes"] == ["Ingress"])
        let egress = try await api.call(
            "POST", Self.path, Self.policy("egress", spec: ["podSelector": ["matchLabels": ["app": "web"]], "egress": [["ports": [["port": 53]]]]]))
        #expect(egress.status == 201)
        #expect(egress.body["spec"]["policyTypes"] == ["Ingress", "Egress"])
        #expect(egress.body["spec"]["egress"][0]["ports"][0]["protocol"] == "TCP")
        let explicit = try await api.call(
            "POST", Self.path, Self.policy("explicit", spec: ["podSelector": .emptyObject, "policyTypes": ["Egress"]]))
        #expect(explicit.body["spec"]["policyTypes"] == ["Egress"])
        let typed = try NetworkPolicy(json: egress.body)
        #expect(typed.policyTypes == [.ingress, .egress])
        #expect(typed.egress.first?.ports == [NetworkPolicyPort(protocol: .tcp, port: .int(53))])
    }

    @Test(
        "malformed rules are 422 naming the field",
        arguments: [
            (#"{"ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/33"}}]}]}"#, "spec.ingress[0].from[0].ipBlock.cidr"),
            (#"{"ingress": [{"from": [{"ipBlock": {"cidr": "not-a-cidr"}}]}]}"#, "spec.ingress[0].from[0].ipBlock.cidr"),
            (#"{"egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/16", "except": ["10.1.0.0/24"]}}]}]}"#, "spec.egress[0].to[0].ipBlock.except[0]"),
            (#"{"egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/16", "except": ["10.0.0.0/16"]}}]}]}"#, "spec.egress[0].to[0].ipBlock.except[0]"),
            (#"{"ingress": [{"ports": [{"port": 70000}]}]}"#, "spec.ingress[0].ports[0].port"),
            (#"{"ingress": [{"ports": [{"port": 0}]}]}"#, "spec.ingress[0].ports[0].port"),
            (#"{"ingress": [{"ports": [{"port": 90, "endPort": 80}]}]}"#, "spec.ingress[0].ports[0].endPort"),
            (#"{"ingress": [{"ports": [{"port": "http", "endPort": 80}]}]}"#, "spec.ingress[0].ports[0].endPort"),
            (#"{"ingress": [{"ports": [{"endPort": 80}]}]}"#, "spec.ingress[0].ports[0].port"),
            (#"{"ingress": [{"ports": [{"port": 80, "endPort": 70000}]}]}"#, "spec.ingress[0].ports[0].endPort"),
            (#"{"ingress": [{"ports": [{"port": "Not_A_Name"}]}]}"#, "spec.ingress[0].ports[0].port"),
            (#"{"ingress": [{"ports": [{"port": 80, "protocol": "ICMP"}]}]}"#, "spec.ingress[0].ports[0].protocol"),
            (#"{"ingress": [{"from": [{}]}]}"#, "spec.ingress[0].from[0]"),
            (#"{"ingress": [{"from": [{"podSelector": {}, "ipBlock": {"cidr": "10.0.0.0/8"}}]}]}"#, "spec.ingress[0].from[0]"),
            (
                #"{"ingress": [{"from": [{"namespaceSelector": {"matchExpressions": [{"key": "a", "operator": "Near"}]}}]}]}"#,
                "spec.ingress[0].from[0].namespaceSelector"
            ),
            (#"{"podSelector": {"matchExpressions": [{"key": "a", "operator": "Bogus"}]}}"#, "spec.podSelector"),
            (#"{"policyTypes": ["Sideways"]}"#, "spec.policyTypes[0]"),
        ])
    func invalid(spec: String, field: String) async throws {
        let api = try await TestAPI()
        let result = try await api.call("POST", Self.path, Self.policy("bad", spec: try JSON(parsing: spec)))
        #expect(result.status == 422)
        #expect(Self.causes(result.body) == [field])
    }

    @Test("a full policy is accepted: selectors together, ipBlock with except, named ports and ranges, IPv6 blocks")
    func valid() async throws {
        let api = try await TestAPI()
        let spec: JSON = [
            "podSelector": ["matchLabels": ["app": "db"]],
            "ingress": [
                [
                    "from": [
                        ["podSelector": ["matchLabels": ["role": "client"]], "namespaceSelector": ["matchLabels": ["team": "a"]]],
                        ["ipBlock": ["cidr": "10.0.0.1/8", "except": ["10.1.0.0/16"]]], ["ipBlock": ["cidr": "fd00::/64"]],
                    ],
                    "ports": [["port": "postgres"], ["port": 8000, "endPort": 8100, "protocol": "UDP"], ["protocol": "SCTP"]],
                ]
            ],
        ]
        let result = try await api.call("POST", Self.path, Self.policy("full", spec: spec))
        #expect(result.status == 201)
        let typed = try NetworkPolicy(json: result.body)
        guard case .ipBlock(let cidr, let except)? = typed.ingress.first?.peers[1] else {
            Issue.record("expected an ipBlock peer")
            return
        }
        #expect(cidr.description == "10.0.0.0/8")
        #expect(except.map(\.description) == ["10.1.0.0/16"])
        let table = try await api.call("GET", Self.path, accept: "application/json;as=Table;v=v1;g=meta.k8s.io")
        #expect(table.body["rows"][0]["cells"][1] == "app=db")
    }
}
