import Foundation

/// The statistics `scripts/bench` prints, computed the way its awk one-liners did so that figures
/// stay comparable with those recorded in docs/performance.md: nearest-rank percentiles, ratios of
/// two figures, sums, means, and goal checks.
public enum BenchStatistics {
    /// A figure as given on the command line: a finite decimal number ("7.16", "1024", "1e3").
    public static func number(_ text: String) throws(StatisticsError) -> Double {
        guard let value = Double(text), value.isFinite else { throw .notANumber(text) }
        return value
    }

    /// The nearest-rank percentile: the smallest value with at least `percent` % of the values at
    /// or below it (rank ⌈n·p/100⌉, at least 1), as `sort -g | awk '… r = int(NR * p / 100);
    /// if (r < NR * p / 100) r++ …'` took it.
    public static func percentile(_ percent: Double, of values: [Double]) throws(StatisticsError) -> Double {
        guard !values.isEmpty else { throw .noValues }
        guard (0...100).contains(percent) else { throw .percentileOutOfRange(percent) }
        let sorted = values.sorted()
        // Multiply before dividing, as awk evaluated NR * p / 100: the same rounding of the rank.
        let exactRank = Double(sorted.count) * percent / 100
        var rank = Int(exactRank)
        if Double(rank) < exactRank { rank += 1 }
        return sorted[max(rank, 1) - 1]
    }

    public static func median(of values: [Double]) throws(StatisticsError) -> Double {
        try percentile(50, of: values)
    }

    /// `value / base`, for "skiff is 0.42x runc".
    public static func ratio(_ value: Double, to base: Double) throws(StatisticsError) -> Double {
        guard base != 0 else { throw .divisionByZero(value) }
        return value / base
    }

    /// The sum, added in order from the first value as awk's `a + b + e` did.
    public static func sum(of values: [Double]) throws(StatisticsError) -> Double {
        guard !values.isEmpty else { throw .noValues }
        return values.dropFirst().reduce(values[0], +)
    }

    public static func mean(of values: [Double]) throws(StatisticsError) -> Double {
        try sum(of: values) / Double(values.count)
    }

    /// Whether a figure meets a goal that is an upper bound ("p99 ≤ 300 ms").
    public static func meets(_ value: Double, atMost limit: Double) -> Bool {
        value <= limit
    }

    /// A figure with two decimals ("%.2f"), as percentiles and medians are printed.
    public static func twoDecimals(_ value: Double) -> String {
        String(format: "%.2f", value)
    }

    /// A figure rounded to a whole number ("%.0f", halves to even), as mean sizes are printed.
    public static func wholeNumber(_ value: Double) -> String {
        String(format: "%.0f", value)
    }

    /// A number as awk's `print` writes it: integral values as integers, others with six
    /// significant digits (awk's default OFMT, "%.6g").
    public static func awkPrinted(_ value: Double) -> String {
        if value == value.rounded(.towardZero) && abs(value) < 1e15 {
            return String(Int64(value))
        }
        return String(format: "%.6g", value)
    }
}
