import Synchronization

/// client-go's rate-limited work queue: a key waits at most once however often it is added, a
/// key being processed is never handed to a second worker (it is queued again once `done`), and
/// failures retry with exponential back-off per key (5 ms doubling to 1000 s) until `forget`.
/// `add` is synchronous so informer handlers can call it directly.
public final class WorkQueue<Key: Hashable & Sendable>: Sendable {
    private struct State {
        var queue: [Key] = []
        var dirty: Set<Key> = []
        var processing: Set<Key> = []
        var failures: [Key: Int] = [:]
        var waiters: [CheckedContinuation<Key?, Never>] = []
        var isShutDown = false

        mutating func takeFirst() -> Key? {
            guard !queue.isEmpty else { return nil }
            let key = queue.removeFirst()
            dirty.remove(key)
            processing.insert(key)
            return key
        }

        /// Queues `key` unless it already waits or is being processed; returns a waiting worker
        /// to hand it to directly.
        mutating func add(_ key: Key) -> CheckedContinuation<Key?, Never>? {
            guard !isShutDown, dirty.insert(key).inserted else { return nil }
            // Processed now: it is queued again when its worker calls `done`.
            guard !processing.contains(key) else { return nil }
            queue.append(key)
            guard !waiters.isEmpty else { return nil }
            _ = takeFirst()
            return waiters.removeFirst()
        }
    }

    private let state = Mutex(State())
    public let baseDelay: Duration
    public let maxDelay: Duration

    public init(baseDelay: Duration = .milliseconds(5), maxDelay: Duration = .seconds(1000)) {
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// Marks `key` as needing work.
    public func add(_ key: Key) {
        state.withLock { $0.add(key) }?.resume(returning: key)
    }

    /// Adds `key` after `delay` (a resync, a retry).
    public func add(_ key: Key, after delay: Duration) {
        Task {
            try? await Task.sleep(for: delay)
            self.add(key)
        }
    }

    /// Adds `key` after its back-off, which doubles with each call until `forget(key)`.
    public func addRateLimited(_ key: Key) {
        let count = state.withLock { state in
            let count = state.failures[key, default: 0]
            state.failures[key] = count + 1
            return count
        }
        add(key, after: min(maxDelay, baseDelay * (1 << min(count, 40))))
    }

    /// How many times `key` has been retried since it last succeeded.
    public func retries(_ key: Key) -> Int { state.withLock { $0.failures[key, default: 0] } }

    /// Clears `key`'s back-off once it was processed successfully.
    public func forget(_ key: Key) { state.withLock { _ = $0.failures.removeValue(forKey: key) } }

    /// The next key to process, waiting for one; nil once the queue is shut down.
    public func next() async -> Key? {
        await withCheckedContinuation { (waiter: CheckedContinuation<Key?, Never>) in
            let answer: Key?? = state.withLock { state in
                if let key = state.takeFirst() { return .some(key) }
                if state.isShutDown { return .some(nil) }
                state.waiters.append(waiter)
                return .none
            }
            if let answer { waiter.resume(returning: answer) }
        }
    }

    /// Ends processing of `key`; if it was added meanwhile it waits again.
    public func done(_ key: Key) {
        let waiter = state.withLock { state -> CheckedContinuation<Key?, Never>? in
            state.processing.remove(key)
            guard state.dirty.remove(key) != nil else { return nil }
            return state.add(key)
        }
        waiter?.resume(returning: key)
    }

    /// Wakes every waiting worker with nil; later adds are ignored.
    public func shutDown() {
        let waiters = state.withLock { state in
            state.isShutDown = true
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: nil) }
    }

    /// Keys waiting to be handed out.
    public var count: Int { state.withLock { $0.queue.count } }
}
