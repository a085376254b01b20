import Foundation
import SkiffAPI
import SkiffStore

extension KubeAPI {
    func delete(_ target: Target, _ request: APIRequest) async throws -> APIResponse {
        var options = JSON.emptyObject
        if !request.body.isEmpty { options = try Self.parseBody(request) }
        if let grace = request.query["gracePeriodSeconds"].flatMap(Int64.init) { options["gracePeriodSeconds"] = .int(grace) }
        let (stored, current) = try await load(target)
        if let uid = options["preconditions"]["uid"].string, uid != current["metadata"]["uid"].string {
            throw APIError.conflict(target.definition.naming, name: target.name ?? "")
        }
        if let version = options["preconditions"]["resourceVersion"].string, version != String(stored.modRevision) {
            throw APIError.conflict(target.definition.naming, name: target.name ?? "")
        }
        if request.query["dryRun"] == "All" { return .json(current) }
        return .json(try await deleteObject(target, stored: stored, current: current, gracePeriod: options["gracePeriodSeconds"].int))
    }

    /// Deletes now, or marks for deletion when finalizers remain or a bound pod must stop first.
    func deleteObject(_ target: Target, stored: KeyValue, current: JSON, gracePeriod: Int64?) async throws -> JSON {
        let definition = target.definition
        let name = current["metadata"]["name"].string ?? ""
        let key = definition.key(namespace: current["metadata"]["namespace"].string, name: name)
        let finalizers = current["metadata"]["finalizers"].array ?? []
        var graceful: Int64 = 0
        if definition.kind == "Pod" {
            let phase = current["status"]["phase"].string ?? "Pending"
            let bound = !(current["spec"]["nodeName"].string ?? "").isEmpty
            if bound && phase != "Succeeded" && phase != "Failed" {
                graceful = gracePeriod ?? current["spec"]["terminationGracePeriodSeconds"].int ?? 30
            }
        }
        if !finalizers.isEmpty || graceful > 0 {
            // Graceful deletion: the node's agent stops the pod and deletes it with grace 0;
            // finalizers are removed by their controllers, and the last removal deletes.
            var marked = current
            if marked["metadata"]["deletionTimestamp"].isNull {
                marked["metadata"]["deletionTimestamp"] = .string(Timestamp.string(Date().addingTimeInterval(Double(graceful))))
                marked["metadata"]["deletionGracePeriodSeconds"] = .int(graceful)
            } else if graceful == 0 && finalizers.isEmpty {
                return try await remove(key, stored: stored, current: current, definition: definition)
            } else {
                return current
            }
            do {
                let revision = try await store.update(key, value: Self.encodeForStore(marked), expectedRevision: stored.modRevision)
                marked["metadata"]["resourceVersion"] = .string(String(revision))
                return marked
            } catch {
                throw Self.map(error, definition, name: name)
            }
        }
        return try await remove(key, stored: stored, current: current, definition: definition)
    }

    func remove(_ key: String, stored: KeyValue, current: JSON, definition: ResourceDefinition) async throws -> JSON {
        let name = current["metadata"]["name"].string ?? ""
        if definition.kind == "Namespace" {
            try await deleteNamespaceContents(name)
        }
        do {
            let revision = try await store.delete(key, expectedRevision: stored.modRevision)
            var deleted = current
            deleted["metadata"]["resourceVersion"] = .string(String(revision))
            return deleted
        } catch {
            throw Self.map(error, definition, name: name)
        }
    }

    /// Namespace deletion removes everything in it at once (there is no namespace controller yet).
    func deleteNamespaceContents(_ namespace: String) async throws {
        for definition in registry.definitions where definition.namespaced && !definition.readOnly {
            let items = try await store.list(prefix: definition.prefix(namespace: namespace), startAfter: nil, limit: nil, revision: nil)
            for item in items.items {
                // Already gone is fine: something else deleted it meanwhile.
                _ = try? await store.delete(item.key, expectedRevision: nil)
            }
        }
    }

    func deleteCollection(_ target: Target, _ request: APIRequest) async throws -> APIResponse {
        let selection = try selection(target, request)
        let items = try await store.list(prefix: target.definition.prefix(namespace: target.namespace), startAfter: nil, limit: nil, revision: nil)
        var deleted: [JSON] = []
        for stored in items.items {
            let object = try decode(stored)
            guard selection.matches(object) else { continue }
            let one = Target(definition: target.definition, namespace: object["metadata"]["namespace"].string, name: object["metadata"]["name"].string, subresource: nil)
            do {
                deleted.append(try await deleteObject(one, stored: stored, current: object, gracePeriod: nil))
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
