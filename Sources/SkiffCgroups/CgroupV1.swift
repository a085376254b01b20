import Glibc
import SkiffOCI
import SkiffSystem

/// The cgroup v1 driver: one directory per controller hierarchy.
public struct CgroupV1: Cgroup {
    /// The controllers Skiff manages; others on the host are left alone.
    static let controllers: Set<String> = [
        "cpu", "cpuacct", "cpuset", "memory", "pids", "devices", "freezer", "blkio", "hugetlb",
        // systemd's named hierarchy: runc tracks containers there too, and /proc/PID/cgroup shows it.
        "name=systemd",
    ]

    public let mountPoints: [String: String]
    public let path: String
    /// Per-controller paths that replace `path` (`exec --cgroup memory:sub`).
    public var controllerPaths: [String: String] = [:]

    public init(mountPoints: [String: String], path: String) {
        self.mountPoints = mountPoints
        self.path = path
    }

    /// The directory for a controller, or nil if the host does not mount it.
    public func directory(_ controller: String) -> String? {
        let path = controllerPaths[controller] ?? self.path
        return mountPoints[controller].map { $0 + (path == "/" ? "" : path) }
    }

    public func subCgroup(_ paths: [String: String]) throws -> any Cgroup {
        var sub = self
        for (controller, relative) in paths {
            if controller.isEmpty {
                for known in mountPoints.keys { sub.controllerPaths[known] = try CgroupPath.sub(relative, of: directoryPath(known)) }
            } else {
                guard mountPoints[controller] != nil else { throw RuntimeError("unknown controller \(controller) in SubCgroupPaths") }
                sub.controllerPaths[controller] = try CgroupPath.sub(relative, of: directoryPath(controller))
            }
        }
        return sub
    }

    private func directoryPath(_ controller: String) -> String { controllerPaths[controller] ?? path }

    /// Each distinct directory once (co-mounted controllers share one).
    var directories: [String] {
        Array(Set(mountPoints.keys.compactMap { directory($0) })).sorted()
    }

    public var exists: Bool { directory("memory").map(FileSystem.isDirectory) ?? false }

    public func create() throws {
        for directory in directories { try FileSystem.makeDirectories(directory) }
        // A new cpuset starts with no cpus or mems, and no process can join it until both are
        // set: copy them down from the nearest ancestor that has them.
        if let mount = mountPoints["cpuset"] {
            var current = mount
            for component in path.split(separator: "/") {
                let parent = current
                current += "/" + component
                for file in ["cpuset.cpus", "cpuset.mems"] {
                    let own = try FileSystem.readString(current + "/" + file).trimmingWhitespace
                    if own.isEmpty {
                        try FileSystem.write(current + "/" + file, try FileSystem.readString(parent + "/" + file).trimmingWhitespace, flags: O_WRONLY)
                    }
                }
            }
        }
    }

    private func set(_ controller: String, _ file: String, _ value: String) throws {
        guard let directory = directory(controller) else {
            throw RuntimeError("cgroup v1 controller \(controller) is not mounted on this host (needed for \(file))")
        }
        try FileSystem.write(directory + "/" + file, value, flags: O_WRONLY)
    }

    public func apply(_ resources: RuntimeSpec.Resources) throws {
        if let memory = resources.memory { try applyMemory(memory) }
        if let cpu = resources.cpu { try applyCPU(cpu) }
        // 0 leaves the limit alone, as in runc; -1 (or any negative) lifts it.
        if let pids = resources.pids, pids.limit != 0 {
            try set("pids", "pids.max", pids.limit > 0 ? "\(pids.limit)" : "max")
        }
        if let io = resources.blockIO {
            if let weight = io.weight, weight > 0 {
                // Kernels whose CFQ scheduler is gone have no blkio.weight; BFQ's weight is the
                // one left, and runc falls back to it (a kernel with neither fails on the open).
                let cfq = directory("blkio").map { FileSystem.exists($0 + "/blkio.weight") } ?? false
                try set("blkio", cfq ? "blkio.weight" : "blkio.bfq.weight", "\(weight)")
            }
            let throttles: [(String, [RuntimeSpec.ThrottleDevice]?)] = [
                ("blkio.throttle.read_bps_device", io.throttleReadBpsDevice),
                ("blkio.throttle.write_bps_device", io.throttleWriteBpsDevice),
                ("blkio.throttle.read_iops_device", io.throttleReadIOPSDevice),
                ("blkio.throttle.write_iops_device", io.throttleWriteIOPSDevice),
            ]
            for (file, devices) in throttles {
                for device in devices ?? [] { try set("blkio", file, "\(device.major):\(device.minor) \(device.rate)") }
            }
        }
        for limit in resources.hugepageLimits ?? [] {
            try set("hugetlb", "hugetlb.\(limit.pageSize).limit_in_bytes", "\(limit.limit)")
        }
        if let rules = resources.devices, directory("devices") != nil {
            try applyDevices(rules)
        }
    }

