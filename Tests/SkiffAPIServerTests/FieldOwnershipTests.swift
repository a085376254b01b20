import SkiffAPI
import SkiffAPIServer
import Testing

/// Server-side apply's field ownership: managedFields, conflicts (409), force, removal of fields a
/// manager stops applying, and ownership taken by ordinary updates.
@Suite struct FieldOwnershipTests {
    static let path = "/api/v1/namespaces/default/configmaps/cfg"

    static func configMap(_ data: JSON) -> JSON { ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "cfg"], "data": data] }

    func apply(_ api: TestAPI, _ body: JSON, manager: String, force: Bool = false, path: String = Self.path) async throws -> TestAPI.Result {
        var query = ["fieldManager": manager]
        if force { query["force"] = "true" }
        return try await api.call("PATCH", path, body, query: query, contentType: "application/apply-patch+yaml")
    }

    static func entry(_ object: JSON, _ manager: String) -> JSON? {
        (object["metadata"]["managedFields"].array ?? []).first { $0["manager"].string == manager }
    }

    @Test("apply records an Apply entry with FieldsV1; another manager's different value is a 409 naming manager and field")
    func conflictsNameManagerAndField() async throws {
        let api = try await TestAPI()
        let first = try await apply(api, Self.configMap(["mode": "fast", "level": "1"]), manager: "alice")
        #expect(first.status == 201)
        let alice = try #require(Self.entry(first.body, "alice"))
        #expect(alice["operation"] == "Apply")
        #expect(alice["fieldsType"] == "FieldsV1")
        #expect(alice["fieldsV1"] == ["f:data": ["f:mode": [:], "f:level": [:]]])
        let conflict = try await apply(api, Self.configMap(["mode": "slow"]), manager: "bob")
        #expect(conflict.status == 409)
        #expect(conflict.body["reason"] == "Conflict")
        #expect(conflict.body["message"] == #"Apply failed with 1 conflict: conflict with "alice" using v1: .data.mode"#)
        #expect(
            conflict.body["details"]["causes"][0] == ["reason": "FieldManagerConflict", "message": #"conflict with "alice" using v1"#, "field": ".data.mode"])
        #expect(try await api.call("GET", Self.path).body["data"]["mode"] == "fast")
        // The same value is no conflict: both own it.
        let shared = try await apply(api, Self.configMap(["mode": "fast"]), manager: "bob")
        #expect(shared.status == 200)
        #expect(Self.entry(shared.body, "bob")?["fieldsV1"] == ["f:data": ["f:mode": [:]]])
        #expect(Self.entry(shared.body, "alice")?["fieldsV1"]["f:data"]["f:mode"] == [:])
    }

    @Test("force=true takes the field over; the old owner loses it")
    func forceTakesOwnership() async throws {
        let api = try await TestAPI()
        _ = try await apply(api, Self.configMap(["mode": "fast", "level": "1"]), manager: "alice")
        let forced = try await apply(api, Self.configMap(["mode": "slow"]), manager: "bob", force: true)
        #expect(forced.status == 200)
        #expect(forced.body["data"] == ["mode": "slow", "level": "1"])
        #expect(Self.entry(forced.body, "alice")?["fieldsV1"] == ["f:data": ["f:level": [:]]])
        #expect(Self.entry(forced.body, "bob")?["fieldsV1"] == ["f:data": ["f:mode": [:]]])
    }

    @Test("a field the manager no longer applies is removed unless someone else owns it")
    func droppedFieldsAreRemoved() async throws {
        let api = try await TestAPI()
        _ = try await apply(api, Self.configMap(["mode": "fast", "level": "1", "shared": "x"]), manager: "alice")
        _ = try await apply(api, Self.configMap(["shared": "x"]), manager: "bob")
        let second = try await apply(api, Self.configMap(["mode": "fast"]), manager: "alice")
        #expect(second.status == 200)
        #expect(second.body["data"] == ["mode": "fast", "shared": "x"])
    }

    @Test("an ordinary update takes ownership of what it changed, so a later apply of another value conflicts")
    func updatesTakeOwnership() async throws {
        let api = try await TestAPI()
        _ = try await apply(api, Self.configMap(["mode": "fast"]), manager: "alice")
        let edited = try await api.call(
            "PATCH", Self.path, ["data": ["mode": "edited"]], query: ["fieldManager": "editor"], contentType: "application/merge-patch+json")
        #expect(edited.status == 200)
        #expect(Self.entry(edited.body, "editor")?["operation"] == "Update")
        #expect(Self.entry(edited.body, "editor")?["fieldsV1"] == ["f:data": ["f:mode": [:]]])
        #expect(Self.entry(edited.body, "alice") == nil)
        let conflict = try await apply(api, Self.configMap(["mode": "fast"]), manager: "alice")
        #expect(conflict.status == 409)
        #expect(conflict.body["message"] == #"Apply failed with 1 conflict: conflict with "editor" using v1: .data.mode"#)
        // A no-op update changes nothing, not even managedFields.
        let before = try await api.call("GET", Self.path).body
        _ = try await api.call("PUT", Self.path, before, query: ["fieldManager": "other"])
        #expect(try await api.call("GET", Self.path).body == before)
    }

    @Test("keyed lists are owned per item: a container's image conflicts by container name")
    func keyedListItems() async throws {
        let api = try await TestAPI()
        let path = "/apis/apps/v1/namespaces/default/deployments/web"
        func deployment(_ image: String) -> JSON {
            [
                "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "web"],
                "spec": [
                    "selector": ["matchLabels": ["app": "web"]],
                    "template": ["metadata": ["labels": ["app": "web"]], "spec": ["containers": [["name": "web", "image": .string(image)]]]],
                ],
            ]
        }
        #expect(try await apply(api, deployment("nginx:1.25"), manager: "alice", path: path).status == 201)
        let created = try await api.call("GET", path).body
        let containers = Self.entry(created, "alice")?["fieldsV1"]["f:spec"]["f:template"]["f:spec"]["f:containers"]
        #expect(containers?[#"k:{"name":"web"}"#] == [".": [:], "f:name": [:], "f:image": [:]])
        let conflict = try await apply(api, deployment("nginx:1.26"), manager: "bob", path: path)
        #expect(conflict.status == 409)
        #expect(conflict.body["details"]["causes"][0]["field"] == #".spec.template.spec.containers[name="web"].image"#)
    }

    @Test("apply without fieldManager is a 422; create records the creating manager")
    func managersAreRequiredAndRecorded() async throws {
        let api = try await TestAPI()
        let missing = try await api.call("PATCH", Self.path, Self.configMap(["a": "b"]), contentType: "application/apply-patch+yaml")
        #expect(missing.status == 422)
        let created = try await api.call("POST", "/api/v1/namespaces/default/configmaps", Self.configMap(["a": "b"]), query: ["fieldManager": "kubectl-create"])
        #expect(Self.entry(created.body, "kubectl-create")?["fieldsV1"] == ["f:data": ["f:a": [:]]])
        #expect(Self.entry(created.body, "kubectl-create")?["operation"] == "Update")
    }
}
