import Foundation
import Logging
import ServiceLifecycle
import SkiffAPI
import SkiffClient

/// kube-controller-manager's deployment controller: a Deployment's template becomes a ReplicaSet
/// per revision (named by the template's hash), and a rollout moves pods from the old sets to
/// the new one, by RollingUpdate within maxSurge and maxUnavailable or by Recreate. Scaling in
/// the middle of a rollout is shared proportionally; a paused Deployment scales but does not
/// roll; old sets beyond revisionHistoryLimit go; the status and its Progressing and Available
/// conditions say where the rollout is. Each sync reads the informers' caches and writes one
/// step; the ReplicaSets' own updates bring the next.
public final class DeploymentController: Service, Sendable {
    /// Field manager and event source.
    public static let component = "deployment-controller"
    /// Index of the ReplicaSet informer: the namespace of each set without a controller.
    static let orphansByNamespace = "orphans-by-namespace"

    let client: any ControllerClient
    let deployments: Informer<Deployment>
    let replicaSets: Informer<ReplicaSet>
    let pods: Informer<Pod>
    /// For the ScalingReplicaSet events (it creates no pods).
    let events: PodControl
    let workers: SyncWorkers
    let logger: Logger
    /// The clock conditions are stamped and deadlines measured by (tests move it).
    let now: @Sendable () -> Date

    public init(context: ControllerContext, workers: Int = 4, now: @escaping @Sendable () -> Date = { Date() }) {
        client = context.client
        deployments = context.informers.deployments
        replicaSets = context.informers.replicaSets
        pods = context.informers.pods
        events = context.podControl(component: Self.component)
        var logger = context.logger
        logger[metadataKey: "controller"] = "deployment"
        self.logger = logger
        self.workers = SyncWorkers(name: "deployment controller", workers: workers, logger: logger)
        self.now = now
        replicaSets.addIndex(Self.orphansByNamespace) { set in set.metadata.controllerRef == nil ? [set.metadata.namespace] : [] }
        deployments.addHandler { [weak self] change in self?.deploymentChanged(change) }
        replicaSets.addHandler { [weak self] change in self?.replicaSetChanged(change) }
        pods.addHandler { [weak self] change in self?.podChanged(change) }
    }

    public func run() async {
        await cancelWhenGracefulShutdown {
            await self.deployments.waitForSync()
            await self.replicaSets.waitForSync()
            await self.pods.waitForSync()
            guard !Task.isCancelled else { return }
            await self.workers.run { key in try await self.sync(key) }
        }
    }

    // MARK: - informer handlers: they only enqueue keys

    private func deploymentChanged(_ change: InformerChange<Deployment>) {
        switch change {
        case .added(let deployment), .deleted(let deployment): workers.enqueue(deployment.key)
        case .updated(let old, let new): if old.metadata.resourceVersion != new.metadata.resourceVersion { workers.enqueue(new.key) }
        }
    }

    private func replicaSetChanged(_ change: InformerChange<ReplicaSet>) {
        switch change {
        case .added(let set), .deleted(let set):
            if let key = ownerKey(of: set) { workers.enqueue(key) } else if set.metadata.controllerRef == nil { enqueueClaimants(of: set) }
        case .updated(let old, let new):
            guard old.metadata.resourceVersion != new.metadata.resourceVersion else { return }
            let oldKey = ownerKey(of: old)
            let newKey = ownerKey(of: new)
            if let oldKey, oldKey != newKey { workers.enqueue(oldKey) }
            if let newKey {
                workers.enqueue(newKey)
            } else if new.metadata.controllerRef == nil {
                enqueueClaimants(of: new)
                enqueueClaimants(of: old)
            }
        }
    }

    /// A Recreate rollout waits for the old pods to be gone: each one going may let it proceed.
    private func podChanged(_ change: InformerChange<Pod>) {
        guard case .deleted(let pod) = change, let reference = pod.controllerRef, reference.kind == ReplicaSet.kind,
            let set = replicaSets.get("\(pod.namespace)/\(reference.name)"), set.metadata.uid == reference.uid,
            let key = ownerKey(of: set), deployments.get(key)?.spec.strategy == .recreate
        else { return }
        workers.enqueue(key)
    }

    /// The key of the cached Deployment that controls `set`.
    func ownerKey(of set: ReplicaSet) -> String? {
        guard let reference = set.metadata.controllerRef, reference.kind == Deployment.kind, reference.apiVersion.hasPrefix("apps/") else {
            return nil
        }
        let key = "\(set.metadata.namespace)/\(reference.name)"
        guard let deployment = deployments.get(key), deployment.metadata.uid == reference.uid else { return nil }
        return key
    }

    private func enqueueClaimants(of set: ReplicaSet) {
        for deployment in deployments.objects(in: set.metadata.namespace)
        where !deployment.spec.selector.isEmpty && deployment.spec.selector.matches(set.metadata.labels) {
            workers.enqueue(deployment.key)
        }
    }

    // MARK: - sync

    /// One step of the Deployment `key` (`namespace/name`) toward its spec. A conflict means the
    /// cache was behind a write (its own or another's): the event bringing that write enqueues
    /// the Deployment again, so it is no failure to back off from.
    func sync(_ key: String) async throws {
        do {
            try await step(key)
        } catch let error as APIError where error.code == 409 {
            logger.debug("conflict; syncing again", metadata: ["deployment": "\(key)", "error": "\(error)"])
            workers.queue.add(key, after: .milliseconds(200))
        }
    }

    private func step(_ key: String) async throws {
        guard var deployment = deployments.get(key) else { return }
        let sets = try await claimReplicaSets(for: deployment)
        if deployment.metadata.isBeingDeleted {
            // Its sets and pods go with it; only the status is kept current meanwhile.
            let (new, old) = split(sets, for: deployment)
            try await syncStatus(deployment, new: new, old: old)
            return
        }
        deployment = try await checkPausedCondition(deployment)
        if deployment.spec.paused || isScalingEvent(deployment, sets: sets) {
            try await syncScale(deployment, sets: sets)
            return
        }
        switch deployment.spec.strategy {
        case .recreate: try await rolloutRecreate(deployment, sets: sets)
        case .rollingUpdate: try await rolloutRolling(deployment, sets: sets)
        }
    }

    /// The set whose template is the Deployment's (the oldest, should there be several), and the others.
    func split(_ sets: [ReplicaSet], for deployment: Deployment) -> (new: ReplicaSet?, old: [ReplicaSet]) {
        let new = sets.filter { deployment.templateMatches($0) }.sorted(by: RolloutMath.olderFirst).first
        return (new, sets.filter { $0.metadata.uid != new?.metadata.uid })
    }

    /// Whether the Deployment's replicas changed since its active sets were last scaled for it
    /// (their desired-replicas annotation): then it is scaled, not rolled.
    func isScalingEvent(_ deployment: Deployment, sets: [ReplicaSet]) -> Bool {
        sets.contains { set in
            guard set.spec.replicas > 0, let desired = set.metadata.annotations[Deployment.desiredReplicasAnnotation].flatMap({ Int32($0) })
            else { return false }
            return desired != deployment.spec.replicas
        }
    }
}
