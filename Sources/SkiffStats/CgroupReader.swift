import Glibc
import SkiffCgroups
import SkiffSystem

/// Reads a `CgroupSample` from the host's hierarchy, on top of SkiffCgroups' `stats()`.
public struct CgroupReader: Sendable {
    public let hierarchy: CgroupHierarchy
    /// Where /proc is (tests point it at a fake one) for the file-descriptor count.
    public let procRoot: String

    public init(hierarchy: CgroupHierarchy, procRoot: String = "/proc") {
        self.hierarchy = hierarchy
        self.procRoot = procRoot
    }

    /// Whether the cgroup exists (a container that just exited has none).
    public func exists(_ path: String) -> Bool {
        Cgroups.open(path: path, hierarchy: hierarchy).exists
    }

    /// The sample of the cgroup at `path` ("/kubepods/pod1/c1"); nanoCores is left nil (the
    /// sampler fills it from the previous sample). With `processes`, the cgroup's own processes
    /// (cgroup.procs) are counted with their open descriptors and sockets, as cAdvisor counts a
    /// container's; without, processCount stays 0 and the descriptor counts nil (a pod's cgroup
    /// holds no processes itself, and the sampler sums its containers').
    public func read(_ path: String, processes: Bool = false) throws -> CgroupSample {
        try sample(path, processes: processes).sample
    }

    /// `read(_:processes:)`, also returning the pids of cgroup.procs (empty without `processes`).
    public func sample(_ path: String, processes: Bool) throws -> (sample: CgroupSample, pids: [pid_t]) {
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
        sample.memoryFailcnt = stats.memory.usage.failcnt ?? 0
        sample.threadCount = stats.pids.current
        sample.threadLimit = stats.pids.limit
        sample.oomKills = stats.memory.oomKill
        let throttling = stats.cpu.throttling
        if let periods = throttling.periods {
            sample.cpuThrottling = CPUThrottling(
                periods: periods, throttledPeriods: throttling.throttledPeriods ?? 0, throttledNanoseconds: throttling.throttledTime ?? 0)
        }
        let raw = stats.memory.raw
        switch cgroup {
        case let v2 as CgroupV2:
            sample.pageFaults = raw["pgfault"] ?? 0
            sample.majorPageFaults = raw["pgmajfault"] ?? 0
            sample.memoryMappedFileBytes = raw["file_mapped"] ?? 0
            sample.swapUsageBytes = stats.memory.swap?.usage
            sample.swapLimitBytes = stats.memory.swap?.limit
            sample.io = v2.ioStats()
            sample.pressure = PressureStats(stats.pressure ?? v2.pressure())
            sample.cpuLimits = v2.cpuLimits()
        case let v1 as CgroupV1:
            // total_* are hierarchical, so a pod's cgroup counts its containers' faults; the
            // plain keys would only count tasks living in the pod cgroup itself (none).
            sample.pageFaults = raw["total_pgfault"] ?? raw["pgfault"] ?? 0
            sample.majorPageFaults = raw["total_pgmajfault"] ?? raw["pgmajfault"] ?? 0
            sample.memoryMappedFileBytes = raw["total_mapped_file"] ?? raw["mapped_file"] ?? 0
            // memsw counts memory + swap.
            if let memsw = stats.memory.swap {
                sample.swapUsageBytes = memsw.usage > sample.memoryUsageBytes ? memsw.usage - sample.memoryUsageBytes : 0
            }
            sample.io = v1.ioStats()
            sample.pressure = PressureStats(v1.pressure())
            sample.cpuLimits = v1.cpuLimits()
        default:
            break
        }
        guard processes else { return (sample, []) }
        // A cgroup removed between the stats and this read has no processes: not an error.
        let pids = (try? cgroup.processes()) ?? []
        let descriptors = ProcessDescriptors.count(pids, procRoot: procRoot)
        sample.processCount = UInt64(pids.count)
        sample.fileDescriptors = descriptors.files
        sample.sockets = descriptors.sockets
        return (sample, pids)
    }
}
