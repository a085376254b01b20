import SkiffCgroups

/// One reading of one cgroup, in the units the Summary API uses.
public struct CgroupSample: Sendable, Equatable {
    /// Cumulative CPU time of every task in the cgroup (and its children), nanoseconds.
    public var cpuUsageCoreNanoseconds: UInt64 = 0
    /// CPU cores in use times 1e9, averaged since the previous sample; nil on the first one.
    public var cpuUsageNanoCores: UInt64?
    public var memoryUsageBytes: UInt64 = 0
    /// usage − inactive_file (total_inactive_file on v1), never below zero: what the kubelet
    /// evicts on and what `kubectl top` shows.
    public var memoryWorkingSetBytes: UInt64 = 0
    public var memoryRSSBytes: UInt64 = 0
    public var memoryCacheBytes: UInt64 = 0
    /// nil when unlimited.
    public var memoryLimitBytes: UInt64?
    /// nil when the host has no swap accounting for the cgroup.
    public var swapUsageBytes: UInt64?
    public var swapLimitBytes: UInt64?
    public var pageFaults: UInt64 = 0
    public var majorPageFaults: UInt64 = 0
    /// Processes in the cgroup (its cgroup.procs), cAdvisor's `container_processes` and the
    /// kubelet's processStats; a pod's is the sum of its containers'.
    public var processCount: UInt64 = 0
    /// pids.current: tasks (threads included, as the kernel counts them) in the cgroup and its
    /// children, cAdvisor's `container_threads` (what pid limits and pid.available count).
    public var threadCount: UInt64 = 0
    /// pids.max; nil when unlimited.
    public var threadLimit: UInt64?
    /// Open file descriptors and, of them, sockets, of the processes in cgroup.procs (read from
    /// /proc/PID/fd); nil when not counted (the node's root), a pod's is its containers' sum.
    public var fileDescriptors: UInt64?
    public var sockets: UInt64?
    /// CFS bandwidth accounting from cpu.stat; nil without the cpu controller.
    public var cpuThrottling: CPUThrottling?
    /// cpu.shares/weight, quota and period; nil without the cpu controller.
    public var cpuLimits: CgroupCPULimits?
    /// Times usage hit the limit: memory.failcnt (v1), memory.events max (v2).
    public var memoryFailcnt: UInt64 = 0
    /// Page cache mapped into processes: total_mapped_file (v1), file_mapped (v2).
    public var memoryMappedFileBytes: UInt64 = 0
    /// Processes the OOM killer killed: memory.events oom_kill (v2), memory.oom_control oom_kill (v1).
    public var oomKills: UInt64 = 0
    public var io: CgroupIOStats?
    public var pressure: PressureStats?

    public init() {}

    /// limit − working set, as the kubelet reports availableBytes; nil when unlimited.
    public var memoryAvailableBytes: UInt64? {
        memoryLimitBytes.map { $0 > memoryWorkingSetBytes ? $0 - memoryWorkingSetBytes : 0 }
    }
}

/// cpu.stat's CFS counters: enforcement periods that elapsed with runnable tasks, those in
/// which the cgroup ran out of quota, and the time its tasks were held back.
public struct CPUThrottling: Sendable, Equatable {
    public var periods: UInt64
    public var throttledPeriods: UInt64
    /// throttled_time (v1, nanoseconds) or throttled_usec × 1000 (v2).
    public var throttledNanoseconds: UInt64

    public init(periods: UInt64 = 0, throttledPeriods: UInt64 = 0, throttledNanoseconds: UInt64 = 0) {
        (self.periods, self.throttledPeriods, self.throttledNanoseconds) = (periods, throttledPeriods, throttledNanoseconds)
    }
}

/// Pressure stall information for the three resources; a resource whose file is absent is nil.
public struct PressureStats: Sendable, Equatable {
    public var cpu: PSIStats?
    public var memory: PSIStats?
    public var io: PSIStats?

    public init(cpu: PSIStats? = nil, memory: PSIStats? = nil, io: PSIStats? = nil) {
        (self.cpu, self.memory, self.io) = (cpu, memory, io)
    }

    init?(_ pressure: CgroupStats.Pressure?) {
        guard let pressure else { return nil }
        self.init(cpu: pressure.cpu.map(PSIStats.init), memory: pressure.memory.map(PSIStats.init), io: pressure.io.map(PSIStats.init))
    }
}

/// One resource's PSI file: "some" (at least one task stalled) and "full" (all stalled).
public struct PSIStats: Sendable, Equatable {
    public var some: PSIData
    /// Zero when the kernel has no "full" line (cpu before 5.13).
    public var full: PSIData

    public init(some: PSIData, full: PSIData) {
        (self.some, self.full) = (some, full)
    }

    init(_ psi: CgroupStats.PSI) {
        self.init(some: PSIData(psi.some), full: psi.full.map(PSIData.init) ?? PSIData())
    }
}

public struct PSIData: Sendable, Equatable {
    /// Stall time in microseconds, the kernel's value unchanged (as the kubelet passes it on).
    public var total: UInt64
    /// Percent of wall time stalled over the last 10, 60 and 300 seconds.
    public var avg10: Double
    public var avg60: Double
    public var avg300: Double

    public init(total: UInt64 = 0, avg10: Double = 0, avg60: Double = 0, avg300: Double = 0) {
        (self.total, self.avg10, self.avg60, self.avg300) = (total, avg10, avg60, avg300)
    }

    init(_ line: CgroupStats.PSILine) {
        self.init(total: line.total, avg10: line.avg10, avg60: line.avg60, avg300: line.avg300)
    }
}
