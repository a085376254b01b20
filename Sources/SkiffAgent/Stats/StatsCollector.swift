import FoundationEssentials
import ServiceLifecycle
import SkiffAPI
import SkiffCgroups
import SkiffStats

/// Feeds the pods' cgroups to the sampler for /stats/summary, the Prometheus endpoints and the
/// metrics the server turns into `kubectl top`.
struct StatsCollector: Sendable {
    let context: AgentContext
    let manager: PodManager
    let sampler: StatsSampler

    init(context: AgentContext, manager: PodManager, hierarchy: CgroupHierarchy) {
        self.context = context
        self.manager = manager
        sampler = StatsSampler(hierarchy: hierarchy, node: NodeReader(rootFilesystem: "/", imageFilesystem: context.configuration.imagesDirectory))
    }

    func snapshot() async -> StatsSnapshot {
        var targets: [PodStatsTarget] = []
        for worker in await manager.allWorkers() {
            if let target = await worker.statsTarget() { targets.append(target) }
        }
        let sampler = sampler
        let pods = targets
        return await blocking { sampler.sample(pods) }
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
}

/// Samples every pod's cgroups every 10 s, so each scrape gets a CPU rate over a real window,
/// as cAdvisor's housekeeping does.
struct StatsHousekeeping: Service {
    let collector: StatsCollector

    func run() async {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                _ = await collector.snapshot()
                try? await Task.sleep(for: .seconds(10))
            }
        }
    }
}
