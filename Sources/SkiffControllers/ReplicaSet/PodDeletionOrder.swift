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

    /// The `count` pods of `pods` to delete.
    static func choose(_ count: Int, of pods: [Pod]) -> [Pod] {
        let order = PodDeletionOrder(pods)
        return Array(pods.sorted(by: order.deleteFirst).prefix(count))
    }

    func deleteFirst(_ a: Pod, _ b: Pod) -> Bool {
        let (aNode, bNode) = (a.spec.nodeName ?? "", b.spec.nodeName ?? "")
        if aNode.isEmpty != bNode.isEmpty { return aNode.isEmpty }
        let (aPhase, bPhase) = (Self.phaseRank(a), Self.phaseRank(b))
        if aPhase != bPhase { return aPhase < bPhase }
        if a.isReady != b.isReady { return !a.isReady }
        let (aCrowd, bCrowd) = (podsPerNode[aNode] ?? 0, podsPerNode[bNode] ?? 0)
        if aCrowd != bCrowd { return aCrowd > bCrowd }
        if a.deletionCost != b.deletionCost { return a.deletionCost < b.deletionCost }
        if a.isReady, let aSince = a.readySince, let bSince = b.readySince, aSince != bSince { return aSince > bSince }
        if a.restartCount != b.restartCount { return a.restartCount > b.restartCount }
        let (aCreated, bCreated) = (a.createdAt ?? .distantPast, b.createdAt ?? .distantPast)
        if aCreated != bCreated { return aCreated > bCreated }
        // A stable order for pods alike in everything else (and for tests).
        return a.name > b.name
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
