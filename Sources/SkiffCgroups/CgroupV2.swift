import Glibc
import SkiffOCI
import SkiffSystem

/// The cgroup v2 driver: one directory in the unified hierarchy.
public struct CgroupV2: Cgroup {
    /// Controllers enabled on the ancestors of a container's cgroup, when the kernel offers them.
    static let wanted = ["cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc"]

    public let mountPoint: String
    public let path: String

    public init(mountPoint: String, path: String) {
        self.mountPoint = mountPoint
        self.path = path
    }

    public var directory: String { mountPoint + (path == "/" ? "" : path) }
    public var exists: Bool { FileSystem.isDirectory(directory) }

    private func file(_ name: String) -> String { directory + "/" + name }

    public func create() throws {
        // The no-internal-process rule: controllers are enabled in the subtree_control of the
        // ancestors only, and processes live in the leaf.
        var current = mountPoint
        for component in path.split(separator: "/") {
            let available = Set(try FileSystem.readString(current + "/cgroup.controllers").split(whereSeparator: \.isWhitespace).map(String.init))
            let enabled = Set(try FileSystem.readString(current + "/cgroup.subtree_control").split(whereSeparator: \.isWhitespace).map(String.init))
            let missing = Self.wanted.filter { available.contains($0) && !enabled.contains($0) }
            if !missing.isEmpty {
                try FileSystem.write(current + "/cgroup.subtree_control", missing.map { "+" + $0 }.joined(separator: " "), flags: O_WRONLY)
            }
            current += "/" + component
            try sys("mkdir", current.quoted, allowing: [EEXIST]) { mkdir(current, 0o755) }
        }
    }

    private func set(_ name: String, _ value: String) throws {
        let path = file(name)
        guard FileSystem.exists(path) else {
            throw RuntimeError("cgroup v2: \(name) does not exist in \(directory) (is its controller enabled on this host?)")
        }
        try FileSystem.write(path, value, flags: O_WRONLY)
    }

    public func apply(_ resources: RuntimeSpec.Resources) throws {
        if var memory = resources.memory {
            // Zeros leave a value alone, as runc's update sends them for "unchanged".
            if memory.limit == 0 { memory.limit = nil }
            if memory.swap == 0 { memory.swap = nil }
            if memory.reservation == 0 { memory.reservation = nil }
            if let limit = memory.limit { try set("memory.max", limit == -1 ? "max" : "\(limit)") }
            if let reservation = memory.reservation { try set("memory.low", reservation == -1 ? "max" : "\(reservation)") }
            if let swap = memory.swap, FileSystem.exists(file("memory.swap.max")) {
                try set("memory.swap.max", CgroupConversion.swapMax(memorySwap: swap, memoryLimit: memory.limit))
            }
            if memory.disableOOMKiller == true, FileSystem.exists(file("memory.oom.group")) {
                // v2 has no switch to disable the OOM killer; the closest is killing the group as one.
                try set("memory.oom.group", "1")
            }
        }
        if let cpu = resources.cpu {
            if let shares = cpu.shares, shares > 0 { try set("cpu.weight", "\(CgroupConversion.cpuWeight(shares: shares))") }
            if let max = CgroupConversion.cpuMax(quota: cpu.quota, period: cpu.period) { try set("cpu.max", max) }
            if let burst = cpu.burst, FileSystem.exists(file("cpu.max.burst")) { try set("cpu.max.burst", "\(burst)") }
            if let idle = cpu.idle, FileSystem.exists(file("cpu.idle")) { try set("cpu.idle", "\(idle)") }
            if let cpus = cpu.cpus, !cpus.isEmpty { try set("cpuset.cpus", cpus) }
            if let mems = cpu.mems, !mems.isEmpty { try set("cpuset.mems", mems) }
        }
        // 0 leaves the limit alone, as in runc; -1 (or any negative) lifts it.
        if let pids = resources.pids, pids.limit != 0 { try set("pids.max", pids.limit > 0 ? "\(pids.limit)" : "max") }
        if let io = resources.blockIO {
            if let weight = io.weight, weight > 0 {
                // BFQ takes the blkio weight as it is; io.weight gets it converted (runc's order).
                if FileSystem.exists(file("io.bfq.weight")) {
                    try set("io.bfq.weight", "\(weight)")
                } else {
                    try set("io.weight", "default \(CgroupConversion.ioWeight(blkio: weight))")
                }
            }
            let throttles: [(String, [RuntimeSpec.ThrottleDevice]?)] = [
                ("rbps", io.throttleReadBpsDevice), ("wbps", io.throttleWriteBpsDevice),
                ("riops", io.throttleReadIOPSDevice), ("wiops", io.throttleWriteIOPSDevice),
            ]
            for (key, devices) in throttles {
                for device in devices ?? [] { try set("io.max", "\(device.major):\(device.minor) \(key)=\(device.rate)") }
            }
        }
        for limit in resources.hugepageLimits ?? [] {
            try set("hugetlb.\(limit.pageSize).max", "\(limit.limit)")
        }
        for (key, value) in (resources.unified ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard !key.contains("/"), !key.hasPrefix(".") else {
                throw RuntimeError("linux.resources.unified: \(key.quoted) is not a cgroup file name")
            }
            try set(key, value)
        }
        // Device rules on v2 need an eBPF program; Skiff does not filter devices there yet and
        // relies on the container's /dev holding only the nodes it created (see docs/runtime.md).
    }

