import Foundation
import Logging
import ServiceLifecycle
import SkiffAPI
import SkiffClient

/// kube-controller-manager's replicaset controller: keeps `spec.replicas` pods of a ReplicaSet's
/// template running. Each sync reads the informers' caches, claims the pods (adopting orphans
/// its selector matches, releasing its own that no longer match), creates or deletes the
/// difference in slow-start batches, and writes the counts through the status subresource.
/// Expectations hold a ReplicaSet back while its own creations and deletions have not reached
/// the pod informer, so a stale cache never makes it create the same pods twice.
public final class ReplicaSetController: Service, Sendable {
    /// Field manager and event source.
    public static let component = "replicaset-controller"
    /// At most this many pods created or deleted in one sync (kube-controller-manager's burstReplicas).
    static let burstReplicas = 500
    /// Index of the pod informer: the namespace of each pod without a controller, the ones a
    /// ReplicaSet may adopt.
    static let orphansByNamespace = "orphans-by-namespace"

    let client: any ControllerClient
    let replicaSets: Informer<ReplicaSet>
    let pods: Informer<Pod>
    let podControl: PodControl
    let expectations: ControllerExpectations
    let workers: SyncWorkers
    let logger: Logger

    public init(context: ControllerContext, workers: Int = 4, expectations: ControllerExpectations = ControllerExpectations()) {
        client = context.client
        replicaSets = context.informers.replicaSets
        pods = context.informers.pods
        podControl = context.podControl(component: Self.component)
        self.expectations = expectations
        var logger = context.logger
        logger[metadataKey: "controller"] = "replicaset"
        self.logger = logger
        self.workers = SyncWorkers(name: "replicaset controller", workers: workers, logger: logger)
        pods.addIndex(Self.orphansByNamespace) { pod in pod.controllerRef == nil ? [pod.namespace] : [] }
        replicaSets.addHandler { [weak self] change in self?.replicaSetChanged(change) }
        pods.addHandler { [weak self] change in self?.podChanged(change) }
    }

    public func run() async {
        await cancelWhenGracefulShutdown {
            await self.replicaSets.waitForSync()
            await self.pods.waitForSync()
            guard !Task.isCancelled else { return }
            await self.workers.run { key in try await self.sync(key) }
        }
    }

    // MARK: - informer handlers: they only enqueue keys and count what the cache has seen

    private func replicaSetChanged(_ change: InformerChange<ReplicaSet>) {
        switch change {
        case .added(let replicaSet): workers.enqueue(replicaSet.key)
        case .updated(let old, let new): if old.metadata.resourceVersion != new.metadata.resourceVersion { workers.enqueue(new.key) }
        case .deleted(let replicaSet):
            expectations.forget(replicaSet.key)
            workers.enqueue(replicaSet.key)
        }
    }

    private func podChanged(_ change: InformerChange<Pod>) {
        switch change {
        case .added(let pod):
            guard let key = ownerKey(of: pod) else {
                if pod.controllerRef == nil { for key in claimants(of: pod) { workers.enqueue(key) } }
                return
            }
            // A pod already being deleted when first seen (after a restart) is a deletion.
            if pod.isBeingDeleted { expectations.deletionObserved(key, uid: pod.uid) } else { expectations.creationObserved(key) }
            workers.enqueue(key)
        case .updated(let old, let new):
            guard old.resourceVersion != new.resourceVersion else { return }
            let oldKey = ownerKey(of: old)
            let newKey = ownerKey(of: new)
            if new.isBeingDeleted && !old.isBeingDeleted {
                for key in Set([oldKey, newKey].compactMap { $0 }) { expectations.deletionObserved(key, uid: new.uid) }
            }
            // Released or handed to another controller: the old owner counts one less.
            if let oldKey, oldKey != newKey { workers.enqueue(oldKey) }
            if let newKey {
                workers.enqueue(newKey)
            } else if new.controllerRef == nil {
                // An orphan whose labels changed may now match another ReplicaSet.
                for key in Set(claimants(of: new) + claimants(of: old)) { workers.enqueue(key) }
            }
        case .deleted(let pod):
            guard let key = ownerKey(of: pod) else { return }
            expectations.deletionObserved(key, uid: pod.uid)
            workers.enqueue(key)
        }
    }

    /// The key of the cached ReplicaSet that controls `pod`.
    func ownerKey(of pod: Pod) -> String? {
        guard let reference = pod.controllerRef, reference.kind == ReplicaSet.kind, reference.apiVersion.hasPrefix("apps/") else { return nil }
        let key = "\(pod.namespace)/\(reference.name)"
        guard let replicaSet = replicaSets.get(key), replicaSet.metadata.uid == reference.uid else { return nil }
        return key
    }

    /// The ReplicaSets of the pod's namespace whose selector matches it: who may adopt an orphan.
    func claimants(of pod: Pod) -> [String] {
        replicaSets.objects(in: pod.namespace).filter { !$0.spec.selector.isEmpty && $0.spec.selector.matches(pod.labels) }.map(\.key)
    }

    // MARK: - sync

