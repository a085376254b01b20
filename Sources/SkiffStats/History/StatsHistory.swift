import Synchronization

/// The node's history: one `SeriesHistory` for each pod the agent runs and for each of its
/// containers (by name, so it spans restarts), fed from the 10 s housekeeping samples.
///
/// Bounded: a series holds at most 360 + 1440 points of 24 bytes (43 KB); a pod's series are
/// dropped once the pod is no longer sampled (deleted or terminated). A node of 100
/// one-container pods holds 200 series: ~1.7 MB after an hour, ~8.6 MB after a full day.
public final class StatsHistory: Sendable {
    /// What the agent knows about a container that the cgroup does not: its restarts.
    public struct ContainerEvents: Sendable, Equatable {
        public var restarts: UInt64
        /// The last run ended in an OOM kill (the kubelet's `OOMKilled` reason).
        public var lastExitOOMKilled: Bool

        public init(restarts: UInt64, lastExitOOMKilled: Bool = false) {
            (self.restarts, self.lastExitOOMKilled) = (restarts, lastExitOOMKilled)
        }
    }

    /// One pod's series.
    public struct PodHistory: Sendable {
        public var namespace: String
        public var name: String
        public var uid: String
        public var pod = SeriesHistory()
        /// By container name.
        public var containers: [String: SeriesHistory] = [:]
    }

    private let pods = Mutex<[String: PodHistory]>([:])

    public init() {}

    /// Adds one snapshot. `events` maps a pod uid and container name to its restarts; a
    /// container the snapshot lists without a cgroup reading (not running) leaves its interval
    /// missing.
    public func record(_ snapshot: StatsSnapshot, events: [String: [String: ContainerEvents]] = [:]) {
        pods.withLock { table in
            var kept: [String: PodHistory] = [:]
            for sample in snapshot.pods {
                let target = sample.target
                var history = table[target.uid] ?? PodHistory(namespace: target.namespace, name: target.name, uid: target.uid)
                let podEvents = events[target.uid] ?? [:]
                history.pod.record(
                    sample.stats, restarts: podEvents.values.reduce(0) { $0 + $1.restarts },
                    lastExitOOMKilled: podEvents.values.contains { $0.lastExitOOMKilled }, at: snapshot.clock)
                var names = Set(sample.containers.map(\.target.name))
                for container in sample.containers {
                    let event = podEvents[container.target.name]
                    history.containers[container.target.name, default: SeriesHistory()].record(
                        container.stats, restarts: event?.restarts ?? 0, lastExitOOMKilled: event?.lastExitOOMKilled ?? false,
                        at: snapshot.clock)
                }
                // Containers between runs (not in the snapshot) still count their restarts.
                for (name, event) in podEvents where !names.contains(name) {
                    names.insert(name)
                    history.containers[name, default: SeriesHistory()].record(
                        nil, restarts: event.restarts, lastExitOOMKilled: event.lastExitOOMKilled, at: snapshot.clock)
                }
                kept[target.uid] = history
            }
            table = kept
        }
    }

    /// The pod's history, if the agent runs it.
    public func pod(namespace: String, name: String) -> PodHistory? {
        pods.withLock { table in table.values.first { $0.namespace == namespace && $0.name == name } }
    }

    /// How many series the node holds (pods plus containers).
    public var seriesCount: Int {
        pods.withLock { table in table.values.reduce(0) { $0 + 1 + $1.containers.count } }
    }
}
