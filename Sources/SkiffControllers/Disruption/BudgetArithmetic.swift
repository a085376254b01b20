import SkiffAPI

/// kube-controller-manager's disruption arithmetic, free of the cluster: from a budget, the pods
/// it selects and (for percentages and maxUnavailable) the replicas their controllers want, the
/// status the budget should have.
public enum BudgetArithmetic {
    /// How long an eviction's entry in `status.disruptedPods` keeps its pod out of the healthy
    /// count while the pod's deletion is still to be seen.
    public static let disruptedPodTimeout: Double = 120

    /// The desired healthy count and the expected pod count, or nil when the budget needs the
    /// controllers' scale and `expectedFromControllers` is nil (a pod without a controller).
    public static func targets(_ budget: PodDisruptionBudget, selectedPods: Int, expectedFromControllers: Int?) -> (desired: Int, expected: Int)? {
        if let count = budget.minAvailable.int { return (Int(count), selectedPods) }
        guard let expected = expectedFromControllers else { return nil }
        if let percent = percent(budget.minAvailable) { return (ceilPercent(percent, of: expected), expected) }
        if let count = budget.maxUnavailable.int { return (max(0, expected - Int(count)), expected) }
        if let percent = percent(budget.maxUnavailable) { return (max(0, expected - ceilPercent(percent, of: expected)), expected) }
        // Neither set: nothing may be disrupted beyond what exists.
        return (expected, expected)
    }

    /// Whether the budget's numbers need the pods' controllers' replicas.
    public static func needsControllers(_ budget: PodDisruptionBudget) -> Bool { budget.minAvailable.int == nil }

    static func percent(_ value: JSON) -> Int? {
        guard let text = value.string, text.hasSuffix("%") else { return nil }
        return Int(text.dropLast())
    }

    static func ceilPercent(_ percent: Int, of total: Int) -> Int { (percent * total + 99) / 100 }

    /// The status for `budget` given its pods (ready or not, with deletion and name), seconds
    /// since the epoch `now`, and the targets; keeps unexpired `disruptedPods` of live pods.
    public static func status(
        _ budget: PodDisruptionBudget, pods: [(name: String, ready: Bool, deleting: Bool)], targets: (desired: Int, expected: Int)?, now: Double,
        nowText: String, parseTime: (String) -> Double?
    ) -> JSON {
        let live = Set(pods.filter { !$0.deleting }.map(\.name))
        var disrupted: [String: JSON] = [:]
        for (name, time) in budget.json["status"]["disruptedPods"].object ?? [:] where live.contains(name) {
            guard let text = time.string, let at = parseTime(text), now - at < disruptedPodTimeout else { continue }
            disrupted[name] = time
        }
        let healthy = pods.filter { $0.ready && !$0.deleting && disrupted[$0.name] == nil }.count
        let desired = targets?.desired ?? 0
        let expected = targets?.expected ?? 0
        let allowed = targets == nil || expected <= 0 ? 0 : max(0, healthy - desired)
        var status: JSON = [
            "observedGeneration": .int(budget.metadata.generation ?? 1), "disruptionsAllowed": .int(Int64(allowed)),
            "currentHealthy": .int(Int64(healthy)), "desiredHealthy": .int(Int64(desired)), "expectedPods": .int(Int64(expected)),
        ]
        if !disrupted.isEmpty { status["disruptedPods"] = .object(disrupted) }
        let reason = targets == nil ? "SyncFailed" : (allowed > 0 ? "SufficientPods" : "InsufficientPods")
        let previous = (budget.json["status"]["conditions"].array ?? []).first { $0["type"] == "DisruptionAllowed" }
        let conditionStatus = allowed > 0 ? "True" : "False"
        let transition = previous?["status"].string == conditionStatus ? previous?["lastTransitionTime"] ?? .string(nowText) : .string(nowText)
        status["conditions"] = [
            [
                "type": "DisruptionAllowed", "status": .string(conditionStatus), "reason": .string(reason), "message": "",
                "observedGeneration": .int(budget.metadata.generation ?? 1), "lastTransitionTime": transition,
            ]
        ]
        return status
    }
}