    /// Brings the ReplicaSet `key` (`namespace/name`) to its replicas and reports its status.
    func sync(_ key: String) async throws {
        guard let replicaSet = replicaSets.get(key) else {
            expectations.forget(key)
            return
        }
        let satisfied = expectations.isSatisfied(key)
        let claimed = try await claimPods(for: replicaSet)
        var failure: ManageFailure?
        if satisfied && !replicaSet.metadata.isBeingDeleted {
            failure = await manageReplicas(claimed, of: replicaSet)
        } else if !satisfied {
            // The pod events that satisfy them enqueue it again; this is the backstop.
            workers.queue.add(key, after: .seconds(5))
        }
        let status = Self.status(of: replicaSet, pods: claimed, failure: failure, now: Date())
        try await write(status, of: replicaSet)
        if let failure { throw failure.error }
        // A pod ready but not yet for minReadySeconds becomes available without an event.
        if replicaSet.spec.minReadySeconds > 0 && status.readyReplicas != status.availableReplicas {
            workers.queue.add(key, after: .seconds(Int64(replicaSet.spec.minReadySeconds)))
        }
    }

    /// Why the last create or delete failed, for the ReplicaFailure condition.
    struct ManageFailure {
        let reason: String
        let error: any Error
    }

    /// Creates or deletes pods so `pods` (the active, claimed ones) become `spec.replicas`.
    func manageReplicas(_ pods: [Pod], of replicaSet: ReplicaSet) async -> ManageFailure? {
        let key = replicaSet.key
        let owner = ControllerOwner(apiVersion: ReplicaSet.apiVersion, kind: ReplicaSet.kind, metadata: replicaSet.metadata)
        let difference = pods.count - Int(replicaSet.spec.replicas)
        if difference < 0 {
            let count = min(-difference, Self.burstReplicas)
            let pod = replicaSet.spec.template.pod(
                owner: replicaSet.ownerReference, namespace: replicaSet.metadata.namespace, generateName: "\(replicaSet.metadata.name)-")
            expectations.expectCreations(key, count: count)
            let podControl = podControl
            let result = await PodControl.slowStartBatch(count: count) { _ in try await podControl.createPod(pod, for: owner) }
            // The creations that failed or were never tried will not be seen.
            for _ in result.successes..<count { expectations.creationObserved(key) }
            return result.error.map { ManageFailure(reason: "FailedCreate", error: $0) }
        }
        if difference > 0 {
            let doomed = PodDeletionOrder.choose(min(difference, Self.burstReplicas), of: pods)
            expectations.expectDeletions(key, uids: doomed.map(\.uid))
            let errors = await withTaskGroup(of: (any Error)?.self) { group in
                for pod in doomed {
                    group.addTask { [podControl, expectations] in
                        do {
                            try await podControl.deletePod(pod, for: owner)
                            return nil
                        } catch {
                            expectations.deletionObserved(key, uid: pod.uid)
                            return error
                        }
                    }
                }
                var errors: [any Error] = []
                for await case let error? in group { errors.append(error) }
                return errors
            }
            return errors.first.map { ManageFailure(reason: "FailedDelete", error: $0) }
        }
        return nil
    }

    /// The counts of `pods` (active and claimed) as the ReplicaSet's status; the ReplicaFailure
    /// condition says why the last create or delete failed until one succeeds.
    static func status(of replicaSet: ReplicaSet, pods: [Pod], failure: ManageFailure?, now: Date) -> ReplicaSet.Status {
        var status = replicaSet.status
        let templateLabels = replicaSet.spec.template.labels
        status.replicas = Int32(pods.count)
        status.fullyLabeledReplicas = Int32(pods.count { pod in templateLabels.allSatisfy { pod.labels[$0.key] == $0.value } })
        status.readyReplicas = Int32(pods.count(where: \.isReady))
        status.availableReplicas = Int32(pods.count { $0.isAvailable(minReadySeconds: replicaSet.spec.minReadySeconds, now: now) })
        status.observedGeneration = replicaSet.metadata.generation ?? 0
        if let failure {
            let now = Timestamp.now()
            status.conditions.set(
                WorkloadCondition(type: "ReplicaFailure", status: "True", reason: failure.reason, message: "\(failure.error)", lastTransitionTime: now))
        } else {
            status.conditions.remove("ReplicaFailure")
        }
        return status
    }

    /// Writes `status` unless it is what the ReplicaSet already reports; a conflict retries once
    /// on the stored object.
    private func write(_ status: ReplicaSet.Status, of replicaSet: ReplicaSet) async throws {
        guard status != replicaSet.status else { return }
        let namespace = replicaSet.metadata.namespace
        do {
            _ = try await client.update(.replicaSetStatus, namespace: namespace, replicaSet.withStatus(status), fieldManager: Self.component)
        } catch let error as APIError where error.code == 409 {
            guard let stored = try await client.get(.replicaSets, namespace: namespace, name: replicaSet.metadata.name) else { return }
            let latest = try ReplicaSet(json: stored)
            guard latest.metadata.uid == replicaSet.metadata.uid else { return }
            _ = try await client.update(.replicaSetStatus, namespace: namespace, latest.withStatus(status), fieldManager: Self.component)
        } catch let error as APIError where error.code == 404 {
            return
        }
    }
}
