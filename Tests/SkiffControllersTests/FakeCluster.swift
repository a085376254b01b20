import Foundation
import SkiffAPI
import SkiffClient
import Synchronization

@testable import SkiffControllers

/// An API server in memory for the controllers: collections by path, writes counted, and watch
/// delivery of a resource's changes that a test can hold back, to play a stale informer cache.
final class FakeCluster: ControllerClient {
    struct State {
        var objects: [String: [String: JSON]] = [:]
        var revision = 100
        var watchers: [String: [AsyncStream<WatchEvent>.Continuation]] = [:]
        /// By collection path: every event delivered, for watches that start from a version.
        var log: [String: [WatchEvent]] = [:]
        /// By collection path: events held back until released.
        var held: [String: [WatchEvent]] = [:]
        var writes: [String] = []
        /// Collection paths whose creates fail with 403 (a quota, say).
        var refusedCreates: Set<String> = []
        /// Every update as written: what the write log names, and the object sent.
        var updates: [(write: String, object: JSON)] = []
        var events: [JSON] = []
        /// What discovery answers.
        var served: [ServedResource] = FakeCluster.standardResources
        /// Collections whose list and watch answer 404, as a kind the server does not serve.
        var unserved: Set<String> = []
    }

    static func resource(_ resource: APIResource, _ kind: String, namespaced: Bool = true) -> ServedResource {
        ServedResource(
            resource: resource, kind: kind, namespaced: namespaced,
            verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"])
    }

    static let replicaSets = APIResource(group: "apps", plural: "replicasets")
    static let deployments = APIResource(group: "apps", plural: "deployments")
    static let configMaps = APIResource(plural: "configmaps")
    static let widgets = APIResource(group: "example.com", plural: "widgets")

    /// A few built-in kinds and a custom one.
    static let standardResources: [ServedResource] = [
        resource(.pods, "Pod"), resource(.services, "Service"), resource(configMaps, "ConfigMap"), resource(.endpointSlices, "EndpointSlice"),
        resource(.nodes, "Node", namespaced: false), resource(.namespaces, "Namespace", namespaced: false),
        resource(replicaSets, "ReplicaSet"), resource(deployments, "Deployment"), resource(widgets, "Widget"),
        ServedResource(resource: .events, kind: "Event", namespaced: true, verbs: ["create", "delete", "get", "list", "watch"]),
    ]
    let state = Mutex(State())

    /// A day before the tests started: creation timestamps count seconds from it.
    static let epoch = Date().addingTimeInterval(-86_400)

    static func collection(_ resource: APIResource) -> String { resource.collectionPath }

    /// Adds or replaces an object as another client would, and tells the watchers.
    func put(_ resource: APIResource, _ object: JSON) {
        // Stored and delivered under one lock, as the API server's watch is ordered: two writers
        // racing must not deliver the older version of an object last.
        state.withLock { state in Self.store(resource, object, in: &state) }
    }

    private static func store(_ resource: APIResource, _ object: JSON, in state: inout State) {
        var object = object
        state.revision += 1
        object["metadata"]["resourceVersion"] = .string(String(state.revision))
        if object["metadata"]["uid"].isNull { object["metadata"]["uid"] = .string("uid-\(state.revision)") }
        let key = "\(object["metadata"]["namespace"].string ?? "")/\(object["metadata"]["name"].string ?? "")"
        let existed = state.objects[resource.collectionPath]?[key] != nil
        state.objects[resource.collectionPath, default: [:]][key] = object
        deliver(resource, WatchEvent(type: existed ? "MODIFIED" : "ADDED", object: object), in: &state)
    }

    /// Holds EndpointSlice watch events until `releaseSliceEvents`.
    func holdSliceEvents() { holdEvents(of: .endpointSlices) }

    func releaseSliceEvents() { releaseEvents(of: .endpointSlices) }

    /// Holds the watch events of `resource` until `releaseEvents(of:)`.
    func holdEvents(of resource: APIResource) { state.withLock { $0.held[resource.collectionPath] = [] } }

    func releaseEvents(of resource: APIResource) {
        let held = state.withLock { state in state.held.removeValue(forKey: resource.collectionPath) ?? [] }
        for event in held { deliver(resource, event, force: true) }
    }

    /// Makes creates of `resource` fail with 403 Forbidden (recorded as `refused create …` writes).
    func refuseCreates(of resource: APIResource) { state.withLock { _ = $0.refusedCreates.insert(resource.collectionPath) } }

    var writes: [String] { state.withLock { $0.writes } }
    var updates: [(write: String, object: JSON)] { state.withLock { $0.updates } }
    var warningEvents: [JSON] { state.withLock { $0.events } }
    func objects(_ resource: APIResource) -> [JSON] { state.withLock { Array(($0.objects[resource.collectionPath] ?? [:]).values) } }

    private func deliver(_ resource: APIResource, _ event: WatchEvent, force: Bool = false) {
        state.withLock { state in Self.deliver(resource, event, force: force, in: &state) }
    }

    /// Yielded under the lock, so a watch registering meanwhile sees each event once (in its
    /// replay of the log or live), and every watcher sees the events in revision order.
    private static func deliver(_ resource: APIResource, _ event: WatchEvent, force: Bool = false, in state: inout State) {
        if !force, state.held[resource.collectionPath] != nil {
            state.held[resource.collectionPath]?.append(event)
            return
        }
        state.log[resource.collectionPath, default: []].append(event)
        for watcher in state.watchers[resource.collectionPath] ?? [] { watcher.yield(event) }
    }

    func list(_ path: String) async throws -> JSON {
        let (collection, namespace) = Self.split(String(path.split(separator: "?")[0]))
        return try state.withLock { state in
            if state.unserved.contains(collection) {
                throw APIError(code: 404, reason: "NotFound", message: "the server could not find the requested resource")
            }
            let items = (state.objects[collection] ?? [:]).values.filter { namespace == nil || $0["metadata"]["namespace"].string == namespace }
            return ["metadata": ["resourceVersion": .string(String(state.revision))], "items": .array(Array(items))]
        }
    }

    /// `/api/v1/namespaces/NS/pods` → (`/api/v1/pods`, NS); a cluster-wide path → (path, nil).
    static func split(_ path: String) -> (collection: String, namespace: String?) {
        var segments = path.split(separator: "/").map(String.init)
        guard segments.count >= 3, let index = segments.firstIndex(of: "namespaces"), index + 2 < segments.count else { return (path, nil) }
        let namespace = segments[index + 1]
        segments.removeSubrange(index...(index + 1))
        return ("/" + segments.joined(separator: "/"), namespace)
    }

    /// Replays the events after the path's `resourceVersion` (as the API server does for a watch
    /// started from a list), then follows new ones.
    func watch(_ path: String, onEvent: @Sendable (WatchEvent) async throws -> Void) async throws {
        let parts = path.split(separator: "?", maxSplits: 1).map(String.init)
        let collection = parts[0]
        let from = (parts.count > 1 ? parts[1] : "").split(separator: "&").compactMap { pair -> Int? in
            pair.hasPrefix("resourceVersion=") ? Int(pair.dropFirst("resourceVersion=".count)) : nil
        }.first
        if state.withLock({ $0.unserved.contains(collection) }) { throw APIError(code: 404, reason: "NotFound", message: "not served") }
        let (events, continuation) = AsyncStream<WatchEvent>.makeStream()
        state.withLock { state in
            if let from {
                for event in state.log[collection] ?? [] where Int(event.object["metadata"]["resourceVersion"].string ?? "") ?? 0 > from {
                    continuation.yield(event)
                }
            }
            state.watchers[collection, default: []].append(continuation)
        }
        for await event in events { try await onEvent(event) }
    }

    func get(_ resource: APIResource, namespace: String, name: String) async throws -> JSON? {
        state.withLock { $0.objects[resource.collectionPath]?["\(namespace)/\(name)"] }
    }

    func create(_ resource: APIResource, namespace: String, _ object: JSON, fieldManager: String) async throws -> JSON {
        let refused = state.withLock { state in
            guard state.refusedCreates.contains(resource.collectionPath) else { return false }
            state.writes.append("refused create \(resource.plural)")
            return true
        }
        if refused { throw APIError(code: 403, reason: "Forbidden", message: "exceeded quota") }
        var object = object
        object["metadata"]["namespace"] = .string(namespace)
        // Named, checked and stored under one lock: two creates racing (a controller's batch)
        // must get two names, and a second create of one name must fail.
        let name = try state.withLock { state in
            let name = object["metadata"]["name"].string ?? ((object["metadata"]["generateName"].string ?? "") + "\(state.revision + 1)")
            if state.objects[resource.collectionPath]?["\(namespace)/\(name)"] != nil {
                throw APIError(code: 409, reason: "AlreadyExists", message: "\(resource.plural) \"\(name)\" already exists")
            }
            object["metadata"]["name"] = .string(name)
            object["metadata"]["generateName"] = .null
            if object["metadata"]["creationTimestamp"].isNull {
                // A second per write, counted from a day ago: creation order is what controllers
                // sort by, and a time still in the past is what they expect.
                let second = Double(state.revision)
                object["metadata"]["creationTimestamp"] = .string(Timestamp.string(FakeCluster.epoch.addingTimeInterval(second)))
            }
            state.writes.append("create \(resource.plural) \(name)")
            Self.store(resource, object, in: &state)
            return name
        }
        return try await get(resource, namespace: namespace, name: name) ?? object
    }

    func update(_ resource: APIResource, namespace: String, _ object: JSON, fieldManager: String) async throws -> JSON {
        let name = object["metadata"]["name"].string ?? ""
        let current = try await get(resource, namespace: namespace, name: name)
        guard let current else { throw APIError(code: 404, reason: "NotFound", message: "gone") }
        guard object["metadata"]["resourceVersion"].isNull || object["metadata"]["resourceVersion"] == current["metadata"]["resourceVersion"]
        else { throw APIError(code: 409, reason: "Conflict", message: "stale") }
        var next = object
        if resource.subresource == "status" {
            next = current
            next["status"] = object["status"]
        }
        for field in ["uid", "deletionTimestamp", "deletionGracePeriodSeconds", "creationTimestamp"] { next["metadata"][field] = current["metadata"][field] }
        if resource.plural == "namespaces" { next["spec"]["finalizers"] = current["spec"]["finalizers"] }
        if resource.plural == "nodes", current["spec"]["podCIDR"].isNull, let cidr = next["spec"]["podCIDR"].string {
            // As the API's allocator: a range is held by one Node only.
            let holders = objects(.nodes).filter { $0["spec"]["podCIDR"].string == cidr && $0["metadata"]["name"].string != name }
            if !holders.isEmpty { throw APIError(code: 409, reason: "Conflict", message: "pod CIDR \(cidr) is already assigned to another node") }
        }
        let write = "update \(resource.plural)\(resource.subresource.map { "/" + $0 } ?? "") \(name)"
        state.withLock { state in
            state.writes.append(write)
            state.updates.append((write, next))
        }
        let stored = APIResource(group: resource.group, version: resource.version, plural: resource.plural)
        if Self.finalized(next, resource: stored) {
            remove(stored, namespace: namespace, name: name)
            return next
        }
        put(stored, next)
        return try await get(stored, namespace: namespace, name: name) ?? next
    }

    /// As the API server: an object with finalizers (or a bound pod not yet stopped) is only
    /// marked; `propagationPolicy` Orphan and Foreground add their finalizers; grace 0 forces a pod.
    func delete(_ resource: APIResource, namespace: String, name: String, options: DeleteOptions) async throws {
        state.withLock { $0.writes.append("delete \(resource.plural) \(name)\(options.gracePeriodSeconds == 0 ? " force" : "")") }
        guard var current = try await get(resource, namespace: namespace, name: name) else {
            throw APIError(code: 404, reason: "NotFound", message: "gone")
        }
        if let uid = options.uid, uid != current["metadata"]["uid"].string { throw APIError(code: 409, reason: "Conflict", message: "uid precondition") }
        if let version = options.resourceVersion, .string(version) != current["metadata"]["resourceVersion"] {
            throw APIError(code: 409, reason: "Conflict", message: "resourceVersion precondition")
        }
        let deleting = !current["metadata"]["deletionTimestamp"].isNull
        var finalizers = current["metadata"]["finalizers"].array ?? []
        if !deleting, let finalizer = options.propagationPolicy?.finalizer, !finalizers.contains(.string(finalizer)) { finalizers.append(.string(finalizer)) }
        let phase = current["status"]["phase"].string ?? "Pending"
        let mustStop = resource == .pods && !(current["spec"]["nodeName"].string ?? "").isEmpty && phase != "Succeeded" && phase != "Failed"
        let grace = mustStop ? (options.gracePeriodSeconds ?? 30) : 0
        if resource == .namespaces {
            if deleting { return }
            var spec = current["spec"]["finalizers"].array ?? []
            if !spec.contains("kubernetes") { spec.append("kubernetes") }
            current["spec"]["finalizers"] = .array(spec)
            current["status"]["phase"] = "Terminating"
        } else if deleting {
            if grace == 0 && finalizers.isEmpty {
                remove(resource, namespace: namespace, name: name)
            } else if grace == 0 && resource == .pods && current["metadata"]["deletionGracePeriodSeconds"].int != 0 {
                current["metadata"]["deletionGracePeriodSeconds"] = 0
                put(resource, current)
            }
            return
        } else if finalizers.isEmpty && grace == 0 {
            remove(resource, namespace: namespace, name: name)
            return
        }
        current["metadata"]["finalizers"] = finalizers.isEmpty ? .null : .array(finalizers)
        current["metadata"]["deletionTimestamp"] = "2026-12-07T00:00:00Z"
        current["metadata"]["deletionGracePeriodSeconds"] = .int(grace)
        put(resource, current)
    }

    func finalizeNamespace(_ namespace: JSON) async throws -> JSON {
        let name = namespace["metadata"]["name"].string ?? ""
        guard var current = try await get(.namespaces, namespace: "", name: name) else { throw APIError(code: 404, reason: "NotFound", message: "gone") }
        guard namespace["metadata"]["resourceVersion"].isNull || namespace["metadata"]["resourceVersion"] == current["metadata"]["resourceVersion"]
        else { throw APIError(code: 409, reason: "Conflict", message: "stale") }
        state.withLock { $0.writes.append("finalize namespaces \(name)") }
        current["spec"]["finalizers"] = namespace["spec"]["finalizers"]
        if Self.finalized(current, resource: .namespaces) {
            remove(.namespaces, namespace: "", name: name)
        } else {
            put(.namespaces, current)
        }
        return current
    }

    func servedResources() async throws -> [ServedResource] { state.withLock { $0.served } }

    /// Whether a deleted object has nothing holding it any more.
    static func finalized(_ object: JSON, resource: APIResource) -> Bool {
        let metadata = object["metadata"]
        guard !metadata["deletionTimestamp"].isNull, (metadata["finalizers"].array ?? []).isEmpty else { return false }
        if resource == .pods { return metadata["deletionGracePeriodSeconds"].int == 0 }
        if resource == .namespaces { return (object["spec"]["finalizers"].array ?? []).isEmpty }
        return true
    }

    /// Removes an object as another client's delete would (no checks), and tells the watchers.
    func remove(_ resource: APIResource, namespace: String, name: String) {
        state.withLock { state in
            state.revision += 1
            guard var removed = state.objects[resource.collectionPath]?.removeValue(forKey: "\(namespace)/\(name)") else { return }
            removed["metadata"]["resourceVersion"] = .string(String(state.revision))
            Self.deliver(resource, WatchEvent(type: "DELETED", object: removed), in: &state)
        }
    }

    func createEvent(namespace: String, _ event: JSON) async throws {
        state.withLock { $0.events.append(event) }
    }
}
