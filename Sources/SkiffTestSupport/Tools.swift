import Foundation

/// Locating and running the external programs the integration tests drive.
public enum Tools {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(_ description: String) { self.description = description }
    }

    public struct Output: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String

        public init(status: Int32, stdout: String, stderr: String) {
            self.status = status
            self.stdout = stdout
            self.stderr = stderr
        }
    }

    /// The `skiff` binary built next to the test bundle (or `$SKIFF_BINARY`).
    public static func skiffBinary() throws -> String {
        var candidates: [String] = []
        if let explicit = ProcessInfo.processInfo.environment["SKIFF_BINARY"] { candidates.append(explicit) }
        let bundleDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        candidates.append(bundleDirectory.appendingPathComponent("skiff").path)
        candidates.append(bundleDirectory.deletingLastPathComponent().appendingPathComponent("skiff").path)
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        for scratch in [".build-server", ".build"] { candidates.append(packageRoot.appendingPathComponent("\(scratch)/debug/skiff").path) }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw Failure("skiff binary not found in \(candidates)")
        }
        return found
    }

    /// kubectl from PATH; installed from Debian's kubernetes-client if absent (never skipped).
    public static func kubectl() async throws -> String {
        if let found = which("kubectl") { return found }
        _ = try? await run("/usr/bin/env", ["DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-qq", "kubernetes-client"])
        guard let found = which("kubectl") else { throw Failure("kubectl is missing and apt-get install kubernetes-client failed") }
        return found
    }

    public static func which(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs a program to completion, polling with Task.sleep so no cooperative thread is blocked.
    public static func run(_ executable: String, _ arguments: [String], input: String? = nil, timeout: TimeInterval = 60) async throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let directory = NSTemporaryDirectory() + "skiff-run-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // Files rather than pipes: a chatty child can never block on a full pipe buffer.
        _ = FileManager.default.createFile(atPath: directory + "/out", contents: nil)
        _ = FileManager.default.createFile(atPath: directory + "/err", contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: directory + "/out")
        process.standardError = FileHandle(forWritingAtPath: directory + "/err")
        if let input {
            _ = FileManager.default.createFile(atPath: directory + "/in", contents: Data(input.utf8))
            process.standardInput = FileHandle(forReadingAtPath: directory + "/in")
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        try process.runReleasingStdio()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline {
                process.terminate()
                process.waitUntilExit()
                throw Failure("\(executable) \(arguments) timed out")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        return Output(
            status: process.terminationStatus,
            stdout: (try? String(contentsOfFile: directory + "/out", encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: directory + "/err", encoding: .utf8)) ?? "")
    }

    /// Splits `kubectl get` output into rows of whitespace-separated cells.
    public static func rows(_ text: String) -> [[String]] {
        text.split(separator: "\n").map { line in
            line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        }
    }

    /// Runs a program for `seconds`, then kills it and returns what it printed (for streams
    /// that do not end by themselves, like `kubectl logs -f`).
    public static func runUntil(_ executable: String, _ arguments: [String], seconds: TimeInterval) async throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let path = NSTemporaryDirectory() + "skiff-stream-" + UUID().uuidString
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: path) }
        process.standardOutput = FileHandle(forWritingAtPath: path)
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.runReleasingStdio()
        try await Task.sleep(for: .seconds(seconds))
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }
}
