import SkiffAPI
import Testing

@testable import SkiffAPIServer

/// Namespaced creates check their namespace in the watch-fed cache (as Kubernetes'
/// NamespaceLifecycle admission does); a namespace the cache has not seen is looked up in the store.
@Suite struct NamespaceCacheTests {
    @Test("creates follow the cache: active namespaces take objects, terminating ones refuse them, unknown ones are looked up")
    func createsFollowTheCache() async throws {
        let api = try await TestAPI()
        let cache = api.api.namespaces
        #expect(cache.isTerminating("default") == nil, "the cache answers nothing before its first list")
        let following = Task { try await cache.follow(api.api) }
        defer { following.cancel() }
        #expect(try await api.eventually { cache.isTerminating("default") == false })

        #expect(try await api.call("POST", "/api/v1/namespaces", ["metadata": ["name": "team"]]).status == 201)
        #expect(try await api.eventually { cache.isTerminating("team") == false })
        #expect(try await api.call("POST", "/api/v1/namespaces/team/configmaps", ["metadata": ["name": "first"]]).status == 201)

        // No namespace controller runs here, so the namespace stays Terminating.
        #expect(try await api.call("DELETE", "/api/v1/namespaces/team").status == 200)
        #expect(try await api.eventually { cache.isTerminating("team") == true })
        let refused = try await api.call("POST", "/api/v1/namespaces/team/configmaps", ["metadata": ["name": "late"]])
        #expect(refused.status == 403)
        #expect(refused.body["message"] == "unable to create new content in namespace team because it is being terminated")

        // Not in the cache: the store says there is no such namespace.
        #expect(cache.isTerminating("nowhere") == nil)
        let missing = try await api.call("POST", "/api/v1/namespaces/nowhere/configmaps", ["metadata": ["name": "x"]])
        #expect(missing.status == 404)
        #expect(missing.body["details"]["kind"] == "namespaces")
    }
}
