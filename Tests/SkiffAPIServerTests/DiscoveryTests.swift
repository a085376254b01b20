import SkiffAPI
import SkiffAPIServer
import Testing

@Suite struct DiscoveryTests {
    @Test func aggregatedDiscoveryListsResourcesWithScopeVerbsAndShortNames() async throws {
        let api = try await TestAPI()
        let accept = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"
        let core = try await api.call("GET", "/api", accept: accept)
        #expect(core.body["kind"] == "APIGroupDiscoveryList")
        let resources = core.body["items"][0]["versions"][0]["resources"].array ?? []
        let pods = try #require(resources.first { $0["resource"] == "pods" })
        #expect(pods["scope"] == "Namespaced")
        #expect(pods["shortNames"] == ["po"])
        #expect(pods["verbs"].array?.contains("watch") == true)
        #expect(pods["subresources"].array?.compactMap { $0["subresource"].string }.contains("status") == true)
        let groups = try await api.call("GET", "/apis", accept: accept)
        let names = (groups.body["items"].array ?? []).compactMap { $0["metadata"]["name"].string }
        #expect(
            names == [
                "apps", "batch", "autoscaling", "policy", "networking.k8s.io", "storage.k8s.io", "coordination.k8s.io", "discovery.k8s.io", "metrics.k8s.io",
                "rbac.authorization.k8s.io",
            ])
    }

    @Test func legacyDiscoveryServesVersionsGroupsAndResourceLists() async throws {
        let api = try await TestAPI()
        #expect(try await api.call("GET", "/api").body["versions"] == ["v1"])
        let groups = try await api.call("GET", "/apis")
        #expect(groups.body["kind"] == "APIGroupList")
        let apps = try await api.call("GET", "/apis/apps/v1")
        let names = (apps.body["resources"].array ?? []).compactMap { $0["name"].string }
        #expect(names.contains("deployments") && names.contains("deployments/scale"))
    }

    @Test func openAPIv3AdvertisesFieldValidationOnPatchForEveryKind() async throws {
        let api = try await TestAPI()
        let root = try await api.call("GET", "/openapi/v3")
        let url = try #require(root.body["paths"]["apis/apps/v1"]["serverRelativeURL"].string)
        #expect(url.hasPrefix("/openapi/v3/apis/apps/v1"))
        let document = try await api.call("GET", "/openapi/v3/apis/apps/v1")
        let patch = document.body["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"]
        #expect(patch["x-kubernetes-group-version-kind"]["kind"] == "Deployment")
        #expect(patch["parameters"].array?.contains { $0["name"] == "fieldValidation" } == true)
        #expect(try await api.call("GET", "/openapi/v2").status == 404)
    }
}
