import SkiffAPI
import SkiffClient
import Synchronization

@testable import SkiffControllers

/// An API server in memory for the controllers: collections by path, writes counted, and watch
/// delivery of EndpointSlice changes that a test can hold back, to play a stale informer cache.
final class FakeCluster: ControllerClient {
    struct State {
        var objects: [String: [String: JSON]] = [:]
        var revision = 100
        var watchers: [String: [AsyncStream<WatchEvent>.Continuation]] = [:]
        var heldSliceEvents: [WatchEvent]? = nil
        var writes: [String] = []
        var events: [JSON] = []
    }
    let state = Mutex(State())

    static func collection(_ resource: APIResource) -> String { resource.collectionPath }

    /// Adds or replaces an object as another client would, and tells the watchers.
    func put(_ resource: APIResource, _ object: JSON) {
        var object = object
        let event: WatchEvent = state.withLock { state in
            state.revision += 1
            object["metadata"]["resourceVersion"] = .string(String(state.revision))
            if object["metadata"]["uid"].isNull { object["metadata"]["uid"] = .string("uid-\(state.revision)") }
            let key = "\(object["metadata"]["namespace"].string ?? "")/\(object["metadata"]["name"].string ?? "")"
            let existed = state.objects[resource.collectionPath]?[key] != nil
            state.objects[resource.collectionPath, default: [:]][key] = object
            return WatchEvent(type: existed ? "MODIFIED" : "ADDED", object: object)
        }
        deliver(resource, event)
    }

    /// Holds EndpointSlice watch events until `releaseSliceEvents`.
    func holdSliceEvents() { state.withLock { $0.heldSliceEvents = [] } }

    func releaseSliceEvents() {
        let held = state.withLock { state in
            defer { state.heldSliceEvents = nil }
            return state.heldSliceEvents ?? []
        }
        for event in held { deliver(.endpointSlices, event, force: true) }
    }

    var writes: [String] { state.withLock { $0.writes } }
    var warningEvents: [JSON] { state.withLock { $0.events } }
    func objects(_ resource: APIResource) -> [JSON] { state.withLock { Array(($0.objects[resource.collectionPath] ?? [:]).values) } }

    private func deliver(_ resource: APIResource, _ event: WatchEvent, force: Bool = false) {
        let watchers: [AsyncStream<WatchEvent>.Continuation] = state.withLock { state in
            if !force, resource == .endpointSlices, state.heldSliceEvents != nil {
                state.heldSliceEvents?.append(event)
                return []
            }
            return state.watchers[resource.collectionPath] ?? []
        }
        for watcher in watchers { watcher.yield(event) }
    }

    func list(_ path: String) async throws -> JSON {
        let collection = String(path.split(separator: "?")[0])
        return state.withLock { state in
            ["metadata": ["resourceVersion": .string(String(state.revision))], "items": .array(Array((state.objects[collection] ?? [:]).values))]
        }
    }

    func watch(_ path: String, onEvent: @Sendable (WatchEvent) async throws -> Void) async throws {
        let collection = String(path.split(separator: "?")[0])
        let (events, continuation) = AsyncStream<WatchEvent>.makeStream()
        state.withLock { $0.watchers[collection, default: []].append(continuation) }
        for await event in events { try await onEvent(event) }
    }

    func get(_ resource: APIResource, namespace: String, name: String) async throws -> JSON? {
        state.withLock { $0.objects[resource.collectionPath]?["\(namespace)/\(name)"] }
    }

    func create(_ resource: APIResource, namespace: String, _ object: JSON, fieldManager: String) async throws -> JSON {
        var object = object
        object["metadata"]["namespace"] = .string(namespace)
        let name = state.withLock { state in
            object["metadata"]["name"].string ?? ((object["metadata"]["generateName"].string ?? "") + "\(state.revision + 1)")
        }
        object["metadata"]["name"] = .string(name)
        object["metadata"]["generateName"] = .null
        state.withLock { $0.writes.append("create \(resource.plural) \(name)") }
        put(resource, object)
        return try await get(resource, namespace: namespace, name: name) ?? object
    }

    func update(_ resource: APIResource, namespace: String, _ object: JSON, fieldManager: String) async throws -> JSON {
        let name = object["metadata"]["name"].string ?? ""
        let current = try await get(resource, namespace: namespace, name: name)
        guard let current, object["metadata"]["resourceVersion"].isNull || object["metadata"]["resourceVersion"] == current["metadata"]["resourceVersion"]
        else { throw APIError(code: 409, reason: "Conflict", message: "stale") }
        var next = object
        next["metadata"]["uid"] = current["metadata"]["uid"]
        state.withLock { $0.writes.append("update \(resource.plural) \(name)") }
        put(resource, next)
        return try await get(resource, namespace: namespace, name: name) ?? next
    }

    func delete(_ resource: APIResource, namespace: String, name: String, uid: String?) async throws {
        let removed: JSON? = state.withLock { state in
            state.revision += 1
            state.writes.append("delete \(resource.plural) \(name)")
            return state.objects[resource.collectionPath]?.removeValue(forKey: "\(namespace)/\(name)")
        }
        guard var removed else { throw APIError(code: 404, reason: "NotFound", message: "gone") }
        removed["metadata"]["resourceVersion"] = .string(String(state.withLock { $0.revision }))
        deliver(resource, WatchEvent(type: "DELETED", object: removed))
    }

    func createEvent(namespace: String, _ event: JSON) async throws {
        state.withLock { $0.events.append(event) }
    }
}
