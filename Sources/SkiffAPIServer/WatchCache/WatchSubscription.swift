import SkiffStore
import Synchronization

/// One watch client's queue of store events: filled by the watch cache's fan-out (or by a store
/// watch of its own when the cache is off), drained by the client's response. The fan-out never
/// waits for a client: when `backlog` events are pending, the client is too slow and its watch is
/// closed (the client resumes from the last event it got, or relists), so one stalled connection
/// neither holds up the others nor grows the server's memory.
final class WatchSubscription: Sendable {
    enum Item: Equatable, Sendable {
        case event(StoreEvent)
        /// Every event up to this revision that the client's filter passes has been delivered.
        case bookmark(revision: Int64)
    }

    enum Ending: Equatable, Sendable {
        /// The watch ended: timeout, client gone, server shutdown, or the store watch ended.
        case finished
        /// The client fell `backlog` events behind and was dropped.
        case evicted
    }

    private struct State {
        var pending: [StoreEvent] = []
        /// Index of the next pending event (the array is compacted once drained).
        var next = 0
        /// The newest revision offered, whether or not it passed the key filter.
        var seen: Int64
        var bookmarkDue = false
        var ending: Ending?
        var waiter: CheckedContinuation<Void, Never>?

        var pendingCount: Int { pending.count - next }
    }

    /// Only keys under this prefix are queued (the namespace of a namespaced watch).
    let keyPrefix: String
    /// Events at or before this revision are the client's already.
    let afterRevision: Int64
    let backlog: Int
    private let state: Mutex<State>

    init(keyPrefix: String, afterRevision: Int64, backlog: Int) {
        self.keyPrefix = keyPrefix
        self.afterRevision = afterRevision
        self.backlog = backlog
        state = Mutex(State(seen: afterRevision))
    }

    /// Queues `event` if the client wants it. Returns false once the subscription has ended
    /// (now or before), so the fan-out forgets it.
    @discardableResult
    func offer(_ event: StoreEvent) -> Bool {
        let (waiter, open) = state.withLock { state -> (CheckedContinuation<Void, Never>?, Bool) in
            guard state.ending == nil else { return (nil, false) }
            guard event.revision > afterRevision, event.revision > state.seen else { return (nil, true) }
            state.seen = event.revision
            guard event.key.hasPrefix(keyPrefix) else { return (nil, true) }
            if state.pendingCount >= backlog {
                state.ending = .evicted
                // The client never reads these now: free them at once.
                state.pending = []
                state.next = 0
                return (state.waiter.take(), false)
            }
            state.pending.append(event)
            return (state.waiter.take(), true)
        }
        // Resumed outside the lock: resuming may wait for the waiting task's status lock, which
        // its cancellation handler holds while it takes ours.
        waiter?.resume()
        return open
    }

    /// Asks for a bookmark, delivered once the pending events are.
    func requestBookmark() {
        let waiter = state.withLock { state in
            state.bookmarkDue = true
            return state.waiter.take()
        }
        waiter?.resume()
    }

    /// Ends the watch after the pending events.
    func finish() {
        let waiter = state.withLock { state in
            if state.ending == nil { state.ending = .finished }
            return state.waiter.take()
        }
        waiter?.resume()
    }

    /// How the watch ended, or nil while it runs.
    var ending: Ending? { state.withLock { $0.ending } }

    /// The next event or bookmark, waiting for one; nil when the watch has ended (after its
    /// pending events unless it was evicted) or the calling task is cancelled.
    func next() async -> Item? {
        while true {
            let item = state.withLock { state -> Item?? in
                if state.next < state.pending.count {
                    let event = state.pending[state.next]
                    state.next += 1
                    if state.next == state.pending.count {
                        state.pending.removeAll(keepingCapacity: true)
                        state.next = 0
                    }
                    return .some(.event(event))
                }
                if state.ending != nil { return .some(nil) }
                if state.bookmarkDue {
                    state.bookmarkDue = false
                    // Nothing is pending: every wanted event up to `seen` has been delivered.
                    return .some(.bookmark(revision: state.seen))
                }
                return .none
            }
            if let item { return item }
            if Task.isCancelled { return nil }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let ready = state.withLock { state in
                        if state.pendingCount > 0 || state.ending != nil || state.bookmarkDue || Task.isCancelled { return true }
                        state.waiter = continuation
                        return false
                    }
                    if ready { continuation.resume() }
                }
            } onCancel: {
                finish()
            }
        }
    }
}
