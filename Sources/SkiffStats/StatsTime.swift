import Glibc

/// A wall-clock instant, as the Summary API and Prometheus report times.
public struct StatsTime: Sendable, Equatable, Comparable, Hashable {
    /// Seconds since the Unix epoch.
    public var seconds: Int64
    public var nanoseconds: Int32

    public init(seconds: Int64, nanoseconds: Int32 = 0) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    public static func now() -> StatsTime {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return StatsTime(seconds: Int64(spec.tv_sec), nanoseconds: Int32(spec.tv_nsec))
    }

    public static func < (lhs: StatsTime, rhs: StatsTime) -> Bool {
        (lhs.seconds, lhs.nanoseconds) < (rhs.seconds, rhs.nanoseconds)
    }

    /// Milliseconds since the epoch: the sample timestamp of Prometheus' text format.
    public var milliseconds: Int64 { seconds * 1000 + Int64(nanoseconds / 1_000_000) }

    public var secondsSinceEpoch: Double { Double(seconds) + Double(nanoseconds) / 1e9 }

    /// "2026-11-22T14:16:39Z": whole seconds in UTC, as metav1.Time marshals.
    public var rfc3339: String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let year = Int(parts.tm_year) + 1900
        let yearText = year < 1000 ? String(repeating: "0", count: 4 - String(year).count) + String(year) : String(year)
        return "\(yearText)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }
}

/// When a sample was taken: the wall time it reports and a monotonic reading for rates, so a
/// clock step between two scrapes cannot produce a negative or huge usageNanoCores.
public struct SampleClock: Sendable, Equatable {
    public var wall: StatsTime
    /// CLOCK_MONOTONIC in nanoseconds.
    public var monotonicNanoseconds: UInt64

    public init(wall: StatsTime, monotonicNanoseconds: UInt64) {
        self.wall = wall
        self.monotonicNanoseconds = monotonicNanoseconds
    }

    public static func now() -> SampleClock {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return SampleClock(wall: .now(), monotonicNanoseconds: UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec))
    }
}
