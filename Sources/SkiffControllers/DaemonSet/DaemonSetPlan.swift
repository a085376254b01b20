import Foundation
import SkiffAPI

/// One sync's decisions for a DaemonSet, made from the caches alone (kube-controller-manager's
/// manage, rollingUpdate and updateDaemonSetStatus): the nodes that need a pod, the pods to
/// delete, the failed pods to replace (the controller applies their back-off), the status.
struct DaemonSetPlan: Sendable {
    /// Nodes to create a pod on, by name.
    var createOn: [String] = []
    /// Pods to delete: misscheduled, evicted by a taint, duplicates, finished, replaced by the
    /// rollout, or left behind by a deleted node.
    var delete: [Pod] = []
    /// Failed pods, by node, to delete and recreate unless that node is in back-off.
    var failed: [(node: String, pod: Pod)] = []
    var status: DaemonSetStatus
    /// When a pod that is ready but not yet available for minReadySeconds will be.
    var recheckAfter: Duration?

    init(daemonSet: DaemonSet, hash: String, nodes: [KubeNode], pods: [Pod], now: Date) {
        let placement = DaemonPods.placement(of: daemonSet)
        var podsByNode: [String: [Pod]] = [:]
        for pod in DaemonPods.byAge(pods) {
            guard let node = DaemonPods.targetNode(of: pod) else { continue }
            podsByNode[node, default: []].append(pod)
        }
        let nodeNames = Set(nodes.map(\.name))
        // A deleted node's pods can never run again; Kubernetes leaves them to the pod GC, which
        // is slower, and until then they hold the node's place in the counts.
        for (node, pods) in podsByNode where !nodeNames.contains(node) { delete += pods.filter { !$0.isBeingDeleted } }

        var status = DaemonSetStatus(observedGeneration: daemonSet.generation, collisionCount: daemonSet.collisionCount)
        var eligible: [(node: String, pods: [Pod])] = []
        var recheck: Duration?
        func available(_ pod: Pod) -> Bool {
            let (available, after) = pod.availability(minReadySeconds: daemonSet.minReadySeconds, now: now)
            if let after { recheck = min(recheck ?? after, after) }
            return available
        }
        let surges: Bool
        if case .rollingUpdate(_, let maxSurge) = daemonSet.updateStrategy {
            surges = (maxSurge.scaled(against: 1, roundUp: true) ?? 0) > 0
        } else {
            surges = false
        }

        for node in nodes.sorted(by: { $0.name < $1.name }) {
            let (shouldRun, shouldContinueRunning) = DaemonPods.eligibility(of: node, placement: placement, daemonSet: daemonSet)
            let daemonPods = podsByNode[node.name] ?? []
            if shouldRun {
                status.desiredNumberScheduled += 1
                eligible.append((node.name, daemonPods))
                if let pod = daemonPods.first {
                    status.currentNumberScheduled += 1
                    if pod.isReady { status.numberReady += 1 }
                    if available(pod) { status.numberAvailable += 1 }
                    if pod.labels[ControllerRevision.hashLabel] == hash { status.updatedNumberScheduled += 1 }
                }
            } else if !daemonPods.isEmpty {
                status.numberMisscheduled += 1
            }

            switch (shouldRun, shouldContinueRunning) {
            case (true, _) where daemonPods.isEmpty:
                createOn.append(node.name)
            case (_, true):
                var running: [Pod] = []
                for pod in daemonPods where !pod.isBeingDeleted {
                    switch pod.status.phase {
                    case .failed: failed.append((node.name, pod))
                    case .succeeded: delete.append(pod)
                    default: running.append(pod)
                    }
                }
                delete += Self.excess(running, hash: hash, surges: surges, available: available)
            default:
                delete += daemonPods.filter { !$0.isBeingDeleted }
            }
        }
        status.numberUnavailable = status.desiredNumberScheduled - status.numberAvailable

        if case .rollingUpdate(let maxUnavailable, let maxSurge) = daemonSet.updateStrategy {
            let rollout = DaemonSetRollout(
                nodes: eligible, hash: hash, desired: status.desiredNumberScheduled, maxUnavailable: maxUnavailable, maxSurge: maxSurge,
                available: available)
            delete += rollout.delete
            createOn += rollout.createOn
        }
        var seen = Set<String>()
        self.delete = delete.filter { seen.insert($0.uid).inserted }
        self.status = status
        recheckAfter = recheck
    }

    /// The pods beyond the one a node should run: all but the oldest, or while surging, all but
    /// the oldest new and the oldest old pod — and the old one too once it is not ready or the
    /// new one is available.
    static func excess(_ running: [Pod], hash: String, surges: Bool, available: (Pod) -> Bool) -> [Pod] {
        guard running.count > 1 else { return [] }
        guard surges else { return Array(running.dropFirst()) }
        var oldestNew: Pod?
        var oldestOld: Pod?
        var excess: [Pod] = []
        for pod in running {
            if pod.labels[ControllerRevision.hashLabel] == hash {
                if oldestNew == nil { oldestNew = pod } else { excess.append(pod) }
            } else {
                if oldestOld == nil { oldestOld = pod } else { excess.append(pod) }
            }
        }
        if let oldestNew, let oldestOld, !oldestOld.isReady || available(oldestNew) { excess.append(oldestOld) }
        return excess
    }
}

/// A DaemonSet's status as its controller writes it.
struct DaemonSetStatus: Sendable, Equatable {
    var currentNumberScheduled = 0
    var numberMisscheduled = 0
    var desiredNumberScheduled = 0
    var numberReady = 0
    var updatedNumberScheduled = 0
    var numberAvailable = 0
    var numberUnavailable = 0
    var observedGeneration: Int64
    var collisionCount: Int32?

    init(observedGeneration: Int64, collisionCount: Int32?) {
        self.observedGeneration = observedGeneration
        self.collisionCount = collisionCount
    }

    /// `status`, keeping whatever else is there (conditions).
    func applied(to current: JSON) -> JSON {
        var status = current.isNull ? JSON.emptyObject : current
        let counts: [(String, Int)] = [
            ("currentNumberScheduled", currentNumberScheduled), ("numberMisscheduled", numberMisscheduled),
            ("desiredNumberScheduled", desiredNumberScheduled), ("numberReady", numberReady),
            ("updatedNumberScheduled", updatedNumberScheduled), ("numberAvailable", numberAvailable),
            ("numberUnavailable", numberUnavailable),
        ]
        for (field, value) in counts { status[field] = .int(Int64(value)) }
        status["observedGeneration"] = .int(observedGeneration)
        if let collisionCount { status["collisionCount"] = .int(Int64(collisionCount)) }
        return status
    }
}