    public func subCgroup(_ paths: [String: String]) throws -> any Cgroup {
        var sub = self
        for (controller, relative) in paths {
            // The unified hierarchy has one path for every controller.
            guard controller.isEmpty else { throw RuntimeError("unknown controller \(controller) in SubCgroupPaths") }
            sub = CgroupV2(mountPoint: mountPoint, path: try CgroupPath.sub(relative, of: path))
        }
        return sub
    }

    public func add(pid: pid_t) throws {
        try FileSystem.write(file("cgroup.procs"), "\(pid)", flags: O_WRONLY)
    }

    public func processes() throws -> [pid_t] {
        guard exists else { return [] }
        return try Cgroups.readAllPIDs(directory)
    }

    public func setFrozen(_ frozen: Bool) throws {
        try set("cgroup.freeze", frozen ? "1" : "0")
        for _ in 0..<1000 {
            let events = CgroupFiles.keyValues(try FileSystem.readString(file("cgroup.events")))
            if events["frozen"] == (frozen ? 1 : 0) { return }
            usleep(1000)
        }
        throw RuntimeError("cgroup \(path): did not \(frozen ? "freeze" : "thaw")")
    }

    public func isFrozen() -> Bool {
        CgroupFiles.keyValues((try? FileSystem.readString(file("cgroup.events"))) ?? "")["frozen"] == 1
    }

    public func stats() throws -> CgroupStats {
        var stats = CgroupStats()
        func read(_ name: String) -> String? { try? FileSystem.readString(file(name)) }
        let cpu = CgroupFiles.keyValues(read("cpu.stat") ?? "")
        stats.cpu.usage.total = (cpu["usage_usec"] ?? 0) * 1000
        stats.cpu.usage.user = (cpu["user_usec"] ?? 0) * 1000
        stats.cpu.usage.kernel = (cpu["system_usec"] ?? 0) * 1000
        stats.cpu.throttling = .init(
            periods: cpu["nr_periods"], throttledPeriods: cpu["nr_throttled"],
            throttledTime: cpu["throttled_usec"].map { $0 * 1000 })
        let raw = CgroupFiles.keyValues(read("memory.stat") ?? "")
        let usage = UInt64(read("memory.current")?.trimmingWhitespace ?? "") ?? 0
        let events = CgroupFiles.keyValues(read("memory.events") ?? "")
        stats.memory.usage = .init(
            usage: usage, max: UInt64(read("memory.peak")?.trimmingWhitespace ?? ""),
            limit: read("memory.max").flatMap(CgroupFiles.limit), failcnt: events["max"])
        if let swap = read("memory.swap.current").flatMap({ UInt64($0.trimmingWhitespace) }) {
            stats.memory.swap = .init(usage: swap, limit: read("memory.swap.max").flatMap(CgroupFiles.limit))
        }
        let inactiveFile = raw["inactive_file"] ?? 0
        stats.memory.workingSet = usage > inactiveFile ? usage - inactiveFile : 0
        stats.memory.rss = raw["anon"] ?? 0
        stats.memory.cache = raw["file"] ?? 0
        stats.memory.raw = raw
        stats.memory.oomKill = events["oom_kill"] ?? 0
        stats.pids.current = UInt64(read("pids.current")?.trimmingWhitespace ?? "") ?? 0
        stats.pids.limit = read("pids.max").flatMap(CgroupFiles.limit)
        let pressure = CgroupStats.Pressure(
            cpu: read("cpu.pressure").flatMap(CgroupFiles.psi), memory: read("memory.pressure").flatMap(CgroupFiles.psi),
            io: read("io.pressure").flatMap(CgroupFiles.psi))
        if pressure.cpu != nil || pressure.memory != nil || pressure.io != nil { stats.pressure = pressure }
        return stats
    }

    public func destroy() throws {
        guard exists else { return }
        if isFrozen() { try setFrozen(false) }
        if FileSystem.exists(file("cgroup.kill")) {
            try FileSystem.write(file("cgroup.kill"), "1", flags: O_WRONLY)
        }
        try Cgroups.killAndWait(self)
        // Children first: a container may have made sub-cgroups of its own.
        for name in try FileSystem.listDirectory(directory) where FileSystem.isDirectory(file(name)) {
            try CgroupV2(mountPoint: mountPoint, path: path + "/" + name).destroy()
        }
        try Cgroups.removeDirectory(directory)
    }
}
