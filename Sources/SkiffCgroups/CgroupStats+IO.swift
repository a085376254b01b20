import SkiffSystem

/// Block IO a cgroup did, per device: cgroup v2's io.stat or v1's blkio.throttle counters.
public struct CgroupIOStats: Sendable, Equatable {
    public struct Device: Sendable, Equatable {
        public var major: UInt64
        public var minor: UInt64
        public var readBytes: UInt64 = 0
        public var writeBytes: UInt64 = 0
        public var reads: UInt64 = 0
        public var writes: UInt64 = 0

        public init(major: UInt64, minor: UInt64, readBytes: UInt64 = 0, writeBytes: UInt64 = 0, reads: UInt64 = 0, writes: UInt64 = 0) {
            (self.major, self.minor) = (major, minor)
            (self.readBytes, self.writeBytes, self.reads, self.writes) = (readBytes, writeBytes, reads, writes)
        }

        /// "major:minor", the form cgroup files and cAdvisor's `device` label use.
        public var name: String { "\(major):\(minor)" }
    }

    /// Sorted by major, minor.
    public var devices: [Device]

    public init(devices: [Device]) {
        self.devices = devices.sorted { ($0.major, $0.minor) < ($1.major, $1.minor) }
    }

    public var readBytes: UInt64 { devices.reduce(0) { $0 + $1.readBytes } }
    public var writeBytes: UInt64 { devices.reduce(0) { $0 + $1.writeBytes } }
    public var reads: UInt64 { devices.reduce(0) { $0 + $1.reads } }
    public var writes: UInt64 { devices.reduce(0) { $0 + $1.writes } }
}

extension CgroupFiles {
    /// cgroup v2 io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0" per device.
    public static func ioStat(_ content: String) -> CgroupIOStats {
        var devices: [CgroupIOStats.Device] = []
        for line in content.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard let first = fields.first, let (major, minor) = deviceNumbers(first) else { continue }
            var device = CgroupIOStats.Device(major: major, minor: minor)
            for field in fields.dropFirst() {
                let pair = field.split(separator: "=", maxSplits: 1)
                guard pair.count == 2, let value = UInt64(pair[1]) else { continue }
                switch pair[0] {
                case "rbytes": device.readBytes = value
                case "wbytes": device.writeBytes = value
                case "rios": device.reads = value
                case "wios": device.writes = value
                default: continue
                }
            }
            devices.append(device)
        }
        return CgroupIOStats(devices: devices)
    }

    /// cgroup v1 blkio.throttle.io_service_bytes and io_serviced: "8:0 Read 4096" lines, plus a
    /// trailing "Total N" that is skipped.
    public static func blkio(serviceBytes: String, serviced: String) -> CgroupIOStats {
        var byDevice: [String: CgroupIOStats.Device] = [:]
        func parse(_ content: String, _ apply: (inout CgroupIOStats.Device, Substring, UInt64) -> Void) {
            for line in content.split(separator: "\n") {
                let fields = line.split(separator: " ")
                guard fields.count == 3, let (major, minor) = deviceNumbers(fields[0]), let value = UInt64(fields[2]) else { continue }
                let key = String(fields[0])
                var device = byDevice[key] ?? CgroupIOStats.Device(major: major, minor: minor)
                apply(&device, fields[1], value)
                byDevice[key] = device
            }
        }
        parse(serviceBytes) { device, operation, value in
            if operation == "Read" { device.readBytes = value } else if operation == "Write" { device.writeBytes = value }
        }
        parse(serviced) { device, operation, value in
            if operation == "Read" { device.reads = value } else if operation == "Write" { device.writes = value }
        }
        return CgroupIOStats(devices: Array(byDevice.values))
    }

    private static func deviceNumbers(_ field: Substring) -> (UInt64, UInt64)? {
        let parts = field.split(separator: ":")
        guard parts.count == 2, let major = UInt64(parts[0]), let minor = UInt64(parts[1]) else { return nil }
        return (major, minor)
    }
}

extension CgroupV2 {
    /// io.stat, or nil when the io controller is not enabled for this cgroup.
    public func ioStats() -> CgroupIOStats? {
        (try? FileSystem.readString(directory + "/io.stat")).map(CgroupFiles.ioStat)
    }
}

extension CgroupV1 {
    /// The blkio throttle counters (the `_recursive` files when the kernel has them, so a pod's
    /// cgroup includes its containers), or nil without a blkio hierarchy.
    public func ioStats() -> CgroupIOStats? {
        guard let blkio = directory("blkio") else { return nil }
        func read(_ name: String) -> String? {
            (try? FileSystem.readString(blkio + "/" + name + "_recursive")) ?? (try? FileSystem.readString(blkio + "/" + name))
        }
        guard let bytes = read("blkio.throttle.io_service_bytes") else { return nil }
        return CgroupFiles.blkio(serviceBytes: bytes, serviced: read("blkio.throttle.io_serviced") ?? "")
    }
}
