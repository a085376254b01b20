import SkiffSystem

/// The CPU limits set on a cgroup, in cgroup v1's units whichever version the host runs, as
/// cAdvisor reports them in a container's spec (`container_spec_cpu_*`).
public struct CgroupCPULimits: Sendable, Equatable {
    /// cpu.shares (v1), or cpu.weight converted back to shares (v2); nil without the file.
    public var shares: UInt64?
    /// CFS quota per period in microseconds; nil when unlimited (v1 -1, v2 "max").
    public var quota: UInt64?
    /// CFS period in microseconds; nil without the file.
    public var period: UInt64?

    public init(shares: UInt64? = nil, quota: UInt64? = nil, period: UInt64? = nil) {
        (self.shares, self.quota, self.period) = (shares, quota, period)
    }
}

extension CgroupConversion {
    /// cpu.weight (1…10000) → cpu.shares (2…262144), the inverse of `cpuWeight(shares:)` as
    /// cAdvisor computes it for a v2 container's spec; nil outside the kernel's range.
    public static func cpuShares(weight: UInt64) -> UInt64? {
        guard (1...10_000).contains(weight) else { return nil }
        return 2 + ((weight - 1) * 262_142) / 9999
    }
}

extension CgroupFiles {
    /// v2 cpu.max: "max 100000" or "50000 100000" → (quota, period); quota nil when "max".
    public static func cpuMax(_ content: String) -> (quota: UInt64?, period: UInt64?)? {
        let fields = content.split(whereSeparator: \.isWhitespace)
        guard fields.count == 2 else { return nil }
        return (fields[0] == "max" ? nil : UInt64(fields[0]), UInt64(fields[1]))
    }

    /// v1 cpu.cfs_quota_us: "-1" (unlimited) or a positive number of microseconds.
    public static func cfsQuota(_ content: String) -> UInt64? {
        UInt64(content.trimmingWhitespace)
    }
}

extension CgroupV2 {
    /// cpu.weight and cpu.max; nil when the cpu controller is not enabled for this cgroup.
    public func cpuLimits() -> CgroupCPULimits? {
        let weight = (try? FileSystem.readString(directory + "/cpu.weight")).flatMap { UInt64($0.trimmingWhitespace) }
        let max = (try? FileSystem.readString(directory + "/cpu.max")).flatMap(CgroupFiles.cpuMax)
        guard weight != nil || max != nil else { return nil }
        return CgroupCPULimits(shares: weight.flatMap(CgroupConversion.cpuShares), quota: max?.quota, period: max?.period)
    }
}

extension CgroupV1 {
    /// cpu.shares, cpu.cfs_quota_us and cpu.cfs_period_us; nil without a cpu hierarchy.
    public func cpuLimits() -> CgroupCPULimits? {
        guard let cpu = directory("cpu") else { return nil }
        func read(_ name: String) -> String? { try? FileSystem.readString(cpu + "/" + name) }
        let shares = read("cpu.shares").flatMap { UInt64($0.trimmingWhitespace) }
        let period = read("cpu.cfs_period_us").flatMap { UInt64($0.trimmingWhitespace) }
        guard shares != nil || period != nil else { return nil }
        return CgroupCPULimits(shares: shares, quota: read("cpu.cfs_quota_us").flatMap(CgroupFiles.cfsQuota), period: period)
    }
}
