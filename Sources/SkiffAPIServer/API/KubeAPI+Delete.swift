import Foundation
import SkiffAPI
import SkiffStore

extension KubeAPI {
    func delete(_ target: Target, _ request: APIRequest) async throws -> APIResponse {
        var options = JSON.emptyObject
        if !request.body.isEmpty { options = try Self.parseBody(request) }
        if let grace = request.query["gracePeriodSeconds"].flatMap(Int64.init) { options["gracePeriodSeconds"] = .int(grace) }
        let propagation = try PropagationPolicy(options: options, query: request.query)
        let (stored, current) = try await load(target)
        if let uid = options["preconditions"]["uid"].string, uid != current["metadata"]["uid"].string {
            throw APIError.conflict(target.definition.naming, name: target.name ?? "")
        }
        if let version = options["preconditions"]["resourceVersion"].string, version != String(stored.modRevision) {
            throw APIError.conflict(target.definition.naming, name: target.name ?? "")
        }
        if target.definition.kind == "Namespace", Self.undeletableNamespaces.contains(target.name ?? "") {
            throw APIError.forbidden("namespaces \"\(target.name ?? "")\" is forbidden: this namespace may not be deleted")
        }
        if request.query["dryRun"] == "All" { return .json(current) }
        return .json(try await deleteObject(target, stored: stored, current: current, gracePeriod: options["gracePeriodSeconds"].int, propagation: propagation))
    }

    /// Deletes now, or marks for deletion when finalizers remain (including the garbage
    /// collector's `orphan`/`foregroundDeletion` for those policies), a bound pod must stop first,
    /// or a namespace must be emptied by the namespace controller.
    func deleteObject(
        _ target: Target, stored: KeyValue, current: JSON, gracePeriod: Int64?, propagation: PropagationPolicy = .background
    ) async throws -> JSON {
        let definition = target.definition
        let name = current["metadata"]["name"].string ?? ""
        let key = definition.key(namespace: current["metadata"]["namespace"].string, name: name)
        let deleting = !current["metadata"]["deletionTimestamp"].isNull
        var finalizers = (current["metadata"]["finalizers"].array ?? []).compactMap(\.string)
        if !deleting, let finalizer = propagation.finalizer, !finalizers.contains(finalizer) { finalizers.append(finalizer) }
        var graceful: Int64 = 0
        if definition.kind == "Pod" {
            let phase = current["status"]["phase"].string ?? "Pending"
            let bound = !(current["spec"]["nodeName"].string ?? "").isEmpty
            if bound && phase != "Succeeded" && phase != "Failed" {
                graceful = gracePeriod ?? current["spec"]["terminationGracePeriodSeconds"].int ?? 30
            }
        }
        if definition.kind == "Namespace" {
            // The namespace controller empties it, then drops the `kubernetes` finalizer.
            if deleting { return current }
            var spec = (current["spec"]["finalizers"].array ?? []).compactMap(\.string)
            if !spec.contains(Self.namespaceFinalizer) { spec.append(Self.namespaceFinalizer) }
            var marked = current
            marked["spec"]["finalizers"] = .array(spec.map(JSON.string))
            marked["status"]["phase"] = "Terminating"
            return try await markDeleting(marked, finalizers: finalizers, grace: 0, key: key, stored: stored, definition: definition)
        }
        if !finalizers.isEmpty || graceful > 0 {
            // Graceful deletion: the node's agent stops the pod and deletes it with grace 0;
            // finalizers are removed by their controllers, and the last removal deletes.
            if !deleting {
                return try await markDeleting(current, finalizers: finalizers, grace: graceful, key: key, stored: stored, definition: definition)
            }
            if graceful == 0 && finalizers.isEmpty {
                return try await remove(key, stored: stored, current: current, definition: definition)
            }
            if graceful == 0 && definition.kind == "Pod" && current["metadata"]["deletionGracePeriodSeconds"].int != 0 {
                // The agent has stopped the pod; it goes as soon as its finalizers are gone.
                var stopped = current
                stopped["metadata"]["deletionGracePeriodSeconds"] = 0
                return try await storeUpdate(stopped, key: key, stored: stored, definition: definition)
            }
            return current
        }
        return try await remove(key, stored: stored, current: current, definition: definition)
    }

    private func markDeleting(
        _ object: JSON, finalizers: [String], grace: Int64, key: String, stored: KeyValue, definition: ResourceDefinition
    ) async throws -> JSON {
        var marked = object
        marked["metadata"]["finalizers"] = finalizers.isEmpty ? .null : .array(finalizers.map(JSON.string))
        marked["metadata"]["deletionTimestamp"] = .string(Timestamp.string(Date().addingTimeInterval(Double(grace))))
        marked["metadata"]["deletionGracePeriodSeconds"] = .int(grace)
        return try await storeUpdate(marked, key: key, stored: stored, definition: definition)
    }

    /// A controller's write of server-owned fields (a namespace's `spec.finalizers` and status):
    /// compare-and-swap on `stored`, and removal when nothing holds a deleted object any more.
    /// Returns nil when the object was removed.
    func writeDirectly(_ object: JSON, target: Target, stored: KeyValue) async throws -> JSON? {
        let key = target.definition.key(namespace: target.namespace, name: target.name ?? "")
        if Self.finalized(object, target.definition) {
            _ = try await remove(key, stored: stored, current: object, definition: target.definition)
            return nil
        }
        return try await storeUpdate(object, key: key, stored: stored, definition: target.definition)
    }

    private func storeUpdate(_ object: JSON, key: String, stored: KeyValue, definition: ResourceDefinition) async throws -> JSON {
        do {
            var updated = object
            let revision = try await store.update(key, value: Self.encodeForStore(object, as: definition), expectedRevision: stored.modRevision)
            updated["metadata"]["resourceVersion"] = .string(String(revision))
            return updated
        } catch {
            throw Self.map(error, definition, name: object["metadata"]["name"].string)
        }
    }

    func remove(_ key: String, stored: KeyValue, current: JSON, definition: ResourceDefinition) async throws -> JSON {
        let name = current["metadata"]["name"].string ?? ""
        do {
            let revision = try await store.delete(key, expectedRevision: stored.modRevision)
            var deleted = current
            deleted["metadata"]["resourceVersion"] = .string(String(revision))
            return deleted
        } catch {
            throw Self.map(error, definition, name: name)
        }
    }

    func deleteCollection(_ target: Target, _ request: APIRequest) async throws -> APIResponse {
        let selection = try selection(target, request)
        var options = JSON.emptyObject
        if !request.body.isEmpty { options = try Self.parseBody(request) }
        let propagation = try PropagationPolicy(options: options, query: request.query)
        let items = try await store.list(prefix: target.definition.prefix(namespace: target.namespace), startAfter: nil, limit: nil, revision: nil)
        var deleted: [JSON] = []
        for stored in items.items {
            let object = try decode(stored, as: target.definition)
            guard selection.matches(object) else { continue }
            let one = Target(
                definition: target.definition, namespace: object["metadata"]["namespace"].string, name: object["metadata"]["name"].string, subresource: nil)
            do {
                deleted.append(
                    try await deleteObject(one, stored: stored, current: object, gracePeriod: options["gracePeriodSeconds"].int, propagation: propagation))
            } catch let error as APIError where error.code == 404 || error.code == 409 {
                continue
            }
        }
        return .json([
            "kind": .string(target.definition.kind + "List"), "apiVersion": .string(target.definition.naming.apiVersion),
            "metadata": ["resourceVersion": .string(String(try await store.currentRevision()))], "items": .array(deleted),
        ])
    }
}
