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
    /// For each controller uid, how many of its pods each node (by position) runs: what the
    /// spreading score reads for every node of every decision, one array read instead of a
    /// lookup of the uid in each node's `ownerCounts`. Shorter than `ordered` past the last
    /// node that ran one.
    private var ownerPlacement: [String: [Int]] = [:]
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
        for owner in Array(ownerPlacement.keys) where position < ownerPlacement[owner, default: []].count {
            ownerPlacement[owner]?.remove(at: position)
        }
        for index in position..<ordered.count { positions[ordered[index].name] = index }
    }

    /// Records a pod that is bound (or assumed) to a node.
    public mutating func addPod(_ pod: PodInfo) {
        guard let node = pod.nodeName, let position = positions[node], ordered[position].pods[pod.key] == nil else { return }
        ordered[position].add(pod)
        if let owner = pod.ownerUID { place(owner, at: position, count: 1) }
    }

    public mutating func removePod(key: String, node: String) {
        guard let position = positions[node], let pod = ordered[position].pods[key] else { return }
        ordered[position].remove(key)
        if let owner = pod.ownerUID { place(owner, at: position, count: -1) }
    }

    private mutating func place(_ owner: String, at position: Int, count: Int) {
        if ownerPlacement[owner, default: []].count <= position {
            ownerPlacement[owner, default: []].append(contentsOf: repeatElement(0, count: position + 1 - ownerPlacement[owner, default: []].count))
        }
        ownerPlacement[owner, default: []][position] += count
    }

    public func decide(_ pod: PodInfo) -> Decision {
        var reasons: [String: Int] = [:]
        var best: (position: Int, score: Int64)?
        let placement = pod.ownerUID.flatMap { ownerPlacement[$0] } ?? []
        // One copy of each NodeInfo, which every filter borrows: passed straight from the array,
        // it was copied (seven retains and releases) for each filter call.
        for (position, node) in ordered.enumerated() {
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
            let score = Self.score(pod, node, ownerPods: position < placement.count ? placement[position] : 0)
            if best == nil || score > (best?.score ?? 0) { best = (position, score) }
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
    /// having fewer pods of the same owner (`ownerPods` of them on the node).
    static func score(_ pod: PodInfo, _ node: NodeInfo, ownerPods: Int) -> Int64 {
        func free(_ requested: Int64, _ allocatable: Int64) -> Int64 {
            guard allocatable > 0 else { return 0 }
            return max(0, (allocatable - requested) * 100 / allocatable)
        }
        let leastAllocated =
            (free(node.requestedMilliCPU + pod.milliCPU, node.allocatableMilliCPU)
                + free(node.requestedMemory + pod.memory, node.allocatableMemory)) / 2
        var spread: Int64 = 100
        if pod.ownerUID != nil { spread = 100 / Int64(1 + ownerPods) }
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
