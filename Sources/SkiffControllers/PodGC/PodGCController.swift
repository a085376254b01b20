import Logging
import ServiceLifecycle
import SkiffAPI
import SkiffClient
import Synchronization

/// kube-controller-manager's pod garbage collector: force-deletes (grace period 0) pods no agent
/// will ever finish: pods bound to a Node that no longer exists (once it has been gone for
/// `orphanGrace`, and the API confirms it), pods being deleted that were never scheduled, and
/// the oldest terminated (Succeeded or Failed) pods beyond `terminatedPodThreshold`
/// (`--terminated-pod-gc-threshold`). Informer handlers only enqueue; workers delete through the API.
public final class PodGCController: Service, Sendable {
    /// kube-controller-manager's `--terminated-pod-gc-threshold` default.
    public static let defaultTerminatedPodThreshold = 12_500
    /// How long a Node must be gone before its pods are collected (kube's quarantine time).
    public static let defaultOrphanGrace: Duration = .seconds(40)
    /// Pod index: "terminated" for Succeeded and Failed pods not yet being deleted.
    static let byTermination = "podgc.terminated"

    enum Work: Hashable, Sendable {
        /// Check the count of terminated pods against the threshold.
        case terminated
        /// Check one pod (`namespace/name`): unscheduled and being deleted, or on a gone Node.
        case pod(String)
    }

    let client: any ControllerClient
    let pods: Informer<Pod>
    let nodes: Informer<KubeNode>
    let logger: Logger
    let terminatedPodThreshold: Int
    let orphanGrace: Duration
    let queue = WorkQueue<Work>()
    /// Node name → when a pod bound to it was first seen with the Node missing.
    let missingSince = Mutex<[String: ContinuousClock.Instant]>([:])

    /// `pods` and `nodes` may be shared with other controllers; register before they run.
    /// A `terminatedPodThreshold` of 0 or less keeps every terminated pod.
    public init(
        client: any ControllerClient, pods: Informer<Pod>, nodes: Informer<KubeNode>, logger: Logger,
        terminatedPodThreshold: Int = PodGCController.defaultTerminatedPodThreshold, orphanGrace: Duration = PodGCController.defaultOrphanGrace
    ) {
        self.client = client
        self.pods = pods
        self.nodes = nodes
        var logger = logger
        logger[metadataKey: "controller"] = "podgc"
        self.logger = logger
        self.terminatedPodThreshold = terminatedPodThreshold
        self.orphanGrace = orphanGrace
        pods.indexByNode()
        pods.addIndex(Self.byTermination) { pod in Self.isTerminated(pod) ? ["terminated"] : [] }
        let queue = queue
        pods.addHandler { [nodes] change in
            switch change {
            case .added(let pod), .updated(_, let pod):
                if Self.isTerminated(pod) { queue.add(.terminated) }
                let node = pod.spec.nodeName ?? ""
                if (node.isEmpty && pod.isBeingDeleted) || (!node.isEmpty && nodes.get(node) == nil) { queue.add(.pod(pod.key)) }
            case .deleted:
                break
            }
        }
        nodes.addHandler { [pods] change in
            guard case .deleted(let node) = change else { return }
            for pod in pods.pods(onNode: node.name) { queue.add(.pod(pod.key)) }
        }
    }

    static func isTerminated(_ pod: Pod) -> Bool { pod.status.phase?.isFinal == true && !pod.isBeingDeleted }

    public func run() async {
        let pods = pods
        let nodes = nodes
        await QueueWorkers(
            name: "pod garbage collector", queue: queue, workers: 1, logger: logger,
            waitForCaches: {
                await pods.waitForSync()
                await nodes.waitForSync()
            }, process: { try await self.sync($0) }
        ).run()
    }

    func sync(_ work: Work) async throws {
        switch work {
        case .terminated: try await collectTerminated()
        case .pod(let key): try await collect(key)
        }
    }

    /// Deletes the oldest terminated pods beyond the threshold.
    func collectTerminated() async throws {
        guard terminatedPodThreshold > 0 else { return }
        let terminated = pods.objects(index: Self.byTermination, value: "terminated")
        let excess = terminated.count - terminatedPodThreshold
        guard excess > 0 else { return }
        logger.info("deleting terminated pods over the threshold", metadata: ["count": "\(excess)", "threshold": "\(terminatedPodThreshold)"])
        let oldestFirst = terminated.sorted { (Self.created($0), $0.key) < (Self.created($1), $1.key) }
        for pod in oldestFirst.prefix(excess) { try await forceDelete(pod) }
    }

    /// RFC 3339 in UTC, as the API writes it, so text order is time order.
    static func created(_ pod: Pod) -> String { pod.json["metadata"]["creationTimestamp"].string ?? "" }

    /// Deletes the pod if it is being deleted without ever having been scheduled, or if its Node
    /// has been gone for the grace period.
    func collect(_ key: String) async throws {
        guard let pod = pods.get(key) else { return }
        let nodeName = pod.spec.nodeName ?? ""
        if nodeName.isEmpty {
            if pod.isBeingDeleted { try await forceDelete(pod) }
            return
        }
        guard nodes.get(nodeName) == nil else {
            _ = missingSince.withLock { $0.removeValue(forKey: nodeName) }
            return
        }
        let now = ContinuousClock.now
        let since = missingSince.withLock { missing in
            if let since = missing[nodeName] { return since }
            missing[nodeName] = now
            return now
        }
        let waited = now - since
        guard waited >= orphanGrace else {
            queue.add(.pod(key), after: orphanGrace - waited)
            return
        }
        // The cache may be behind a Node that has just registered again: the API has the last word.
        guard try await client.get(.nodes, namespace: "", name: nodeName) == nil else { return }
        logger.info("deleting a pod bound to a node that no longer exists", metadata: ["pod": "\(key)", "node": "\(nodeName)"])
        try await forceDelete(pod)
    }

    private func forceDelete(_ pod: Pod) async throws {
        do {
            try await client.delete(.pods, namespace: pod.namespace, name: pod.name, options: DeleteOptions(uid: pod.uid, gracePeriodSeconds: 0))
        } catch let error as APIError where error.code == 404 || error.code == 409 {
            // Gone already, or replaced by a new pod of the same name.
        }
    }
}
