import SkiffAPI
import SkiffClient

extension DeploymentController {
    /// A paused Deployment, or one whose replicas changed: scale without rolling. One set with
    /// pods (or none) takes the replicas; a saturated new set has the old ones emptied; several
    /// sets mid-rollout share the change proportionally. A paused one's history is trimmed too.
    func syncScale(_ deployment: Deployment, sets: [ReplicaSet]) async throws {
        var (deployment, new, old) = try await newAndOld(deployment, sets: sets, create: false)
        if let only = RolloutMath.activeOrLatest(new: new, old: old) {
            if only.spec.replicas != deployment.spec.replicas {
                let scaled = try await scale(only, to: deployment.spec.replicas, for: deployment)
                if scaled.metadata.uid == new?.metadata.uid { new = scaled } else { old = old.map { $0.metadata.uid == scaled.metadata.uid ? scaled : $0 } }
            }
        } else if RolloutMath.isSaturated(deployment, new) {
            let active = old.filter { $0.spec.replicas > 0 }
            old = try await apply(Dictionary(uniqueKeysWithValues: active.map { ($0.metadata.uid, 0) }), to: old, for: deployment)
        } else if case .rollingUpdate = deployment.spec.strategy {
            let active = (old + (new.map { [$0] } ?? [])).filter { $0.spec.replicas > 0 }
            let targets = RolloutMath.proportionalTargets(deployment, active: active)
            old = try await apply(targets, to: old, for: deployment)
            if let set = new { new = try await apply(targets, to: [set], for: deployment).first }
            // The sets that kept their size still record the size they are now scaled for.
            for set in active where targets[set.metadata.uid] == nil {
                let scaled = try await scale(set, to: set.spec.replicas, for: deployment)
                if scaled.metadata.uid == new?.metadata.uid { new = scaled } else { old = old.map { $0.metadata.uid == scaled.metadata.uid ? scaled : $0 } }
            }
        }
        if deployment.spec.paused { old = try await cleanUpHistory(deployment, old: old) }
        try await syncStatus(deployment, new: new, old: old)
    }

    /// Deletes the oldest revisions beyond revisionHistoryLimit among the old sets that are
    /// empty and settled (no replicas, none left, their controller caught up). Returns the
    /// old sets that remain.
    func cleanUpHistory(_ deployment: Deployment, old: [ReplicaSet]) async throws -> [ReplicaSet] {
        guard let limit = deployment.spec.revisionHistoryLimit else { return old }
        let alive = old.filter { !$0.metadata.isBeingDeleted }
        let excess = alive.count - Int(limit)
        guard excess > 0 else { return old }
        var deleted: Set<String> = []
        let byRevision = alive.sorted { a, b in
            let (aRevision, bRevision) = (RolloutMath.revision(of: a), RolloutMath.revision(of: b))
            return aRevision != bRevision ? aRevision < bRevision : RolloutMath.olderFirst(a, b)
        }
        for set in byRevision.prefix(excess) {
            guard set.spec.replicas == 0, set.status.replicas == 0, set.statusIsCurrent else { continue }
            do {
                try await client.delete(.replicaSets, namespace: set.metadata.namespace, name: set.metadata.name, uid: set.metadata.uid)
            } catch let error as APIError where error.code == 404 {}
            logger.debug("deleted old replica set", metadata: ["deployment": "\(deployment.key)", "replicaset": "\(set.metadata.name)"])
            deleted.insert(set.metadata.uid)
        }
        return old.filter { !deleted.contains($0.metadata.uid) }
    }
}
