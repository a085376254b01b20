import Synchronization

/// Items posted from any task for one consumer, which takes everything posted since its last
/// turn at once: the scheduling loop's watch changes, the event recorder's events.
public final class Inbox<Element: Sendable>: Sendable {
    /// Posts beyond this many waiting are dropped (and counted).
    public let capacity: Int
    private let waiting = Mutex<(items: [Element], dropped: Int)>(([], 0))
    /// Rings once per turn however many items were posted: it holds at most one ring.
    private let doorbell: AsyncStream<Void>.Continuation
    private let rings: AsyncStream<Void>

    public init(capacity: Int = .max) {
        self.capacity = capacity
        (rings, doorbell) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Returns false when the item was dropped because `capacity` items are waiting.
    @discardableResult
    public func post(_ item: Element) -> Bool {
        let accepted = waiting.withLock { waiting in
            guard waiting.items.count < capacity else {
                waiting.dropped += 1
                return false
            }
            waiting.items.append(item)
            return true
        }
        if accepted { doorbell.yield() }
        return accepted
    }

    /// Ends `batches` once the consumer has taken what was posted.
    public func finish() {
        doorbell.finish()
    }

    /// Each element is everything posted since the previous one, in posting order, and how many
    /// posts were dropped meanwhile. Ends with `finish()` or when the consuming task is cancelled.
    public var batches: some AsyncSequence<(items: [Element], dropped: Int), Never> {
        rings.compactMap { [self] _ in
            let batch = self.waiting.withLock { waiting in
                defer { waiting = ([], 0) }
                return waiting
            }
            return batch.items.isEmpty && batch.dropped == 0 ? nil : batch
        }
    }
}
