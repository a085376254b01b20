import Logging
import SkiffStore
import Synchronization

/// The API server's watch cache: one store watch per resource prefix, fanned out to every client
/// watching that resource, so N clients watching pods cost one store watch (as the Kubernetes API
/// server's cacher). A prefix's store watch opens with its first client; `WatchCacheService`
/// runs them. While that service is not running (tests that call `KubeAPI` without its services),
/// or with the cache disabled, each watch opens its own store watch, as before the cache.
public final class WatchCache: Sendable {
    /// How much each cache keeps.
    public struct Limits: Sendable {
        /// Events of one resource kept for clients resuming from a recent resourceVersion.
        public var history = 1024
        /// Events one client may fall behind by before it is closed.
        public var backlog = 1024

        public init(history: Int = 1024, backlog: Int = 1024) {
            self.history = history
            self.backlog = backlog
        }
    }

    public let enabled: Bool
    let limits: Limits
    private struct State {
        /// Whether `run` is following the store (resources created now will be started).
        var running = false
        var resources: [String: ResourceWatchCache] = [:]
    }

    private let state = Mutex(State())
    /// Resources whose store watch should start, consumed by the running service.
    private let starts: AsyncStream<ResourceWatchCache>
    private let startsContinuation: AsyncStream<ResourceWatchCache>.Continuation
    private let storeWatches = Atomic<Int>(0)

    public init(enabled: Bool = true, limits: Limits = Limits()) {
        self.enabled = enabled
        self.limits = limits
        (starts, startsContinuation) = AsyncStream.makeStream()
    }

    /// Store watches the cache has opened (reopenings included): one per resource in steady state.
    public var storeWatchesOpened: Int { storeWatches.load(ordering: .relaxed) }

    /// A subscription to `keyPrefix` (within the resource under `resourcePrefix`) after
    /// `revision`, or nil when the cache does not serve and the caller watches the store itself.
    /// Throws `.compacted` when `revision` is older than the cache's history.
    func subscribe(resourcePrefix: String, keyPrefix: String, after revision: Int64) async throws(StoreError) -> WatchSubscription? {
        guard enabled else { return nil }
        let resource = state.withLock { state -> ResourceWatchCache? in
            guard state.running else { return nil }
            if let existing = state.resources[resourcePrefix] { return existing }
            let created = ResourceWatchCache(prefix: resourcePrefix, limits: limits)
            state.resources[resourcePrefix] = created
            startsContinuation.yield(created)
            return created
        }
        guard let resource, await resource.waitUntilReady() else { return nil }
        return try resource.subscribe(keyPrefix: keyPrefix, after: revision)
    }

    func unsubscribe(_ subscription: WatchSubscription, resourcePrefix: String) {
        if let resource = state.withLock({ $0.resources[resourcePrefix] }) {
            resource.unsubscribe(subscription)
        } else {
            subscription.finish()
        }
    }

    /// Whether the service follows the store, so watches are served from the cache.
    var isRunning: Bool { state.withLock { $0.running } }

    /// The newest revision the resource's cache has seen (nil before its first client).
    func latestRevision(resourcePrefix: String) -> Int64? {
        state.withLock { $0.resources[resourcePrefix] }?.latestRevision
    }

    /// Clients currently subscribed to the resource under `resourcePrefix`.
    public func subscriberCount(resourcePrefix: String) -> Int {
        state.withLock { $0.resources[resourcePrefix] }?.subscriberCount ?? 0
    }

    /// Follows each resource's store watch as clients ask for it, until cancelled.
    func run(store: any Store, logger: Logger) async {
        state.withLock { $0.running = true }
        await withDiscardingTaskGroup { group in
            for await resource in starts {
                group.addTask {
                    await resource.follow(store: store, opened: { self.storeWatches.add(1, ordering: .relaxed) }, logger: logger)
                }
            }
        }
        // A resource asked for after the loop ended was never followed: its waiters use the store.
        let resources = state.withLock { state in
            state.running = false
            defer { state.resources.removeAll() }
            return Array(state.resources.values)
        }
        for resource in resources { resource.stop() }
    }
}
