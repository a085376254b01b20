import Synchronization

/// Watch changes waiting for the scheduling loop. Watch tasks post one change at a time; the
/// loop takes every change that arrived since its last turn in one batch.
final class ChangeInbox: Sendable {
    private let waiting = Mutex<[SchedulerService.Change]>([])
    /// Rings once per turn however many changes were posted: it holds at most one ring.
    private let doorbell: AsyncStream<Void>.Continuation
    private let rings: AsyncStream<Void>

    init() {
        (rings, doorbell) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    func post(_ change: SchedulerService.Change) {
        waiting.withLock { $0.append(change) }
        doorbell.yield()
    }

    /// Ends `batches` once the loop has taken what was posted.
    func finish() {
        doorbell.finish()
    }

    /// Each element is every change posted since the previous one, in posting order.
    var batches: some AsyncSequence<[SchedulerService.Change], Never> {
        rings.compactMap { [self] _ in
            let changes = self.waiting.withLock { changes in
                defer { changes.removeAll(keepingCapacity: true) }
                return changes
            }
            return changes.isEmpty ? nil : changes
        }
    }
}
