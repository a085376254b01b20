import SkiffAPI
import SkiffAPIServer
import Testing

/// HorizontalPodAutoscalers at autoscaling/v2 (stored) and v1 (converted).
@Suite struct HorizontalPodAutoscalerTests {
    let v2 = "/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers"
    let v1 = "/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers"
    let table = "application/json;as=Table;v=v1;g=meta.k8s.io"

    static func v1HPA(_ name: String, cpu: Int64? = 50, min: Int64? = nil, max: Int64 = 5) -> JSON {
        var hpa: JSON = [
            "apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler", "metadata": ["name": .string(name)],
            "spec": ["scaleTargetRef": ["apiVersion": "apps/v1", "kind": "Deployment", "name": "web"], "maxReplicas": .int(max)],
        ]
        if let cpu { hpa["spec"]["targetCPUUtilizationPercentage"] = .int(cpu) }
        if let min { hpa["spec"]["minReplicas"] = .int(min) }
        return hpa
    }

    @Test("a v1 HPA is stored as v2: its CPU target is a Resource metric, and reads back the same through v1")
    func v1ConvertsToV2() async throws {
        let api = try await TestAPI()
        let created = try await api.call("POST", v1, Self.v1HPA("web"))
        #expect(created.status == 201, "\(created.body)")
        #expect(created.body["apiVersion"] == "autoscaling/v1")
        #expect(created.body["spec"]["minReplicas"] == 1)
        #expect(created.body["spec"]["targetCPUUtilizationPercentage"] == 50)
        let asV2 = try await api.call("GET", "\(v2)/web")
        #expect(asV2.body["apiVersion"] == "autoscaling/v2")
        #expect(
            asV2.body["spec"]["metrics"]
                == [["type": "Resource", "resource": ["name": "cpu", "target": ["type": "Utilization", "averageUtilization": 50]]]])
        #expect(asV2.body["spec"]["targetCPUUtilizationPercentage"].isNull)
        let asV1 = try await api.call("GET", "\(v1)/web")
        #expect(asV1.body["spec"]["targetCPUUtilizationPercentage"] == 50)
        #expect(asV1.body["spec"]["metrics"].isNull)
        #expect(asV1.body["metadata"]["annotations"].isNull)
        let list = try await api.call("GET", v1)
        #expect(list.body["items"][0]["spec"]["targetCPUUtilizationPercentage"] == 50)
        // Without a target, v2's default (80 % CPU) shows through v1 too.
        let defaulted = try await api.call("POST", v1, Self.v1HPA("plain", cpu: nil))
        #expect(defaulted.body["spec"]["targetCPUUtilizationPercentage"] == 80)
    }

    @Test("a v2 HPA's other metrics, behavior and conditions survive a v1 client's read-modify-write")
    func v2SurvivesV1RoundTrip() async throws {
        let api = try await TestAPI()
        let hpa: JSON = [
            "metadata": ["name": "web"],
            "spec": [
                "scaleTargetRef": ["apiVersion": "apps/v1", "kind": "Deployment", "name": "web"], "minReplicas": 2, "maxReplicas": 10,
                "metrics": [
                    ["type": "Resource", "resource": ["name": "cpu", "target": ["type": "Utilization", "averageUtilization": 60]]],
                    ["type": "Resource", "resource": ["name": "memory", "target": ["type": "AverageValue", "averageValue": "500Mi"]]],
                ],
                "behavior": ["scaleDown": ["stabilizationWindowSeconds": 60]],
            ],
        ]
        let created = try await api.call("POST", v2, hpa)
        #expect(created.status == 201, "\(created.body)")
        var status = created.body
        status["status"] = [
            "currentReplicas": 2, "desiredReplicas": 2,
            "currentMetrics": [
                ["type": "Resource", "resource": ["name": "cpu", "current": ["averageUtilization": 12]]],
                ["type": "Resource", "resource": ["name": "memory", "current": ["averageValue": "100Mi"]]],
            ],
            "conditions": [["type": "AbleToScale", "status": "True", "reason": "ReadyForNewScale"]],
        ]
        #expect(try await api.call("PUT", "\(v2)/web/status", status).status == 200)
        var asV1 = try await api.call("GET", "\(v1)/web").body
        #expect(asV1["spec"]["targetCPUUtilizationPercentage"] == 60)
        #expect(asV1["status"]["currentCPUUtilizationPercentage"] == 12)
        asV1["spec"]["maxReplicas"] = 12
        let updated = try await api.call("PUT", "\(v1)/web", asV1)
        #expect(updated.status == 200, "\(updated.body)")
        let after = try await api.call("GET", "\(v2)/web").body
        #expect(after["spec"]["maxReplicas"] == 12)
        #expect(after["spec"]["metrics"] == hpa["spec"]["metrics"])
        #expect(after["spec"]["behavior"] == hpa["spec"]["behavior"])
        #expect(after["status"]["conditions"][0]["type"] == "AbleToScale")
        #expect(after["status"]["currentMetrics"][1]["resource"]["name"] == "memory")
        #expect(after["metadata"]["annotations"].isNull)
        #expect(after["metadata"]["generation"] == 2)
        let rows = try await api.call("GET", v2, accept: table).body["rows"]
        #expect(rows[0]["cells"][2] == "cpu: 12%/60%, memory: 100Mi/500Mi")
    }

    @Test(
        "replica bounds are validated: maxReplicas ≥ minReplicas ≥ 1",
        arguments: [(Int64(0), Int64(5), "spec.minReplicas"), (3, 2, "spec.maxReplicas"), (1, 0, "spec.maxReplicas")])
    func bounds(min: Int64, max: Int64, field: String) async throws {
        let api = try await TestAPI()
        let result = try await api.call("POST", v1, Self.v1HPA("web", min: min, max: max))
        #expect(result.status == 422)
        #expect((result.body["details"]["causes"].array ?? []).compactMap { $0["field"].string } == [field])
        #expect(try await api.call("GET", "\(v2)/web").status == 404)
    }

    @Test("a v2 metric with a bad target is refused")
    func badMetric() async throws {
        let api = try await TestAPI()
        let hpa: JSON = [
            "metadata": ["name": "web"],
            "spec": [
                "scaleTargetRef": ["kind": "Deployment", "name": "web"], "maxReplicas": 3,
                "metrics": [["type": "Resource", "resource": ["name": "cpu", "target": ["type": "Utilization", "averageUtilization": 0]]]],
            ],
        ]
        let result = try await api.call("POST", v2, hpa)
        #expect(result.status == 422)
        #expect(result.body["details"]["causes"][0]["field"] == "spec.metrics[0].resource.target.averageUtilization")
    }

    @Test("kubectl's columns: reference, targets (unknown until measured), min and max pods, replicas")
    func columns() async throws {
        let api = try await TestAPI()
        _ = try await api.call("POST", v1, Self.v1HPA("web"))
        for path in [v1, v2] {
            let result = try await api.call("GET", path, accept: table).body
            #expect(
                (result["columnDefinitions"].array ?? []).compactMap { $0["name"].string } == [
                    "Name", "Reference", "Targets", "MinPods", "MaxPods", "Replicas", "Age",
                ])
            #expect(Array((result["rows"][0]["cells"].array ?? []).prefix(6)) == ["web", "Deployment/web", "cpu: <unknown>/50%", "1", 5, 0])
        }
    }

    @Test("a v2 watch sees objects written through v1 in v2's shape")
    func watchConverts() async throws {
        let api = try await TestAPI()
        _ = try await api.call("POST", v1, Self.v1HPA("web"))
        let events = try await api.watch(v2, query: ["resourceVersion": "0"], count: 1)
        #expect(events.first?["object"]["apiVersion"] == "autoscaling/v2")
        #expect(events.first?["object"]["spec"]["metrics"][0]["resource"]["name"] == "cpu")
    }

    @Test("discovery prefers autoscaling/v2 and serves v1 beside it")
    func discovery() async throws {
        let api = try await TestAPI()
        let group = try await api.call("GET", "/apis/autoscaling").body
        #expect(group["preferredVersion"]["version"] == "v2")
        #expect((group["versions"].array ?? []).compactMap { $0["version"].string } == ["v2", "v1"])
    }
}
