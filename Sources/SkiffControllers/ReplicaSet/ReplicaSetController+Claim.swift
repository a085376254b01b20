import SkiffAPI
import SkiffClient

extension ReplicaSetController {
    /// The active pods the ReplicaSet controls once this sync's claims are made (kube-controller-
    /// manager's PodControllerRefManager): its own that its selector matches; orphans it matches,
    /// adopted by adding it as their controller; and its own that no longer match, released by
    /// removing it. Both writes require the pod's resourceVersion, so a pod that changed meanwhile
    /// is left for the next sync. A ReplicaSet being deleted adopts nothing.
    func claimPods(for replicaSet: ReplicaSet) async throws -> [Pod] {
        let selector = replicaSet.spec.selector
        var claimed: [Pod] = []
        for pod in pods.objects(controlledBy: replicaSet.metadata.uid) where pod.isActive && pod.namespace == replicaSet.metadata.namespace {
            if selector.matches(pod.labels) {
                claimed.append(pod)
            } else {
                try await release(pod, from: replicaSet)
            }
        }
        let orphans = pods.objects(index: Self.orphansByNamespace, value: replicaSet.metadata.namespace).filter {
            $0.isActive && !selector.isEmpty && selector.matches($0.labels)
        }
        guard !orphans.isEmpty, !replicaSet.metadata.isBeingDeleted, try await mayAdopt(replicaSet) else { return claimed }
        for pod in orphans {
            if let adopted = try await adopt(pod, into: replicaSet) { claimed.append(adopted) }
        }
        return claimed
    }

    /// Whether the stored ReplicaSet is still this one and not being deleted: the cache may not
    /// show a deletion yet, and pods adopted by a dying owner would go with it.
    private func mayAdopt(_ replicaSet: ReplicaSet) async throws -> Bool {
        guard let stored = try await client.get(.replicaSets, namespace: replicaSet.metadata.namespace, name: replicaSet.metadata.name) else {
            return false
        }
        let latest = try ReplicaSet(json: stored)
        return latest.metadata.uid == replicaSet.metadata.uid && !latest.metadata.isBeingDeleted
    }

    /// Makes the ReplicaSet the orphan's controller; nil when the pod changed or went meanwhile.
    private func adopt(_ pod: Pod, into replicaSet: ReplicaSet) async throws -> Pod? {
        var json = pod.json
        json["metadata"]["ownerReferences"] = .array(pod.ownerReferences.map(\.json) + [replicaSet.ownerReference.json])
        do {
            let stored = try await client.update(.pods, namespace: pod.namespace, json, fieldManager: Self.component)
            logger.debug("adopted pod", metadata: ["replicaset": "\(replicaSet.key)", "pod": "\(pod.name)"])
            return try Pod(json: stored)
        } catch let error as APIError where error.code == 404 || error.code == 409 {
            return nil
        }
    }

    /// Removes the ReplicaSet from the pod's owners; a pod that changed or went is left as it is.
    private func release(_ pod: Pod, from replicaSet: ReplicaSet) async throws {
        var json = pod.json
        let remaining = pod.ownerReferences.filter { $0.uid != replicaSet.metadata.uid }
        json["metadata"]["ownerReferences"] = remaining.isEmpty ? .null : .array(remaining.map(\.json))
        do {
            _ = try await client.update(.pods, namespace: pod.namespace, json, fieldManager: Self.component)
            logger.debug("released pod", metadata: ["replicaset": "\(replicaSet.key)", "pod": "\(pod.name)"])
        } catch let error as APIError where error.code == 404 || error.code == 409 {
            return
        }
    }
}
