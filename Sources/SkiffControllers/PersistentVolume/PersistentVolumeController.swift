import Logging
import ServiceLifecycle
import SkiffAPI
import SkiffClient

/// kube-controller-manager's persistent volume binder with k3s's local-path provisioner built
/// in: binds claims to matching volumes, provisions a volume for a claim of the `local-path`
/// class once the scheduler has chosen the node (a directory under `localPathRoot` there, pinned
/// to that node), releases volumes whose claim is gone (deleting them under reclaim policy
/// `Delete`, keeping them Released under `Retain`), and lifts a deleted claim's protection once
/// no pod uses it.
public struct PersistentVolumeController: Service {
    public static let component = "persistentvolume-controller"
    /// The provisioner name of the built-in class.
    public static let localPathProvisioner = "skiff.dev/local-path"
    public static let claims = APIResource(plural: "persistentvolumeclaims")
    public static let volumes = APIResource(plural: "persistentvolumes")
    public static let storageClasses = APIResource(group: "storage.k8s.io", plural: "storageclasses")

    let context: ControllerContext
    let localPathRoot: String
    let claimInformer: Informer<PersistentVolumeClaim>
    let volumeInformer: Informer<PersistentVolume>
    let classInformer: Informer<StorageClass>
    let pods: Informer<Pod>
    let nodes: Informer<KubeNode>
    let workers: SyncWorkers

    public init(context: ControllerContext, localPathRoot: String = "/var/lib/skiff/storage") {
        self.context = context
        self.localPathRoot = localPathRoot
        claimInformer = context.informers.informer(Self.claims) { try PersistentVolumeClaim(json: $0) }
        volumeInformer = context.informers.informer(Self.volumes) { try PersistentVolume(json: $0) }
        classInformer = context.informers.informer(Self.storageClasses) { try StorageClass(json: $0) }
        pods = context.informers.pods
        nodes = context.informers.nodes
        workers = SyncWorkers(name: Self.component, workers: 2, logger: context.logger)
        claimInformer.addHandler { [workers] change in
            switch change {
            case .added(let claim), .deleted(let claim), .updated(_, let claim): workers.enqueue("claim/" + claim.key)
            }
            if case .deleted(let claim) = change, let volume = claim.volumeName { workers.enqueue("volume/" + volume) }
        }
        volumeInformer.addHandler { [workers] change in
            switch change {
            case .added(let volume), .deleted(let volume), .updated(_, let volume):
                workers.enqueue("volume/" + volume.name)
                if let reference = volume.claimRef { workers.enqueue("claim/\(reference.namespace)/\(reference.name)") }
            }
        }
        classInformer.addHandler { [claimInformer, workers] _ in
            // A class that appears lets waiting claims of it go on.
            for claim in claimInformer.list() where !claim.isBound { workers.enqueue("claim/" + claim.key) }
        }
        pods.addHandler { [workers] change in
            // A pod that finishes or goes may be the last user of a claim being deleted.
            let pod: Pod
            switch change {
            case .deleted(let gone): pod = gone
            case .updated(_, let new): pod = new
            case .added: return
            }
            for volume in pod.spec.volumes {
                if case .persistentVolumeClaim(let claim) = volume.source { workers.enqueue("claim/\(pod.namespace)/\(claim.claimName)") }
            }
        }
    }

    public func run() async {
        for informer in [claimInformer.waitForSync, volumeInformer.waitForSync, classInformer.waitForSync, pods.waitForSync, nodes.waitForSync] {
            await informer()
        }
        await workers.run { key in
            if key.hasPrefix("claim/") { try await syncClaim(String(key.dropFirst(6))) } else { try await syncVolume(String(key.dropFirst(7))) }
        }
    }

    // MARK: - claims

