import SkiffAPI

/// What code running inside the server process (the scheduler's client; controllers the control
/// plane assembles) may call on `KubeAPI` besides `handle(_:)`: a watch and a create that go
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
}
