import SkiffAPI

/// An autoscaler's status as one sync found it: replicas, the metrics' current values, and the
/// conditions (AbleToScale, ScalingActive, ScalingLimited) `kubectl describe hpa` shows.
struct StatusReport: Sendable {
    var currentReplicas: Int
    var desiredReplicas: Int
    var currentMetrics: [JSON] = []
    var lastScaleTime: String?
    let observedGeneration: Int64?
    private var conditions: [(type: String, status: Bool, reason: String, message: String)] = []

    init(_ autoscaler: HorizontalPodAutoscaler) {
        currentReplicas = Int(autoscaler.status["currentReplicas"].int ?? 0)
        desiredReplicas = Int(autoscaler.status["desiredReplicas"].int ?? 0)
        lastScaleTime = autoscaler.status["lastScaleTime"].string
        observedGeneration = autoscaler.metadata.generation
    }

    /// Sets a condition (the last call for a type wins).
    mutating func condition(_ type: String, _ status: Bool, _ reason: String, _ message: String) {
        conditions.removeAll { $0.type == type }
        conditions.append((type, status, reason, message))
    }

    /// The status object; a condition whose status did not change keeps its transition time, and
    /// conditions this sync did not reach keep their previous value.
    func status(previous: JSON) -> JSON {
        let earlier = previous["conditions"].array ?? []
        var written: [JSON] = []
        for type in ["AbleToScale", "ScalingActive", "ScalingLimited"] {
            let before = earlier.first { $0["type"].string == type }
            guard let now = conditions.first(where: { $0.type == type }) else {
                if let before { written.append(before) }
                continue
            }
            let status = now.status ? "True" : "False"
            let since = before?["status"].string == status ? (before?["lastTransitionTime"] ?? .string(Timestamp.now())) : .string(Timestamp.now())
            written.append([
                "type": .string(type), "status": .string(status), "reason": .string(now.reason), "message": .string(now.message),
                "lastTransitionTime": since,
            ])
        }
        var status: JSON = [
            "currentReplicas": .int(Int64(currentReplicas)), "desiredReplicas": .int(Int64(desiredReplicas)), "conditions": .array(written),
        ]
        if !currentMetrics.isEmpty { status["currentMetrics"] = .array(currentMetrics) }
        if let lastScaleTime { status["lastScaleTime"] = .string(lastScaleTime) }
        if let observedGeneration { status["observedGeneration"] = .int(observedGeneration) }
        return status
    }
}
