/// The history of one cgroup (a pod's or a container's): 360 points of 10 s (the last hour)
/// and 1440 points of 1 min (the last day), at most 1800 × 24 bytes = 43 KB.
///
/// Each recorded sample becomes a 10 s point from the deltas of the cgroup's cumulative
/// counters since the previous sample; the 10 s points of one wall-clock minute are folded into
/// that minute's point when the next minute's first sample arrives.
public struct SeriesHistory: Sendable {
    public static let fineStep: Int64 = 10
    public static let fineCapacity = 360
    public static let coarseStep: Int64 = 60
    public static let coarseCapacity = 1440

    public private(set) var fine = HistoryRing(capacity: fineCapacity, step: fineStep)
    public private(set) var coarse = HistoryRing(capacity: coarseCapacity, step: coarseStep)
    /// The memory limit at the last sample (bytes; nil when unlimited), drawn as the limit line.
    public private(set) var memoryLimitBytes: UInt64?
    /// The CFS quota at the last sample (millicores; nil when unlimited).
    public private(set) var cpuLimitMillicores: UInt64?

    private var pending: (minute: Int64, sum: HistoryAccumulator)?
    private var previous: Counters?
    /// The restart count last seen, kept across intervals without a sample (a container
    /// waiting in back-off), and the restarts and OOM kills seen while there was none.
    private var lastRestarts: UInt64?
    private var carried = (restarts: UInt64(0), oomKills: UInt64(0))

    /// The cumulative values a point is the difference of.
    struct Counters: Sendable, Equatable {
        var monotonicNanoseconds: UInt64
        var cpuNanoseconds: UInt64
        var periods: UInt64
        var throttledPeriods: UInt64
        /// PSI totals in microseconds: cpu, memory, io × some, full.
        var pressure: [UInt64]
        var oomKills: UInt64
    }

    public init() {}

    /// Records the cgroup's sample taken at `clock` (nil: not running then; the interval stays
    /// missing). `restarts` is the container's restart count (0 for a pod); `lastExitOOMKilled`
    /// says its last run ended in an OOM kill, counted with the restart it caused — the
    /// killed container's cgroup is gone before its counter can be read again.
    public mutating func record(_ sample: CgroupSample?, restarts: UInt64 = 0, lastExitOOMKilled: Bool = false, at clock: SampleClock) {
        let restarted = lastRestarts.map { restarts > $0 ? restarts - $0 : 0 } ?? 0
        lastRestarts = restarts
        carried.restarts += restarted
        if restarted > 0 && lastExitOOMKilled { carried.oomKills += 1 }
        guard let sample else {
            previous = nil
            return
        }
        let now = Counters(
            monotonicNanoseconds: clock.monotonicNanoseconds, cpuNanoseconds: sample.cpuUsageCoreNanoseconds,
            periods: sample.cpuThrottling?.periods ?? 0, throttledPeriods: sample.cpuThrottling?.throttledPeriods ?? 0,
            pressure: Self.pressureTotals(sample.pressure), oomKills: sample.oomKills)
        memoryLimitBytes = sample.memoryLimitBytes
        cpuLimitMillicores = sample.cpuLimits.flatMap { limits in
            limits.quota.flatMap { quota in limits.period.map { $0 > 0 ? quota * 1000 / $0 : 0 } }
        }
        defer { previous = now }
        var point = HistoryPoint(workingSetKiB: Self.kibibytes(sample.memoryWorkingSetBytes))
        // A series' first sample (or the first after a gap) has nothing to subtract from: it
        // sets the baseline and shows only the gauge and the events carried over.
        if let before = previous, now.monotonicNanoseconds > before.monotonicNanoseconds {
            let elapsed = now.monotonicNanoseconds - before.monotonicNanoseconds
            // A counter that went down belongs to a new cgroup under the same path (a
            // restarted container): everything it counted happened since.
            func delta(_ new: UInt64, _ old: UInt64) -> UInt64 { new >= old ? new - old : new }
            func share(_ stalledMicroseconds: UInt64) -> UInt16 {
                UInt16(clamping: min(stalledMicroseconds * 1000 * 10_000 / elapsed, 10_000))
            }
            let stalls = zip(now.pressure, before.pressure).map { share(delta($0, $1)) }
            point.cpuMillicores = UInt16(clamping: delta(now.cpuNanoseconds, before.cpuNanoseconds) * 1000 / elapsed)
            point.periods = UInt16(clamping: delta(now.periods, before.periods))
            point.throttledPeriods = UInt16(clamping: delta(now.throttledPeriods, before.throttledPeriods))
            (point.cpuSome, point.cpuFull, point.memorySome) = (stalls[0], stalls[1], stalls[2])
            (point.memoryFull, point.ioSome, point.ioFull) = (stalls[3], stalls[4], stalls[5])
            carried.oomKills += delta(now.oomKills, before.oomKills)
        }
        point.restarts = UInt8(clamping: carried.restarts)
        point.oomKills = UInt8(clamping: carried.oomKills)
        carried = (0, 0)
        put(point, seconds: clock.wall.seconds)
    }

    /// Stores a 10 s point and folds it into its minute, closing the previous minute first.
    mutating func put(_ point: HistoryPoint, seconds: Int64) {
        fine.put(point, at: seconds / Self.fineStep)
        let minute = seconds / Self.coarseStep
        if let open = pending, open.minute != minute {
            coarse.put(open.sum.point, at: open.minute)
            pending = nil
        }
        var sum = pending?.sum ?? HistoryAccumulator()
        sum.add(point)
        pending = (minute, sum)
    }

    /// The minute still being filled, as a point (nil before any sample).
    public var currentMinute: (index: Int64, point: HistoryPoint)? {
        pending.map { ($0.minute, $0.sum.point) }
    }

    static func kibibytes(_ bytes: UInt64) -> UInt32 { UInt32(clamping: min(bytes / 1024, UInt64(UInt32.max - 1))) }

    static func pressureTotals(_ pressure: PressureStats?) -> [UInt64] {
        [pressure?.cpu, pressure?.memory, pressure?.io].flatMap { psi in [psi?.some.total ?? 0, psi?.full.total ?? 0] }
    }
}
