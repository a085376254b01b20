/// client-go's rate-limited work queue: a key waits at most once however often it is added, a
/// key being processed is never handed to a second worker (it is queued again once `done`), and
/// failures retry with exponential back-off per key (5 ms doubling to 1000 s) until `forget`.
public actor WorkQueue<Key: Hashable & Sendable> {
    private var queue: [Key] = []
    private var dirty: Set<Key> = []
    private var processing: Set<Key> = []
    private var failures: [Key: Int] = [:]
    private var waiters: [CheckedContinuation<Key?, Never>] = []
    private var isShutDown = false
    public let baseDelay: Duration
    public let maxDelay: Duration

    public init(baseDelay: Duration = .milliseconds(5), maxDelay: Duration = .seconds(1000)) {
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// Marks `key` as needing work.
    public func add(_ key: Key) {
        guard !isShutDown, dirty.insert(key).inserted else { return }
        // Processed now: it is queued again when its worker calls `done`.
        guard !processing.contains(key) else { return }
        if waiters.isEmpty {
            queue.append(key)
        } else {
            dirty.remove(key)
            processing.insert(key)
            waiters.removeFirst().resume(returning: key)
        }
    }

    /// Adds `key` after `delay` (a resync, a retry).
    public nonisolated func add(_ key: Key, after delay: Duration) {
        Task {
            try? await Task.sleep(for: delay)
            await self.add(key)
        }
    }

    /// Adds `key` after its back-off, which doubles with each call until `forget(key)`.
    public func addRateLimited(_ key: Key) {
        let count = failures[key, default: 0]
        failures[key] = count + 1
        let delay = min(maxDelay, baseDelay * (1 << min(count, 40)))
        add(key, after: delay)
    }

    /// How many times `key` has been retried since it last succeeded.
    public func retries(_ key: Key) -> Int { failures[key, default: 0] }

    /// Clears `key`'s back-off once it was processed successfully.
    public func forget(_ key: Key) { failures[key] = nil }

    /// The next key to process, waiting for one; nil once the queue is shut down.
    public func next() async -> Key? {
        if let key = takeFirst() { return key }
        if isShutDown { return nil }
        return await withCheckedContinuation { waiters.append($0) }
    }

    /// Ends processing of `key`; if it was added meanwhile it waits again.
    public func done(_ key: Key) {
        processing.remove(key)
        if dirty.contains(key) {
            dirty.remove(key)
            add(key)
        }
    }

    /// Wakes every waiting worker with nil; later adds are ignored.
    public func shutDown() {
        isShutDown = true
        for waiter in waiters { waiter.resume(returning: nil) }
        waiters.removeAll()
    }

    public var count: Int { queue.count }

    private func takeFirst() -> Key? {
        guard !queue.isEmpty else { return nil }
        let key = queue.removeFirst()
        dirty.remove(key)
        processing.insert(key)
        return key
    }
}
