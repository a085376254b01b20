import FoundationEssentials
import SkiffStats

/// The eviction loop's view of this agent: signals from /proc, the pods' cgroup root and the
/// data directory's file system; candidates from the running pod workers and their cgroups;
/// evictions through the workers; conditions through the node status.
struct AgentEvictionHost: EvictionHost {
    let stats: StatsCollector
    let manager: PodManager
    let registrar: NodeRegistrar

    func measure() async -> EvictionMeasurement {
        let snapshot = await stats.snapshot()
        let configuration = stats.context.configuration
        let reader = stats.sampler.reader
        let (podsRoot, nodefs) = await blocking {
            let root = "/" + configuration.cgroupRoot
            return (
                reader.exists(root) ? (try? reader.read(root)) : nil,
                try? NodeReader.filesystem(configuration.dataDirectory)
            )
        }
        let samples = Dictionary(snapshot.pods.map { ($0.target.uid, $0) }, uniquingKeysWith: { first, _ in first })
        var pods: [EvictionCandidate] = []
        for worker in await manager.allWorkers() {
            guard await worker.lifecycle == .running else { continue }
            let pod = await worker.pod
            let sample = samples[pod.uid]
            var workingSets: [String: Int64] = [:]
            for container in sample?.containers ?? [] {
                if let bytes = container.stats?.memoryWorkingSetBytes { workingSets[container.target.name] = Int64(clamping: bytes) }
            }
            pods.append(EvictionCandidate(pod: pod, memoryWorkingSet: workingSets, processes: Int64(clamping: sample?.stats?.threadCount ?? 0)))
        }
        return EvictionMeasurement(signals: SignalObservation.observe(node: snapshot.node, podsRoot: podsRoot, nodefs: nodefs), pods: pods)
    }

    func evict(podUID: String, message: String) async -> Bool {
        guard let worker = await manager.worker(uid: podUID) else { return false }
        return await worker.evict(message: message)
    }

    func publish(_ pressure: NodePressure) async {
        await manager.setPressure(pressure.active)
        await registrar.setPressure(pressure)
    }
}
