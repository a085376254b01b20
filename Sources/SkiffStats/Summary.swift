/// The kubelet's `/stats/summary` (stats/v1alpha1), field for field; nil fields are omitted
/// from the JSON as the kubelet's `omitempty` does.
public struct Summary: Sendable, Equatable {
    public var node: NodeStats
    public var pods: [PodStats]

    public init(node: NodeStats, pods: [PodStats]) {
        (self.node, self.pods) = (node, pods)
    }

    public struct NodeStats: Sendable, Equatable {
        public var nodeName: String
        public var systemContainers: [ContainerStats] = []
        public var startTime: StatsTime
        public var cpu: CPUStats?
        public var memory: MemoryStats?
        public var io: IOStats?
        public var network: NetworkStats?
        public var fs: FsStats?
        public var runtime: RuntimeStats?
        public var rlimit: RlimitStats?
        public var swap: SwapStats?

        public init(nodeName: String, startTime: StatsTime) {
            (self.nodeName, self.startTime) = (nodeName, startTime)
        }
    }

    public struct PodStats: Sendable, Equatable {
        public var podRef: PodReference
        public var startTime: StatsTime
        public var containers: [ContainerStats] = []
        public var cpu: CPUStats?
        public var memory: MemoryStats?
        public var io: IOStats?
        public var network: NetworkStats?
        public var ephemeralStorage: FsStats?
        public var processStats: ProcessStats?
        public var swap: SwapStats?

        public init(podRef: PodReference, startTime: StatsTime) {
            (self.podRef, self.startTime) = (podRef, startTime)
        }
    }

    public struct ContainerStats: Sendable, Equatable {
        public var name: String
        public var startTime: StatsTime
        public var cpu: CPUStats?
        public var memory: MemoryStats?
        public var io: IOStats?
        public var rootfs: FsStats?
        public var logs: FsStats?
        public var swap: SwapStats?

        public init(name: String, startTime: StatsTime) {
            (self.name, self.startTime) = (name, startTime)
        }
    }

    public struct PodReference: Sendable, Equatable {
        public var name: String
        public var namespace: String
        public var uid: String

        public init(name: String, namespace: String, uid: String) {
            (self.name, self.namespace, self.uid) = (name, namespace, uid)
        }
    }

    public struct CPUStats: Sendable, Equatable {
        public var time: StatsTime
        public var usageNanoCores: UInt64?
        public var usageCoreNanoSeconds: UInt64?
        public var psi: PSIStats?
    }

    public struct MemoryStats: Sendable, Equatable {
        public var time: StatsTime
        public var availableBytes: UInt64?
        public var usageBytes: UInt64?
        public var workingSetBytes: UInt64?
        public var rssBytes: UInt64?
        public var pageFaults: UInt64?
        public var majorPageFaults: UInt64?
        public var psi: PSIStats?
    }

    public struct IOStats: Sendable, Equatable {
        public var time: StatsTime
        public var psi: PSIStats?
    }

    public struct SwapStats: Sendable, Equatable {
        public var time: StatsTime
        public var swapAvailableBytes: UInt64?
        public var swapUsageBytes: UInt64?
    }

    public struct InterfaceStats: Sendable, Equatable {
        public var name: String
        public var rxBytes: UInt64?
        public var rxErrors: UInt64?
        public var txBytes: UInt64?
        public var txErrors: UInt64?
    }

    /// The default interface's fields inline, plus every interface.
    public struct NetworkStats: Sendable, Equatable {
        public var time: StatsTime
        public var defaultInterface: InterfaceStats?
        public var interfaces: [InterfaceStats]
    }

    public struct FsStats: Sendable, Equatable {
        public var time: StatsTime
        public var availableBytes: UInt64?
        public var capacityBytes: UInt64?
        public var usedBytes: UInt64?
        public var inodesFree: UInt64?
        public var inodes: UInt64?
        public var inodesUsed: UInt64?
    }

    public struct RuntimeStats: Sendable, Equatable {
        public var imageFs: FsStats?
        public var containerFs: FsStats?
    }

    public struct RlimitStats: Sendable, Equatable {
        public var time: StatsTime
        public var maxpid: Int64?
        public var curproc: Int64?
    }

    public struct ProcessStats: Sendable, Equatable {
        public var processCount: UInt64?
    }
}