    func syncClaim(_ key: String) async throws {
        guard let claim = claimInformer.get(key) else { return }
        if claim.metadata.isBeingDeleted { return try await releaseProtection(claim) }
        if let volumeName = claim.volumeName {
            guard let volume = volumeInformer.get(volumeName) else {
                if claim.phase == "Bound" { try await setPhase(of: claim, "Lost") }
                return
            }
            if volume.claimRef == nil { return try await bind(volume, to: claim) }
            if volume.claimRef?.uid == claim.metadata.uid, claim.phase != "Bound" { try await markBound(claim, to: volume) }
            return
        }
        let selectedNode = claim.selectedNode.flatMap { $0.isEmpty ? nil : $0 }
        let nodeLabels = selectedNode.flatMap { nodes.get($0)?.metadata.labels }
        if let volume = VolumeMatcher.bestMatch(for: claim, among: volumeInformer.list(), nodeLabels: nodeLabels) {
            return try await bind(volume, to: claim)
        }
        guard let className = claim.storageClassName, !className.isEmpty else {
            return event(claim, "Normal", "FailedBinding", "no persistent volumes available for this claim and no storage class is set")
        }
        guard let storageClass = classInformer.get(className) else {
            return event(claim, "Warning", "ProvisioningFailed", "storageclass.storage.k8s.io \"\(className)\" not found")
        }
        guard storageClass.provisioner == Self.localPathProvisioner else {
            return event(
                claim, "Normal", "ExternalProvisioning",
                "Waiting for a volume to be created either by the external provisioner '\(storageClass.provisioner)' or manually by the system administrator")
        }
        guard let node = selectedNode else {
            if storageClass.waitsForFirstConsumer {
                return event(claim, "Normal", "WaitForFirstConsumer", "waiting for first consumer to be created before binding")
            }
            return event(
                claim, "Warning", "ProvisioningFailed",
                "the local-path provisioner needs volumeBindingMode WaitForFirstConsumer: a local volume lives on the node its pod runs on")
        }
        try await provision(claim, storageClass: storageClass, node: node)
    }

    /// A PersistentVolume for `claim`: a directory on `node`, pinned there, already claimed.
    private func provision(_ claim: PersistentVolumeClaim, storageClass: StorageClass, node: String) async throws {
        let name = "pvc-\(claim.metadata.uid)"
        let path = "\(localPathRoot)/\(name)_\(claim.metadata.namespace)_\(claim.metadata.name)"
        var volume: JSON = [
            "apiVersion": "v1", "kind": "PersistentVolume",
            "metadata": [
                "name": .string(name),
                "annotations": ["pv.kubernetes.io/provisioned-by": .string(Self.localPathProvisioner), "local.path.provisioner/selected-node": .string(node)],
            ],
            "spec": [
                "capacity": ["storage": claim.json["spec"]["resources"]["requests"]["storage"]],
                "accessModes": .array(claim.accessModes.map(JSON.string)),
                "persistentVolumeReclaimPolicy": .string(storageClass.reclaimPolicy),
                "storageClassName": .string(storageClass.metadata.name),
                "hostPath": ["path": .string(path), "type": "DirectoryOrCreate"],
                "nodeAffinity": [
                    "required": ["nodeSelectorTerms": [["matchExpressions": [["key": "kubernetes.io/hostname", "operator": "In", "values": [.string(node)]]]]]]
                ],
                "claimRef": claimReference(claim),
            ],
        ]
        if volumeInformer.get(name) == nil {
            do {
                volume = try await context.client.create(Self.volumes, namespace: "", volume, fieldManager: Self.component)
                event(claim, "Normal", "ProvisioningSucceeded", "Successfully provisioned volume \(name) on node \(node)")
            } catch let error as APIError where error.code == 409 {
                // Made by an earlier sync whose event the cache has not seen yet.
            }
        }
        try await setVolumeName(of: claim, name)
    }

    private func claimReference(_ claim: PersistentVolumeClaim) -> JSON {
        [
            "kind": "PersistentVolumeClaim", "apiVersion": "v1", "namespace": .string(claim.metadata.namespace), "name": .string(claim.metadata.name),
            "uid": .string(claim.metadata.uid),
        ]
    }

    /// Binds both ways: the volume's claimRef first (what makes the volume taken), then the claim.
    private func bind(_ volume: PersistentVolume, to claim: PersistentVolumeClaim) async throws {
        var json = volume.json
        json["spec"]["claimRef"] = claimReference(claim)
        let updated = try PersistentVolume(json: try await context.client.update(Self.volumes, namespace: "", json, fieldManager: Self.component))
        try await setVolumePhase(updated, "Bound")
        if claim.volumeName == nil { try await setVolumeName(of: claim, volume.name) }
    }

