import Foundation
import SkiffAPI

/// One sync's steps for a StatefulSet, decided from the caches (kube-controller-manager's
/// stateful_set_control): replace failed pods and create missing ones in ordinal order, then
/// remove the ordinals beyond `replicas` from the highest, then roll pods with ordinals ≥ the
/// partition onto the update revision from the highest. With OrderedReady the plan stops at
/// the first step that must wait (a pod being made, removed, or not yet Running and Ready), so
/// pods come up one at a time in order and go down one at a time in reverse.
struct StatefulSetPlan: Sendable {
    enum Step: Sendable, Equatable {
        /// Create pod `ordinal` (and its missing claims) from the revision named `revision`.
        case create(ordinal: Int, revision: String)
        case delete(Pod)
        /// Delete a pod beyond `replicas` (its claims follow `whenScaled`).
        case condemn(Pod)
    }

    var steps: [Step] = []
    var status: StatefulSetStatus
    var recheckAfter: Duration?

    init(statefulSet set: StatefulSet, pods: [Pod], currentRevision: String, updateRevision: String, now: Date) {
        let monotonic = set.podManagementPolicy == .orderedReady
        let start = set.ordinalStart
        let end = start + max(0, set.replicas)
        var byOrdinal: [Int: Pod] = [:]
        var condemned: [(ordinal: Int, pod: Pod)] = []
        for pod in pods {
            guard let ordinal = set.ordinal(ofPod: pod.name) else { continue }
            if ordinal >= start && ordinal < end { byOrdinal[ordinal] = pod } else { condemned.append((ordinal, pod)) }
        }
        condemned.sort { $0.ordinal < $1.ordinal }

        var recheck: Duration?
        func available(_ pod: Pod) -> Bool {
            guard StatefulPods.isRunningAndReady(pod) else { return false }
            let (available, after) = pod.availability(minReadySeconds: set.minReadySeconds, now: now)
            if let after { recheck = min(recheck ?? after, after) }
            return available
        }
        var status = StatefulSetStatus(observedGeneration: set.generation, currentRevision: currentRevision, updateRevision: updateRevision)
        status.collisionCount = set.collisionCount
        for pod in byOrdinal.values.map({ $0 }) + condemned.map(\.pod) {
            status.replicas += 1
            if StatefulPods.isRunningAndReady(pod) { status.readyReplicas += 1 }
            if available(pod) { status.availableReplicas += 1 }
            guard !pod.isBeingDeleted else { continue }
            let revision = pod.labels[ControllerRevision.hashLabel]
            if revision == currentRevision { status.currentReplicas += 1 }
            if revision == updateRevision { status.updatedReplicas += 1 }
        }
        if case .rollingUpdate = set.updateStrategy, status.updatedReplicas == status.replicas, status.readyReplicas == status.replicas {
            // Every pod runs the update revision: it becomes the current one.
            status.currentRevision = updateRevision
            status.currentReplicas = status.updatedReplicas
        }
        func decide() -> [Step] {
            var found: [Step] = []
            let partition: Int
            if case .rollingUpdate(let value, _) = set.updateStrategy { partition = start + value } else { partition = Int.max }
            func revision(for ordinal: Int) -> String {
                if case .rollingUpdate = set.updateStrategy, ordinal < partition { return currentRevision }
                return updateRevision
            }

            // Pods up to `replicas`, in order.
            for ordinal in start..<end {
                guard let pod = byOrdinal[ordinal] else {
                    found.append(.create(ordinal: ordinal, revision: revision(for: ordinal)))
                    if monotonic { return found }
                    continue
                }
                if pod.status.phase?.isFinal == true && !pod.isBeingDeleted {
                    // Failed or finished: deleted now, made again once it is gone.
                    found.append(.delete(pod))
                    if monotonic { return found }
                    continue
                }
                if monotonic && (pod.isBeingDeleted || !available(pod)) { return found }
            }

            // Ordinals beyond `replicas`, from the highest; with OrderedReady only once every other
            // pod is healthy (an unhealthy one among them may go first).
            let firstUnhealthy =
                (start..<end).compactMap { byOrdinal[$0] }.first { !StatefulPods.isHealthy($0) }
                ?? condemned.map(\.pod).first { !StatefulPods.isHealthy($0) }
            for (_, pod) in condemned.reversed() {
                if pod.isBeingDeleted {
                    if monotonic { return found }
                    continue
                }
                if monotonic, let firstUnhealthy, firstUnhealthy.uid != pod.uid { return found }
                found.append(.condemn(pod))
                if monotonic { return found }
            }

            // The rollout: pods at or above the partition not on the update revision are deleted
            // from the highest ordinal (and made again from it), while at most maxUnavailable of
            // them are unavailable.
            guard case .rollingUpdate(_, let maxUnavailable) = set.updateStrategy else { return found }
            let limit = max(1, Int(maxUnavailable.scaled(against: Int32(clamping: set.replicas), roundUp: true) ?? 1))
            let targets = (min(max(start, partition), end)..<end).reversed()
            var unavailable = targets.filter { ordinal in byOrdinal[ordinal].map { !StatefulPods.isHealthy($0) || !available($0) } ?? true }.count
            for ordinal in targets where unavailable < limit {
                guard let pod = byOrdinal[ordinal], !pod.isBeingDeleted, pod.labels[ControllerRevision.hashLabel] != updateRevision else { continue }
                found.append(.delete(pod))
                if StatefulPods.isHealthy(pod) { unavailable += 1 }
            }
            return found
        }
        steps = decide()
        self.status = status
        recheckAfter = recheck
    }
}

/// A StatefulSet's status as its controller writes it.
struct StatefulSetStatus: Sendable, Equatable {
    var replicas = 0
    var readyReplicas = 0
    var currentReplicas = 0
    var updatedReplicas = 0
    var availableReplicas = 0
    var observedGeneration: Int64
    var currentRevision: String
    var updateRevision: String
    var collisionCount: Int32?

    init(observedGeneration: Int64, currentRevision: String, updateRevision: String) {
        self.observedGeneration = observedGeneration
        self.currentRevision = currentRevision
        self.updateRevision = updateRevision
    }

    /// `status`, keeping whatever else is there (conditions).
    func applied(to current: JSON) -> JSON {
        var status = current.isNull ? JSON.emptyObject : current
        let counts: [(String, Int)] = [
            ("replicas", replicas), ("readyReplicas", readyReplicas), ("currentReplicas", currentReplicas), ("updatedReplicas", updatedReplicas),
            ("availableReplicas", availableReplicas),
        ]
        for (field, value) in counts { status[field] = .int(Int64(value)) }
        status["observedGeneration"] = .int(observedGeneration)
        status["currentRevision"] = .string(currentRevision)
        status["updateRevision"] = .string(updateRevision)
        if let collisionCount { status["collisionCount"] = .int(Int64(collisionCount)) }
        return status
    }
}
