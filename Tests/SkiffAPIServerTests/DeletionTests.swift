import SkiffAPI
import SkiffAPIServer
import Testing

/// What the API itself does on delete, before any controller acts: DeleteOptions, the garbage
/// collector's finalizers, namespaces' Terminating phase and the `finalize` subresource. The
/// controllers that finish the work are tested in SkiffControlPlaneTests and SkiffControllersTests.
@Suite struct DeletionTests {
    static let configMaps = "/api/v1/namespaces/default/configmaps"

    @Test("Orphan and Foreground hold the object with their finalizer; Background deletes at once")
    func propagationFinalizers() async throws {
        let api = try await TestAPI()
        for name in ["orphaned", "foreground", "background"] { _ = try await api.call("POST", Self.configMaps, ["metadata": ["name": .string(name)]]) }
        let orphan = try await api.call("DELETE", "\(Self.configMaps)/orphaned", ["propagationPolicy": "Orphan"])
        #expect(orphan.body["metadata"]["finalizers"] == ["orphan"])
        #expect(orphan.body["metadata"]["deletionTimestamp"].string != nil)
        let foreground = try await api.call("DELETE", "\(Self.configMaps)/foreground", query: ["propagationPolicy": "Foreground"])
        #expect(foreground.body["metadata"]["finalizers"] == ["foregroundDeletion"])
        #expect(try await api.call("GET", "\(Self.configMaps)/foreground").status == 200)
        #expect(try await api.call("DELETE", "\(Self.configMaps)/background", ["propagationPolicy": "Background"]).status == 200)
        #expect(try await api.call("GET", "\(Self.configMaps)/background").status == 404)
    }

    @Test("an unsupported propagationPolicy is a 422 and deletes nothing")
    func badPolicyIsRejected() async throws {
        let api = try await TestAPI()
        _ = try await api.call("POST", Self.configMaps, ["metadata": ["name": "keep"]])
        let bad = try await api.call("DELETE", "\(Self.configMaps)/keep", ["propagationPolicy": "Sometimes"])
        #expect(bad.status == 422)
        #expect(bad.body["message"].string?.contains("Unsupported value: \"Sometimes\"") == true)
        #expect(try await api.call("GET", "\(Self.configMaps)/keep").status == 200)
    }

    @Test("deleting a namespace makes it Terminating with the kubernetes finalizer and refuses new content with 403")
    func namespaceTerminating() async throws {
        let api = try await TestAPI()
        let created = try await api.call("POST", "/api/v1/namespaces", ["metadata": ["name": "team"]])
        #expect(created.body["spec"]["finalizers"] == ["kubernetes"])
        let deleting = try await api.call("DELETE", "/api/v1/namespaces/team")
        #expect(deleting.status == 200)
        #expect(deleting.body["status"]["phase"] == "Terminating")
        #expect(deleting.body["metadata"]["deletionTimestamp"].string != nil)
        #expect(try await api.eventually { try await api.call("POST", "/api/v1/namespaces/team/configmaps", ["metadata": ["name": "late"]]).status == 403 })
        let refused = try await api.call("POST", "/api/v1/namespaces/team/configmaps", ["metadata": ["name": "late"]])
        #expect(refused.body["reason"] == "Forbidden")
        #expect(refused.body["message"] == "unable to create new content in namespace team because it is being terminated")
        // Without the namespace controller it stays.
        #expect(try await api.call("GET", "/api/v1/namespaces/team").status == 200)
    }

    @Test("PUT namespaces/NAME/finalize sets spec.finalizers (a plain update keeps them); an empty list removes a terminating namespace")
    func finalizeSubresource() async throws {
        let api = try await TestAPI()
        _ = try await api.call("POST", "/api/v1/namespaces", ["metadata": ["name": "team"]])
        var namespace = try await api.call("GET", "/api/v1/namespaces/team").body
        namespace["spec"]["finalizers"] = ["kubernetes", "example.com/hold"]
        let updated = try await api.call("PUT", "/api/v1/namespaces/team", namespace)
        #expect(updated.body["spec"]["finalizers"] == ["kubernetes"])
        namespace["metadata"]["resourceVersion"] = updated.body["metadata"]["resourceVersion"]
        let finalized = try await api.call("PUT", "/api/v1/namespaces/team/finalize", namespace)
        #expect(finalized.status == 200, "\(finalized.body)")
        #expect(finalized.body["spec"]["finalizers"] == ["kubernetes", "example.com/hold"])
        // A stale resourceVersion is a conflict.
        #expect(try await api.call("PUT", "/api/v1/namespaces/team/finalize", namespace).status == 409)
        _ = try await api.call("DELETE", "/api/v1/namespaces/team")
        #expect(
            try await api.call("PUT", "/api/v1/namespaces/team/finalize", ["metadata": ["name": "team"], "spec": ["finalizers": ["example.com/hold"]]]).status
                == 200)
        #expect(try await api.call("GET", "/api/v1/namespaces/team").status == 200)
        #expect(try await api.call("PUT", "/api/v1/namespaces/team/finalize", ["metadata": ["name": "team"], "spec": ["finalizers": []]]).status == 200)
        #expect(try await api.call("GET", "/api/v1/namespaces/team").status == 404)
        // Only namespaces have it.
        _ = try await api.call("POST", Self.configMaps, ["metadata": ["name": "cfg"]])
        #expect(try await api.call("PUT", "\(Self.configMaps)/cfg/finalize", ["metadata": ["name": "cfg"]]).status == 404)
    }

    @Test("default, kube-system and kube-public may not be deleted")
    func systemNamespacesStay() async throws {
        let api = try await TestAPI()
        for name in ["default", "kube-system", "kube-public"] {
            let result = try await api.call("DELETE", "/api/v1/namespaces/\(name)")
            #expect(result.status == 403)
            #expect(result.body["message"] == .string("namespaces \"\(name)\" is forbidden: this namespace may not be deleted"))
        }
    }
}
