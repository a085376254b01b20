import Logging
import SkiffAPI

/// Writes the scheduler's events (Scheduled, FailedScheduling) off the scheduling path, as
/// client-go's event broadcaster does for kube-scheduler: the loop hands an event over and goes
/// on to the next pod. A few writers post events at once, so they share the store's commits
/// without crowding out the API's other clients.
final class EventRecorder: Sendable {
    /// Events posted at once.
    static let writers = 8
    /// Events waiting beyond this are dropped with a warning, as client-go drops them when its
    /// queue (1,000) is full: events are informational, and memory must stay bounded.
    static let capacity = 10_000

    struct Pending: Sendable {
        let namespace: String
        let event: JSON
    }

    private let client: any SchedulerClient
    private let logger: Logger
    private let inbox = Inbox<Pending>(capacity: EventRecorder.capacity)

    init(client: any SchedulerClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    func record(namespace: String, _ event: JSON) {
        inbox.post(Pending(namespace: namespace, event: event))
    }

    /// Posts recorded events until cancelled; a failed post is logged and not retried.
    func run() async {
        for await (batch, dropped) in inbox.batches {
            if dropped > 0 { logger.warning("scheduler events dropped: too many waiting", metadata: ["dropped": "\(dropped)"]) }
            await withTaskGroup(of: Void.self) { group in
                for (index, pending) in batch.enumerated() {
                    if index >= Self.writers { await group.next() }
                    group.addTask { [client, logger] in
                        do {
                            try await client.createEvent(namespace: pending.namespace, pending.event)
                        } catch {
                            logger.debug("event not recorded", metadata: ["reason": "\(pending.event["reason"])", "error": "\(error)"])
                        }
                    }
                }
            }
        }
    }
}
