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
    /// pids.current: tasks (threads included, as the kernel counts them) in the cgroup.
    public var processCount: UInt64 = 0
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
