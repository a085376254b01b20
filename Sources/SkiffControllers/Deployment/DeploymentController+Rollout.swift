import SkiffAPI
import SkiffClient

extension DeploymentController {
    /// One step of a rolling update: scale the new set up within the surge, else the old ones
    /// down within the unavailability budget; once complete, trim the history.
    func rolloutRolling(_ deployment: Deployment, sets: [ReplicaSet]) async throws {
        var (deployment, new, old) = try await newAndOld(deployment, sets: sets, create: true)
        if let set = new {
            let all = old + [set]
            let target =
                set.spec.replicas > deployment.spec.replicas
                ? deployment.spec.replicas : RolloutMath.newReplicaSetReplicas(deployment, all: all, current: set.spec.replicas)
            if target != set.spec.replicas {
                new = try await scale(set, to: target, for: deployment)
                try await syncRolloutStatus(deployment, new: new, old: old)
                return
            }
        }
        let targets = RolloutMath.oldReplicaSetTargets(deployment, new: new, old: old)
        if !targets.isEmpty {
            old = try await apply(targets, to: old, for: deployment)
            try await syncRolloutStatus(deployment, new: new, old: old)
            return
        }
        if isComplete(deployment, calculateStatus(deployment, new: new, old: old)) {
            old = try await cleanUpHistory(deployment, old: old)
        }
        try await syncRolloutStatus(deployment, new: new, old: old)
    }

    /// One step of a Recreate rollout: scale every old set to zero, wait until their pods are
    /// gone (terminated or deleted), then create or scale the new set to the replicas.
    func rolloutRecreate(_ deployment: Deployment, sets: [ReplicaSet]) async throws {
        var (deployment, new, old) = try await newAndOld(deployment, sets: sets, create: false)
        let active = old.filter { $0.spec.replicas > 0 }
        if !active.isEmpty {
            old = try await apply(Dictionary(uniqueKeysWithValues: active.map { ($0.metadata.uid, 0) }), to: old, for: deployment)
            try await syncRolloutStatus(deployment, new: new, old: old)
            return
        }
        if oldPodsRemain(old) {
            try await syncRolloutStatus(deployment, new: new, old: old)
            return
        }
        if new == nil { (deployment, new, old) = try await newAndOld(deployment, sets: sets, create: true) }
        if let set = new, set.spec.replicas != deployment.spec.replicas {
            new = try await scale(set, to: deployment.spec.replicas, for: deployment)
        }
        if isComplete(deployment, calculateStatus(deployment, new: new, old: old)) {
            old = try await cleanUpHistory(deployment, old: old)
        }
        try await syncRolloutStatus(deployment, new: new, old: old)
    }

    /// Whether any old set still has a pod that has not finished, terminating ones included.
    private func oldPodsRemain(_ old: [ReplicaSet]) -> Bool {
        old.contains { set in
            set.status.replicas > 0 || pods.objects(controlledBy: set.metadata.uid).contains { !($0.status.phase?.isFinal ?? false) }
        }
    }

    /// Scales the sets named (by UID) in `targets`; returns `sets` as written.
    func apply(_ targets: [String: Int32], to sets: [ReplicaSet], for deployment: Deployment) async throws -> [ReplicaSet] {
        var result: [ReplicaSet] = []
        for set in sets {
            if let target = targets[set.metadata.uid] { result.append(try await scale(set, to: target, for: deployment)) } else { result.append(set) }
        }
        return result
    }

    /// Scales a set to `replicas`, recording the Deployment's size it was scaled for in its
    /// desired-replicas and max-replicas annotations (proportional scaling reads them), with an
    /// event when its size changes.
    func scale(_ set: ReplicaSet, to replicas: Int32, for deployment: Deployment) async throws -> ReplicaSet {
        let desired = String(deployment.spec.replicas)
        let maximum = String(deployment.spec.replicas + deployment.spec.maxSurge)
        let annotations = set.metadata.annotations
        let resize = set.spec.replicas != replicas
        guard resize || annotations[Deployment.desiredReplicasAnnotation] != desired || annotations[Deployment.maxReplicasAnnotation] != maximum
        else { return set }
        let updated = set.updating(
            replicas: replicas, annotations: [Deployment.desiredReplicasAnnotation: desired, Deployment.maxReplicasAnnotation: maximum])
        let stored = try ReplicaSet(json: try await client.update(.replicaSets, namespace: set.metadata.namespace, updated, fieldManager: Self.component))
        if resize {
            let direction = replicas > set.spec.replicas ? "up" : "down"
            record(deployment, "Scaled \(direction) replica set \(set.metadata.name) to \(replicas) from \(set.spec.replicas)")
        }
        return stored
    }
}
