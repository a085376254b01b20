import Foundation
import SkiffAPI

/// The arithmetic of a Deployment's rollout (kube-controller-manager's deployment util and
/// rolling.go), kept apart from the writes so it can be tested alone. Every function answers
/// with target replica counts; the controller writes them.
enum RolloutMath {
    /// The replicas of `sets` by spec.
    static func replicas(_ sets: [ReplicaSet]) -> Int32 { sets.reduce(0) { $0 + $1.spec.replicas } }

    /// The pods `sets` may have now: a set scaled down still has its surplus pods until its
    /// controller has deleted them (its status says so), and a set scaled up may soon have all
    /// its spec's. Counting the larger keeps a rollout within its surge while writes settle.
    static func podsAtMost(_ sets: [ReplicaSet]) -> Int32 { sets.reduce(0) { $0 + max($1.spec.replicas, $1.status.replicas) } }

    /// The available pods of `sets` that they keep: a set scaled down below its available pods
    /// is about to lose the surplus, so it counts no more than its spec.
    static func available(_ sets: [ReplicaSet]) -> Int32 {
        sets.reduce(0) { $0 + min($1.status.availableReplicas, $1.spec.replicas) }
    }

    /// The new ReplicaSet's replicas at the next step of a rollout (`current`: its replicas now,
    /// 0 before it exists): all of them for Recreate; for a rolling update as many more as the
    /// surge allows above the Deployment's replicas, never beyond them.
    static func newReplicaSetReplicas(_ deployment: Deployment, all: [ReplicaSet], current: Int32) -> Int32 {
        guard case .rollingUpdate = deployment.spec.strategy else { return deployment.spec.replicas }
        let maxTotal = deployment.spec.replicas + deployment.spec.maxSurge
        let pods = podsAtMost(all)
        guard pods < maxTotal else { return current }
        return current + max(0, min(maxTotal - pods, deployment.spec.replicas - current))
    }

    /// The old ReplicaSets' replicas at the next step of a rolling update, for those that change
    /// (by UID). First the old sets' unavailable pods go, oldest set first, as far as the
    /// unavailability budget allows; then available ones while more than `replicas -
    /// maxUnavailable` stay available, counting the new set's unavailable pods against it.
    static func oldReplicaSetTargets(_ deployment: Deployment, new: ReplicaSet?, old: [ReplicaSet]) -> [String: Int32] {
        guard replicas(old) > 0 else { return [:] }
        let all = old + (new.map { [$0] } ?? [])
        let minAvailable = deployment.spec.replicas - deployment.spec.maxUnavailable
        let newUnavailable = new.map { max(0, $0.spec.replicas - $0.status.availableReplicas) } ?? 0
        let maxScaledDown = replicas(all) - minAvailable - newUnavailable
        guard maxScaledDown > 0 else { return [:] }
        let oldestFirst = old.sorted(by: olderFirst)
        var targets: [String: Int32] = [:]
        func current(_ set: ReplicaSet) -> Int32 { targets[set.metadata.uid] ?? set.spec.replicas }

        var cleaned: Int32 = 0
        for set in oldestFirst where cleaned < maxScaledDown {
            let unhealthy = set.spec.replicas - min(set.status.availableReplicas, set.spec.replicas)
            guard set.spec.replicas > 0, unhealthy > 0 else { continue }
            let down = min(maxScaledDown - cleaned, unhealthy)
            targets[set.metadata.uid] = set.spec.replicas - down
            cleaned += down
        }

        let availableNow = available(all)
        guard availableNow > minAvailable else { return targets }
        let budget = min(availableNow - minAvailable, maxScaledDown - cleaned)
        var scaledDown: Int32 = 0
        for set in oldestFirst where scaledDown < budget {
            let replicas = current(set)
            guard replicas > 0 else { continue }
            let down = min(replicas, budget - scaledDown)
            targets[set.metadata.uid] = replicas - down
            scaledDown += down
        }
        return targets
    }

