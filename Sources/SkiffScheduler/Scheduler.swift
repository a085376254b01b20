/// The scheduling algorithm over an in-memory snapshot: filter every node, score the feasible
/// ones (least allocated + spreading an owner's pods), pick the best, and assume the placement so
/// the next decision sees it before the binding round-trips through the API.
public struct Scheduler: Sendable {
    public enum Decision: Sendable, Equatable {
        case bind(node: String)
        /// kube-scheduler's message: "0/3 nodes are available: 2 Insufficient cpu, 1 ...".
        case unschedulable(message: String)
    }

    /// The nodes in a stable order (registration), so ties break deterministically. A decision
    /// walks them all: an array is read in place, where a lookup by name for each node hashed
    /// its name and copied its NodeInfo.
    private var ordered: [NodeInfo] = []
    /// Each node's position in `ordered`.
    private var positions: [String: Int] = [:]
    private let filters: [Filters.Filter]

    public init(filters: [Filters.Filter] = Filters.all) { self.filters = filters }

    /// The snapshot's nodes by name.
    public var nodes: [String: NodeInfo] { Dictionary(uniqueKeysWithValues: ordered.map { ($0.name, $0) }) }

    public mutating func upsertNode(_ node: NodeInfo) {
        var updated = node
        if let position = positions[node.name] {
            for pod in ordered[position].pods.values { updated.add(pod) }
            ordered[position] = updated
        } else {
            positions[node.name] = ordered.count
            ordered.append(updated)
        }
    }

    public mutating func removeNode(_ name: String) {
        guard let position = positions.removeValue(forKey: name) else { return }
        ordered.remove(at: position)
        for index in position..<ordered.count { positions[ordered[index].name] = index }
    }

    /// Records a pod that is bound (or assumed) to a node.
    public mutating func addPod(_ pod: PodInfo) {
        guard let node = pod.nodeName, let position = positions[node] else { return }
        ordered[position].add(pod)
    }

    public mutating func removePod(key: String, node: String) {
        guard let position = positions[node] else { return }
        ordered[position].remove(key)
    }

    public func decide(_ pod: PodInfo) -> Decision {
        var reasons: [String: Int] = [:]
        var best: (position: Int, score: Int64)?
        // Through the buffer the filters borrow each NodeInfo; the array's subscript would copy it.
        ordered.withUnsafeBufferPointer { nodes in
            for position in nodes.indices {
                var failure: String?
                for filter in filters {
                    if let reason = filter(pod, nodes[position]) {
                        failure = reason
                        break
                    }
                }
                if let failure {
                    reasons[failure, default: 0] += 1
                    continue
                }
                let score = Self.score(pod, nodes[position])
                if best == nil || score > (best?.score ?? 0) { best = (position, score) }
            }
        }
        if let best { return .bind(node: ordered[best.position].name) }
        let detail = reasons.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        return .unschedulable(message: "0/\(ordered.count) nodes are available: \(detail.isEmpty ? "no nodes registered" : detail).")
    }

    /// Decides and, on success, assumes the pod onto the chosen node.
    public mutating func schedule(_ pod: PodInfo) -> Decision {
        let decision = decide(pod)
        if case .bind(let node) = decision { addPod(pod.placed(on: node)) }
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
