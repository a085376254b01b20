import ArgumentParser

/// `skiff-bench stats`: the figures `scripts/bench` prints from the times and sizes it collected.
/// Each subcommand prints one figure on stdout; input it cannot use (no values, a word where a
/// number belongs) is an error on stderr and exit status 1, so the script stops instead of
/// printing a wrong figure.
struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats", abstract: "Statistics of bench figures, as scripts/bench prints them.",
        subcommands: [Percentile.self, Median.self, Ratio.self, Sum.self, Mean.self, Goal.self])

    /// `percentile P VALUE...`: the nearest-rank percentile, two decimals ("12.34").
    struct Percentile: StatisticCommand {
        static let configuration = CommandConfiguration(abstract: "The nearest-rank P-th percentile of the values (two decimals).")

        @Argument(help: "The percentile, 0 to 100.") var percent: String
        // Unrecognized flags too: "-1.5" is a value here, not an option.
        @Argument(parsing: .allUnrecognized, help: "The values.") var values: [String] = []

        func figure() throws(StatisticsError) -> String {
            let percent = try BenchStatistics.number(percent)
            return BenchStatistics.twoDecimals(try BenchStatistics.percentile(percent, of: try numbers(values)))
        }
    }

    /// `median VALUE...`: the 50th percentile, two decimals.
    struct Median: StatisticCommand {
        static let configuration = CommandConfiguration(abstract: "The median (nearest-rank 50th percentile) of the values (two decimals).")

        @Argument(parsing: .allUnrecognized, help: "The values.") var values: [String] = []

        func figure() throws(StatisticsError) -> String {
            BenchStatistics.twoDecimals(try BenchStatistics.median(of: try numbers(values)))
        }
    }

    /// `ratio VALUE BASE`: "0.42x".
    struct Ratio: StatisticCommand {
        static let configuration = CommandConfiguration(abstract: "VALUE / BASE with two decimals and an x (\"0.42x\").")

        @Argument(help: "The figure measured.") var value: String
        @Argument(help: "The figure it is compared with.") var base: String

        func figure() throws(StatisticsError) -> String {
            BenchStatistics.twoDecimals(try BenchStatistics.ratio(try BenchStatistics.number(value), to: try BenchStatistics.number(base))) + "x"
        }
    }

    /// `sum VALUE...`: written as awk's `print` wrote it ("35.678", "42").
    struct Sum: StatisticCommand {
        static let configuration = CommandConfiguration(abstract: "The sum of the values (integral sums as integers, others with six significant digits).")

        @Argument(parsing: .allUnrecognized, help: "The values.") var values: [String] = []

        func figure() throws(StatisticsError) -> String {
            BenchStatistics.awkPrinted(try BenchStatistics.sum(of: try numbers(values)))
        }
    }

    /// `mean VALUE...`: rounded to a whole number, as the mean RSS per process is printed (KiB).
    struct Mean: StatisticCommand {
        static let configuration = CommandConfiguration(abstract: "The mean of the values, rounded to a whole number.")

        @Argument(parsing: .allUnrecognized, help: "The values.") var values: [String] = []

        func figure() throws(StatisticsError) -> String {
            BenchStatistics.wholeNumber(try BenchStatistics.mean(of: try numbers(values)))
        }
    }

    /// `goal VALUE LIMIT`: "met" when VALUE <= LIMIT, else "MISSED" (exit status 0 either way).
    struct Goal: StatisticCommand {
        static let configuration = CommandConfiguration(abstract: "\"met\" if VALUE <= LIMIT, else \"MISSED\".")

        @Argument(help: "The figure measured.") var value: String
        @Argument(help: "The goal's upper bound.") var limit: String

        func figure() throws(StatisticsError) -> String {
            BenchStatistics.meets(try BenchStatistics.number(value), atMost: try BenchStatistics.number(limit)) ? "met" : "MISSED"
        }
    }
}

/// A `stats` subcommand: computes one figure, which `run` prints.
protocol StatisticCommand: ParsableCommand {
    func figure() throws(StatisticsError) -> String
}

extension StatisticCommand {
    func run() throws {
        print(try figure())
    }

    func numbers(_ texts: [String]) throws(StatisticsError) -> [Double] {
        var values: [Double] = []
        values.reserveCapacity(texts.count)
        for text in texts { values.append(try BenchStatistics.number(text)) }
        return values
    }
}
