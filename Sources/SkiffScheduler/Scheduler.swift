/// The scheduling algorithm over an in-memory snapshot: filter every node, score the feasible
/// ones (least allocated + spreading an owner's pods), pick the best, and assume the placement so
/// the next decision sees it before the binding round-trips through the API.
public struct Scheduler: Sendable {
    public enum Decision: Sendable, Equatable {
        case bind(node: String)
        /// kube-scheduler's message: "0/3 nodes are available: 2 Insufficient cpu, 1 ...".
        case unschedulable(message: String)
    }

    public private(set) var nodes: [String: NodeInfo] = [:]
    /// Node names in a stable order, so ties break deterministically.
    private var order: [String] = []
    private let filters: [Filters.Filter]

    public init(filters: [Filters.Filter] = Filters.all) { self.filters = filters }

    public mutating func upsertNode(_ node: NodeInfo) {
        var updated = node
        if let existing = nodes[node.name] {
            for pod in existing.pods.values { updated.add(pod) }
        } else {
            order.append(node.name)
        }
        nodes[node.name] = updated
    }

    public mutating func removeNode(_ name: String) {
        nodes.removeValue(forKey: name)
        order.removeAll { $0 == name }
    }

    /// Records a pod that is bound (or assumed) to a node.
    public mutating func addPod(_ pod: PodInfo) {
        guard let node = pod.nodeName else { return }
        nodes[node]?.add(pod)
    }

    public mutating func removePod(key: String, node: String) {
        nodes[node]?.remove(key)
    }

    public func decide(_ pod: PodInfo) -> Decision {
        var reasons: [String: Int] = [:]
        var best: (name: String, score: Int64)?
        for name in order {
            guard let node = nodes[name] else { continue }
            var failure: String?
            for filter in filters {
                if let reason = filter(pod, node) {
                    failure = reason
                    break
                }
            }
            if let failure {
                reasons[failure, default: 0] += 1
                continue
            }
            let score = Self.score(pod, node)
            if best == nil || score > (best?.score ?? 0) { best = (name, score) }
        }
        if let best { return .bind(node: best.name) }
        let detail = reasons.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        return .unschedulable(message: "0/\(nodes.count) nodes are available: \(detail.isEmpty ? "no nodes registered" : detail).")
    }

    /// Decides and, on success, assumes the pod onto the chosen node.
    public mutating func schedule(_ pod: PodInfo) -> Decision {
        let decision = decide(pod)
        if case .bind(let node) = decision { nodes[node]?.add(pod.placed(on: node)) }
        return decision
    }

    /// 0–100 for free CPU and memory share after placement (averaged), plus up to 100 for
    /// having fewer pods of the same owner.
    static func score(_ pod: PodInfo, _ node: NodeInfo) -> Int64 {
        func free(_ requested: Int64, _ allocatable: Int64) -> Int64 {
            guard allocatable > 0 else { return 0 }
            return max(0, (allocatable - requested) * 100 / allocatable)
        }
        let leastAllocated =
            (free(node.requestedMilliCPU + pod.milliCPU, node.allocatableMilliCPU)
                + free(node.requestedMemory + pod.memory, node.allocatableMemory)) / 2
        var spread: Int64 = 100
        if let owner = pod.ownerUID { spread = 100 / Int64(1 + (node.ownerCounts[owner] ?? 0)) }
        return leastAllocated + spread
    }
}

extension PodInfo {
    func placed(on node: String) -> PodInfo {
        var copy = self
        copy.assignedNode = node
        return copy
    }
}
