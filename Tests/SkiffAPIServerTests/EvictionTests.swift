import SkiffAPI
import SkiffAPIServer
import Testing

/// PodDisruptionBudgets and the pods/eviction subresource.
@Suite struct EvictionTests {
    let pods = "/api/v1/namespaces/default/pods"
    let budgets = "/apis/policy/v1/namespaces/default/poddisruptionbudgets"

    static func budget(_ name: String, minAvailable: JSON = 1, app: String = "web") -> JSON {
        ["metadata": ["name": .string(name)], "spec": ["minAvailable": minAvailable, "selector": ["matchLabels": ["app": .string(app)]]]]
    }

    static func eviction(_ name: String, apiVersion: String = "policy/v1", options: JSON = .null) -> JSON {
        var eviction: JSON = ["apiVersion": .string(apiVersion), "kind": "Eviction", "metadata": ["name": .string(name), "namespace": "default"]]
        if !options.isNull { eviction["deleteOptions"] = options }
        return eviction
    }

    /// A pod on node-1, Running and Ready (or not).
    func runningPod(_ api: TestAPI, _ name: String, ready: Bool = true) async throws {
        let created = try await api.call("POST", pods, TestAPI.pod(name, labels: ["app": "web"], node: "node-1"))
        var pod = created.body
        pod["status"]["phase"] = "Running"
        pod["status"]["conditions"] = [["type": "Ready", "status": .string(ready ? "True" : "False")]]
        #expect(try await api.call("PUT", "\(pods)/\(name)/status", pod).status == 200)
    }

    /// A budget whose controller-kept status allows `allowed` disruptions.
    func budget(_ api: TestAPI, _ name: String = "web", allowed: Int64, observed: Bool = true) async throws {
        let created = try await api.call("POST", budgets, Self.budget(name))
        #expect(created.status == 201, "\(created.body)")
        var budget = created.body
        budget["status"] = [
            "disruptionsAllowed": .int(allowed), "currentHealthy": 2, "desiredHealthy": .int(2 - allowed), "expectedPods": 2,
            "observedGeneration": observed ? 1 : 0,
        ]
        #expect(try await api.call("PUT", "\(budgets)/\(name)/status", budget).status == 200)
    }

