/// One reading of the whole node, from /proc and statvfs.
public struct NodeSample: Sendable, Equatable {
    /// When the node booted (/proc/stat btime): the Summary's node startTime.
    public var bootTime = StatsTime(seconds: 0)
    /// Busy CPU time of all cores since boot (user+nice+system+irq+softirq+steal), nanoseconds.
    public var cpuUsageCoreNanoseconds: UInt64 = 0
    public var cpuUsageNanoCores: UInt64?
    public var memoryTotalBytes: UInt64 = 0
    /// MemTotal − MemFree.
    public var memoryUsageBytes: UInt64 = 0
    /// usage − Inactive(file).
    public var memoryWorkingSetBytes: UInt64 = 0
    /// MemTotal − working set: the kubelet's definition, the one eviction thresholds use.
    public var memoryAvailableBytes: UInt64 = 0
    /// AnonPages.
    public var memoryRSSBytes: UInt64 = 0
    public var pageFaults: UInt64 = 0
    public var majorPageFaults: UInt64 = 0
    public var swapTotalBytes: UInt64 = 0
    public var swapUsageBytes: UInt64 = 0
    /// /proc/pressure/*, nil on kernels without PSI.
    public var pressure: PressureStats?
    /// The root file system (nodefs).
    public var filesystem: FilesystemSample?
    /// Where images are stored, when the agent names a directory for it.
    public var imageFilesystem: FilesystemSample?
    public var network: NetworkSample?
    /// /proc/sys/kernel/pid_max.
    public var maxPID: Int64?
    /// Tasks on the node (sysinfo's procs, as the kubelet reports curproc).
    public var processCount: Int64?

    public init() {}
}

/// statvfs of one mount.
public struct FilesystemSample: Sendable, Equatable {
    public var capacityBytes: UInt64
    /// Bytes an unprivileged user may still write (f_bavail).
    public var availableBytes: UInt64
    public var usedBytes: UInt64
    public var inodes: UInt64
    public var inodesFree: UInt64
    public var inodesUsed: UInt64 { inodes > inodesFree ? inodes - inodesFree : 0 }

    public init(capacityBytes: UInt64, availableBytes: UInt64, usedBytes: UInt64, inodes: UInt64, inodesFree: UInt64) {
        (self.capacityBytes, self.availableBytes, self.usedBytes) = (capacityBytes, availableBytes, usedBytes)
        (self.inodes, self.inodesFree) = (inodes, inodesFree)
    }
}

/// /proc/net/dev of one network namespace, loopback left out.
public struct NetworkSample: Sendable, Equatable {
    public struct Interface: Sendable, Equatable {
        public var name: String
        public var rxBytes: UInt64
        public var rxErrors: UInt64
        public var txBytes: UInt64
        public var txErrors: UInt64
        public var rxPackets: UInt64
        public var rxDropped: UInt64
        public var txPackets: UInt64
        public var txDropped: UInt64

        public init(
            name: String, rxBytes: UInt64, rxErrors: UInt64, txBytes: UInt64, txErrors: UInt64,
            rxPackets: UInt64 = 0, rxDropped: UInt64 = 0, txPackets: UInt64 = 0, txDropped: UInt64 = 0
        ) {
            (self.name, self.rxBytes, self.rxErrors, self.txBytes, self.txErrors) = (name, rxBytes, rxErrors, txBytes, txErrors)
            (self.rxPackets, self.rxDropped, self.txPackets, self.txDropped) = (rxPackets, rxDropped, txPackets, txDropped)
        }
    }

    public var interfaces: [Interface]
    /// The interface the Summary reports at top level: the default route's, else eth0, else the first.
    public var defaultInterface: Interface?

    public init(interfaces: [Interface], defaultName: String? = nil) {
        self.interfaces = interfaces
        defaultInterface = interfaces.first { $0.name == defaultName } ?? interfaces.first { $0.name == "eth0" } ?? interfaces.first
    }
}