    /// Proportional scaling while several ReplicaSets have pods (the Deployment was scaled in the
    /// middle of a rollout): the change is shared among them in proportion to their size, the
    /// rounding remainder going to the largest, so the rollout's shape is kept. By UID, only the
    /// sets that change.
    static func proportionalTargets(_ deployment: Deployment, active: [ReplicaSet]) -> [String: Int32] {
        let current = replicas(active)
        let allowed = deployment.spec.replicas > 0 ? deployment.spec.replicas + deployment.spec.maxSurge : 0
        let toAdd = allowed - current
        guard toAdd != 0, !active.isEmpty else { return [:] }
        let ordered = active.sorted { a, b in
            if a.spec.replicas != b.spec.replicas { return a.spec.replicas > b.spec.replicas }
            // Growing, the newest of equals first; shrinking, the oldest.
            return toAdd > 0 ? olderFirst(b, a) : olderFirst(a, b)
        }
        var added: Int32 = 0
        var targets: [String: Int32] = [:]
        for set in ordered {
            let share = proportion(of: set, deployment: deployment, toAdd: toAdd, added: added)
            targets[set.metadata.uid] = set.spec.replicas + share
            added += share
        }
        if let first = ordered.first, added != toAdd {
            targets[first.metadata.uid] = max(0, (targets[first.metadata.uid] ?? 0) + toAdd - added)
        }
        return targets.filter { uid, replicas in active.first { $0.metadata.uid == uid }?.spec.replicas != replicas }
    }

    /// One set's share of `toAdd`, bounded by what is left of it.
    private static func proportion(of set: ReplicaSet, deployment: Deployment, toAdd: Int32, added: Int32) -> Int32 {
        guard set.spec.replicas > 0, toAdd != 0 else { return 0 }
        let fraction = self.fraction(of: set, deployment: deployment)
        let left = toAdd - added
        return toAdd > 0 ? min(fraction, left) : max(fraction, left)
    }

    /// How many replicas the set gains (or loses) to keep its share of the Deployment's new
    /// size, its share being of the size it was last scaled for (its max-replicas annotation).
    private static func fraction(of set: ReplicaSet, deployment: Deployment) -> Int32 {
        guard deployment.spec.replicas > 0 else { return -set.spec.replicas }
        let newSize = deployment.spec.replicas + deployment.spec.maxSurge
        let annotated = set.metadata.annotations[Deployment.maxReplicasAnnotation].flatMap { Int32($0) } ?? deployment.status.replicas
        guard annotated > 0 else { return 0 }
        let scaled = (Double(set.spec.replicas) * Double(newSize) / Double(annotated)).rounded()
        return Int32(scaled) - set.spec.replicas
    }

    /// The revision a ReplicaSet carries; 0 without one.
    static func revision(of set: ReplicaSet) -> Int64 { set.metadata.annotations[Deployment.revisionAnnotation].flatMap { Int64($0) } ?? 0 }

    /// Creation order, then name, so the order is total.
    static func olderFirst(_ a: ReplicaSet, _ b: ReplicaSet) -> Bool {
        let aCreated = a.metadata.creationTimestamp.flatMap(Timestamp.parse) ?? .distantPast
        let bCreated = b.metadata.creationTimestamp.flatMap(Timestamp.parse) ?? .distantPast
        return aCreated != bCreated ? aCreated < bCreated : a.metadata.name < b.metadata.name
    }

    /// kube-controller-manager's FindActiveOrLatest: the one set with pods, or the newest when
    /// none has any; nil when several have pods.
    static func activeOrLatest(new: ReplicaSet?, old: [ReplicaSet]) -> ReplicaSet? {
        let all = old + (new.map { [$0] } ?? [])
        let active = all.filter { $0.spec.replicas > 0 }
        switch active.count {
        case 0: return new ?? old.sorted(by: olderFirst).last
        case 1: return active[0]
        default: return nil
        }
    }

    /// The new set runs the Deployment's replicas, all available, scaled for its current size.
    static func isSaturated(_ deployment: Deployment, _ set: ReplicaSet?) -> Bool {
        guard let set else { return false }
        let desired = set.metadata.annotations[Deployment.desiredReplicasAnnotation].flatMap { Int32($0) }
        return desired == deployment.spec.replicas && set.spec.replicas == deployment.spec.replicas
            && set.status.availableReplicas == deployment.spec.replicas
    }
}
