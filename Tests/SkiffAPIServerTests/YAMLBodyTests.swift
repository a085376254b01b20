import SkiffAPI
import SkiffAPIServer
import Testing

/// YAML request bodies (`application/yaml`, `application/apply-patch+yaml`) are read like JSON.
@Suite struct YAMLBodyTests {
    static func yaml(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test("a YAML create stores the same object as its JSON form, with YAML 1.1 scalars resolved")
    func yamlCreateBecomesJSON() async throws {
        let api = try await TestAPI()
        let body = Self.yaml(
            """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: settings
              labels: &labels {app: web, tier: "1"}
              annotations:
                when: 2026-11-22T10:00:00Z
                quoted: "true"
                plain: yes-not-a-bool
            data:
              retries: "3"
              empty: ""
            """)
        let created = try await api.call("POST", "/api/v1/namespaces/default/configmaps", contentType: "application/yaml", rawBody: body)
        #expect(created.status == 201, "\(created.body)")
        let stored = try await api.call("GET", "/api/v1/namespaces/default/configmaps/settings").body
        #expect(stored["metadata"]["labels"] == ["app": "web", "tier": "1"])
        #expect(stored["metadata"]["annotations"] == ["when": "2026-11-22T10:00:00Z", "quoted": "true", "plain": "yes-not-a-bool"])
        #expect(stored["data"] == ["retries": "3", "empty": ""])
        // Typed scalars: a Deployment's replicas is a number, booleans are booleans, anchors expand.
        let deployment = Self.yaml(
            """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web, labels: &l {app: web}}
            spec:
              replicas: 0x3
              paused: true
              selector: {matchLabels: *l}
              template:
                metadata: {labels: *l}
                spec:
                  containers:
                  - name: web
                    image: nginx:1.25
                    ports: [{containerPort: 80}]
            """)
        let web = try await api.call("POST", "/apis/apps/v1/namespaces/default/deployments", contentType: "application/yaml", rawBody: deployment)
        #expect(web.status == 201, "\(web.body)")
        #expect(web.body["spec"]["replicas"] == 3)
        #expect(web.body["spec"]["paused"] == true)
        #expect(web.body["spec"]["selector"]["matchLabels"] == ["app": "web"])
        #expect(web.body["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] == 80)
    }

    @Test("malformed YAML is a 400 Status naming the line, and nothing is stored")
    func malformedYAMLIsRejected() async throws {
        let api = try await TestAPI()
        let path = "/api/v1/namespaces/default/configmaps"
        let broken = try await api.call("POST", path, contentType: "application/yaml", rawBody: Self.yaml("metadata:\n  name: x\n data: [1, 2"))
        #expect(broken.status == 400)
        #expect(broken.body["kind"] == "Status")
        #expect(broken.body["reason"] == "BadRequest")
        #expect(broken.body["message"].string?.hasPrefix("error converting YAML to JSON: yaml: line ") == true, "\(broken.body)")
        let list = try await api.call("POST", path, contentType: "application/yaml", rawBody: Self.yaml("- a\n- b\n"))
        #expect(list.status == 400)
        #expect(list.body["message"].string?.contains("must be a JSON object, not array") == true)
        let twoDocuments = try await api.call(
            "POST", path, contentType: "application/yaml", rawBody: Self.yaml("metadata: {name: a}\n---\nmetadata: {name: b}\n"))
        #expect(twoDocuments.status == 400)
        let unclosed = try await api.call("POST", path, contentType: "application/yaml", rawBody: Self.yaml("metadata: {name: \"x}\n"))
        #expect(unclosed.status == 400)
        #expect(try await api.call("GET", path).body["items"].array?.isEmpty == true)
    }

    @Test("PUT with a YAML body updates, and a malformed one changes nothing")
    func yamlUpdate() async throws {
        let api = try await TestAPI()
        let path = "/api/v1/namespaces/default/configmaps"
        _ = try await api.call("POST", path, ["metadata": ["name": "cfg"], "data": ["a": "1"]])
        let updated = try await api.call(
            "PUT", "\(path)/cfg", contentType: "application/yaml", rawBody: Self.yaml("metadata: {name: cfg}\ndata: {a: \"2\", b: x}\n"))
        #expect(updated.status == 200, "\(updated.body)")
        #expect(updated.body["data"] == ["a": "2", "b": "x"])
        let before = try await api.call("GET", "\(path)/cfg").body
        let broken = try await api.call("PUT", "\(path)/cfg", contentType: "application/yaml", rawBody: Self.yaml("data: {a: [}\n"))
        #expect(broken.status == 400)
        #expect(try await api.call("GET", "\(path)/cfg").body == before)
    }

    @Test("server-side apply with a YAML body creates, then merges over the live object")
    func applyPatchYAML() async throws {
        let api = try await TestAPI()
        let path = "/api/v1/namespaces/default/configmaps/applied"
        let query = ["fieldManager": "test"]
        let first = try await api.call(
            "PATCH", path, query: query, contentType: "application/apply-patch+yaml",
            rawBody: Self.yaml("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n  mode: fast\n"))
        #expect(first.status == 201, "\(first.body)")
        let second = try await api.call(
            "PATCH", path, query: query, contentType: "application/apply-patch+yaml",
            rawBody: Self.yaml("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n  mode: slow\n  level: \"2\"\n"))
        #expect(second.status == 200, "\(second.body)")
        #expect(second.body["data"] == ["mode": "slow", "level": "2"])
        let broken = try await api.call("PATCH", path, query: query, contentType: "application/apply-patch+yaml", rawBody: Self.yaml("data: {mode: [\n"))
        #expect(broken.status == 400)
        #expect(try await api.call("GET", path).body["data"]["mode"] == "slow")
    }
}
