/// Input `skiff-bench stats` cannot compute a figure from. A bench script that passes it has a
/// bug (a series that stayed empty, a command's error text captured as a time), so it must stop
/// rather than print a figure.
public enum StatisticsError: Error, Equatable, CustomStringConvertible {
    case noValues
    case notANumber(String)
    case percentileOutOfRange(Double)
    case divisionByZero(Double)

    public var description: String {
        switch self {
        case .noValues: "no values given: a statistic of an empty series is undefined"
        case .notANumber(let text): "not a number: '\(text)' (expected a finite decimal number such as 7.16)"
        case .percentileOutOfRange(let percent): "the percentile must be between 0 and 100, not \(BenchStatistics.awkPrinted(percent))"
        case .divisionByZero(let value): "cannot take the ratio of \(BenchStatistics.awkPrinted(value)) to 0"
        }
    }
}
