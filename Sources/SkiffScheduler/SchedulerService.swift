import Foundation
import Logging
import SkiffAPI

/// The scheduler loop: list and watch nodes and pods, keep the snapshot current, and bind
/// pending pods. Unschedulable pods are retried whenever nodes change or pods go away.
/// Runs as a swift-service-lifecycle Service in the server process (see `SchedulerRunner`).
public struct SchedulerService: Sendable {
    let client: any SchedulerClient
    let logger: Logger

    public init(client: any SchedulerClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    enum Change: Sendable {
        case pod(type: String, object: JSON)
        case node(type: String, object: JSON)
        case ended
    }

    /// Runs until cancelled, relisting whenever a watch ends (for example after a 410).
    public func run() async {
        while !Task.isCancelled {
            do {
                try await runOnce()
            } catch {
                logger.warning("scheduler loop restarting", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: .milliseconds(200))
        }
    }

    func runOnce() async throws {
        var state = State()
        let nodes = try await client.list(.nodes)
        for node in nodes.items { state.scheduler.upsertNode(NodeInfo(node)) }
        let pods = try await client.list(.pods)
        for pod in pods.items { state.observe(pod: PodInfo(pod), deleted: false) }
        try await scheduleRound(&state)
        let nodeEvents = try await client.watch(.nodes, from: nodes.resourceVersion)
        let podEvents = try await client.watch(.pods, from: pods.resourceVersion)
        let (changes, continuation) = AsyncStream<Change>.makeStream()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await event in nodeEvents { continuation.yield(.node(type: event.type, object: event.object)) }
                continuation.yield(.ended)
            }
            group.addTask {
                for await event in podEvents { continuation.yield(.pod(type: event.type, object: event.object)) }
                continuation.yield(.ended)
            }
            for await change in changes {
                switch change {
                case .ended:
                    group.cancelAll()
                    continuation.finish()
                    return
                case .node(let type, let object):
                    if type == "DELETED" {
                        state.scheduler.removeNode(object["metadata"]["name"].string ?? "")
                    } else if type == "ADDED" || type == "MODIFIED" {
                        state.scheduler.upsertNode(NodeInfo(object))
                        state.retryUnschedulable = true
                    }
                case .pod(let type, let object):
                    guard type == "ADDED" || type == "MODIFIED" || type == "DELETED" else { continue }
                    state.observe(pod: PodInfo(object), deleted: type == "DELETED")
                }
                try await scheduleRound(&state)
            }
        }
    }

    struct State {
        var scheduler = Scheduler()
        /// Unbound pods waiting for a decision, by namespace/name.
        var pending: [String: PodInfo] = [:]
        /// Pods that did not fit, with the message last reported for them.
        var unschedulable: [String: String] = [:]
        var retryUnschedulable = false

        mutating func observe(pod: PodInfo, deleted: Bool) {
            if deleted {
                pending.removeValue(forKey: pod.key)
                unschedulable.removeValue(forKey: pod.key)
                if let node = pod.nodeName {
                    scheduler.removePod(key: pod.key, node: node)
                    retryUnschedulable = true
                }
                return
            }
            if pod.nodeName != nil {
                pending.removeValue(forKey: pod.key)
                unschedulable.removeValue(forKey: pod.key)
                scheduler.addPod(pod)
            } else if pod.schedulerName == "default-scheduler" && !pod.terminating {
                pending[pod.key] = pod
            }
        }
    }

    func scheduleRound(_ state: inout State) async throws {
        let retry = state.retryUnschedulable
        state.retryUnschedulable = false
        let candidates = state.pending.values
            .filter { retry || state.unschedulable[$0.key] == nil }
            .sorted { $0.key < $1.key }
        for pod in candidates {
            switch state.scheduler.schedule(pod) {
            case .bind(let node):
                do {
                    try await client.bind(namespace: pod.namespace, name: pod.name, uid: pod.uid, node: node)
                    state.pending.removeValue(forKey: pod.key)
                    state.unschedulable.removeValue(forKey: pod.key)
                    try? await client.createEvent(namespace: pod.namespace, Self.event(pod, reason: "Scheduled", type: "Normal",
                        message: "Successfully assigned \(pod.namespace)/\(pod.name) to \(node)"))
                } catch {
                    // Bound by someone else or deleted: forget the assumption; the watch will tell.
                    state.scheduler.removePod(key: pod.key, node: node)
                    state.pending.removeValue(forKey: pod.key)
                    logger.debug("binding failed", metadata: ["pod": "\(pod.key)", "error": "\(error)"])
                }
            case .unschedulable(let message):
                if state.unschedulable[pod.key] != message {
                    state.unschedulable[pod.key] = message
                    try? await client.createEvent(namespace: pod.namespace, Self.event(pod, reason: "FailedScheduling", type: "Warning", message: message))
                }
            }
        }
    }

    static func event(_ pod: PodInfo, reason: String, type: String, message: String) -> JSON {
        let now = Timestamp.now()
        return [
            "apiVersion": "v1", "kind": "Event",
            "metadata": ["generateName": .string("\(pod.name)."), "namespace": .string(pod.namespace)],
            "involvedObject": ["kind": "Pod", "apiVersion": "v1", "namespace": .string(pod.namespace), "name": .string(pod.name), "uid": .string(pod.uid)],
            "reason": .string(reason), "message": .string(message), "type": .string(type),
            "source": ["component": "default-scheduler"], "reportingComponent": "default-scheduler",
            "firstTimestamp": .string(now), "lastTimestamp": .string(now), "count": 1,
        ]
    }
}
