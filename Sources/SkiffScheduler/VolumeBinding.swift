import SkiffAPI

/// kube-scheduler's volume binding, for the claims a pod names: a missing or deleted claim, or an
/// unbound one whose class binds at once (the binder has not got to it), keeps the pod pending; a
/// bound claim's volume adds its node affinity to the filters; an unbound claim whose class waits
/// for its first consumer is annotated with the chosen node before the pod is bound, so the
/// provisioner makes the volume where the pod runs.
struct VolumeBinding: Sendable {
    let client: any SchedulerClient

    enum Resolution: Sendable {
        /// Schedulable, with these constraints and these claims to annotate once a node is chosen.
        case ready(nodeTerms: [[NodeSelectorTerm]], claimsAwaitingNode: [String])
        case unschedulable(String)
    }

    func resolve(_ pod: PodInfo) async -> Resolution {
        var terms: [[NodeSelectorTerm]] = []
        var awaiting: [String] = []
        for name in pod.claimNames {
            do {
                guard let json = try await client.get("/api/v1/namespaces/\(pod.namespace)/persistentvolumeclaims/\(name)") else {
                    return .unschedulable("persistentvolumeclaim \"\(name)\" not found")
                }
                let claim = try PersistentVolumeClaim(json: json)
                if claim.metadata.isBeingDeleted { return .unschedulable("persistentvolumeclaim \"\(name)\" is being deleted") }
                if let volumeName = claim.volumeName {
                    guard let volume = try await client.get("/api/v1/persistentvolumes/\(volumeName)") else {
                        return .unschedulable("persistentvolume \"\(volumeName)\" not found")
                    }
                    let bound = try PersistentVolume(json: volume)
                    if !bound.nodeSelectorTerms.isEmpty { terms.append(bound.nodeSelectorTerms.map(NodeSelectorTerm.init)) }
                    continue
                }
                let className = claim.storageClassName ?? ""
                guard !className.isEmpty, let classJSON = try await client.get("/apis/storage.k8s.io/v1/storageclasses/\(className)") else {
                    return .unschedulable("pod has unbound immediate PersistentVolumeClaims")
                }
                guard try StorageClass(json: classJSON).waitsForFirstConsumer else {
                    return .unschedulable("pod has unbound immediate PersistentVolumeClaims")
                }
                if claim.selectedNode == nil || claim.selectedNode?.isEmpty == true { awaiting.append(name) }
                // Annotated for an earlier attempt: the volume is being made on that node.
                if let selected = claim.selectedNode, !selected.isEmpty {
                    terms.append([NodeSelectorTerm(["matchFields": [["key": "metadata.name", "operator": "In", "values": [.string(selected)]]]])])
                }
            } catch {
                return .unschedulable("persistentvolumeclaim \"\(name)\": \(error)")
            }
        }
        return .ready(nodeTerms: terms, claimsAwaitingNode: awaiting)
    }
}
