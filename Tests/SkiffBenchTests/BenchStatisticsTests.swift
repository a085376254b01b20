import Foundation
import Testing

@testable import SkiffBench

@Suite struct BenchStatisticsTests {
    static let oneToTen: [Double] = [7, 3, 10, 1, 9, 2, 8, 4, 6, 5]

    @Test(
        "the percentile is the nearest rank: ⌈n·p/100⌉-th smallest, at least the first",
        arguments: [
            (50.0, 5.0), (90, 9), (99, 10), (100, 10), (0, 1), (10, 1), (11, 2), (95, 10),
        ])
    func nearestRank(percent: Double, expected: Double) throws {
        #expect(try BenchStatistics.percentile(percent, of: Self.oneToTen) == expected)
    }

    @Test("the median of an even count is the lower middle value, not the mean of the two")
    func medianOfEvenCount() throws {
        #expect(try BenchStatistics.median(of: [4, 1, 3, 2]) == 2)
        #expect(try BenchStatistics.median(of: [3, 1, 2]) == 2)
        #expect(try BenchStatistics.median(of: [42]) == 42)
    }

    @Test("p99 of 100 values is the 99th, of 1,000 values the 990th")
    func p99() throws {
        #expect(try BenchStatistics.percentile(99, of: (1...100).map(Double.init)) == 99)
        #expect(try BenchStatistics.percentile(99, of: (1...1000).reversed().map(Double.init)) == 990)
    }

    @Test("figures print as scripts/bench printed them: two decimals, ratios with an x, sums as awk's print")
    func formats() throws {
        #expect(BenchStatistics.twoDecimals(7.0) == "7.00")
        #expect(BenchStatistics.twoDecimals(12.3456) == "12.35")
        #expect(BenchStatistics.twoDecimals(try BenchStatistics.ratio(3.5, to: 7)) == "0.50")
        #expect(BenchStatistics.awkPrinted(try BenchStatistics.sum(of: [1.25, 2.5, 3.125])) == "6.875")
        #expect(BenchStatistics.awkPrinted(try BenchStatistics.sum(of: [1, 2, 3])) == "6")
        // Six significant digits, awk's OFMT.
        #expect(BenchStatistics.awkPrinted(1234.5678) == "1234.57")
        #expect(BenchStatistics.wholeNumber(try BenchStatistics.mean(of: [1000, 1003])) == "1002")
    }

    @Test("a goal is an upper bound: equal meets it")
    func goals() {
        #expect(BenchStatistics.meets(100, atMost: 100))
        #expect(BenchStatistics.meets(99.99, atMost: 100))
        #expect(!BenchStatistics.meets(100.01, atMost: 100))
    }

    @Test("an empty series has no percentile, median, sum or mean")
    func emptySeries() {
        #expect(throws: StatisticsError.noValues) { try BenchStatistics.percentile(90, of: []) }
        #expect(throws: StatisticsError.noValues) { try BenchStatistics.median(of: []) }
        #expect(throws: StatisticsError.noValues) { try BenchStatistics.sum(of: []) }
        #expect(throws: StatisticsError.noValues) { try BenchStatistics.mean(of: []) }
    }

    @Test("only finite decimal numbers are figures", arguments: ["", "abc", "7.1ms", "nan", "inf", "1,5", " 3"])
    func notANumber(text: String) {
        #expect(throws: StatisticsError.notANumber(text)) { try BenchStatistics.number(text) }
    }

    @Test("numbers parse as strtod would: decimals, integers, exponents, a sign")
    func numbers() throws {
        #expect(try BenchStatistics.number("7.16") == 7.16)
        #expect(try BenchStatistics.number("1024") == 1024)
        #expect(try BenchStatistics.number("1e3") == 1000)
        #expect(try BenchStatistics.number("-0.5") == -0.5)
    }

    @Test("a percentile outside 0...100 and a ratio to zero are errors")
    func outOfRange() {
        #expect(throws: StatisticsError.percentileOutOfRange(101)) { try BenchStatistics.percentile(101, of: [1]) }
        #expect(throws: StatisticsError.percentileOutOfRange(-1)) { try BenchStatistics.percentile(-1, of: [1]) }
        #expect(throws: StatisticsError.divisionByZero(3)) { try BenchStatistics.ratio(3, to: 0) }
    }
}