    private func applyCPU(_ cpu: RuntimeSpec.CPU) throws {
        if let shares = cpu.shares, shares > 0 {
            try set("cpu", "cpu.shares", "\(shares)")
            // The kernel clamps shares into 2…262144 silently; runc reports the clamp as an error.
            if let directory = directory("cpu"), let actual = UInt64(try FileSystem.readString(directory + "/cpu.shares").trimmingWhitespace),
                actual != shares
            {
                throw RuntimeError("the \(shares > actual ? "maximum" : "minimum") allowed cpu-shares is \(actual)")
            }
        }
        var periodPending: UInt64?
        if let period = cpu.period, period > 0 {
            // A period below the current one can be refused (EINVAL) while the old quota makes
            // quota/period exceed the parent's; with a quota coming, retry after writing it.
            do {
                try set("cpu", "cpu.cfs_period_us", "\(period)")
            } catch let error as SystemError where error.errno == EINVAL && (cpu.quota ?? 0) != 0 {
                periodPending = period
            }
        }
        if let quota = cpu.quota, quota != 0 {
            try set("cpu", "cpu.cfs_quota_us", "\(quota)")
            if let period = periodPending { try set("cpu", "cpu.cfs_period_us", "\(period)") }
        }
        if let period = cpu.realtimePeriod, period > 0 { try set("cpu", "cpu.rt_period_us", "\(period)") }
        if let runtime = cpu.realtimeRuntime, runtime != 0 { try set("cpu", "cpu.rt_runtime_us", "\(runtime)") }
        if let cpus = cpu.cpus, !cpus.isEmpty { try set("cpuset", "cpuset.cpus", cpus) }
        if let mems = cpu.mems, !mems.isEmpty { try set("cpuset", "cpuset.mems", mems) }
    }

    private func applyMemory(_ memory: RuntimeSpec.Memory) throws {
        let memsw = directory("memory").map { $0 + "/memory.memsw.limit_in_bytes" }
        let hasSwapAccounting = memsw.map(FileSystem.exists) ?? false
        // Zeros leave a value alone (runc's update sends them for "unchanged"); an unlimited
        // memory with swap unsaid makes swap unlimited too, as runc does.
        var memory = memory
        if memory.limit == 0 { memory.limit = nil }
        if memory.swap == 0 { memory.swap = nil }
        if memory.reservation == 0 { memory.reservation = nil }
        if memory.limit == -1 && memory.swap == nil && hasSwapAccounting { memory.swap = -1 }
        if let limit = memory.limit {
            // memsw may never be below the memory limit, in either order of writes: raise memsw
            // first when the new limit is above the current memsw, lower memory first otherwise.
            let currentMemsw =
                hasSwapAccounting
                ? (try? FileSystem.readString(memsw ?? "")).flatMap { Int64($0.trimmingWhitespace) } ?? Int64.max : Int64.max
            let newLimit = limit == -1 ? Int64.max : limit
            if hasSwapAccounting, let swap = memory.swap, newLimit > currentMemsw {
                try set("memory", "memory.memsw.limit_in_bytes", "\(swap)")
                try set("memory", "memory.limit_in_bytes", "\(limit)")
            } else {
                try set("memory", "memory.limit_in_bytes", "\(limit)")
                if hasSwapAccounting, let swap = memory.swap { try set("memory", "memory.memsw.limit_in_bytes", "\(swap)") }
            }
        } else if hasSwapAccounting, let swap = memory.swap {
            try set("memory", "memory.memsw.limit_in_bytes", "\(swap)")
        }
        if let reservation = memory.reservation { try set("memory", "memory.soft_limit_in_bytes", "\(reservation)") }
        if let swappiness = memory.swappiness { try set("memory", "memory.swappiness", "\(swappiness)") }
        if memory.disableOOMKiller == true { try set("memory", "memory.oom_control", "1") }
    }

    private func applyDevices(_ rules: [RuntimeSpec.DeviceRule]) throws {
        for rule in rules {
            let type = rule.type ?? "a"
            let major = rule.major.map { $0 < 0 ? "*" : "\($0)" } ?? "*"
            let minor = rule.minor.map { $0 < 0 ? "*" : "\($0)" } ?? "*"
            let access = rule.access ?? "rwm"
            let entry = type == "a" ? "a" : "\(type) \(major):\(minor) \(access)"
            try set("devices", rule.allow ? "devices.allow" : "devices.deny", entry)
        }
        // The devices every container gets (runc's AllowedDevices): null, zero, full, tty,
        // random, urandom, the pty master and slaves, and mknod of any char/block device.
        for entry in [
            "c *:* m", "b *:* m", "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 5:0 rwm", "c 1:8 rwm",
            "c 1:9 rwm", "c 5:2 rwm", "c 136:* rwm", "c 10:200 rwm",
        ] {
            try set("devices", "devices.allow", entry)
        }
    }

