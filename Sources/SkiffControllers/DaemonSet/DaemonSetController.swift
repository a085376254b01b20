import Foundation
import Logging
import ServiceLifecycle
import SkiffAPI
import SkiffClient
import Synchronization

/// kube-controller-manager's daemonset controller: one pod per node the DaemonSet's template may
/// run on (nodeSelector, required node affinity, taints against its tolerations and the daemon
/// defaults), pinned there by node affinity for the scheduler to bind. Nodes that join get a pod,
/// pods on nodes that no longer fit (or no longer exist) are deleted, failed pods are replaced
/// with a per-node back-off, and a changed template rolls out (RollingUpdate with maxUnavailable
/// or maxSurge, or OnDelete) under revisions kept as ControllerRevisions.
public final class DaemonSetController: Service, Sendable {
    public static let fieldManager = "daemonset-controller"

    let context: ControllerContext
    let daemonSets: Informer<DaemonSet>
    let pods: Informer<Pod>
    let nodes: Informer<KubeNode>
    let revisions: Informer<ControllerRevision>
    let podControl: PodControl
    let history: ControllerHistory
    let expectations = ControllerExpectations()
    let workers: SyncWorkers
    let logger: Logger
    /// Failed-pod replacement back-off by `daemonset key/node`: the delay and when it next allows one.
    let failedPodBackoff = Mutex<[String: (delay: Duration, until: ContinuousClock.Instant)]>([:])
    static let initialBackoff = Duration.seconds(1)
    static let maxBackoff = Duration.seconds(15 * 60)

    public init(context: ControllerContext) {
        self.context = context
        daemonSets = context.informers.daemonSets
        pods = context.informers.pods
        nodes = context.informers.nodes
        revisions = context.informers.controllerRevisions
        podControl = context.podControl(component: Self.fieldManager)
        history = ControllerHistory(client: context.client, fieldManager: Self.fieldManager)
        var logger = context.logger
        logger[metadataKey: "controller"] = "daemonset"
        self.logger = logger
        workers = SyncWorkers(name: "daemonset controller", workers: 2, logger: logger)
        registerHandlers()
    }

    private func registerHandlers() {
        daemonSets.addHandler { [workers, expectations] change in
            switch change {
            case .added(let daemonSet), .updated(_, let daemonSet): workers.enqueue(daemonSet.key)
            case .deleted(let daemonSet):
                expectations.forget(daemonSet.key)
                workers.enqueue(daemonSet.key)
            }
        }
        pods.addHandler { [workers, expectations] change in
            func owner(_ pod: Pod) -> String? {
                guard let ref = pod.controllerRef, ref.kind == "DaemonSet", ref.apiVersion.hasPrefix("apps/") else { return nil }
                return "\(pod.namespace)/\(ref.name)"
            }
            switch change {
            case .added(let pod):
                guard let key = owner(pod) else { return }
                expectations.creationObserved(key)
                workers.enqueue(key)
            case .updated(let old, let new):
                if let key = owner(new) {
                    if new.isBeingDeleted && !old.isBeingDeleted { expectations.deletionObserved(key, uid: new.uid) }
                    workers.enqueue(key)
                }
                if let key = owner(old), key != owner(new) { workers.enqueue(key) }
            case .deleted(let pod):
                guard let key = owner(pod) else { return }
                expectations.deletionObserved(key, uid: pod.uid)
                workers.enqueue(key)
            }
        }
        nodes.addHandler { [workers, daemonSets] change in
            switch change {
            case .updated(let old, let new)
            where old.labels == new.labels && old.taints == new.taints && old.unschedulable == new.unschedulable
                && old.readyStatus == new.readyStatus:
                return
            default:
                for daemonSet in daemonSets.list() { workers.enqueue(daemonSet.key) }
            }
        }
    }

    public func run() async {
        await cancelWhenGracefulShutdown {
            await self.daemonSets.waitForSync()
            await self.pods.waitForSync()
            await self.nodes.waitForSync()
            await self.revisions.waitForSync()
            guard !Task.isCancelled else { return }
            await self.workers.run { key in try await self.sync(key) }
        }
    }

