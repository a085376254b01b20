/// One interval (10 s or 1 min) of one pod's or container's cgroup, in 24 bytes: small
/// integers only, so a day of history is a few tens of kilobytes per series.
///
/// Rates are over the interval (deltas of the kernel's cumulative counters), gauges are the
/// value at the sample (the interval's maximum once downsampled).
public struct HistoryPoint: Sendable, Equatable {
    /// Memory working set in KiB, the interval's highest; `UInt32.max` marks an interval
    /// without a sample (the agent was down, the container not running).
    public var workingSetKiB: UInt32
    /// Mean CPU usage in millicores (saturating at 65535).
    public var cpuMillicores: UInt16
    /// CFS enforcement periods that elapsed, and those in which the quota ran out.
    public var periods: UInt16
    public var throttledPeriods: UInt16
    /// Share of the interval some / all tasks stalled on CPU, memory and IO (PSI), in
    /// hundredths of a percent (0…10000); 0 where the kernel has no PSI.
    public var cpuSome: UInt16
    public var cpuFull: UInt16
    public var memorySome: UInt16
    public var memoryFull: UInt16
    public var ioSome: UInt16
    public var ioFull: UInt16
    /// Processes the OOM killer killed, and container restarts, in the interval.
    public var oomKills: UInt8
    public var restarts: UInt8

    public init(
        workingSetKiB: UInt32 = 0, cpuMillicores: UInt16 = 0, periods: UInt16 = 0, throttledPeriods: UInt16 = 0,
        cpuSome: UInt16 = 0, cpuFull: UInt16 = 0, memorySome: UInt16 = 0, memoryFull: UInt16 = 0, ioSome: UInt16 = 0, ioFull: UInt16 = 0,
        oomKills: UInt8 = 0, restarts: UInt8 = 0
    ) {
        (self.workingSetKiB, self.cpuMillicores, self.periods, self.throttledPeriods) = (workingSetKiB, cpuMillicores, periods, throttledPeriods)
        (self.cpuSome, self.cpuFull, self.memorySome, self.memoryFull, self.ioSome, self.ioFull) = (
            cpuSome, cpuFull, memorySome, memoryFull, ioSome, ioFull
        )
        (self.oomKills, self.restarts) = (oomKills, restarts)
    }

    /// An interval nothing was sampled in.
    public static let missing = HistoryPoint(workingSetKiB: .max)

    public var isMissing: Bool { workingSetKiB == .max }
}

/// Sums 10 s points into one 1 min point: CPU and PSI averaged over the sampled points,
/// working set the highest, periods, throttled periods, OOM kills and restarts added up.
struct HistoryAccumulator: Sendable, Equatable {
    var count: UInt32 = 0
    var workingSetKiB: UInt32 = 0
    var cpu: UInt32 = 0
    var periods: UInt32 = 0
    var throttledPeriods: UInt32 = 0
    var pressure: [UInt32] = [0, 0, 0, 0, 0, 0]
    var oomKills: UInt32 = 0
    var restarts: UInt32 = 0

    mutating func add(_ point: HistoryPoint) {
        guard !point.isMissing else { return }
        count += 1
        workingSetKiB = max(workingSetKiB, point.workingSetKiB)
        cpu += UInt32(point.cpuMillicores)
        periods += UInt32(point.periods)
        throttledPeriods += UInt32(point.throttledPeriods)
        let values = [point.cpuSome, point.cpuFull, point.memorySome, point.memoryFull, point.ioSome, point.ioFull]
        for index in values.indices { pressure[index] += UInt32(values[index]) }
        oomKills += UInt32(point.oomKills)
        restarts += UInt32(point.restarts)
    }

    var point: HistoryPoint {
        guard count > 0 else { return .missing }
        func mean(_ sum: UInt32) -> UInt16 { UInt16(clamping: (sum + count / 2) / count) }
        return HistoryPoint(
            workingSetKiB: workingSetKiB, cpuMillicores: mean(cpu), periods: UInt16(clamping: periods),
            throttledPeriods: UInt16(clamping: throttledPeriods), cpuSome: mean(pressure[0]), cpuFull: mean(pressure[1]),
            memorySome: mean(pressure[2]), memoryFull: mean(pressure[3]), ioSome: mean(pressure[4]), ioFull: mean(pressure[5]),
            oomKills: UInt8(clamping: oomKills), restarts: UInt8(clamping: restarts))
    }
}
