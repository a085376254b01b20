import FoundationEssentials
import ServiceLifecycle
import SkiffAPI
import SkiffCgroups
import SkiffNodeAPI
import SkiffStats

/// Feeds the pods' cgroups to the sampler for /stats/summary, the Prometheus endpoints and the
/// metrics the server turns into `kubectl top`.
struct StatsCollector: Sendable {
    let context: AgentContext
    let manager: PodManager
    let sampler: StatsSampler
    /// Every pod's and container's last hour at 10 s and last day at 1 min (docs/agent.md).
    let history = StatsHistory()

    init(context: AgentContext, manager: PodManager, hierarchy: CgroupHierarchy) {
        self.context = context
        self.manager = manager
        sampler = StatsSampler(hierarchy: hierarchy, node: NodeReader(rootFilesystem: "/", imageFilesystem: context.configuration.imagesDirectory))
    }

    func snapshot() async -> StatsSnapshot {
        await sample().snapshot
    }

    /// A snapshot, with each pod's containers' restarts for the history.
    func sample() async -> (snapshot: StatsSnapshot, events: [String: [String: StatsHistory.ContainerEvents]]) {
        var targets: [PodStatsTarget] = []
        var events: [String: [String: StatsHistory.ContainerEvents]] = [:]
        for worker in await manager.allWorkers() {
            guard let target = await worker.statsTarget() else { continue }
            targets.append(target)
            events[target.uid] = await worker.historyEvents()
        }
        let sampler = sampler
        let pods = targets
        return (await blocking { sampler.sample(pods) }, events)
    }

    /// Samples and adds the sample to the history (the housekeeping's job; scrapes only read).
    func recordHistory() async {
        let (snapshot, events) = await sample()
        history.record(snapshot, events: events)
    }

    /// `/stats/history/{namespace}/{pod}`.
    func historyJSON(namespace: String, pod: String) throws -> [UInt8] {
        guard let pod = history.pod(namespace: namespace, name: pod) else {
            throw NodeAPIError.notFound("no history for pod \(namespace)/\(pod) on this node")
        }
        return Array(pod.jsonText.utf8)
    }

    func summaryJSON() async -> [UInt8] {
        Array(Summary(snapshot: await snapshot(), nodeName: context.configuration.nodeName).jsonText.utf8)
    }

    func resourceMetrics() async -> [UInt8] { Array(ResourceMetrics.render(await snapshot()).utf8) }

    func cadvisorMetrics() async -> [UInt8] { Array(CadvisorMetrics.render(await snapshot()).utf8) }
}

extension PodWorker {
    /// The pod's and its running containers' cgroups, for the stats sampler.
    func statsTarget() -> PodStatsTarget? {
        guard lifecycle != .terminated else { return nil }
        var containerTargets: [ContainerStatsTarget] = []
        for state in containers.values {
            guard case .running(let id, let startedAt) = state.phase else { continue }
            containerTargets.append(
                ContainerStatsTarget(
                    name: state.name, cgroupPath: context.cgroups.containerPath(pod: pod, containerID: id),
                    startTime: StatsTime(seconds: Int64(startedAt.timeIntervalSince1970)), id: id, image: state.image))
        }
        return PodStatsTarget(
            namespace: pod.namespace, name: pod.name, uid: uid,
            cgroupPath: context.cgroups.path(for: pod),
            startTime: startTime.map { StatsTime(seconds: Int64($0.timeIntervalSince1970)) },
            hostNetwork: pod.spec.hostNetwork, containers: containerTargets.sorted { $0.name < $1.name })
    }

    /// Each container's restarts and whether its last run was OOM-killed, for the history.
    func historyEvents() -> [String: StatsHistory.ContainerEvents] {
        var events: [String: StatsHistory.ContainerEvents] = [:]
        for state in containers.values {
            let last = state.termination ?? state.lastTermination
            events[state.name] = StatsHistory.ContainerEvents(
                restarts: UInt64(max(state.restartCount, 0)), lastExitOOMKilled: last?.reason == "OOMKilled")
        }
        return events
    }
}

/// Samples every pod's cgroups every 10 s, so each scrape gets a CPU rate over a real window,
/// as cAdvisor's housekeeping does, and adds each sample to the history. Samples are taken half
/// a second into each 10 s of wall-clock time, so every history interval gets exactly one.
struct StatsHousekeeping: Service {
    let collector: StatsCollector

    func run() async {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await collector.recordHistory()
                let now = Date().timeIntervalSince1970
                let next = (now / 10).rounded(.down) * 10 + 10.5
                try? await Task.sleep(for: .milliseconds(Int64((next - now) * 1000)))
            }
        }
    }
}