    /// Brings the DaemonSet `key` (`namespace/name`) to one current pod per eligible node.
    func sync(_ key: String) async throws {
        guard let daemonSet = daemonSets.get(key) else {
            expectations.forget(key)
            failedPodBackoff.withLock { backoff in backoff = backoff.filter { !$0.key.hasPrefix(key + "/") } }
            return
        }
        // Its pods go with it through the garbage collector.
        if daemonSet.metadata.isBeingDeleted { return }
        let owner = ControllerOwner(apiVersion: "apps/v1", kind: "DaemonSet", metadata: daemonSet.metadata)
        let owned = pods.objects(controlledBy: daemonSet.metadata.uid)
        let current = try await history.current(
            owner: owner, template: daemonSet.template, collisionCount: daemonSet.collisionCount,
            revisions: revisions.objects(controlledBy: daemonSet.metadata.uid))
        let hash = current.revision.hash ?? daemonSet.template.hash(collisionCount: current.collisionCount)
        var plan = DaemonSetPlan(daemonSet: daemonSet, hash: hash, nodes: nodes.list(), pods: owned, now: Date())
        plan.status.collisionCount = current.collisionCount

        if expectations.isSatisfied(key) {
            try await apply(plan, daemonSet: daemonSet, owner: owner, hash: hash)
        } else {
            // The pod events that satisfy them enqueue it again; this is the backstop.
            workers.queue.add(key, after: .seconds(1))
        }
        let inUse = Set(owned.compactMap { $0.labels[ControllerRevision.hashLabel] } + [hash])
        try await history.truncate(current.others, limit: daemonSet.revisionHistoryLimit, inUse: inUse)
        try await writeStatus(plan.status, of: daemonSet)
        if let after = plan.recheckAfter { workers.queue.add(key, after: after) }
    }

    private func apply(_ plan: DaemonSetPlan, daemonSet: DaemonSet, owner: ControllerOwner, hash: String) async throws {
        var deletions = plan.delete
        for (node, pod) in plan.failed {
            if let wait = backoffRemaining(daemonSet.key, node: node) {
                workers.queue.add(daemonSet.key, after: wait)
                continue
            }
            podControl.record(
                owner, type: "Warning", reason: "FailedDaemonPod", message: "Found failed daemon pod \(pod.key) on node \(node), will try to kill it")
            deletions.append(pod)
        }
        guard !deletions.isEmpty || !plan.createOn.isEmpty else { return }
        let key = daemonSet.key
        expectations.expect(key, creations: plan.createOn.count, deletions: deletions.map(\.uid))
        logger.debug("syncing daemon pods", metadata: ["daemonset": "\(key)", "creates": "\(plan.createOn.count)", "deletes": "\(deletions.count)"])
        var firstError: (any Error)?
        for pod in deletions {
            do {
                try await podControl.deletePod(pod, for: owner)
            } catch {
                expectations.deletionObserved(key, uid: pod.uid)
                firstError = firstError ?? error
            }
        }
        let nodes = plan.createOn
        let failures = Mutex(0)
        let (successes, error) = await PodControl.slowStartBatch(count: nodes.count) { [podControl, expectations] index in
            do {
                try await podControl.createPod(DaemonPods.pod(of: daemonSet, owner: owner, node: nodes[index], hash: hash), for: owner)
            } catch {
                expectations.creationObserved(key)
                failures.withLock { $0 += 1 }
                throw error
            }
        }
        // Creations never attempted after a failed batch will not be observed either.
        let skipped = nodes.count - successes - failures.withLock { $0 }
        for _ in 0..<max(0, skipped) { expectations.creationObserved(key) }
        if let error = firstError ?? error { throw error }
    }

    /// How long failed pods on `node` must wait before the next replacement; nil (and the next
    /// delay doubled) when one may be replaced now.
    private func backoffRemaining(_ daemonSet: String, node: String) -> Duration? {
        let key = "\(daemonSet)/\(node)"
        let now = ContinuousClock.now
        return failedPodBackoff.withLock { backoff in
            if let entry = backoff[key], now < entry.until { return entry.until - now }
            let delay = backoff[key].map { min($0.delay * 2, Self.maxBackoff) } ?? Self.initialBackoff
            backoff[key] = (delay, now + delay)
            return nil
        }
    }

    private func writeStatus(_ status: DaemonSetStatus, of daemonSet: DaemonSet) async throws {
        try await context.client.updateStatus(
            .daemonSetStatus, of: daemonSet.json, to: status.applied(to: daemonSet.json["status"]), namespace: daemonSet.metadata.namespace,
            fieldManager: Self.fieldManager)
    }
}

extension APIResource {
    public static let daemonSets = APIResource(group: "apps", version: "v1", plural: "daemonsets")
    public static let daemonSetStatus = APIResource(group: "apps", version: "v1", plural: "daemonsets", subresource: "status")
}

extension SharedInformers {
    public var daemonSets: Informer<DaemonSet> { informer(.daemonSets) { try DaemonSet(json: $0) } }
}
