import SkiffAPI

/// The order the kubelet evicts pods in for a starved resource: first the pods using more than
/// they requested (BestEffort pods request nothing, so any use counts), then lower priority
/// first, then the pods furthest above their request first. Critical pods are left out.
enum EvictionRanking {
    static func rank(_ candidates: [EvictionCandidate], for signal: EvictionSignal) -> [EvictionCandidate] {
        candidates.filter { !$0.isCritical }.sorted { left, right in
            let (leftUsage, leftRequest) = left.usage(for: signal)
            let (rightUsage, rightRequest) = right.usage(for: signal)
            let leftExceeds = leftUsage > leftRequest
            let rightExceeds = rightUsage > rightRequest
            if leftExceeds != rightExceeds { return leftExceeds }
            if left.priority != right.priority { return left.priority < right.priority }
            let leftAbove = leftUsage - leftRequest
            let rightAbove = rightUsage - rightRequest
            if leftAbove != rightAbove { return leftAbove > rightAbove }
            // Disk has no usage to compare: BestEffort, then Burstable, then Guaranteed.
            if left.qos != right.qos { return qosOrder(left.qos) < qosOrder(right.qos) }
            return left.key < right.key
        }
    }

    private static func qosOrder(_ qos: QoSClass) -> Int {
        switch qos {
        case .bestEffort: 0
        case .burstable: 1
        case .guaranteed: 2
        }
    }

    /// The Evicted status message, worded as the kubelet's: the resource, the threshold, what
    /// was left, and for memory the containers that used more than they requested.
    static func message(for candidate: EvictionCandidate, signal: EvictionSignal, threshold: Int64, available: Int64) -> String {
        func amount(_ value: Int64) -> String { signal.countsBytes ? ByteQuantity.string(value) : String(value) }
        var message = "The node was low on resource: \(signal.resource). Threshold quantity: \(amount(threshold)), available: \(amount(available)). "
        if signal == .memoryAvailable {
            for container in candidate.memory where container.usage > container.request {
                message +=
                    "Container \(container.name) was using \(ByteQuantity.string(container.usage)), request is \(ByteQuantity.string(container.request)), has larger consumption of memory. "
            }
        }
        return message
    }
}
