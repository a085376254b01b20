import Foundation
import Logging
import ServiceLifecycle
import SkiffAPI
import SkiffClient

/// kube-controller-manager's statefulset controller: pods with stable names `<set>-<ordinal>`,
/// each with its own PersistentVolumeClaims (made before the pod, kept when it is deleted, so
/// a pod made again mounts the same claims), created and removed in ordinal order (OrderedReady)
/// or all at once (Parallel), and rolled onto a new template from the highest ordinal down to the
/// partition (RollingUpdate) or only where deleted (OnDelete), under ControllerRevisions. Pod
/// names are fixed, so a stale cache can only make a create fail with 409, never a duplicate.
public final class StatefulSetController: Service, Sendable {
    public static let fieldManager = "statefulset-controller"

    let context: ControllerContext
    let statefulSets: Informer<StatefulSet>
    let pods: Informer<Pod>
    let revisions: Informer<ControllerRevision>
    let podControl: PodControl
    let history: ControllerHistory
    let workers: SyncWorkers
    let logger: Logger

    public init(context: ControllerContext) {
        self.context = context
        statefulSets = context.informers.statefulSets
        pods = context.informers.pods
        revisions = context.informers.controllerRevisions
        podControl = context.podControl(component: Self.fieldManager)
        history = ControllerHistory(client: context.client, fieldManager: Self.fieldManager)
        var logger = context.logger
        logger[metadataKey: "controller"] = "statefulset"
        self.logger = logger
        workers = SyncWorkers(name: "statefulset controller", workers: 2, logger: logger)
        statefulSets.addHandler { [workers] change in
            switch change {
            case .added(let set), .updated(_, let set), .deleted(let set): workers.enqueue(set.key)
            }
        }
        pods.addHandler { [workers] change in
            func owner(_ pod: Pod) -> String? {
                guard let ref = pod.controllerRef, ref.kind == "StatefulSet", ref.apiVersion.hasPrefix("apps/") else { return nil }
                return "\(pod.namespace)/\(ref.name)"
            }
            switch change {
            case .added(let pod), .deleted(let pod): if let key = owner(pod) { workers.enqueue(key) }
            case .updated(let old, let new):
                for key in Set([owner(old), owner(new)].compactMap { $0 }) { workers.enqueue(key) }
            }
        }
    }

    public func run() async {
        await cancelWhenGracefulShutdown {
            await self.statefulSets.waitForSync()
            await self.pods.waitForSync()
            await self.revisions.waitForSync()
            guard !Task.isCancelled else { return }
            await self.workers.run { key in try await self.sync(key) }
        }
    }

    /// Takes the StatefulSet `key` (`namespace/name`) one step (or, with Parallel, every step) further.
    func sync(_ key: String) async throws {
        // Deleted or being deleted: the garbage collector removes its pods (and claims it owns).
        guard let set = statefulSets.get(key), !set.metadata.isBeingDeleted else { return }
        let owner = ControllerOwner(apiVersion: "apps/v1", kind: "StatefulSet", metadata: set.metadata)
        let owned = pods.objects(controlledBy: set.metadata.uid)
        let ownedRevisions = revisions.objects(controlledBy: set.metadata.uid)
        let update = try await history.current(owner: owner, template: set.template, collisionCount: set.collisionCount, revisions: ownedRevisions)
        let updateName = update.revision.metadata.name
        // The current revision is the one the status names, while it still exists.
        let current = set.currentRevision.flatMap { name in (ownedRevisions + [update.revision]).first { $0.metadata.name == name } } ?? update.revision
        var plan = StatefulSetPlan(statefulSet: set, pods: owned, currentRevision: current.metadata.name, updateRevision: updateName, now: Date())
        plan.status.collisionCount = update.collisionCount

        // Pods below the partition are made again from the current revision's template.
        var templates = [updateName: set.template]
        if current.metadata.name != updateName { templates[current.metadata.name] = current.template ?? set.template }
        for step in plan.steps {
            switch step {
            case .create(let ordinal, let revision):
                try await createClaims(of: set, owner: owner, ordinal: ordinal)
                let pod = StatefulPods.pod(of: set, owner: owner, template: templates[revision] ?? set.template, ordinal: ordinal, revision: revision)
                do {
                    try await podControl.createPod(pod, for: owner)
                } catch let error as APIError where error.code == 409 {
                    // Our cache has not seen it yet (or it is still going): the next event retries.
                }
            case .delete(let pod):
                try await podControl.deletePod(pod, for: owner)
            case .condemn(let pod):
                if set.whenScaled == .delete { try await handClaims(of: set, ordinalOf: pod) }
                try await podControl.deletePod(pod, for: owner)
            }
        }
        let inUse = Set(owned.compactMap { $0.labels[ControllerRevision.hashLabel] } + [current.metadata.name, updateName])
        try await history.truncate(update.others.filter { $0.metadata.name != current.metadata.name }, limit: set.revisionHistoryLimit, inUse: inUse)
        try await writeStatus(plan.status, of: set)
        if let after = plan.recheckAfter { workers.queue.add(key, after: after) }
    }

