import SkiffAPI
import SkiffClient

/// The ControllerRevisions of a DaemonSet or StatefulSet (kube-controller-manager's history
/// package): each distinct template is kept once, numbered, named `<owner>-<hash>`; the
/// current template's revision is found or made on every sync, renumbered as the newest when an
/// older one comes back (`kubectl rollout undo`), and the oldest unused ones are deleted beyond
/// `revisionHistoryLimit`.
struct ControllerHistory: Sendable {
    let client: any ControllerClient
    let fieldManager: String

    struct Current: Sendable {
        let revision: ControllerRevision
        /// The owner's other revisions.
        let others: [ControllerRevision]
        /// `status.collisionCount` to store: raised when a different template had our hash.
        let collisionCount: Int32?
    }

    /// The revision of `template` among `revisions` (the owner's), made if missing.
    func current(owner: ControllerOwner, template: PodTemplate, collisionCount: Int32?, revisions: [ControllerRevision]) async throws -> Current {
        let data = ControllerRevision.data(template: template)
        let newest = revisions.map(\.revision).max() ?? 0
        if let found = revisions.filter({ $0.data == data }).max(by: { $0.revision < $1.revision }) {
            var revision = found
            if found.revision < newest {
                revision = try await renumber(found, to: newest + 1)
            }
            return Current(revision: revision, others: revisions.filter { $0.metadata.uid != found.metadata.uid }, collisionCount: collisionCount)
        }
        var collisions = collisionCount
        for _ in 0..<10 {
            let hash = template.hash(collisionCount: collisions)
            var labels = template.labels
            labels[ControllerRevision.hashLabel] = hash
            let object: JSON = [
                "apiVersion": "apps/v1", "kind": "ControllerRevision",
                "metadata": [
                    "name": .string("\(owner.metadata.name)-\(hash)"), "namespace": .string(owner.metadata.namespace), "labels": JSON(stringMap: labels),
                    "ownerReferences": [owner.reference.json],
                ],
                "data": data, "revision": .int(newest + 1),
            ]
            do {
                let created = try ControllerRevision(
                    json: try await client.create(.controllerRevisions, namespace: owner.metadata.namespace, object, fieldManager: fieldManager))
                return Current(revision: created, others: revisions, collisionCount: collisions)
            } catch let error as APIError where error.code == 409 {
                // The name is taken: by this template (our cache has not seen it yet) or by
                // another whose hash collides, which a new collision count tells apart.
                let name = "\(owner.metadata.name)-\(hash)"
                if let existing = try await client.get(.controllerRevisions, namespace: owner.metadata.namespace, name: name).map(ControllerRevision.init),
                    existing.data == data, existing.metadata.isOwned(by: owner.metadata.uid)
                {
                    return Current(revision: existing, others: revisions.filter { $0.metadata.uid != existing.metadata.uid }, collisionCount: collisions)
                }
                collisions = (collisions ?? 0) + 1
            }
        }
        throw APIError(code: 409, reason: "Conflict", message: "no free ControllerRevision name for \(owner.metadata.name) after 10 hash collisions")
    }

    /// Deletes the oldest of `others` beyond `limit`, sparing revisions a live pod was made from
    /// (named in `inUse` by hash, as DaemonSet pods name theirs, or by name, as StatefulSet pods do).
    func truncate(_ others: [ControllerRevision], limit: Int, inUse: Set<String>) async throws {
        let removable = others.filter { revision in !inUse.contains(revision.metadata.name) && !(revision.hash.map(inUse.contains) ?? false) }
            .sorted { $0.revision < $1.revision }
        for revision in removable.prefix(max(0, others.count - max(0, limit))) {
            do {
                try await client.delete(.controllerRevisions, namespace: revision.metadata.namespace, name: revision.metadata.name, uid: revision.metadata.uid)
            } catch let error as APIError where error.code == 404 {}
        }
    }

    private func renumber(_ revision: ControllerRevision, to number: Int64) async throws -> ControllerRevision {
        guard var object = try await client.get(.controllerRevisions, namespace: revision.metadata.namespace, name: revision.metadata.name) else {
            throw APIError(code: 409, reason: "Conflict", message: "ControllerRevision \(revision.metadata.name) is gone")
        }
        object["revision"] = .int(number)
        return try ControllerRevision(
            json: try await client.update(.controllerRevisions, namespace: revision.metadata.namespace, object, fieldManager: fieldManager))
    }
}

extension APIResource {
    public static let controllerRevisions = APIResource(group: "apps", version: "v1", plural: "controllerrevisions")
    public static let persistentVolumeClaims = APIResource(plural: "persistentvolumeclaims")
}

extension SharedInformers {
    public var controllerRevisions: Informer<ControllerRevision> { informer(.controllerRevisions) { try ControllerRevision(json: $0) } }
}
