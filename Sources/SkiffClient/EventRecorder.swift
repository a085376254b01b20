import Logging
import ServiceLifecycle
import SkiffAPI

/// Where recorded events go: the API's `POST /api/v1/namespaces/<ns>/events`, in-process or over
/// HTTPS, or a fake in tests.
public protocol EventWriter: Sendable {
    func createEvent(namespace: String, _ event: JSON) async throws
}

/// Writes core/v1 Events off the caller's path, as client-go's event broadcaster does for the
/// kubelet and kube-scheduler: `record` hands an event over and returns at once. A few writers
/// post at a time, so bursts share the store's commits without crowding out other clients.
/// Memory stays bounded: past `capacity` waiting events, new ones are dropped and counted.
public final class EventRecorder: Service, Sendable {
    /// Events posted at once.
    public static let writers = 8
    /// client-go drops events when its queue (1,000) is full; events are informational.
    public static let defaultCapacity = 10_000

    struct Pending: Sendable {
        let namespace: String
        let event: JSON
    }

    /// Who records, for the log line that reports drops ("kubelet", "scheduler").
    let component: String
    private let writer: any EventWriter
    private let logger: Logger
    private let inbox: Inbox<Pending>

    public init(component: String, writer: any EventWriter, logger: Logger, capacity: Int = EventRecorder.defaultCapacity) {
        self.component = component
        self.writer = writer
        self.logger = logger
        inbox = Inbox(capacity: capacity)
    }

    /// Queues the event; false when it was dropped because the queue is full.
    @discardableResult
    public func record(namespace: String, _ event: JSON) -> Bool {
        inbox.post(Pending(namespace: namespace, event: event))
    }

    /// Posts recorded events until cancelled or shut down; a failed post is logged, not retried.
    public func run() async {
        await cancelWhenGracefulShutdown { await self.postRecorded() }
    }

    private func postRecorded() async {
        for await (batch, dropped) in inbox.batches {
            if dropped > 0 { logger.warning("\(component) events dropped: too many waiting", metadata: ["dropped": "\(dropped)"]) }
            await withTaskGroup(of: Void.self) { group in
                for (index, pending) in batch.enumerated() {
                    if index >= Self.writers { await group.next() }
                    group.addTask { [writer, logger] in
                        do {
                            try await writer.createEvent(namespace: pending.namespace, pending.event)
                        } catch {
                            logger.debug("event not recorded", metadata: ["reason": "\(pending.event["reason"])", "error": "\(error)"])
                        }
                    }
                }
            }
        }
    }
}

extension EventRecorder {
    /// A core/v1 Event about `involved` (kind, apiVersion, namespace, name, uid, fieldPath), as
    /// the kubelet and controllers write them: a unique name after the object's, both timestamps now.
    public static func event(involved: JSON, type: String, reason: String, message: String, component: String, host: String) -> JSON {
        let now = Timestamp.now()
        let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 16)
        return [
            "apiVersion": "v1", "kind": "Event",
            "metadata": ["name": .string("\(involved["name"].string ?? "object").\(suffix)"), "namespace": involved["namespace"]],
            "involvedObject": involved, "reason": .string(reason), "message": .string(message), "type": .string(type),
            "source": ["component": .string(component), "host": .string(host)],
            "firstTimestamp": .string(now), "lastTimestamp": .string(now), "count": 1,
            "reportingComponent": .string(component), "reportingInstance": .string(host),
        ]
    }
}