    @Test("a budget takes minAvailable or maxUnavailable, a count or a percentage up to 100%, never both")
    func budgetValidation() async throws {
        let api = try await TestAPI()
        var both = Self.budget("both")
        both["spec"]["maxUnavailable"] = 1
        #expect(try await api.call("POST", budgets, both).body["details"]["causes"][0]["field"] == "spec")
        #expect(try await api.call("POST", budgets, Self.budget("pct", minAvailable: "150%")).status == 422)
        #expect(try await api.call("POST", budgets, Self.budget("word", minAvailable: "half")).status == 422)
        #expect(try await api.call("POST", budgets, Self.budget("neg", minAvailable: -1)).status == 422)
        let created = try await api.call("POST", budgets, Self.budget("ok", minAvailable: "50%"))
        #expect(created.status == 201)
        #expect(created.body["status"]["disruptionsAllowed"] == 0)
        let table = try await api.call("GET", budgets, accept: "application/json;as=Table;v=v1;g=meta.k8s.io").body
        #expect(
            (table["columnDefinitions"].array ?? []).compactMap { $0["name"].string } == [
                "Name", "Min Available", "Max Unavailable", "Allowed Disruptions", "Age",
            ])
        #expect(Array((table["rows"][0]["cells"].array ?? []).prefix(4)) == ["ok", "50%", "N/A", 0])
    }

    @Test("an eviction the budget cannot afford is a 429 naming the budget, and the pod stays")
    func blocked() async throws {
        let api = try await TestAPI()
        try await runningPod(api, "web-1")
        try await budget(api, allowed: 0)
        let result = try await api.call("POST", "\(pods)/web-1/eviction", Self.eviction("web-1"))
        #expect(result.status == 429)
        #expect(result.body["reason"] == "TooManyRequests")
        #expect(result.body["message"] == "Cannot evict pod as it would violate the pod's disruption budget.")
        #expect(result.body["details"]["causes"][0]["reason"] == "DisruptionBudget")
        #expect(result.body["details"]["causes"][0]["message"] == "The disruption budget web needs 2 healthy pods and has 2 currently")
        let pod = try await api.call("GET", "\(pods)/web-1").body
        #expect(pod["metadata"]["deletionTimestamp"].isNull)
    }

    @Test("a budget its controller has not yet seen blocks evictions")
    func notObserved() async throws {
        let api = try await TestAPI()
        try await runningPod(api, "web-1")
        try await budget(api, allowed: 1, observed: false)
        let result = try await api.call("POST", "\(pods)/web-1/eviction", Self.eviction("web-1"))
        #expect(result.status == 429)
        #expect(result.body["details"]["causes"][0]["message"] == "The disruption budget web is still being processed by the server.")
    }

    @Test("an allowed eviction takes one disruption, records the pod and deletes it gracefully with the eviction's options")
    func allowed() async throws {
        let api = try await TestAPI()
        try await runningPod(api, "web-1")
        try await budget(api, allowed: 1)
        let result = try await api.call("POST", "\(pods)/web-1/eviction", Self.eviction("web-1", options: ["gracePeriodSeconds": 7]))
        #expect(result.status == 201, "\(result.body)")
        #expect(result.body["status"] == "Success")
        let budget = try await api.call("GET", "\(budgets)/web").body
        #expect(budget["status"]["disruptionsAllowed"] == 0)
        #expect(budget["status"]["disruptedPods"]["web-1"].string != nil)
        #expect(budget["status"]["conditions"][0]["type"] == "DisruptionAllowed" && budget["status"]["conditions"][0]["status"] == "False")
        let pod = try await api.call("GET", "\(pods)/web-1").body
        #expect(pod["metadata"]["deletionTimestamp"].string != nil)
        #expect(pod["metadata"]["deletionGracePeriodSeconds"] == 7)
    }

    @Test("a pending pod, or one no budget selects, is evicted without a budget check; policy/v1beta1 is accepted")
    func unchecked() async throws {
        let api = try await TestAPI()
        try await budget(api, allowed: 0)
        #expect(try await api.call("POST", pods, TestAPI.pod("pending", labels: ["app": "web"])).status == 201)
        #expect(try await api.call("POST", "\(pods)/pending/eviction", Self.eviction("pending", apiVersion: "policy/v1beta1")).status == 201)
        #expect(try await api.call("GET", "\(pods)/pending").status == 404)
        let other = try await api.call("POST", pods, TestAPI.pod("other", labels: ["app": "other"], node: "node-1"))
        var running = other.body
        running["status"]["phase"] = "Running"
        _ = try await api.call("PUT", "\(pods)/other/status", running)
        #expect(try await api.call("POST", "\(pods)/other/eviction", Self.eviction("other")).status == 201)
        #expect(try await api.call("POST", "\(pods)/missing/eviction", Self.eviction("missing")).status == 404)
        #expect(try await api.call("POST", "\(pods)/other/eviction", Self.eviction("someone-else")).status == 400)
    }

    @Test("an unready pod may go when the budget is met; a pod under two budgets is a 500")
    func unreadyAndTwoBudgets() async throws {
        let api = try await TestAPI()
        try await runningPod(api, "sick", ready: false)
        try await budget(api, allowed: 0)
        var met = try await api.call("GET", "\(budgets)/web").body
        met["status"]["currentHealthy"] = 2
        met["status"]["desiredHealthy"] = 2
        _ = try await api.call("PUT", "\(budgets)/web/status", met)
        #expect(try await api.call("POST", "\(pods)/sick/eviction", Self.eviction("sick")).status == 201)
        try await runningPod(api, "web-2")
        try await budget(api, "web-too", allowed: 1)
        let result = try await api.call("POST", "\(pods)/web-2/eviction", Self.eviction("web-2"))
        #expect(result.status == 500)
        #expect(result.body["message"] == "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.")
    }

    @Test("discovery lists pods/eviction as a policy/v1 Eviction create")
    func discovery() async throws {
        let api = try await TestAPI()
        let resources = try await api.call("GET", "/api/v1").body["resources"].array ?? []
        // kubectl drain evicts only when the legacy list names the Eviction's group and version.
        let legacy = resources.first { $0["name"] == "pods/eviction" }
        #expect(legacy?["kind"] == "Eviction" && legacy?["group"] == "policy" && legacy?["version"] == "v1")
        let aggregated = try await api.call("GET", "/api", accept: "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList").body
        let pods = (aggregated["items"][0]["versions"][0]["resources"].array ?? []).first { $0["resource"] == "pods" }
        let eviction = (pods?["subresources"].array ?? []).first { $0["subresource"] == "eviction" }
        #expect(eviction?["responseKind"] == ["group": "policy", "version": "v1", "kind": "Eviction"])
        #expect(eviction?["verbs"] == ["create"])
    }
}
