import Foundation

/// A real `skiff server` child process on a free loopback port with a temp data dir; stopped
/// (SIGTERM, then SIGKILL) and cleaned up by `stop()`.
public final class ServerProcess: @unchecked Sendable {
    // @unchecked: `process` is only touched from the owning test, never concurrently.
    public let directory: String
    public let process: Process
    public var kubeconfig: String { directory + "/admin.kubeconfig" }

    /// Starts the server and waits until it has written its kubeconfig.
    public static func start(directory: String? = nil, extraArguments: [String] = []) async throws -> ServerProcess {
        let server = try ServerProcess(directory: directory, extraArguments: extraArguments)
        let deadline = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: server.kubeconfig) {
            guard server.process.isRunning, Date() < deadline else {
                let output = (try? String(contentsOfFile: server.directory + "/server.log", encoding: .utf8)) ?? ""
                server.stop(removeDirectory: false)
                throw Tools.Failure("skiff server did not become ready: \(output)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return server
    }

    private init(directory: String?, extraArguments: [String]) throws {
        let directory = directory ?? (NSTemporaryDirectory() + "skiff-it-" + UUID().uuidString)
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try? FileManager.default.removeItem(atPath: directory + "/admin.kubeconfig")
        process = Process()
        process.executableURL = URL(fileURLWithPath: try Tools.skiffBinary())
        process.arguments = ["server", "--data-dir", directory, "--port", "0", "--bind-address", "127.0.0.1", "--log-level", "warning"] + extraArguments
        let log =
            FileHandle(forWritingAtPath: directory + "/server.log")
            ?? {
                _ = FileManager.default.createFile(atPath: directory + "/server.log", contents: nil)
                return FileHandle(forWritingAtPath: directory + "/server.log")
            }()
        process.standardOutput = log
        process.standardError = log
        try process.runReleasingStdio()
    }

    public func kill9() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Synchronous so it can run in `defer`; a graceful stop takes milliseconds.
    public func stop(removeDirectory: Bool = true) {
        if process.isRunning {
            process.terminate()
            let deadline = Date().addingTimeInterval(10)
            while process.isRunning && Date() < deadline { usleep(50_000) }
            if process.isRunning { kill9() }
        }
        if removeDirectory { try? FileManager.default.removeItem(atPath: directory) }
    }

    /// Runs kubectl against this server.
    public func kubectl(_ arguments: String..., input: String? = nil) async throws -> Tools.Output {
        try await Tools.run(try await Tools.kubectl(), ["--kubeconfig", kubeconfig] + arguments, input: input)
    }

    /// Runs kubectl until `done` holds for its output, up to 100 more times 100 ms apart; the last output.
    public func kubectl(_ arguments: String..., until done: (Tools.Output) -> Bool) async throws -> Tools.Output {
        try await kubectl(arguments, until: done)
    }

    /// Runs kubectl until `done` holds for its output, up to 100 more times 100 ms apart; the last output.
    public func kubectl(_ arguments: [String], until done: (Tools.Output) -> Bool) async throws -> Tools.Output {
        var output = try await Tools.run(try await Tools.kubectl(), ["--kubeconfig", kubeconfig] + arguments)
        for _ in 0..<100 where !done(output) {
            try await Task.sleep(for: .milliseconds(100))
            output = try await Tools.run(try await Tools.kubectl(), ["--kubeconfig", kubeconfig] + arguments)
        }
        return output
    }
}
