import Logging
import SkiffStore
import Synchronization

/// The watch cache of one resource prefix (all pods, all namespaces): one store watch, a ring of
/// its recent events, and the subscriptions they are fanned out to.
final class ResourceWatchCache: Sendable {
    private enum Phase {
        /// Not following the store yet; subscribers wait (true: ready, false: use the store).
        case starting(waiters: [CheckedContinuation<Bool, Never>])
        case ready
        /// The cache service has stopped: subscribers go to the store directly.
        case stopped
    }

    private struct State {
        var phase = Phase.starting(waiters: [])
        var ring: WatchEventRing
        var subscribers: [ObjectIdentifier: WatchSubscription] = [:]
    }

    let prefix: String
    let limits: WatchCache.Limits
    private let state: Mutex<State>

    init(prefix: String, limits: WatchCache.Limits) {
        self.prefix = prefix
        self.limits = limits
        state = Mutex(State(ring: WatchEventRing(capacity: limits.history, floor: 0)))
    }

    /// Waits until the store watch is open: true, or false when the cache will not serve (the
    /// service stopped, or the store refused the watch; the caller then asks the store itself).
    func waitUntilReady() async -> Bool {
        await withCheckedContinuation { continuation in
            let answer = state.withLock { state -> Bool? in
                switch state.phase {
                case .ready: return true
                case .stopped: return false
                case .starting(var waiters):
                    waiters.append(continuation)
                    state.phase = .starting(waiters: waiters)
                    return nil
                }
            }
            if let answer { continuation.resume(returning: answer) }
        }
    }

    /// A subscription to the events under `keyPrefix` after `revision`: the ring's events are
    /// queued now, live ones as they come. Throws `.compacted` when the ring no longer reaches
    /// back to `revision`.
    func subscribe(keyPrefix: String, after revision: Int64) throws(StoreError) -> WatchSubscription {
        let subscription = WatchSubscription(keyPrefix: keyPrefix, afterRevision: revision, backlog: limits.backlog)
        try state.withLock { state throws(StoreError) in
            // Replay and register under one lock: the fan-out waits, so nothing is missed or doubled.
            guard let replay = state.ring.events(after: revision) else { throw .compacted(compactRevision: state.ring.floor) }
            for event in replay { subscription.offer(event) }
            state.subscribers[ObjectIdentifier(subscription)] = subscription
        }
        return subscription
    }

    func unsubscribe(_ subscription: WatchSubscription) {
        _ = state.withLock { $0.subscribers.removeValue(forKey: ObjectIdentifier(subscription)) }
        subscription.finish()
    }

    var latestRevision: Int64 { state.withLock { $0.ring.latest } }

    var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    /// Follows the store until cancelled: one watch of `prefix`, reopened from the newest revision
    /// seen whenever it ends, so subscribers never notice (unless history was compacted past it).
    func follow(store: any Store, opened: @Sendable () -> Void, logger: Logger) async {
        defer { stop() }
        var first = true
        while !Task.isCancelled {
            do throws(StoreError) {
                let after: Int64
                if first {
                    after = try await startRevision(store)
                    first = false
                } else {
                    after = state.withLock { $0.ring.latest }
                }
                let events = try await store.watch(prefix: prefix, afterRevision: after)
                opened()
                becomeReady()
                for await event in events { deliver(event) }
            } catch .compacted(let compactRevision) {
                // etcd does not say where it compacted (0): then the cache starts again from now.
                let restartRevision = compactRevision > 0 ? compactRevision : ((try? await store.currentRevision()) ?? 0)
                restart(at: restartRevision)
                continue
            } catch {
                logger.warning("watch cache: store watch failed", metadata: ["prefix": "\(prefix)", "error": "\(error)"])
                refuseWaiters()
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    /// Where the first store watch starts: far enough back that the ring holds recent history
    /// (a client that listed just before the cache started resumes from it instead of getting
    /// 410), or at the compaction point if that is later.
    private func startRevision(_ store: any Store) async throws(StoreError) -> Int64 {
        let current = try await store.currentRevision()
        let start = max(0, current - Int64(limits.history))
        state.withLock { $0.ring = WatchEventRing(capacity: limits.history, floor: start) }
        return start
    }

    private func deliver(_ event: StoreEvent) {
        state.withLock { state in
            guard event.revision > state.ring.latest else { return }
            state.ring.append(event)
            for (id, subscriber) in state.subscribers where !subscriber.offer(event) {
                state.subscribers.removeValue(forKey: id)
            }
        }
    }

    private func becomeReady() {
        let waiters = state.withLock { state -> [CheckedContinuation<Bool, Never>] in
            guard case .starting(let waiters) = state.phase else { return [] }
            state.phase = .ready
            return waiters
        }
        for waiter in waiters { waiter.resume(returning: true) }
    }

    /// The store could not be watched: whoever waits asks the store itself (and gets its error).
    private func refuseWaiters() {
        let waiters = state.withLock { state -> [CheckedContinuation<Bool, Never>] in
            guard case .starting(let waiters) = state.phase else { return [] }
            state.phase = .starting(waiters: [])
            return waiters
        }
        for waiter in waiters { waiter.resume(returning: false) }
    }

    /// History up to `revision` is gone from the store: the ring starts again there, and every
    /// subscriber, whose next events may be lost, is closed to resume (and relist on 410).
    private func restart(at revision: Int64) {
        let closing = state.withLock { state in
            state.ring = WatchEventRing(capacity: limits.history, floor: revision)
            defer { state.subscribers.removeAll() }
            return Array(state.subscribers.values)
        }
        for subscriber in closing { subscriber.finish() }
    }

    /// Stops serving: waiters and subscribers are let go (subscribers end after their pending events).
    func stop() {
        let (waiters, closing) = state.withLock { state -> ([CheckedContinuation<Bool, Never>], [WatchSubscription]) in
            var waiters: [CheckedContinuation<Bool, Never>] = []
            if case .starting(let pending) = state.phase { waiters = pending }
            state.phase = .stopped
            defer { state.subscribers.removeAll() }
            return (waiters, Array(state.subscribers.values))
        }
        for waiter in waiters { waiter.resume(returning: false) }
        for subscriber in closing { subscriber.finish() }
    }
}
