import SkiffAPI

/// Which existing PersistentVolume a claim can bind (the binder's matching rules): same class,
/// unclaimed or pre-bound to this claim, at least the requested size, every requested access
/// mode, the claim's selector, and, once the scheduler chose a node, reachable from it. The
/// smallest fit wins, so big volumes stay for big claims.
enum VolumeMatcher {
    static func bestMatch(for claim: PersistentVolumeClaim, among volumes: [PersistentVolume], nodeLabels: [String: String]?) -> PersistentVolume? {
        volumes.filter { fits(claim, $0, nodeLabels: nodeLabels) }.min { ($0.capacity ?? Quantity(milliValue: 0)) < ($1.capacity ?? Quantity(milliValue: 0)) }
    }

    static func fits(_ claim: PersistentVolumeClaim, _ volume: PersistentVolume, nodeLabels: [String: String]?) -> Bool {
        guard !volume.metadata.isBeingDeleted, volume.phase == "Available" || volume.phase == "Pending" else { return false }
        if let reference = volume.claimRef {
            guard reference.namespace == claim.metadata.namespace, reference.name == claim.metadata.name,
                reference.uid == nil || reference.uid == claim.metadata.uid
            else { return false }
        }
        guard volume.storageClassName == (claim.storageClassName ?? "") else { return false }
        if let wanted = claim.requestedStorage, (volume.capacity ?? Quantity(milliValue: 0)) < wanted { return false }
        guard Set(claim.accessModes).isSubset(of: Set(volume.accessModes)) else { return false }
        if let selector = claim.selector, !selector.matches(volume.metadata.labels) { return false }
        if let nodeLabels, !volume.nodeSelectorTerms.isEmpty {
            return volume.nodeSelectorTerms.contains { term in
                (term["matchExpressions"].array ?? []).allSatisfy { expression in
                    let value = nodeLabels[expression["key"].string ?? ""]
                    let values = (expression["values"].array ?? []).compactMap(\.string)
                    switch expression["operator"].string {
                    case "In": return value.map(values.contains) ?? false
                    case "NotIn": return value.map { !values.contains($0) } ?? true
                    case "Exists": return value != nil
                    case "DoesNotExist": return value == nil
                    default: return false
                    }
                }
            }
        }
        return true
    }
}
