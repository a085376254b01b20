import Logging
import ServiceLifecycle
import SkiffAPI
import Synchronization

/// A change an informer saw, after its cache already holds it.
public enum InformerChange<Object: Sendable>: Sendable {
    case added(Object)
    case updated(old: Object, new: Object)
    case deleted(Object)
}

/// client-go's shared informer in small: lists a resource, keeps a local cache of it, follows a
/// watch from the list's resourceVersion, and relists when the watch ends with an error or the
/// server says the version is gone (410). Handlers run on the informer's task after the cache is
/// updated, so they may read the cache; they should only enqueue work, never block.
///
/// Objects the model cannot decode are logged and left out of the cache, as if deleted: a
/// consumer never acts on a guess.
public final class Informer<Object: Sendable>: Service, Sendable {
    public typealias Decode = @Sendable (JSON) throws -> Object
    public typealias Handler = @Sendable (InformerChange<Object>) -> Void

    /// The collection's path, e.g. `/api/v1/services` or `/apis/discovery.k8s.io/v1/endpointslices`.
    public let resourcePath: String
    /// Extra query (`fieldSelector=…`, `labelSelector=…`) for both list and watch; "" for none.
    public let query: String
    private let client: any ListWatchClient
    private let decode: Decode
    private let logger: Logger
    private let state = Mutex(State())

    private struct State {
        var objects: [String: Object] = [:]
        var handlers: [Handler] = []
        var indexers: [String: @Sendable (Object) -> [String]] = [:]
        /// index name → value → key → object. The objects themselves, not only their keys: a
        /// controller reads every pod of its ReplicaSet on each sync, and looking 10,000 keys up
        /// in `objects` for it was most of the read.
        var indices: [String: [String: [String: Object]]] = [:]
        var hasSynced = false
        /// Callers of `waitForSync` from before the first list, woken when it is loaded.
        var syncWaiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter = 0
    }

    public init(client: any ListWatchClient, resourcePath: String, query: String = "", logger: Logger, decode: @escaping Decode) {
        self.client = client
        self.resourcePath = resourcePath
        self.query = query
        self.decode = decode
        self.logger = logger
    }

    /// Registers a handler; call before `run`. Handlers see every change after their registration.
    public func addHandler(_ handler: @escaping Handler) {
        state.withLock { $0.handlers.append(handler) }
    }

    /// Adds an index (by namespace, owner UID, node, label…): `values` says which index values an
    /// object is listed under. Call before `run`.
    public func addIndex(_ name: String, _ values: @escaping @Sendable (Object) -> [String]) {
        state.withLock { state in
            state.indexers[name] = values
            state.indices[name] = [:]
            for (key, object) in state.objects { Self.insert(key: key, object: object, into: &state, only: name) }
        }
    }

    /// Every cached object.
    public func list() -> [Object] { state.withLock { Array($0.objects.values) } }

    /// The cached object with this key (`namespace/name`, or `name` when cluster-scoped).
    public func get(_ key: String) -> Object? { state.withLock { $0.objects[key] } }

    /// The cached objects an index lists under `value`.
    public func objects(index name: String, value: String) -> [Object] {
        state.withLock { state in state.indices[name]?[value].map { Array($0.values) } ?? [] }
    }

    /// Whether the first list has been loaded into the cache.
    public var hasSynced: Bool { state.withLock { $0.hasSynced } }

