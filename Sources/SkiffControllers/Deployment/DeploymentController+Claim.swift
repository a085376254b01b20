import SkiffAPI
import SkiffClient

extension DeploymentController {
    /// The ReplicaSets the Deployment controls once this sync's claims are made: its own that its
    /// selector matches; orphans it matches, adopted; its own that no longer match, released.
    /// Both writes require the set's resourceVersion. A Deployment being deleted adopts nothing.
    func claimReplicaSets(for deployment: Deployment) async throws -> [ReplicaSet] {
        let selector = deployment.spec.selector
        var claimed: [ReplicaSet] = []
        for set in replicaSets.objects(controlledBy: deployment.metadata.uid) where set.metadata.namespace == deployment.metadata.namespace {
            if selector.matches(set.metadata.labels) {
                claimed.append(set)
            } else {
                try await setOwners(of: set, to: set.metadata.ownerReferences.filter { $0.uid != deployment.metadata.uid })
            }
        }
        let orphans = replicaSets.objects(index: Self.orphansByNamespace, value: deployment.metadata.namespace).filter {
            !selector.isEmpty && selector.matches($0.metadata.labels)
        }
        guard !orphans.isEmpty, !deployment.metadata.isBeingDeleted, try await mayAdopt(deployment) else { return claimed }
        for set in orphans {
            if let adopted = try await setOwners(of: set, to: set.metadata.ownerReferences + [deployment.ownerReference]) { claimed.append(adopted) }
        }
        return claimed
    }

    /// Whether the stored Deployment is still this one and not being deleted.
    private func mayAdopt(_ deployment: Deployment) async throws -> Bool {
        guard let stored = try await client.get(.deployments, namespace: deployment.metadata.namespace, name: deployment.metadata.name) else {
            return false
        }
        let latest = try Deployment(json: stored)
        return latest.metadata.uid == deployment.metadata.uid && !latest.metadata.isBeingDeleted
    }

    /// Writes the set's owner references; nil when it changed or went meanwhile.
    @discardableResult
    private func setOwners(of set: ReplicaSet, to owners: [Pod.OwnerReference]) async throws -> ReplicaSet? {
        var json = set.json
        json["metadata"]["ownerReferences"] = owners.isEmpty ? .null : .array(owners.map(\.json))
        do {
            return try ReplicaSet(json: try await client.update(.replicaSets, namespace: set.metadata.namespace, json, fieldManager: Self.component))
        } catch let error as APIError where error.code == 404 || error.code == 409 {
            return nil
        }
    }
}
