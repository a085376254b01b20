import SkiffCgroups
import SkiffSystem

/// Reads a `CgroupSample` from the host's hierarchy, on top of SkiffCgroups' `stats()`.
public struct CgroupReader: Sendable {
    public let hierarchy: CgroupHierarchy

    public init(hierarchy: CgroupHierarchy) {
        self.hierarchy = hierarchy
    }

    /// Whether the cgroup exists (a container that just exited has none).
    public func exists(_ path: String) -> Bool {
        Cgroups.open(path: path, hierarchy: hierarchy).exists
    }

    /// The sample of the cgroup at `path` ("/kubepods/pod1/c1"); nanoCores is left nil (the
    /// sampler fills it from the previous sample).
    public func read(_ path: String) throws -> CgroupSample {
        let cgroup = Cgroups.open(path: path, hierarchy: hierarchy)
        guard cgroup.exists else { throw RuntimeError("cgroup \(path) does not exist") }
        let stats = try cgroup.stats()
        var sample = CgroupSample()
        sample.cpuUsageCoreNanoseconds = stats.cpu.usage.total
        sample.memoryUsageBytes = stats.memory.usage.usage
        sample.memoryWorkingSetBytes = stats.memory.workingSet
        sample.memoryRSSBytes = stats.memory.rss
        sample.memoryCacheBytes = stats.memory.cache
        sample.memoryLimitBytes = stats.memory.usage.limit
        sample.processCount = stats.pids.current
        sample.oomKills = stats.memory.oomKill
        let raw = stats.memory.raw
        switch cgroup {
        case let v2 as CgroupV2:
            sample.pageFaults = raw["pgfault"] ?? 0
            sample.majorPageFaults = raw["pgmajfault"] ?? 0
            sample.swapUsageBytes = stats.memory.swap?.usage
            sample.swapLimitBytes = stats.memory.swap?.limit
            sample.io = v2.ioStats()
            sample.pressure = PressureStats(stats.pressure ?? v2.pressure())
        case let v1 as CgroupV1:
            // total_* are hierarchical, so a pod's cgroup counts its containers' faults; the
            // plain keys would only count tasks living in the pod cgroup itself (none).
            sample.pageFaults = raw["total_pgfault"] ?? raw["pgfault"] ?? 0
            sample.majorPageFaults = raw["total_pgmajfault"] ?? raw["pgmajfault"] ?? 0
            // memsw counts memory + swap.
            if let memsw = stats.memory.swap {
                sample.swapUsageBytes = memsw.usage > sample.memoryUsageBytes ? memsw.usage - sample.memoryUsageBytes : 0
            }
            sample.io = v1.ioStats()
            sample.pressure = PressureStats(v1.pressure())
        default:
            break
        }
        return sample
    }
}
