extension RuntimeSpec {
    /// `linux.resources`: what the cgroup drivers apply. Values keep the spec's units (bytes,
    /// microseconds, shares) and the drivers translate them per cgroup version.
    public struct Resources: Sendable, Equatable {
        public var devices: [DeviceRule]?
        public var memory: Memory?
        public var cpu: CPU?
        public var pids: Pids?
        public var blockIO: BlockIO?
        public var hugepageLimits: [HugepageLimit]?
        public var unified: [String: String]?

        public init(
            devices: [DeviceRule]? = nil, memory: Memory? = nil, cpu: CPU? = nil, pids: Pids? = nil,
            blockIO: BlockIO? = nil, hugepageLimits: [HugepageLimit]? = nil, unified: [String: String]? = nil
        ) {
            self.devices = devices
            self.memory = memory
            self.cpu = cpu
            self.pids = pids
            self.blockIO = blockIO
            self.hugepageLimits = hugepageLimits
            self.unified = unified
        }
    }

    public struct DeviceRule: Sendable, Equatable {
        public var allow: Bool
        public var type: String?
        public var major: Int64?
        public var minor: Int64?
        public var access: String?

        public init(allow: Bool, type: String? = nil, major: Int64? = nil, minor: Int64? = nil, access: String? = nil) {
            self.allow = allow
            self.type = type
            self.major = major
            self.minor = minor
            self.access = access
        }
    }

    public struct Memory: Sendable, Equatable {
        public var limit: Int64?
        public var reservation: Int64?
        public var swap: Int64?
        public var swappiness: UInt64?
        public var disableOOMKiller: Bool?

        public init(limit: Int64? = nil, reservation: Int64? = nil, swap: Int64? = nil) {
            self.limit = limit
            self.reservation = reservation
            self.swap = swap
        }
    }

    public struct CPU: Sendable, Equatable {
        public var shares: UInt64?
        public var quota: Int64?
        public var burst: UInt64?
        public var period: UInt64?
        public var cpus: String?
        public var mems: String?
        public var idle: Int64?
        /// cgroup v1's cpu.rt_runtime_us and cpu.rt_period_us (v2 has no real-time group scheduling).
        public var realtimeRuntime: Int64?
        public var realtimePeriod: UInt64?

        public init(shares: UInt64? = nil, quota: Int64? = nil, period: UInt64? = nil, cpus: String? = nil, mems: String? = nil) {
            self.shares = shares
            self.quota = quota
            self.period = period
            self.cpus = cpus
            self.mems = mems
        }
    }

    public struct Pids: Sendable, Equatable {
        public var limit: Int64
        public init(limit: Int64) { self.limit = limit }
    }

    public struct BlockIO: Sendable, Equatable {
        public var weight: UInt16?
        public var leafWeight: UInt16?
        public var weightDevice: [WeightDevice]?
        public var throttleReadBpsDevice: [ThrottleDevice]?
        public var throttleWriteBpsDevice: [ThrottleDevice]?
        public var throttleReadIOPSDevice: [ThrottleDevice]?
        public var throttleWriteIOPSDevice: [ThrottleDevice]?

        public init(weight: UInt16? = nil) { self.weight = weight }
    }

    public struct WeightDevice: Sendable, Equatable {
        public var major: Int64
        public var minor: Int64
        public var weight: UInt16?
        public var leafWeight: UInt16?
    }

    public struct ThrottleDevice: Sendable, Equatable {
        public var major: Int64
        public var minor: Int64
        public var rate: UInt64
    }

    public struct HugepageLimit: Sendable, Equatable {
        public var pageSize: String
        public var limit: UInt64
    }
}