    private func setVolumeName(of claim: PersistentVolumeClaim, _ volumeName: String) async throws {
        var json = claim.json
        json["spec"]["volumeName"] = .string(volumeName)
        json["metadata"]["annotations"] = JSON.object(
            (json["metadata"]["annotations"].object ?? [:]).merging(["pv.kubernetes.io/bind-completed": "yes"]) { $1 })
        _ = try await context.client.update(Self.claims, namespace: claim.metadata.namespace, json, fieldManager: Self.component)
        // The claim's status follows when the cache shows the bound claim (the next sync).
    }

    private func markBound(_ claim: PersistentVolumeClaim, to volume: PersistentVolume) async throws {
        var json = claim.json
        json["status"] = [
            "phase": "Bound", "accessModes": .array(volume.accessModes.map(JSON.string)),
            "capacity": ["storage": volume.json["spec"]["capacity"]["storage"]],
        ]
        _ = try await context.client.update(
            APIResource(plural: "persistentvolumeclaims", subresource: "status"), namespace: claim.metadata.namespace, json, fieldManager: Self.component)
        if volume.phase != "Bound" { try await setVolumePhase(volume, "Bound") }
    }

    private func setPhase(of claim: PersistentVolumeClaim, _ phase: String) async throws {
        var json = claim.json
        json["status"]["phase"] = .string(phase)
        _ = try await context.client.update(
            APIResource(plural: "persistentvolumeclaims", subresource: "status"), namespace: claim.metadata.namespace, json, fieldManager: Self.component)
    }

    /// A claim being deleted keeps its `kubernetes.io/pvc-protection` finalizer while a pod that
    /// has not finished still uses it.
    private func releaseProtection(_ claim: PersistentVolumeClaim) async throws {
        let finalizers = claim.json["metadata"]["finalizers"].array?.compactMap(\.string) ?? []
        guard finalizers.contains(PersistentVolumeClaim.protectionFinalizer) else { return }
        let inUse = pods.objects(in: claim.metadata.namespace).contains { pod in
            pod.status.phase != .succeeded && pod.status.phase != .failed
                && pod.spec.volumes.contains { volume in
                    if case .persistentVolumeClaim(let source) = volume.source { return source.claimName == claim.metadata.name }
                    return false
                }
        }
        guard !inUse else { return }
        var json = claim.json
        json["metadata"]["finalizers"] = .array(finalizers.filter { $0 != PersistentVolumeClaim.protectionFinalizer }.map(JSON.string))
        _ = try await context.client.update(Self.claims, namespace: claim.metadata.namespace, json, fieldManager: Self.component)
    }

    // MARK: - volumes

    func syncVolume(_ name: String) async throws {
        guard let volume = volumeInformer.get(name), !volume.metadata.isBeingDeleted else { return }
        guard let reference = volume.claimRef else {
            if volume.phase != "Available" { try await setVolumePhase(volume, "Available") }
            return
        }
        let claim = claimInformer.get("\(reference.namespace)/\(reference.name)")
        // Pre-bound by name only, or bound to a claim that still exists: nothing to release.
        if let claim, reference.uid == nil || reference.uid == claim.metadata.uid { return }
        if reference.uid == nil { return }
        switch volume.reclaimPolicy {
        case "Delete":
            do {
                try await context.client.delete(Self.volumes, namespace: "", name: volume.name, uid: volume.metadata.uid)
            } catch let error as APIError where error.code == 404 {}
        default:
            if volume.phase != "Released" { try await setVolumePhase(volume, "Released") }
        }
    }

    private func setVolumePhase(_ volume: PersistentVolume, _ phase: String) async throws {
        var json = volume.json
        json["status"] = ["phase": .string(phase)]
        _ = try await context.client.update(
            APIResource(plural: "persistentvolumes", subresource: "status"), namespace: "", json, fieldManager: Self.component)
    }

    private func event(_ claim: PersistentVolumeClaim, _ type: String, _ reason: String, _ message: String) {
        context.podControl(component: Self.component).record(
            ControllerOwner(apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: claim.metadata), type: type, reason: reason, message: message)
    }
}
