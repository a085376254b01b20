import SkiffAPI

/// The kubelet eviction manager's admission check: a node under pressure refuses new pods that
/// would only make it worse. Under memory pressure alone, BestEffort pods are refused unless
/// they tolerate the memory-pressure taint; under disk or pid pressure every pod is. Critical
/// pods are always admitted.
enum PressureAdmission {
    /// The Evicted message a refused pod reports, or nil when the pod may run.
    static func rejection(of pod: Pod, under pressure: Set<NodePressureType>) -> String? {
        guard !pressure.isEmpty else { return nil }
        if Int32(clamping: pod.json["spec"]["priority"].int ?? 0) >= EvictionCandidate.systemCriticalPriority { return nil }
        if pressure == [.memory] {
            if QoS.classify(pod.spec) != .bestEffort { return nil }
            let taint = Taint(key: Taint.memoryPressureKey, effect: "NoSchedule")
            if (pod.json["spec"]["tolerations"].array ?? []).map(Toleration.init).contains(where: { $0.tolerates(taint) }) { return nil }
        }
        let conditions = NodePressureType.allCases.filter(pressure.contains).map(\.rawValue)
        return "The node had condition: [\(conditions.joined(separator: " "))]. "
    }
}