    /// Creates pod `ordinal`'s claims that do not exist yet; existing ones are reused as they are.
    private func createClaims(of set: StatefulSet, owner: ControllerOwner, ordinal: Int) async throws {
        for claim in StatefulPods.claims(of: set, owner: owner, ordinal: ordinal) {
            let name = claim["metadata"]["name"].string ?? ""
            if try await context.client.get(.persistentVolumeClaims, namespace: set.metadata.namespace, name: name) != nil { continue }
            do {
                _ = try await context.client.create(.persistentVolumeClaims, namespace: set.metadata.namespace, claim, fieldManager: Self.fieldManager)
                podControl.record(
                    owner, reason: "SuccessfulCreate",
                    message: "create Claim \(name) Pod \(set.podName(ordinal: ordinal)) in StatefulSet \(set.metadata.name) success")
            } catch let error as APIError where error.code == 409 {
            } catch {
                podControl.record(
                    owner, type: "Warning", reason: "FailedCreate",
                    message: "create Claim \(name) for Pod \(set.podName(ordinal: ordinal)) in StatefulSet \(set.metadata.name) failed error: \(error)")
                throw error
            }
        }
    }

    /// whenScaled: Delete — the claims of a pod scaled away get the pod as owner, so the garbage
    /// collector deletes them once the pod is gone (and a scale-up before then keeps them).
    private func handClaims(of set: StatefulSet, ordinalOf pod: Pod) async throws {
        guard let ordinal = set.ordinal(ofPod: pod.name) else { return }
        let podOwner = ControllerOwner(apiVersion: "v1", kind: "Pod", metadata: pod.metadata)
        for claimTemplate in set.volumeClaimTemplates {
            guard let templateName = claimTemplate["metadata"]["name"].string else { continue }
            let name = set.claimName(template: templateName, ordinal: ordinal)
            guard var claim = try await context.client.get(.persistentVolumeClaims, namespace: set.metadata.namespace, name: name) else { continue }
            var references = claim["metadata"]["ownerReferences"].array ?? []
            guard !references.contains(where: { $0["uid"].string == pod.uid }) else { continue }
            references.append(StatefulPods.nonControllingReference(to: podOwner))
            claim["metadata"]["ownerReferences"] = .array(references)
            _ = try await context.client.update(.persistentVolumeClaims, namespace: set.metadata.namespace, claim, fieldManager: Self.fieldManager)
        }
    }

    private func writeStatus(_ status: StatefulSetStatus, of set: StatefulSet) async throws {
        try await context.client.updateStatus(
            .statefulSetStatus, of: set.json, to: status.applied(to: set.json["status"]), namespace: set.metadata.namespace, fieldManager: Self.fieldManager)
    }
}

extension APIResource {
    public static let statefulSets = APIResource(group: "apps", version: "v1", plural: "statefulsets")
    public static let statefulSetStatus = APIResource(group: "apps", version: "v1", plural: "statefulsets", subresource: "status")
}

extension SharedInformers {
    public var statefulSets: Informer<StatefulSet> { informer(.statefulSets) { try StatefulSet(json: $0) } }
}
