import SkiffAPI
import SkiffAPIServer
import Testing

@Suite struct SecurityAndErrorTests {
    let pods = "/api/v1/namespaces/default/pods"

    func count(_ api: TestAPI) async throws -> Int {
        try await api.call("GET", pods).body["items"].array?.count ?? -1
    }

    @Test func requestsWithoutAValidTokenAreUnauthorizedButHealthIsOpen() async throws {
        let api = try await TestAPI()
        #expect(try await api.call("GET", pods, token: nil).status == 401)
        #expect(try await api.call("POST", pods, TestAPI.pod("x"), token: "wrong").status == 401)
        #expect(try await api.call("GET", pods, token: "skiff-node.n1.deadbeef").status == 401)
        #expect(try await count(api) == 0)
        for path in ["/healthz", "/livez", "/readyz", "/version"] {
            #expect(try await api.call("GET", path, token: nil).status == 200)
        }
    }

    @Test func nodeCredentialsMayWriteOnlyTheirOwnNodeLeaseAndBoundPods() async throws {
        let api = try await TestAPI()
        let n1 = Authenticator.nodeToken(joinToken: TestAPI.joinToken, nodeName: "n1")
        #expect(try await api.call("POST", "/api/v1/nodes", ["metadata": ["name": "n1"]], token: n1).status == 201)
        #expect(try await api.call("POST", "/api/v1/nodes", ["metadata": ["name": "n2"]], token: n1).status == 403)
        #expect(try await api.call("DELETE", "/api/v1/nodes/n1", token: n1).status == 403)
        let lease: JSON = ["metadata": ["name": "n1"], "spec": ["holderIdentity": "n1"]]
        #expect(try await api.call("POST", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", lease, token: n1).status == 201)
        #expect(try await api.call("POST", "/apis/coordination.k8s.io/v1/namespaces/default/leases", lease, token: n1).status == 403)
        _ = try await api.call("POST", pods, TestAPI.pod("mine", node: "n1"))
        _ = try await api.call("POST", pods, TestAPI.pod("theirs", node: "n2"))
        let status: JSON = ["status": ["phase": "Running"]]
        #expect(try await api.call("PATCH", "\(pods)/mine/status", status, contentType: "application/merge-patch+json", token: n1).status == 200)
        #expect(try await api.call("PATCH", "\(pods)/theirs/status", status, contentType: "application/merge-patch+json", token: n1).status == 403)
        #expect(
            try await api.call("PATCH", "\(pods)/mine", ["metadata": ["labels": ["a": "b"]]], contentType: "application/merge-patch+json", token: n1).status
                == 403)
        #expect(try await api.call("POST", pods, TestAPI.pod("new"), token: n1).status == 403)
        #expect(try await api.call("GET", "\(pods)/theirs", token: n1).body["status"]["phase"] == "Pending")
        #expect(try await api.call("GET", pods, token: n1).status == 200)
    }

    @Test(arguments: [
        ("{not json", "application/json", 400),
        ("[1,2]", "application/json", 400),
        ("apiVersion: v1\nkind: Pod\n metadata: x", "application/yaml", 400),
        ("apiVersion: v1\nkind: Pod\n", "application/yaml", 422),
        ("apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n", "application/cbor", 415),
        ("", "application/json", 400),
        (#"{"kind":"Service","apiVersion":"v1","metadata":{"name":"x"}}"#, "application/json", 400),
        (#"{"kind":"Pod","apiVersion":"apps/v1","metadata":{"name":"x"}}"#, "application/json", 400),
        (
            #"{"kind":"Pod","apiVersion":"v1","metadata":{"name":"x"},"spec":{"containers":[{"name":"c","image":"i"}]}}"#,
            "application/vnd.kubernetes.protobuf", 400
        ),
    ])
    func malformedBodiesGetTheRightStatusAndChangeNothing(_ body: String, _ contentType: String, _ code: Int) async throws {
        let api = try await TestAPI()
        let result = try await api.call("POST", pods, contentType: contentType, rawBody: Array(body.utf8))
        #expect(result.status == code)
        #expect(result.body["kind"] == "Status")
        #expect(result.body["code"] == .int(Int64(code)))
        #expect(try await count(api) == 0)
    }

    @Test func oversizedBodiesAreRejected() async throws {
        let api = try await TestAPI()
        let big = Array(repeating: UInt8(ascii: " "), count: KubeAPI.maximumBodySize + 1)
        #expect(try await api.call("POST", pods, rawBody: big).status == 413)
        #expect(try await count(api) == 0)
    }

    @Test func invalidObjectsGet422WithFieldCausesAndAreNotStored() async throws {
        let api = try await TestAPI()
        var pod = TestAPI.pod("Bad_Name")
        pod["spec"]["containers"] = [["name": "c", "resources": ["requests": ["cpu": "lots"]], "ports": [["containerPort": 70000]]]]
        let result = try await api.call("POST", pods, pod)
        #expect(result.status == 422)
        #expect(result.body["reason"] == "Invalid")
        let fields = Set((result.body["details"]["causes"].array ?? []).compactMap { $0["field"].string })
        #expect(
            fields.isSuperset(of: [
                "metadata.name", "spec.containers[0].image", "spec.containers[0].resources.requests.cpu", "spec.containers[0].ports[0].containerPort",
            ]))
        #expect(try await count(api) == 0)
        let noContainers = try await api.call("POST", pods, ["metadata": ["name": "empty"], "spec": .emptyObject])
        #expect(noContainers.status == 422)
    }

    @Test func deploymentSelectorMustMatchTemplateLabels() async throws {
        let api = try await TestAPI()
        let deployment: JSON = [
            "metadata": ["name": "web"],
            "spec": [
                "selector": ["matchLabels": ["app": "web"]],
                "template": ["metadata": ["labels": ["app": "other"]], "spec": ["containers": [["name": "web", "image": "nginx"]]]],
            ],
        ]
        let result = try await api.call("POST", "/apis/apps/v1/namespaces/default/deployments", deployment)
        #expect(result.status == 422)
        #expect(result.body["details"]["causes"][0]["field"] == "spec.template.metadata.labels")
    }

    @Test func strictFieldValidationRejectsUnknownFieldsAndWarnStripsThem() async throws {
        let api = try await TestAPI()
        var pod = TestAPI.pod("typo")
        pod["spec"]["containers"][0]["imagee"] = "oops"
        let strict = try await api.call("POST", pods, pod, query: ["fieldValidation": "Strict"])
        #expect(strict.status == 400)
        #expect(strict.body["message"].string?.contains("unknown field \"spec.containers[0].imagee\"") == true)
        #expect(try await count(api) == 0)
        let warned = try await api.call("POST", pods, pod)
        #expect(warned.status == 201)
        #expect(warned.headers.contains { $0.0 == "Warning" && $0.1.contains("imagee") })
        #expect(warned.body["spec"]["containers"][0]["imagee"].isNull)
    }

    @Test func badNamesAndUnknownResourcesAreRejected() async throws {
        let api = try await TestAPI()
        #expect(try await api.call("POST", "/api/v1/namespaces", ["metadata": ["name": "has.dot"]]).status == 422)
        #expect(try await api.call("POST", "/api/v1/namespaces", ["metadata": ["name": .string(String(repeating: "a", count: 64))]]).status == 422)
        #expect(try await api.call("GET", "/api/v1/namespaces/default/widgets").status == 404)
        #expect(try await api.call("GET", "/apis/metrics.k8s.io/v1beta1/nodes").status == 200)
        #expect(try await api.call("POST", "/apis/metrics.k8s.io/v1beta1/nodes", ["metadata": ["name": "x"]]).status == 405)
    }

    @Test func kubectlProtobufNamespaceCreateIsDecoded() async throws {
        let api = try await TestAPI()
        // k8s\0 + Unknown{typeMeta{apiVersion:v1, kind:Namespace}, raw: Namespace{metadata{name:"proto"}}}
        let name = Array("proto".utf8)
        let meta: [UInt8] = [0x0A, UInt8(name.count)] + name
        let namespace: [UInt8] = [0x0A, UInt8(meta.count)] + meta
        let typeMeta: [UInt8] = [0x0A, 2] + Array("v1".utf8) + [0x12, 9] + Array("Namespace".utf8)
        let envelope: [UInt8] = [0x6B, 0x38, 0x73, 0x00, 0x0A, UInt8(typeMeta.count)] + typeMeta + [0x12, UInt8(namespace.count)] + namespace
        let result = try await api.call("POST", "/api/v1/namespaces", contentType: "application/vnd.kubernetes.protobuf", rawBody: envelope)
        #expect(result.status == 201)
        #expect(try await api.call("GET", "/api/v1/namespaces/proto").body["status"]["phase"] == "Active")
    }
}
