import SkiffAPI

/// A StatefulSet's pods and claims (kube-controller-manager's stateful_set_utils): pod N is
/// `<set>-N` with hostname `<set>-N` and subdomain `serviceName` (so the headless Service gives
/// it `<set>-N.<service>.<namespace>.svc.<zone>`), labelled with its name, ordinal and revision,
/// and mounts claim `<template>-<set>-N` for each volumeClaimTemplate.
enum StatefulPods {
    static let podNameLabel = "statefulset.kubernetes.io/pod-name"
    static let podIndexLabel = "apps.kubernetes.io/pod-index"

    static func pod(of set: StatefulSet, owner: ControllerOwner, template: PodTemplate, ordinal: Int, revision: String) -> JSON {
        let name = set.podName(ordinal: ordinal)
        var pod = template.pod(
            owner: owner.reference, namespace: set.metadata.namespace, name: name,
            extraLabels: [ControllerRevision.hashLabel: revision, podNameLabel: name, podIndexLabel: String(ordinal)])
        pod["spec"]["hostname"] = .string(name)
        pod["spec"]["subdomain"] = set.serviceName.isEmpty ? .null : .string(set.serviceName)
        var volumes = pod["spec"]["volumes"].array ?? []
        for claimTemplate in set.volumeClaimTemplates {
            guard let claimName = claimTemplate["metadata"]["name"].string else { continue }
            let volume: JSON = [
                "name": .string(claimName), "persistentVolumeClaim": ["claimName": .string(set.claimName(template: claimName, ordinal: ordinal))],
            ]
            // A template volume of the same name gives way to the claim, as in Kubernetes.
            if let index = volumes.firstIndex(where: { $0["name"].string == claimName }) { volumes[index] = volume } else { volumes.append(volume) }
        }
        if !volumes.isEmpty { pod["spec"]["volumes"] = .array(volumes) }
        return pod
    }

    /// The claims pod `ordinal` mounts, to create when missing: the template's spec, the set's
    /// selector labels, and (whenDeleted: Delete) the set as owner so the garbage collector
    /// removes them with it.
    static func claims(of set: StatefulSet, owner: ControllerOwner, ordinal: Int) -> [JSON] {
        set.volumeClaimTemplates.compactMap { claimTemplate in
            guard let templateName = claimTemplate["metadata"]["name"].string else { return nil }
            var labels = claimTemplate["metadata"]["labels"].stringMap
            for (key, value) in set.json["spec"]["selector"]["matchLabels"].stringMap { labels[key] = value }
            var metadata: JSON = ["name": .string(set.claimName(template: templateName, ordinal: ordinal)), "namespace": .string(set.metadata.namespace)]
            if !labels.isEmpty { metadata["labels"] = JSON(stringMap: labels) }
            if !claimTemplate["metadata"]["annotations"].isNull { metadata["annotations"] = claimTemplate["metadata"]["annotations"] }
            if set.whenDeleted == .delete { metadata["ownerReferences"] = [nonControllingReference(to: owner)] }
            return ["apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": metadata, "spec": claimTemplate["spec"]]
        }
    }

    /// An owner reference that makes the garbage collector delete the dependent with its owner,
    /// without claiming to be its controller.
    static func nonControllingReference(to owner: ControllerOwner) -> JSON {
        Pod.OwnerReference(apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name, uid: owner.metadata.uid, controller: false).json
    }

    /// Running with its Ready condition True (isRunningAndReady).
    static func isRunningAndReady(_ pod: Pod) -> Bool { pod.status.phase == .running && pod.isReady }

    /// Running and ready, and not on its way out.
    static func isHealthy(_ pod: Pod) -> Bool { isRunningAndReady(pod) && !pod.isBeingDeleted }
}
