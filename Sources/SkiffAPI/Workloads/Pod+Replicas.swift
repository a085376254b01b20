import Foundation

/// What the workload controllers ask of a pod: is it one of the live replicas, is it ready,
/// since when, and how often has it restarted.
extension Pod {
    /// Neither finished (Succeeded, Failed) nor being deleted: it counts toward its owner's replicas.
    public var isActive: Bool { !isBeingDeleted && !(status.phase?.isFinal ?? false) }

    /// The Ready condition is True.
    public var isReady: Bool { status.conditionIsTrue("Ready") }

    /// When the pod last became ready; nil while it is not ready (or the agent did not say).
    public var readySince: Date? {
        guard let condition = status.condition("Ready"), condition.status == "True" else { return nil }
        return condition.lastTransitionTime.flatMap(Timestamp.parse)
    }

    /// Ready for at least `minReadySeconds` at `now`; with 0, ready is available.
    public func isAvailable(minReadySeconds: Int32, now: Date) -> Bool {
        guard isReady else { return false }
        guard minReadySeconds > 0 else { return true }
        guard let since = readySince else { return false }
        return since.addingTimeInterval(TimeInterval(minReadySeconds)) <= now
    }

    /// The restarts of its containers, summed; status entries of another shape count nothing.
    public var restartCount: Int {
        let statuses = json["status"]["containerStatuses"].array ?? []
        return statuses.reduce(0) { total, status in total + Int(status["restartCount"].int ?? 0) }
    }

    /// When the server stored it.
    public var createdAt: Date? { json["metadata"]["creationTimestamp"].string.flatMap(Timestamp.parse) }

    /// The `controller.kubernetes.io/pod-deletion-cost` annotation: cheaper pods are deleted first.
    public var deletionCost: Int32 { annotations["controller.kubernetes.io/pod-deletion-cost"].flatMap { Int32($0) } ?? 0 }
}