    /// Returns once the first list is in the cache, or when the waiting task is cancelled. Any
    /// number of tasks may wait.
    public func waitForSync() async {
        let id = state.withLock { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state in
                    if state.hasSynced || Task.isCancelled { return true }
                    state.syncWaiters[id] = waiter
                    return false
                }
                if resumeNow { waiter.resume() }
            }
        } onCancel: {
            state.withLock { $0.syncWaiters.removeValue(forKey: id) }?.resume()
        }
    }

    public func run() async {
        await cancelWhenGracefulShutdown { await self.listAndWatchForever() }
    }

    private func listAndWatchForever() async {
        var failures = 0
        while !Task.isCancelled {
            do {
                let version = try await relist()
                failures = 0
                try await watch(from: version)
            } catch {
                guard !Task.isCancelled else { return }
                failures += 1
                // client-go backs off 800 ms doubling to 30 s between failed lists, each wait
                // stretched by up to as much again at random: agents that lost the server
                // together do not all come back in the same instant (a thundering herd).
                let delay = min(30.0, 0.8 * Double(1 << min(failures - 1, 6))) * Double.random(in: 1...2)
                logger.warning("list/watch failed; relisting", metadata: ["resource": "\(resourcePath)", "error": "\(error)", "retryIn": "\(delay)s"])
                try? await Task.sleep(for: .seconds(delay))
            }
        }
    }

    /// Lists, replaces the cache (announcing what was added, changed and removed meanwhile), and
    /// returns the list's resourceVersion.
    private func relist() async throws -> String {
        let list = try await client.list(resourcePath + (query.isEmpty ? "" : "?" + query))
        var fresh: [String: Object] = [:]
        for item in list["items"].array ?? [] {
            let key = Self.key(of: item)
            if let object = decodeOrLog(item, key: key) { fresh[key] = object }
        }
        let (changes, waiters): ([InformerChange<Object>], [CheckedContinuation<Void, Never>]) = state.withLock { state in
            var changes: [InformerChange<Object>] = []
            for (key, old) in state.objects where fresh[key] == nil {
                Self.remove(key: key, from: &state)
                changes.append(.deleted(old))
            }
            for (key, object) in fresh {
                if let old = state.objects[key] { changes.append(.updated(old: old, new: object)) } else { changes.append(.added(object)) }
                Self.remove(key: key, from: &state)
                state.objects[key] = object
                Self.insert(key: key, object: object, into: &state, only: nil)
            }
            state.hasSynced = true
            defer { state.syncWaiters.removeAll() }
            return (changes, Array(state.syncWaiters.values))
        }
        for waiter in waiters { waiter.resume() }
        notify(changes)
        return list["metadata"]["resourceVersion"].string ?? "0"
    }

    /// Follows watches from `version` until one ends with an error event (410 and the like), then
    /// returns so the caller relists. A stream the server closed normally is resumed.
    private func watch(from version: String) async throws {
        let cursor = Mutex((version: version, expired: false))
        while !Task.isCancelled {
            let path =
                resourcePath + "?watch=true&allowWatchBookmarks=true&timeoutSeconds=300&resourceVersion=\(cursor.withLock { $0.version })"
                + (query.isEmpty ? "" : "&" + query)
            try await client.watch(path) { event in
                guard event.type != "ERROR" else {
                    cursor.withLock { $0.expired = true }
                    return
                }
                if let version = event.object["metadata"]["resourceVersion"].string { cursor.withLock { $0.version = version } }
                self.apply(event)
            }
            if cursor.withLock({ $0.expired }) { return }
        }
    }

    private func apply(_ event: WatchEvent) {
        let key = Self.key(of: event.object)
        switch event.type {
        case "ADDED", "MODIFIED":
            let object = decodeOrLog(event.object, key: key)
            let change: InformerChange<Object>? = state.withLock { state in
                let old = state.objects[key]
                Self.remove(key: key, from: &state)
                guard let object else { return old.map { .deleted($0) } }
                state.objects[key] = object
                Self.insert(key: key, object: object, into: &state, only: nil)
                return old.map { .updated(old: $0, new: object) } ?? .added(object)
            }
            if let change { notify([change]) }
        case "DELETED":
            let old = state.withLock { state in
                let old = state.objects[key]
                Self.remove(key: key, from: &state)
                return old
            }
            if let old { notify([.deleted(old)]) }
        default:
            break
        }
    }

    private func decodeOrLog(_ json: JSON, key: String) -> Object? {
        do {
            return try decode(json)
        } catch {
            logger.warning("ignoring an object the model cannot read", metadata: ["resource": "\(resourcePath)", "object": "\(key)", "error": "\(error)"])
            return nil
        }
    }

    private func notify(_ changes: [InformerChange<Object>]) {
        guard !changes.isEmpty else { return }
        let handlers = state.withLock { $0.handlers }
        for change in changes {
            for handler in handlers { handler(change) }
        }
    }

    /// client-go's cache key, read from the raw object so a DELETED one that no longer decodes
    /// still finds its entry.
    static func key(of json: JSON) -> String {
        let name = json["metadata"]["name"].string ?? ""
        let namespace = json["metadata"]["namespace"].string ?? ""
        return namespace.isEmpty ? name : "\(namespace)/\(name)"
    }

    private static func remove(key: String, from state: inout State) {
        guard let old = state.objects.removeValue(forKey: key) else { return }
        for (name, values) in state.indexers {
            for value in values(old) {
                state.indices[name]?[value]?.removeValue(forKey: key)
                if state.indices[name]?[value]?.isEmpty == true { state.indices[name]?[value] = nil }
            }
        }
    }

    private static func insert(key: String, object: Object, into state: inout State, only: String?) {
        for (name, values) in state.indexers where only == nil || only == name {
            for value in values(object) { state.indices[name, default: [:]][value, default: [:]][key] = object }
        }
    }
}
