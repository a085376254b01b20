import Glibc
import SkiffCgroups
import SkiffSystem
import Synchronization

/// Samples the node and the agent's pods, and turns cumulative CPU time into usageNanoCores
/// by keeping each cgroup's previous sample.
///
/// Shared by /stats/summary, /metrics/resource, /metrics/cadvisor and `skiff pods`: scrapes
/// that come closer together than `minimumWindow` reuse the last rate instead of dividing a
/// tiny, noisy delta, so two endpoints scraped back to back report the same usage.
public final class StatsSampler: Sendable {
    public let reader: CgroupReader
    public let node: NodeReader
    public let minimumWindowNanoseconds: UInt64

    private struct Baseline {
        var usage: UInt64
        var monotonic: UInt64
        var lastRate: UInt64?
    }

    /// Keyed by cgroup path ("node" for the node); entries not seen in a scrape are dropped.
    private let baselines = Mutex<[String: Baseline]>([:])

    public init(hierarchy: CgroupHierarchy, node: NodeReader = NodeReader(), minimumWindowNanoseconds: UInt64 = 1_000_000_000) {
        reader = CgroupReader(hierarchy: hierarchy, procRoot: node.procRoot)
        self.node = node
        self.minimumWindowNanoseconds = minimumWindowNanoseconds
    }

    /// One scrape. Never throws: what could not be read is nil in the snapshot and, unless the
    /// cgroup simply no longer exists, listed in `errors`.
    public func sample(
        _ pods: [PodStatsTarget], systemContainers: [SystemContainerTarget] = [], clock: SampleClock = .now()
    ) -> StatsSnapshot {
        var errors: [String] = []
        var seen: [String: (usage: UInt64, monotonic: UInt64)] = [:]

        func read(_ path: String, processes: Bool = false) -> (sample: CgroupSample, pids: [pid_t])? {
            guard reader.exists(path) else { return nil }
            do {
                var (sample, pids) = try reader.sample(path, processes: processes)
                seen[path] = (sample.cpuUsageCoreNanoseconds, clock.monotonicNanoseconds)
                sample.cpuUsageNanoCores = rate(path, usage: sample.cpuUsageCoreNanoseconds, at: clock.monotonicNanoseconds)
                return (sample, pids)
            } catch {
                errors.append("cgroup \(path): \(error)")
                return nil
            }
        }

        var nodeSample: NodeSample?
        do {
            var sample = try node.read()
            sample.cpuUsageNanoCores = rate("node", usage: sample.cpuUsageCoreNanoseconds, at: clock.monotonicNanoseconds)
            seen["node"] = (sample.cpuUsageCoreNanoseconds, clock.monotonicNanoseconds)
            nodeSample = sample
        } catch {
            errors.append("node: \(error)")
        }
        let system = systemContainers.map { SystemContainerSample(target: $0, stats: read($0.cgroupPath)?.sample) }
        let podSamples = pods.map { pod in
            var firstPID: pid_t?
            let containers = pod.containers.map { target in
                let read = read(target.cgroupPath, processes: true)
                if firstPID == nil { firstPID = read?.pids.first }
                return ContainerSample(target: target, stats: read?.sample)
            }
            var podStats = read(pod.cgroupPath)?.sample
            // The kubelet's pod processStats is its containers' sum; so are the descriptors.
            podStats?.processCount = containers.reduce(0) { $0 + ($1.stats?.processCount ?? 0) }
            podStats?.fileDescriptors = containers.reduce(0) { $0 + ($1.stats?.fileDescriptors ?? 0) }
            podStats?.sockets = containers.reduce(0) { $0 + ($1.stats?.sockets ?? 0) }
            let networkPID = pod.networkPID ?? (pod.hostNetwork ? nil : firstPID)
            let network = networkPID.flatMap { pid in
                NodeReader.network(
                    procNetDev: try? FileSystem.readString("\(reader.procRoot)/\(pid)/net/dev"),
                    route: try? FileSystem.readString("\(reader.procRoot)/\(pid)/net/route"))
            }
            return PodSample(target: pod, stats: podStats, containers: containers, network: network)
        }
        baselines.withLock { table in table = table.filter { seen[$0.key] != nil } }
        return StatsSnapshot(clock: clock, node: nodeSample, systemContainers: system, pods: podSamples, errors: errors)
    }

    /// usageNanoCores from the previous baseline, moving the baseline once the window is long
    /// enough. A usage that went down means a new cgroup under the same path: start over.
    private func rate(_ key: String, usage: UInt64, at now: UInt64) -> UInt64? {
        baselines.withLock { table in
            guard let previous = table[key], usage >= previous.usage, now > previous.monotonic else {
                table[key] = Baseline(usage: usage, monotonic: now, lastRate: nil)
                return nil
            }
            let elapsed = now - previous.monotonic
            guard elapsed >= minimumWindowNanoseconds else { return previous.lastRate }
            let rate = UInt64((Double(usage - previous.usage) / Double(elapsed) * 1e9).rounded())
            table[key] = Baseline(usage: usage, monotonic: now, lastRate: rate)
            return rate
        }
    }
}
