import SkiffAPI

/// What code running inside the server process (the scheduler's client; controllers the control
/// plane assembles) may call on `KubeAPI` besides `handle(_:)`: watch, list, get, create, update and delete, which go
/// through the same checks as a request, without serializing each object only for the caller to
/// parse it back.
/// The callers are trusted: these act with the server's own authority, so nothing here
/// authenticates or authorizes. Everything else of `KubeAPI` stays internal to the API server.
extension KubeAPI {
    /// Opens a watch of `plural` (in `namespace`, or across namespaces) as `?watch=true` would,
    /// with the request's other query parameters (`resourceVersion`, `allowWatchBookmarks`,
    /// `labelSelector`, `fieldSelector`, `timeoutSeconds`) in `query`; the events come as objects.
    public func openWatchInProcess(
        group: String = "", version: String = "v1", plural: String, namespace: String? = nil, query: [String: String] = [:]
    ) async throws -> WatchSession {
        let rest = namespace.map { ["namespaces", $0, plural] } ?? [plural]
        let target = try parseTarget(group: group, version: version, rest: rest)
        let root = group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)"
        var watchQuery = query
        watchQuery["watch"] = "true"
        return try await openWatch(target, APIRequest(method: "GET", path: ([root] + rest).joined(separator: "/"), query: watchQuery))
    }

    /// A create from inside the server (the scheduler's events): a POST's checks, field
    /// ownership and admission, without serializing the object only to parse it back, or the reply.
    /// Returns the object as stored.
    public func createInProcess(
        _ object: JSON, group: String = "", version: String = "v1", plural: String, namespace: String?, fieldManager: String
    ) async throws -> JSON {
        let target = try parseTarget(group: group, version: version, rest: namespace.map { ["namespaces", $0, plural] } ?? [plural])
        var warnings: [String] = []
        var checked = try checkedBody(object, target: target, request: APIRequest(method: "POST", path: ""), warnings: &warnings)
        FieldOwnership.recordUpdate(manager: fieldManager, before: nil, after: &checked)
        return try await createObject(checked, target: target)
    }

    /// A list from inside the server, as `GET` of the collection (`labelSelector`, `fieldSelector`,
    /// `limit`, `continue` in `query`): the List object with its items and resourceVersion.
    public func listInProcess(
        group: String = "", version: String = "v1", plural: String, namespace: String? = nil, query: [String: String] = [:]
    ) async throws -> JSON {
        let rest = namespace.map { ["namespaces", $0, plural] } ?? [plural]
        let target = try parseTarget(group: group, version: version, rest: rest)
        // The metrics API is computed from the agents' stats, not stored.
        if target.definition.naming.group == "metrics.k8s.io" {
            return try JSON(parsing: try await metrics(target, APIRequest(method: "GET", path: "", query: query)).bodyBytes)
        }
        let (items, listMeta) = try await listItems(target, APIRequest(method: "GET", path: "", query: query))
        return [
            "kind": .string(target.definition.kind + "List"), "apiVersion": .string(target.definition.naming.apiVersion),
            "metadata": listMeta, "items": .array(items),
        ]
    }

    /// A replace (`PUT`) from inside the server with a PUT's checks and field ownership; a
    /// `metadata.resourceVersion` in `object` is the optimistic-concurrency precondition (409 when
    /// it is stale). Returns the object as stored.
    /// With `subresource` ("status"), only what that subresource may change is written.
    public func updateInProcess(
        _ object: JSON, group: String = "", version: String = "v1", plural: String, subresource: String? = nil, namespace: String?,
        fieldManager: String
    ) async throws -> JSON {
        let name = object["metadata"]["name"].string ?? ""
        guard !name.isEmpty else { throw APIError.badRequest("an update needs metadata.name") }
        let rest = (namespace.map { ["namespaces", $0, plural] } ?? [plural]) + [name] + (subresource.map { [$0] } ?? [])
        let target = try parseTarget(group: group, version: version, rest: rest)
        var warnings: [String] = []
        var checked = try checkedBody(object, target: target, request: APIRequest(method: "PUT", path: ""), warnings: &warnings)
        let (stored, current) = try await load(target)
        FieldOwnership.recordUpdate(manager: fieldManager, before: current, after: &checked)
        return try await commit(target, stored: stored, current: current, proposed: checked)
    }

    /// A delete from inside the server, as `DELETE` with these DeleteOptions: `uid` and
    /// `resourceVersion` are preconditions that the object is still the one the caller saw (409
    /// otherwise), `propagation` says what becomes of its dependents, and `gracePeriod` 0 deletes
    /// a pod at once (force). Returns the object as it was deleted (or marked for deletion).
    public func deleteInProcess(
        group: String = "", version: String = "v1", plural: String, namespace: String?, name: String, uid: String? = nil,
        resourceVersion: String? = nil, propagation: PropagationPolicy = .background, gracePeriod: Int64? = nil
    ) async throws -> JSON {
        let target = try parseTarget(group: group, version: version, rest: (namespace.map { ["namespaces", $0, plural] } ?? [plural]) + [name])
        let (stored, current) = try await load(target)
        if let uid, uid != current["metadata"]["uid"].string {
            throw APIError.conflict(target.definition.naming, name: name)
        }
        if let resourceVersion, resourceVersion != String(stored.modRevision) {
            throw APIError.conflict(target.definition.naming, name: name)
        }
        return try await deleteObject(target, stored: stored, current: current, gracePeriod: gracePeriod, propagation: propagation)
    }

    /// `PUT namespaces/NAME/finalize` from inside the server: sets the namespace's
    /// `spec.finalizers` (the namespace controller drops `kubernetes` once the namespace is empty);
    /// a `metadata.resourceVersion` in `namespace` must be current. Returns the namespace as stored,
    /// or as it was last when that removed it.
    public func finalizeNamespaceInProcess(_ namespace: JSON) async throws -> JSON {
        try await finalizeNamespace(namespace, name: namespace["metadata"]["name"].string ?? "")
    }

    /// A get from inside the server; nil when there is no such object.
    public func getInProcess(
        group: String = "", version: String = "v1", plural: String, subresource: String? = nil, namespace: String?, name: String
    ) async throws -> JSON? {
        let target = try parseTarget(group: group, version: version, rest: (namespace.map { ["namespaces", $0, plural] } ?? [plural]) + [name])
        do {
            let object = try await load(target).1
            switch subresource {
            case nil, "status": return object
            case "scale": return scale(of: object)
            case let other?: throw APIError.badRequest("no in-process get of the \(other) subresource")
            }
        } catch let error as APIError where error.code == 404 {
            return nil
        }
    }

    /// `PUT …/NAME/scale` from inside the server (the autoscaler's write): sets the workload's
    /// `spec.replicas` from `scale`, whose resourceVersion, when set, must be current.
    /// Every kind with a scale subresource is namespaced; `namespace` is optional only to take the
    /// controller client's cluster-scope convention (nil), which finds nothing.
    public func updateScaleInProcess(_ scale: JSON, group: String, version: String, plural: String, namespace: String?, name: String) async throws -> JSON {
        guard let namespace else { throw Self.pathNotFound }
        let target = try parseTarget(group: group, version: version, rest: ["namespaces", namespace, plural, name, "scale"])
        let response = try await updateScale(
            target, APIRequest(method: "PUT", path: "", headers: ["content-type": "application/json"], body: scale.bytes), patch: false)
        return try JSON(parsing: response.bodyBytes)
    }
}
