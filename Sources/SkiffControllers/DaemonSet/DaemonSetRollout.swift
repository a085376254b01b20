import SkiffAPI

/// A DaemonSet's RollingUpdate step (kube-controller-manager's daemon rollingUpdate), over the
/// nodes that should run it and their pods: without surge, old pods are deleted (their nodes
/// then get new ones) while at most `maxUnavailable` nodes lack an available pod; with surge, a
/// new pod starts beside the old one on at most `maxSurge` nodes at a time, and the old one goes
/// once the new one is available. An old pod that is not available anyway is replaced at once.
struct DaemonSetRollout {
    var delete: [Pod] = []
    var createOn: [String] = []

    init(
        nodes: [(node: String, pods: [Pod])], hash: String, desired: Int, maxUnavailable: IntOrString, maxSurge: IntOrString,
        available: (Pod) -> Bool
    ) {
        let total = Int32(clamping: desired)
        let surge = Int(maxSurge.scaled(against: total, roundUp: true) ?? 0)
        var unavailableBudget = Int(maxUnavailable.scaled(against: total, roundUp: true) ?? 1)
        if surge == 0 && unavailableBudget == 0 { unavailableBudget = 1 }
        if surge > 0 {
            surgeRollout(nodes, hash: hash, maxSurge: surge, available: available)
        } else {
            unavailableRollout(nodes, hash: hash, maxUnavailable: unavailableBudget, available: available)
        }
    }

    /// The node's one new and one old pod (not being deleted); nil when it has more than one of
    /// either, which the duplicate pruning resolves first.
    static func updatedAndOld(_ pods: [Pod], hash: String) -> (new: Pod?, old: Pod?)? {
        var new: Pod?
        var old: Pod?
        for pod in pods where !pod.isBeingDeleted {
            if pod.labels[ControllerRevision.hashLabel] == hash {
                if new != nil { return nil }
                new = pod
            } else {
                if old != nil { return nil }
                old = pod
            }
        }
        return (new, old)
    }

    private mutating func unavailableRollout(_ nodes: [(node: String, pods: [Pod])], hash: String, maxUnavailable: Int, available: (Pod) -> Bool) {
        var unavailable = 0
        var replaceAnyway: [Pod] = []
        var candidates: [Pod] = []
        for (_, pods) in nodes {
            guard let (new, old) = Self.updatedAndOld(pods, hash: hash) else {
                unavailable += 1
                continue
            }
            switch (new, old) {
            case (nil, nil), (.some, .some):
                // Being created or pruned: unavailable until that settles.
                unavailable += 1
            case (.some(let new), nil):
                if !available(new) { unavailable += 1 }
            case (nil, .some(let old)):
                if !available(old) {
                    // Replacing it costs no availability, but its node already counts against the budget.
                    replaceAnyway.append(old)
                    unavailable += 1
                } else if unavailable < maxUnavailable {
                    candidates.append(old)
                }
            }
        }
        let room = max(0, min(maxUnavailable - unavailable, candidates.count))
        delete = replaceAnyway + candidates.prefix(room)
    }

    private mutating func surgeRollout(_ nodes: [(node: String, pods: [Pod])], hash: String, maxSurge: Int, available: (Pod) -> Bool) {
        var surging = 0
        var replaceAnyway: [String] = []
        var candidates: [String] = []
        for (node, pods) in nodes {
            guard let (new, old) = Self.updatedAndOld(pods, hash: hash) else {
                surging += 1
                continue
            }
            switch (new, old) {
            case (_, nil):
                // Up to date, or no pod yet (the node's pod is created anyway).
                break
            case (nil, .some(let old)):
                if !available(old) {
                    replaceAnyway.append(node)
                } else if surging < maxSurge {
                    candidates.append(node)
                }
            case (.some(let new), .some(let old)):
                if available(new) { delete.append(old) } else { surging += 1 }
            }
        }
        let room = max(0, min(maxSurge - surging, candidates.count))
        createOn = replaceAnyway + candidates.prefix(room)
    }
}
