import Foundation
import SkiffAPI

/// Which of a ReplicaSet's pods go first when it has too many (kube-controller-manager's
/// ActivePodsWithRanks): the ones doing the least good. In order: not yet scheduled before
/// scheduled; Pending before Unknown before Running; not ready before ready; on a node crowded
/// with the set's pods before on a node with fewer; a lower pod-deletion-cost first; ready for
/// less time before longer; more restarts before fewer; newer before older.
struct PodDeletionOrder {
    /// For each pod's node, how many of the set's pods it runs.
    let podsPerNode: [String: Int]

    init(_ pods: [Pod]) {
        var counts: [String: Int] = [:]
        for pod in pods { if let node = pod.spec.nodeName, !node.isEmpty { counts[node, default: 0] += 1 } }
        podsPerNode = counts
    }

    /// The `count` pods of `pods` to delete. Each pod's rank is read once, before sorting: the
    /// comparisons would otherwise parse its timestamps O(log n) times (a 10,000-pod set being
    /// scaled down spent most of its sync there).
    static func choose(_ count: Int, of pods: [Pod]) -> [Pod] {
        let order = PodDeletionOrder(pods)
        let ranks = pods.map(order.rank)
        return pods.indices.sorted { ranks[$0].deleteFirst(than: ranks[$1]) }.prefix(count).map { pods[$0] }
    }

    /// What the order compares of one pod.
    struct Rank {
        let unscheduled: Bool
        let phase: Int
        let ready: Bool
        /// The set's pods on the pod's node.
        let crowd: Int
        let deletionCost: Int32
        let readySince: Date?
        let restartCount: Int
        let createdAt: Date
        let name: String

        func deleteFirst(than other: Rank) -> Bool {
            if unscheduled != other.unscheduled { return unscheduled }
            if phase != other.phase { return phase < other.phase }
            if ready != other.ready { return !ready }
            if crowd != other.crowd { return crowd > other.crowd }
            if deletionCost != other.deletionCost { return deletionCost < other.deletionCost }
            if ready, let since = readySince, let otherSince = other.readySince, since != otherSince { return since > otherSince }
            if restartCount != other.restartCount { return restartCount > other.restartCount }
            if createdAt != other.createdAt { return createdAt > other.createdAt }
            // A stable order for pods alike in everything else (and for tests).
            return name > other.name
        }
    }

    func rank(_ pod: Pod) -> Rank {
        let node = pod.spec.nodeName ?? ""
        let ready = pod.isReady
        return Rank(
            unscheduled: node.isEmpty, phase: Self.phaseRank(pod), ready: ready, crowd: podsPerNode[node] ?? 0, deletionCost: pod.deletionCost,
            readySince: ready ? pod.readySince : nil, restartCount: pod.restartCount, createdAt: pod.createdAt ?? .distantPast, name: pod.name)
    }

    private static func phaseRank(_ pod: Pod) -> Int {
        switch pod.status.phase {
        case .pending, nil: 0
        case .unknown: 1
        case .running: 2
        case .succeeded, .failed: 3
        }
    }
}
