import SkiffAPI

/// What an autoscaler remembers between syncs (in memory, as kube-controller-manager does): its
/// recent recommendations, for the stabilization windows, and its recent scale steps, for the
/// rate policies. Times are seconds on a monotonic clock.
struct ScalingHistory: Sendable, Equatable {
    struct Entry: Sendable, Equatable {
        let at: Double
        let replicas: Int
    }

    var recommendations: [Entry] = []
    /// Pods added by each scale-up, and removed by each scale-down.
    var scaleUps: [Entry] = []
    var scaleDowns: [Entry] = []

    func sum(_ entries: [Entry], since start: Double) -> Int { entries.filter { $0.at > start }.reduce(0) { $0 + $1.replicas } }
}

/// The step from a metric's proposal to the replicas the autoscaler sets: the stabilization
/// windows (act on the least change recommended within the window, so one spike or dip does not
/// move the workload), the scale-up/scale-down rate policies, and min/max replicas.
struct ScalingBehavior: Sendable {
    let minReplicas: Int
    let maxReplicas: Int
    let scaleUp: ScalingRules
    let scaleDown: ScalingRules

    init(_ autoscaler: HorizontalPodAutoscaler) {
        minReplicas = autoscaler.minReplicas
        maxReplicas = autoscaler.maxReplicas
        scaleUp = autoscaler.scaleUp
        scaleDown = autoscaler.scaleDown
    }

    /// Why the result differs from the stabilized recommendation, for the ScalingLimited condition.
    enum Limit: Sendable, Equatable {
        case none, tooFewReplicas, tooManyReplicas, scaleUpLimit, scaleDownLimit
    }

    /// The replicas to set now, recording `proposal` in `history`.
    func desiredReplicas(proposal: Int, current: Int, now: Double, history: inout ScalingHistory) -> (replicas: Int, limit: Limit) {
        history.recommendations.append(.init(at: now, replicas: proposal))
        let longest = Double(max(scaleUp.stabilizationWindowSeconds, scaleDown.stabilizationWindowSeconds))
        history.recommendations.removeAll { $0.at < now - longest }

        // Up: the smallest recommendation of the up window; down: the largest of the down window.
        var upward = proposal
        var downward = proposal
        for entry in history.recommendations {
            if entry.at >= now - Double(scaleUp.stabilizationWindowSeconds) { upward = min(upward, entry.replicas) }
            if entry.at >= now - Double(scaleDown.stabilizationWindowSeconds) { downward = max(downward, entry.replicas) }
        }
        var stabilized = current
        if stabilized < upward { stabilized = upward }
        if stabilized > downward { stabilized = downward }

        if stabilized > current {
            let allowed = min(maxReplicas, max(current, scaleUpLimit(current: current, now: now, history: history)))
            if stabilized > allowed { return (allowed, allowed == maxReplicas ? .tooManyReplicas : .scaleUpLimit) }
        } else if stabilized < current {
            let allowed = max(minReplicas, min(current, scaleDownLimit(current: current, now: now, history: history)))
            if stabilized < allowed { return (allowed, allowed == minReplicas ? .tooFewReplicas : .scaleDownLimit) }
        }
        return (stabilized, .none)
    }

    /// Records a scale step the autoscaler made.
    func recordScale(from current: Int, to desired: Int, now: Double, history: inout ScalingHistory) {
        let longest = Double((scaleUp.policies + scaleDown.policies).map(\.periodSeconds).max() ?? 0)
        if desired > current { history.scaleUps.append(.init(at: now, replicas: desired - current)) }
        if desired < current { history.scaleDowns.append(.init(at: now, replicas: current - desired)) }
        history.scaleUps.removeAll { $0.at < now - longest }
        history.scaleDowns.removeAll { $0.at < now - longest }
    }

    /// The most replicas the up policies allow now: each policy measures from the replicas at the
    /// start of its period; `Max` takes the most generous policy, `Min` the strictest.
    func scaleUpLimit(current: Int, now: Double, history: ScalingHistory) -> Int {
        guard scaleUp.select != .disabled else { return current }
        let limits = scaleUp.policies.map { policy -> Int in
            let start = now - Double(policy.periodSeconds)
            let atPeriodStart = current - history.sum(history.scaleUps, since: start) + history.sum(history.scaleDowns, since: start)
            switch policy.kind {
            case .pods: return atPeriodStart + policy.value
            case .percent: return Int((Double(atPeriodStart) * (1 + Double(policy.value) / 100)).rounded(.up))
            }
        }
        return (scaleUp.select == .max ? limits.max() : limits.min()) ?? current
    }

    /// The fewest replicas the down policies allow now (`Max` allows the biggest step down).
    func scaleDownLimit(current: Int, now: Double, history: ScalingHistory) -> Int {
        guard scaleDown.select != .disabled else { return current }
        let limits = scaleDown.policies.map { policy -> Int in
            let start = now - Double(policy.periodSeconds)
            let atPeriodStart = current + history.sum(history.scaleDowns, since: start) - history.sum(history.scaleUps, since: start)
            switch policy.kind {
            case .pods: return atPeriodStart - policy.value
            case .percent: return Int(Double(atPeriodStart) * (1 - Double(policy.value) / 100))
            }
        }
        return (scaleDown.select == .max ? limits.min() : limits.max()) ?? current
    }
}
