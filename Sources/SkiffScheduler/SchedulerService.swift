import Foundation
import Logging
import SkiffAPI
import SkiffClient

/// The scheduler loop: list and watch nodes and pods, keep the snapshot current, and bind
/// pending pods. Unschedulable pods are retried whenever nodes change or pods go away.
/// Runs as a swift-service-lifecycle Service in the server process (see `SchedulerRunner`).
public struct SchedulerService: Sendable {
    let client: any SchedulerClient
    let logger: Logger
    let events: EventRecorder

    public init(client: any SchedulerClient, logger: Logger) {
        self.client = client
        self.logger = logger
        events = EventRecorder(component: "scheduler", writer: client, logger: logger)
    }

    enum Change: Sendable {
        case pod(type: String, object: JSON)
        case node(type: String, object: JSON)
        /// Time to retry pods waiting on their volumes' claims (the scheduler watches no claims).
        case volumeRetry
        case ended
    }

    /// How often pods kept pending by their claims are tried again.
    static let volumeRetryInterval: Duration = .seconds(2)

    /// Runs until cancelled, relisting whenever a watch ends (for example after a 410).
    public func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await events.run() }
            while !Task.isCancelled {
                do {
                    try await runOnce()
                } catch {
                    logger.warning("scheduler loop restarting", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: .milliseconds(200))
            }
            // Cancelled: the recorder, a child of this task, is cancelled with it.
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
        let inbox = Inbox<Change>()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await event in nodeEvents { inbox.post(.node(type: event.type, object: event.object)) }
                inbox.post(.ended)
            }
            group.addTask {
                for await event in podEvents { inbox.post(.pod(type: event.type, object: event.object)) }
                inbox.post(.ended)
            }
            group.addTask {
                while !Task.isCancelled {
                    try await Task.sleep(for: Self.volumeRetryInterval)
                    inbox.post(.volumeRetry)
                }
            }
            // Everything that arrived while the last round ran is applied before the next one,
            // so a burst of new pods is decided in one round and their writes share commits.
            for await (changes, _) in inbox.batches {
                for change in changes {
                    switch change {
                    case .ended:
                        group.cancelAll()
                        inbox.finish()
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
                    case .volumeRetry:
                        for (key, pod) in state.pending where !pod.claimNames.isEmpty && state.unschedulable[key] != nil { state.active.insert(key) }
                    }
                }
                try await scheduleRound(&state)
            }
        }
    }

    struct State {
        var scheduler = Scheduler()
        /// Unbound pods waiting for a decision, by namespace/name.
        var pending: [String: PodInfo] = [:]
        /// Pending pods not tried since they arrived or changed (kube-scheduler's active queue),
        /// so a round costs what changed, not every pending pod.
        var active: Set<String> = []
        /// Pods that did not fit, with the message last reported for them.
        var unschedulable: [String: String] = [:]
        var retryUnschedulable = false

        mutating func observe(pod: PodInfo, deleted: Bool) {
            if deleted {
                forget(pod.key)
                if let node = pod.nodeName {
                    scheduler.removePod(key: pod.key, node: node)
                    retryUnschedulable = true
                }
                return
            }
            if pod.nodeName != nil {
                forget(pod.key)
                scheduler.addPod(pod)
            } else if pod.schedulerName == "default-scheduler" && !pod.terminating {
                pending[pod.key] = pod
                if unschedulable[pod.key] == nil { active.insert(pod.key) }
            }
        }

        mutating func forget(_ key: String) {
            pending.removeValue(forKey: key)
            active.remove(key)
            unschedulable.removeValue(forKey: key)
        }

        /// The pods to try this round, in a stable order: the active ones, or every pending pod
        /// when something (a node, a freed pod) may have made room for the unschedulable ones.
        mutating func takeCandidates() -> [PodInfo] {
            let keys = retryUnschedulable ? Array(pending.keys) : Array(active)
            retryUnschedulable = false
            active.removeAll(keepingCapacity: true)
            return keys.sorted().compactMap { pending[$0] }
        }
    }

    /// Bindings allowed in flight at once.
    /// kube-scheduler likewise binds in goroutines after the synchronous scheduling cycle; with
    /// the store's group commit, concurrent bindings share fsyncs instead of queueing for one each.
    static let bindingsInFlight = 64

    /// One finished binding: the pod, the node it was assumed on, and the error if it failed.
    struct BindingOutcome: Sendable {
        let pod: PodInfo
        let node: String
        let error: (any Error)?
    }

    /// Decides every candidate in turn (each decision assumes the pod on its node, so the next
    /// decision sees it) and binds them concurrently; failed bindings are forgotten at the end.
    /// Events go to the recorder: the round never waits for them.
    func scheduleRound(_ state: inout State) async throws {
        let candidates = state.takeCandidates()
        guard !candidates.isEmpty else { return }
        await withTaskGroup(of: BindingOutcome.self) { bindings in
            var inFlight = 0
            for candidate in candidates {
                var pod = candidate
                var claimsAwaitingNode: [String] = []
                if !pod.claimNames.isEmpty {
                    switch await VolumeBinding(client: client).resolve(pod) {
                    case .unschedulable(let message):
                        reportUnschedulable(pod, message, &state)
                        continue
                    case .ready(let terms, let awaiting):
                        pod.volumeNodeTerms = terms
                        claimsAwaitingNode = awaiting
                    }
                }
                switch state.scheduler.schedule(pod) {
                case .bind(let node):
                    state.forget(pod.key)
                    await makeRoom(in: &bindings, inFlight: &inFlight, &state)
                    bindings.addTask { [pod] in await bind(pod, node: node, claimsAwaitingNode: claimsAwaitingNode) }
                case .unschedulable(let message):
                    reportUnschedulable(pod, message, &state)
                }
            }
            for await outcome in bindings { forgetIfFailed(outcome, &state) }
        }
    }

    /// Keeps the pod pending, with a FailedScheduling event when the reason is new.
    func reportUnschedulable(_ pod: PodInfo, _ message: String, _ state: inout State) {
        guard state.unschedulable[pod.key] != message else { return }
        state.unschedulable[pod.key] = message
        events.record(namespace: pod.namespace, Self.event(pod, reason: "FailedScheduling", type: "Warning", message: message))
    }

    /// Waits for a binding to finish if `bindingsInFlight` are running, then counts the next one.
    func makeRoom(in bindings: inout TaskGroup<BindingOutcome>, inFlight: inout Int, _ state: inout State) async {
        if inFlight == Self.bindingsInFlight, let outcome = await bindings.next() {
            forgetIfFailed(outcome, &state)
            inFlight -= 1
        }
        inFlight += 1
    }

    func bind(_ pod: PodInfo, node: String, claimsAwaitingNode: [String] = []) async -> BindingOutcome {
        do {
            // The claims learn their node first, so the provisioner can make their volumes there.
            for claim in claimsAwaitingNode { try await client.selectNode(node, forClaim: claim, namespace: pod.namespace) }
            try await client.bind(namespace: pod.namespace, name: pod.name, uid: pod.uid, node: node)
        } catch {
            return BindingOutcome(pod: pod, node: node, error: error)
        }
        events.record(
            namespace: pod.namespace,
            Self.event(
                pod, reason: "Scheduled", type: "Normal",
                message: "Successfully assigned \(pod.namespace)/\(pod.name) to \(node)"))
        return BindingOutcome(pod: pod, node: node, error: nil)
    }

    /// Bound by someone else or deleted: drop the assumption; the watch will tell what happened.
    func forgetIfFailed(_ outcome: BindingOutcome, _ state: inout State) {
        guard let error = outcome.error else { return }
        state.scheduler.removePod(key: outcome.pod.key, node: outcome.node)
        logger.debug("binding failed", metadata: ["pod": "\(outcome.pod.key)", "error": "\(error)"])
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
