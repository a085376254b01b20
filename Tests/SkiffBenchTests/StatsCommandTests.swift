import ArgumentParser
import Foundation
import Testing

@testable import SkiffBench

@Suite struct StatsCommandTests {
    /// What one `skiff-bench stats …` prints, run in this process.
    static func figure(_ arguments: [String]) throws -> String {
        let parsed = try SkiffBenchCommand.parseAsRoot(["stats"] + arguments)
        let command = try #require(parsed as? any StatisticCommand)
        return try command.figure()
    }

    @Test("each subcommand prints its figure in scripts/bench's format")
    func figures() throws {
        #expect(try Self.figure(["percentile", "90", "5", "1", "4", "2", "3", "10", "9", "8", "7", "6"]) == "9.00")
        #expect(try Self.figure(["median", "7.16", "6.5", "8.25"]) == "7.16")
        #expect(try Self.figure(["ratio", "7.16", "14.32"]) == "0.50x")
        #expect(try Self.figure(["sum", "1.234", "5.678", "9.1"]) == "16.012")
        #expect(try Self.figure(["mean", "812", "816", "820"]) == "816")
        #expect(try Self.figure(["goal", "300", "300"]) == "met")
        #expect(try Self.figure(["goal", "301.5", "300"]) == "MISSED")
    }

    @Test("a negative value is a value, not an unknown option")
    func negativeValue() throws {
        #expect(try Self.figure(["median", "-1.5", "2", "3"]) == "2.00")
    }

    @Test(
        "bad input is an error that names the problem and exits non-zero",
        arguments: [
            (["median"], "no values given"),
            (["percentile", "90"], "no values given"),
            (["sum"], "no values given"),
            (["mean"], "no values given"),
            (["median", "7.1", "abc"], "not a number: 'abc'"),
            (["percentile", "p90", "1"], "not a number: 'p90'"),
            (["percentile", "101", "1"], "between 0 and 100"),
            (["ratio", "3", "0"], "ratio of 3 to 0"),
            (["goal", "", "100"], "not a number: ''"),
        ])
    func badInput(arguments: [String], message: String) throws {
        let error = try #require(throws: (any Error).self) { try Self.figure(arguments) }
        #expect(SkiffBenchCommand.exitCode(for: error) != .success)
        #expect(SkiffBenchCommand.message(for: error).contains(message))
    }

    /// The pipelines scripts/bench ran before `skiff-bench stats`, verbatim but for the values.
    static let awkPercentile =
        #"printf '%s\n' "$@" | sort -g | awk -v p="$P" '{ v[NR] = $1 } END { r = int(NR * p / 100); if (r < NR * p / 100) r++; if (r < 1) r = 1; printf "%.2f", v[r] }'"#
    static let awkRatio = #"awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'"#
    static let awkSum = #"awk -v a="$1" -v b="$2" -v e="$3" 'BEGIN { print a + b + e }'"#
    static let awkMean = #"printf '%s\n' "$@" | awk '{ s += $1 } END { if (NR) printf "%.0f", s / NR }'"#

    static func shell(_ script: String, _ arguments: [String], environment: [String: String] = [:]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script, "sh"] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines)
    }

    /// Bench-like series: wall times in ms with three decimals, odd and even counts, ties.
    static let series: [[String]] = [
        ["7.160"],
        ["7.160", "6.998"],
        ["12.345", "9.876", "11.002", "10.5", "9.876", "30.111", "8.004"],
        (0..<100).map { String(format: "%.3f", 5 + Double(($0 * 7919) % 1000) / 97) },
        (0..<37).map { String(format: "%.3f", 100 + Double(($0 * 104_729) % 613) * 0.731) },
    ]

    @Test("the figures are the awk one-liners' figures, digit for digit", arguments: series)
    func sameAsAwk(values: [String]) throws {
        for percent in ["50", "90", "99", "0", "100", "33.3"] {
            #expect(try Self.figure(["percentile", percent] + values) == Self.shell(Self.awkPercentile, values, environment: ["P": percent]))
        }
        #expect(try Self.figure(["mean"] + values) == Self.shell(Self.awkMean, values))
        let three = Array((values + values + values).prefix(3))
        #expect(try Self.figure(["sum"] + three) == Self.shell(Self.awkSum, three))
        let pair = [values[0], values[values.count - 1]]
        #expect(try Self.figure(["ratio"] + pair) == Self.shell(Self.awkRatio, pair))
    }

    /// The built executable, next to the test bundle as SwiftPM lays them out.
    static func executable() throws -> String {
        let path = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("skiff-bench").path
        try #require(FileManager.default.isExecutableFile(atPath: path), "skiff-bench not built at \(path)")
        return path
    }

    static func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try executable())
        process.arguments = arguments
        let (output, errors) = (Pipe(), Pipe())
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // Small outputs: each pipe's buffer holds them, so reading one after the other cannot block.
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }

    @Test("the skiff-bench executable prints a figure and exits 0, or an error and exits 1")
    func executableExitStatus() throws {
        let median = try Self.run(["stats", "median", "3", "1", "2"])
        #expect(median.status == 0)
        #expect(median.stdout == "2.00\n")
        let empty = try Self.run(["stats", "median"])
        #expect(empty.status == 1)
        #expect(empty.stdout.isEmpty)
        #expect(empty.stderr.contains("Error: no values given"))
        let word = try Self.run(["stats", "percentile", "90", "1.5", "FAILED"])
        #expect(word.status == 1)
        #expect(word.stderr.contains("not a number: 'FAILED'"))
    }
}