    public func add(pid: pid_t) throws {
        for directory in directories {
            try FileSystem.write(directory + "/cgroup.procs", "\(pid)", flags: O_WRONLY)
        }
    }

    public func processes() throws -> [pid_t] {
        guard let directory = directory("pids") ?? directory("memory") ?? directories.first,
            FileSystem.isDirectory(directory)
        else { return [] }
        return try Cgroups.readAllPIDs(directory)
    }

    public func setFrozen(_ frozen: Bool) throws {
        try set("freezer", "freezer.state", frozen ? "FROZEN" : "THAWED")
        guard let directory = directory("freezer") else { return }
        let want = frozen ? "FROZEN" : "THAWED"
        for _ in 0..<1000 {
            if try FileSystem.readString(directory + "/freezer.state").trimmingWhitespace == want { return }
            usleep(1000)
        }
        throw RuntimeError("cgroup \(path): freezer did not reach \(want)")
    }

    public func isFrozen() -> Bool {
        guard let directory = directory("freezer") else { return false }
        return (try? FileSystem.readString(directory + "/freezer.state").trimmingWhitespace) == "FROZEN"
    }

    public func stats() throws -> CgroupStats {
        var stats = CgroupStats()
        if let cpuacct = directory("cpuacct") {
            stats.cpu.usage.total = UInt64((try? FileSystem.readString(cpuacct + "/cpuacct.usage").trimmingWhitespace) ?? "") ?? 0
            stats.cpu.usage.percpu = (try? FileSystem.readString(cpuacct + "/cpuacct.usage_percpu"))?
                .split(separator: " ").compactMap { UInt64($0.trimmingWhitespace) }
            let ticks = CgroupFiles.keyValues((try? FileSystem.readString(cpuacct + "/cpuacct.stat")) ?? "")
            let nanosPerTick = UInt64(1_000_000_000) / UInt64(max(sysconf(Int32(_SC_CLK_TCK)), 1))
            stats.cpu.usage.user = (ticks["user"] ?? 0) * nanosPerTick
            stats.cpu.usage.kernel = (ticks["system"] ?? 0) * nanosPerTick
        }
        if let cpu = directory("cpu") {
            let throttling = CgroupFiles.keyValues((try? FileSystem.readString(cpu + "/cpu.stat")) ?? "")
            stats.cpu.throttling = .init(
                periods: throttling["nr_periods"], throttledPeriods: throttling["nr_throttled"],
                throttledTime: throttling["throttled_time"])
        }
        if let memory = directory("memory") {
            func value(_ file: String) -> UInt64? {
                (try? FileSystem.readString(memory + "/" + file)).flatMap { UInt64($0.trimmingWhitespace) }
            }
            let raw = CgroupFiles.keyValues((try? FileSystem.readString(memory + "/memory.stat")) ?? "")
            let usage = value("memory.usage_in_bytes") ?? 0
            stats.memory.usage = .init(
                usage: usage, max: value("memory.max_usage_in_bytes"),
                limit: (try? FileSystem.readString(memory + "/memory.limit_in_bytes")).flatMap(CgroupFiles.limit),
                failcnt: value("memory.failcnt"))
            if let swapUsage = value("memory.memsw.usage_in_bytes") {
                stats.memory.swap = .init(
                    usage: swapUsage, max: value("memory.memsw.max_usage_in_bytes"),
                    limit: (try? FileSystem.readString(memory + "/memory.memsw.limit_in_bytes")).flatMap(CgroupFiles.limit),
                    failcnt: value("memory.memsw.failcnt"))
            }
            let inactiveFile = raw["total_inactive_file"] ?? 0
            stats.memory.workingSet = usage > inactiveFile ? usage - inactiveFile : 0
            stats.memory.rss = raw["total_rss"] ?? 0
            stats.memory.cache = raw["total_cache"] ?? 0
            stats.memory.raw = raw
            let oomControl = CgroupFiles.keyValues((try? FileSystem.readString(memory + "/memory.oom_control")) ?? "")
            stats.memory.oomKill = oomControl["oom_kill"] ?? 0
        }
        if let pids = directory("pids") {
            stats.pids.current = UInt64((try? FileSystem.readString(pids + "/pids.current").trimmingWhitespace) ?? "") ?? 0
            stats.pids.limit = (try? FileSystem.readString(pids + "/pids.max")).flatMap(CgroupFiles.limit)
        }
        return stats
    }

    public func destroy() throws {
        if directories.contains(where: FileSystem.isDirectory) {
            // Frozen processes cannot die; thaw first so SIGKILL lands.
            if isFrozen() { try setFrozen(false) }
            try Cgroups.killAndWait(self)
        }
        for directory in directories { try Cgroups.removeDirectory(directory) }
    }
}
