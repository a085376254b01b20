import SkiffAPI

/// autoscaling/v1 ↔ v2 HorizontalPodAutoscalers, as Kubernetes converts them: v1's
/// `targetCPUUtilizationPercentage` is v2's `Resource` metric for cpu with a `Utilization`
/// target, and `currentCPUUtilizationPercentage` its current value. What v1 cannot express (other
/// metrics, behavior, conditions) rides in the `autoscaling.alpha.kubernetes.io/*` annotations
/// Kubernetes uses, so a v1 client's read-modify-write keeps it.
enum HorizontalPodAutoscalerConversion {
    static let metricsAnnotation = "autoscaling.alpha.kubernetes.io/metrics"
    static let currentMetricsAnnotation = "autoscaling.alpha.kubernetes.io/current-metrics"
    static let behaviorAnnotation = "autoscaling.alpha.kubernetes.io/behavior"
    static let conditionsAnnotation = "autoscaling.alpha.kubernetes.io/conditions"

    static func cpuMetric(_ utilization: Int64) -> JSON {
        ["type": "Resource", "resource": ["name": "cpu", "target": ["type": "Utilization", "averageUtilization": .int(utilization)]]]
    }

    static func isCPUUtilization(_ metric: JSON) -> Bool {
        metric["type"] == "Resource" && metric["resource"]["name"] == "cpu" && metric["resource"]["target"]["type"] == "Utilization"
    }

    @Sendable static func toV1(_ v2: JSON) -> JSON {
        guard v2["apiVersion"].string != "autoscaling/v1" else { return v2 }
        var v1 = v2
        v1["apiVersion"] = "autoscaling/v1"
        var annotations = v2["metadata"]["annotations"]
        let metrics = v2["spec"]["metrics"].array ?? []
        let cpu = metrics.first(where: isCPUUtilization)
        v1["spec"]["targetCPUUtilizationPercentage"] = cpu?["resource"]["target"]["averageUtilization"] ?? .null
        let others = metrics.filter { !isCPUUtilization($0) }
        if !others.isEmpty { annotations[metricsAnnotation] = .string(JSON.array(others).serialized) }
        if !v2["spec"]["behavior"].isNull { annotations[behaviorAnnotation] = .string(v2["spec"]["behavior"].serialized) }
        v1["spec"]["metrics"] = .null
        v1["spec"]["behavior"] = .null
        if v2["status"].object != nil {
            let current = v2["status"]["currentMetrics"].array ?? []
            let cpuNow = current.first { $0["type"] == "Resource" && $0["resource"]["name"] == "cpu" }
            v1["status"]["currentCPUUtilizationPercentage"] = cpuNow?["resource"]["current"]["averageUtilization"] ?? .null
            let otherNow = current.filter { !($0["type"] == "Resource" && $0["resource"]["name"] == "cpu") }
            if !otherNow.isEmpty { annotations[currentMetricsAnnotation] = .string(JSON.array(otherNow).serialized) }
            if let conditions = v2["status"]["conditions"].array, !conditions.isEmpty {
                annotations[conditionsAnnotation] = .string(JSON.array(conditions).serialized)
            }
            v1["status"]["currentMetrics"] = .null
            v1["status"]["conditions"] = .null
        }
        v1["metadata"]["annotations"] = (annotations.object?.isEmpty ?? true) ? .null : annotations
        return v1
    }

    @Sendable static func toV2(_ v1: JSON) -> JSON {
        guard v1["apiVersion"].string == "autoscaling/v1" else { return v1 }
        var v2 = v1
        v2["apiVersion"] = "autoscaling/v2"
        var annotations = v1["metadata"]["annotations"]
        func take(_ key: String) -> JSON? {
            defer { annotations[key] = .null }
            guard let text = annotations[key].string else { return nil }
            return try? JSON(parsing: Array(text.utf8))
        }
        var metrics = (take(metricsAnnotation)?.array ?? []).filter { !isCPUUtilization($0) }
        if let target = v1["spec"]["targetCPUUtilizationPercentage"].int { metrics.insert(cpuMetric(target), at: 0) }
        if v1["spec"].object != nil {
            v2["spec"]["targetCPUUtilizationPercentage"] = .null
            v2["spec"]["metrics"] = metrics.isEmpty ? .null : .array(metrics)
            v2["spec"]["behavior"] = take(behaviorAnnotation) ?? .null
        }
        let otherNow = take(currentMetricsAnnotation)?.array ?? []
        let conditions = take(conditionsAnnotation)
        if v1["status"].object != nil {
            var current = otherNow
            if let cpu = v1["status"]["currentCPUUtilizationPercentage"].int {
                current.insert(["type": "Resource", "resource": ["name": "cpu", "current": ["averageUtilization": .int(cpu)]]], at: 0)
            }
            v2["status"]["currentCPUUtilizationPercentage"] = .null
            v2["status"]["currentMetrics"] = current.isEmpty ? .null : .array(current)
            v2["status"]["conditions"] = conditions ?? .null
        }
        // Objects as created carry no annotations key when nothing is left.
        v2["metadata"]["annotations"] = (annotations.object?.filter { !$0.value.isNull }.isEmpty ?? true) ? .null : annotations
        return v2
    }
}
