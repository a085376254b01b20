import Foundation
import SkiffAPI
import SkiffAPIServer
import SkiffScheduler

/// The scheduler's API client inside the server process: it calls `KubeAPI` directly with the
/// admin identity, through the same handlers (and so the same binding subresource) as any client.
public struct InProcessSchedulerClient: SchedulerClient {
    let api: KubeAPI
    let token: String

    public init(api: KubeAPI, token: String) {
        self.api = api
        self.token = token
    }

    func request(
        _ method: String, _ path: String, query: [String: String] = [:], body: JSON? = nil, contentType: String = "application/json"
    ) async
        -> APIResponse
    {
        await api.handle(
            APIRequest(
                method: method, path: path, query: query,
                headers: ["authorization": "Bearer \(token)", "content-type": contentType, "accept": "application/json"],
                body: body?.bytes ?? []))
    }

    static func path(_ resource: ScheduledResource) -> String { resource == .pods ? "/api/v1/pods" : "/api/v1/nodes" }

    public func list(_ resource: ScheduledResource) async throws -> (items: [JSON], resourceVersion: String) {
        let response = await request("GET", Self.path(resource))
        let list = try JSON(parsing: response.bodyBytes)
        guard response.status == 200 else { throw APIError.internalError("list failed: \(list.serialized)") }
        return (list["items"].array ?? [], list["metadata"]["resourceVersion"].string ?? "0")
    }

    public func watch(_ resource: ScheduledResource, from resourceVersion: String) async throws -> AsyncStream<(type: String, object: JSON)> {
        // Straight from the API's watch as objects: the same events a client's `?watch=true` gets,
        // without serializing each one for the scheduler to parse back.
        let session = try await api.openWatchInProcess(
            plural: resource == .pods ? "pods" : "nodes", query: ["resourceVersion": resourceVersion, "allowWatchBookmarks": "true"])
        let (stream, continuation) = AsyncStream<(type: String, object: JSON)>.makeStream()
        // An expired resourceVersion ends the stream at once; the scheduler relists.
        guard case .open(let run) = session else {
            continuation.finish()
            return stream
        }
        // The watch runs in its own task, feeding the stream until it ends or the consumer goes.
        let task = Task {
            defer { continuation.finish() }
            try await run { type, object in
                if case .terminated = continuation.yield((type, object)) { throw CancellationError() }
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    public func bind(namespace: String, name: String, uid: String, node: String) async throws {
        let binding: JSON = [
            "apiVersion": "v1", "kind": "Binding", "metadata": ["name": .string(name), "namespace": .string(namespace), "uid": .string(uid)],
            "target": ["apiVersion": "v1", "kind": "Node", "name": .string(node)],
        ]
        let response = await request("POST", "/api/v1/namespaces/\(namespace)/pods/\(name)/binding", body: binding)
        guard response.status == 201 else { throw APIError.internalError("binding failed with \(response.status)") }
    }

    public func get(_ path: String) async throws -> JSON? {
        let response = await request("GET", path)
        if response.status == 404 { return nil }
        let object = try JSON(parsing: response.bodyBytes)
        guard response.status == 200 else { throw APIError.internalError("GET \(path) failed with \(response.status): \(object["message"].string ?? "")") }
        return object
    }

    public func selectNode(_ node: String, forClaim name: String, namespace: String) async throws {
        let patch: JSON = ["metadata": ["annotations": JSON.object([PersistentVolumeClaim.selectedNodeAnnotation: .string(node)])]]
        let response = await request(
            "PATCH", "/api/v1/namespaces/\(namespace)/persistentvolumeclaims/\(name)", body: patch, contentType: "application/merge-patch+json")
        guard response.status == 200 else { throw APIError.internalError("annotating claim \(namespace)/\(name) failed with \(response.status)") }
    }

    public func createEvent(namespace: String, _ event: JSON) async throws {
        _ = try await api.createInProcess(event, plural: "events", namespace: namespace, fieldManager: "kube-scheduler")
    }
}
