import Foundation
import SkiffSystem

/// Finds the programs the monitor's end-to-end tests run and drives one skiff-monitor the way
/// the agent does: clone+exec in a new session with a pipe on fd 3.
enum MonitorHarness {
    /// The repository, found from this file's real path (dev packages link Tests/ into it).
    static let repoRoot: String =
        ProcessInfo.processInfo.environment["SKIFF_REPO"]
        ?? {
            let real = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
            return real.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        }()

    /// $SKIFF_MONITOR, else the skiff-monitor built next to this test bundle.
    static let skiffMonitor: String = {
        if let path = ProcessInfo.processInfo.environment["SKIFF_MONITOR"] { return path }
        let bundle = URL(fileURLWithPath: FileSystem.symlinkTarget("/proc/self/exe") ?? CommandLine.arguments[0])
        return bundle.deletingLastPathComponent().appendingPathComponent("skiff-monitor").path
    }()

    /// $SKIFF_RUNC, else the static release build scripts/test makes, else the debug build.
    static let skiffRunc: String = {
        let candidates = [
            ProcessInfo.processInfo.environment["SKIFF_RUNC"],
            repoRoot + "/.build-runc/release/skiff-runc",
            repoRoot + "/.build/debug/skiff-runc",
        ].compactMap { $0 }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? "/nonexistent/skiff-runc"
    }()

    /// The busybox root filesystem from rootfs/build.sh, built once per machine into .cache/.
    static let busyboxRootfs: String = {
        let images = ProcessInfo.processInfo.environment["SKIFF_IMAGES"] ?? repoRoot + "/.cache/images"
        if !FileManager.default.fileExists(atPath: images + "/busybox/bin/busybox") {
            _ = try? Command.run("/bin/sh", ["-c", "flock \(images).lock \(repoRoot)/rootfs/build.sh \(images)"])
        }
        return images + "/busybox"
    }()

    static var isRoot: Bool { getuid() == 0 }

    /// Writes an OCI bundle under `directory`: skiff-runc's default spec running `args`
    /// without a terminal, on a private copy of the busybox rootfs.
    static func makeBundle(
        in directory: String, args: [String], edit: (inout [String: Any]) -> Void = { _ in }
    ) throws -> String {
        let bundle = directory + "/bundle"
        try FileSystem.makeDirectories(bundle)
        let spec = try Command.run(skiffRunc, ["spec"], directory: bundle)
        guard spec.status == .exited(0) else { throw RuntimeError("skiff-runc spec: \(spec.stderr)") }
        let copy = try Command.run("/bin/cp", ["-a", busyboxRootfs, bundle + "/rootfs"])
        guard copy.status == .exited(0) else { throw RuntimeError("cp rootfs: \(copy.stderr)") }
        let url = URL(fileURLWithPath: bundle + "/config.json")
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] ?? [:]
        var process = config["process"] as? [String: Any] ?? [:]
        process["terminal"] = false
        process["args"] = args
        config["process"] = process
        edit(&config)
        try JSONSerialization.data(withJSONObject: config).write(to: url)
        return bundle
    }

    static func readJSON(_ path: String) -> [String: Any]? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    }
}

/// One running skiff-monitor and the directories it uses; `cleanUp()` kills what is left.
struct MonitorRun {
    let id: String
    let scratch: String
    let runtimeRoot: String
    let stateDir: String
    let logPath: String
    let pid: pid_t
    private let resultFD: Int32

    init(scratch: String, bundle: String, extraArguments: [String] = []) throws {
        id = "mon-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        self.scratch = scratch
        runtimeRoot = scratch + "/runtime-root"
        stateDir = scratch + "/state"
        logPath = scratch + "/logs/0.log"
        try FileSystem.makeDirectories(stateDir)
        try FileSystem.makeDirectories(scratch + "/logs")
        var fds: [Int32] = [-1, -1]
        try sys("pipe", "result") { pipe(&fds) }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        defer { closeFD(fds[1]) }
        let arguments =
            [
                "--runtime", MonitorHarness.skiffRunc, "--runtime-root", runtimeRoot, "--id", id, "--bundle", bundle,
                "--state-dir", stateDir, "--log-path", logPath,
            ] + extraArguments
        do {
            pid = try Spawn.start(
                MonitorHarness.skiffMonitor, [MonitorHarness.skiffMonitor] + arguments, environment: currentEnvironment(),
                keep: [(fds[1], 3)], newSession: true)
        } catch {
            closeFD(fds[0])
            throw error
        }
        resultFD = fds[0]
    }

    /// What the monitor wrote on fd 3, read to EOF (it closes the pipe after one line).
    func result(timeoutMS: Int32 = 20000) -> String {
        defer { closeFD(resultFD) }
        var text: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 512)
        while true {
            var entry = pollfd(fd: resultFD, events: Int16(POLLIN), revents: 0)
            guard poll(&entry, 1, timeoutMS) > 0 else { return "timed out; got \(String(decoding: text, as: UTF8.self))" }
            let n = buffer.withUnsafeMutableBytes { read(resultFD, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            text += buffer[0..<n]
        }
        return String(decoding: text, as: UTF8.self)
    }

    func runtime(_ arguments: String...) throws -> CommandOutput {
        try Command.run(MonitorHarness.skiffRunc, ["--root", runtimeRoot] + arguments)
    }

    /// Waits for the monitor to exit; nil (after killing it) if it is still there at the deadline.
    func waitForExit(seconds: Double = 20) -> ExitStatus? {
        var status: Int32 = 0
        for _ in 0..<Int(seconds * 50) {
            if waitpid(pid, &status, WNOHANG) == pid { return ExitStatus(waitStatus: status) }
            usleep(20000)
        }
        kill(pid, SIGKILL)
        waitpid(pid, &status, 0)
        return nil
    }

    func state(_ name: String) -> String { (try? FileSystem.readString(stateDir + "/" + name)) ?? "" }

    func cleanUp() {
        if waitpid(pid, nil, WNOHANG) == 0 {
            kill(pid, SIGKILL)
            waitpid(pid, nil, 0)
        }
        _ = try? runtime("delete", "--force", id)
    }
}
