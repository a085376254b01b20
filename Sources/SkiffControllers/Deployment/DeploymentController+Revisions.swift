import SkiffAPI
import SkiffClient

extension DeploymentController {
    /// The Deployment's new ReplicaSet (created when `create` and there is none) and its old
    /// ones, with the revision annotations brought up to date: the new set's revision is one
    /// above the old sets' highest (a rollback makes an old set new again, and its former
    /// revision goes to its revision-history), it carries the Deployment's annotations, and the
    /// Deployment's own revision annotation names it. Returns the Deployment as last written.
    func newAndOld(
        _ deployment: Deployment, sets: [ReplicaSet], create: Bool
    ) async throws -> (deployment: Deployment, new: ReplicaSet?, old: [ReplicaSet]) {
        var deployment = deployment
        let (existing, old) = split(sets, for: deployment)
        let newRevision = (old.map(RolloutMath.revision).max() ?? 0) + 1
        var new: ReplicaSet
        if let existing {
            new = try await syncAnnotations(of: existing, deployment, revision: newRevision)
            if deployment.status.conditions.condition("Progressing") == nil {
                var status = deployment.status
                status.conditions.set(progressing("True", "FoundNewReplicaSet", "Found new replica set \"\(new.metadata.name)\""))
                deployment = try await write(status, of: deployment)
            }
        } else {
            guard create else { return (deployment, nil, old) }
            new = try await createNewReplicaSet(deployment, old: old, revision: newRevision)
            var status = deployment.status
            status.conditions.set(progressing("True", "NewReplicaSetCreated", "Created new replica set \"\(new.metadata.name)\""))
            deployment = try await write(status, of: deployment)
        }
        let revision = new.metadata.annotations[Deployment.revisionAnnotation] ?? String(newRevision)
        if deployment.metadata.annotations[Deployment.revisionAnnotation] != revision {
            deployment = try Deployment(
                json: try await client.update(
                    .deployments, namespace: deployment.metadata.namespace, deployment.withRevision(revision), fieldManager: Self.component))
        }
        return (deployment, new, old)
    }

    /// The Deployment's annotations a ReplicaSet copies (change-cause and the like).
    func copiedAnnotations(_ deployment: Deployment) -> [String: String] {
        deployment.metadata.annotations.filter { !Deployment.annotationsNotCopied.contains($0.key) }
    }

    /// Brings the existing new set's annotations and minReadySeconds up to date.
    private func syncAnnotations(of set: ReplicaSet, _ deployment: Deployment, revision: Int64) async throws -> ReplicaSet {
        var changes: [String: String?] = [:]
        for (key, value) in copiedAnnotations(deployment) where set.metadata.annotations[key] != value { changes[key] = value }
        let current = RolloutMath.revision(of: set)
        if current < revision {
            changes[Deployment.revisionAnnotation] = String(revision)
            if current > 0 {
                let history = set.metadata.annotations[Deployment.revisionHistoryAnnotation].map { $0 + "," } ?? ""
                changes[Deployment.revisionHistoryAnnotation] = history + String(current)
            }
        }
        let minReadySeconds = set.spec.minReadySeconds != deployment.spec.minReadySeconds ? deployment.spec.minReadySeconds : nil
        guard !changes.isEmpty || minReadySeconds != nil else { return set }
        let updated = set.updating(minReadySeconds: minReadySeconds, annotations: changes)
        return try ReplicaSet(json: try await client.update(.replicaSets, namespace: set.metadata.namespace, updated, fieldManager: Self.component))
    }

    /// Creates the set for the Deployment's template, named by its hash. When that name is taken
    /// by a set with another template (a hash collision), the Deployment's collisionCount goes
    /// up and the sync fails, so the retry hashes differently.
    private func createNewReplicaSet(_ deployment: Deployment, old: [ReplicaSet], revision: Int64) async throws -> ReplicaSet {
        let hash = deployment.spec.template.hash(collisionCount: deployment.status.collisionCount)
        let replicas = RolloutMath.newReplicaSetReplicas(deployment, all: old, current: 0)
        var annotations = copiedAnnotations(deployment)
        annotations[Deployment.revisionAnnotation] = String(revision)
        annotations[Deployment.desiredReplicasAnnotation] = String(deployment.spec.replicas)
        annotations[Deployment.maxReplicasAnnotation] = String(deployment.spec.replicas + deployment.spec.maxSurge)
        let namespace = deployment.metadata.namespace
        let object = deployment.newReplicaSet(hash: hash, replicas: replicas, annotations: annotations)
        do {
            let created = try ReplicaSet(json: try await client.create(.replicaSets, namespace: namespace, object, fieldManager: Self.component))
            logger.debug("created replica set", metadata: ["deployment": "\(deployment.key)", "replicaset": "\(created.metadata.name)"])
            if replicas > 0 { record(deployment, "Scaled up replica set \(created.metadata.name) to \(replicas) from 0") }
            return created
        } catch let error as APIError where error.code == 409 {
            let name = "\(deployment.metadata.name)-\(hash)"
            guard let stored = try await client.get(.replicaSets, namespace: namespace, name: name) else { throw error }
            let existing = try ReplicaSet(json: stored)
            // Ours, and the cache had not shown it yet.
            if existing.metadata.controllerRef?.uid == deployment.metadata.uid && deployment.templateMatches(existing) { return existing }
            var status = deployment.status
            status.collisionCount = (status.collisionCount ?? 0) &+ 1
            _ = try await write(status, of: deployment)
            throw HashCollision(replicaSet: name)
        }
    }

    /// The name a new template's hash gives is another template's set's.
    struct HashCollision: Error, CustomStringConvertible {
        let replicaSet: String
        var description: String { "pod template hash collision with replica set \(replicaSet); collisionCount raised" }
    }

    /// A Progressing condition stamped now.
    func progressing(_ status: String, _ reason: String, _ message: String) -> WorkloadCondition {
        let now = Timestamp.string(self.now())
        return WorkloadCondition(type: "Progressing", status: status, reason: reason, message: message, lastUpdateTime: now, lastTransitionTime: now)
    }

    /// A Normal ScalingReplicaSet event on the Deployment.
    func record(_ deployment: Deployment, _ message: String) {
        events.record(
            ControllerOwner(apiVersion: Deployment.apiVersion, kind: Deployment.kind, metadata: deployment.metadata), reason: "ScalingReplicaSet",
            message: message)
    }
}
