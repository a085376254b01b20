import Foundation
import SkiffLogs
import SkiffSystem
import Testing

/// skiff-monitor driven like the agent drives it, with the real skiff-runc and a busybox
/// container. Needs root (skiff-runc creates namespaces and cgroups).
@Suite("skiff-monitor end to end with the real skiff-runc (root)", .timeLimit(.minutes(2)))
struct MonitorIntegrationTests {
    func records(_ path: String) throws -> [CRILogLine] {
        try FileSystem.readString(path).split(separator: "\n").map { line throws in
            try CRILogLine(parsing: Array(line.utf8))
        }
    }

    @Test("created <pid>, both streams in CRI format after start, exit.json with code 3, monitor exits 0 (root)")
    func containerRunsToItsExit() throws {
        try #require(MonitorHarness.isRoot, "needs root")
        let scratch = try Scratch()
        defer { scratch.remove() }
        let bundle = try MonitorHarness.makeBundle(
            in: scratch.path, args: ["/bin/sh", "-c", "echo out1; echo err1 >&2; echo out2; printf tail; exit 3"])
        let run = try MonitorRun(scratch: scratch.path, bundle: bundle)
        defer { run.cleanUp() }

        let result = run.result()
        #expect(result == "created \(run.state("pid"))\n")
        #expect(run.state("monitor.pid") == "\(run.pid)\n")
        #expect(getsid(run.pid) == run.pid, "the monitor leads its own session")
        let start = try run.runtime("start", run.id)
        #expect(start.status == .exited(0), "\(start.stderr)")
        #expect(run.waitForExit() == .exited(0))

        let lines = try records(run.logPath)
        #expect(
            lines.filter { $0.stream == .stdout }.map { "\($0.isPartial ? "P" : "F") \($0.content.text)" }
                == ["F out1", "F out2", "P tail"], "an unterminated last line is a partial record, as containerd writes it")
        #expect(lines.filter { $0.stream == .stderr }.map(\.content.text) == ["err1"])
        #expect(lines.allSatisfy { CRITimestamp($0.timestamp) != nil && $0.timestamp.hasSuffix("Z") })
        #expect(try ContainerLog(path: run.logPath).read(LogOptions(streams: .stdout)).text == "out1\nout2\ntail")

        let exit = try #require(MonitorHarness.readJSON(run.stateDir + "/exit.json"))
        #expect(exit["exitCode"] as? Int == 3)
        #expect(exit["signal"] == nil)
        let started = try #require((exit["startedAt"] as? String).flatMap { CRITimestamp($0) })
        let finished = try #require((exit["finishedAt"] as? String).flatMap { CRITimestamp($0) })
        #expect(started <= finished)
    }

    @Test("a create that fails reports error <runtime's message> on fd 3 and createFailed in exit.json (root)")
    func createFails() throws {
        try #require(MonitorHarness.isRoot, "needs root")
        let scratch = try Scratch()
        defer { scratch.remove() }
        let bundle = try MonitorHarness.makeBundle(in: scratch.path, args: ["true"])
        try FileSystem.write(bundle + "/config.json", "{ this is not json")
        let run = try MonitorRun(scratch: scratch.path, bundle: bundle)
        defer { run.cleanUp() }

        let result = run.result()
        #expect(result.hasPrefix("error ") && result.hasSuffix("\n") && result.count > 8, "\(result)")
        #expect(run.waitForExit() == .exited(1))
        let exit = try #require(MonitorHarness.readJSON(run.stateDir + "/exit.json"))
        #expect(exit["createFailed"] as? Bool == true)
        let message = exit["message"] as? String ?? ""
        #expect(result == "error \(message)\n", "the pipe and exit.json carry the same message")
        #expect(message.contains("config.json"), "the runtime's own error, not just a status: \(message)")
    }

    @Test("a tiny --log-max-bytes rotates the log and keeps --log-max-files files in all (root)")
    func rotation() throws {
        try #require(MonitorHarness.isRoot, "needs root")
        let scratch = try Scratch()
        defer { scratch.remove() }
        let script = "i=1; while [ $i -le 60 ]; do echo \"line $i\"; i=$((i+1)); done"
        let bundle = try MonitorHarness.makeBundle(in: scratch.path, args: ["/bin/sh", "-c", script])
        let run = try MonitorRun(
            scratch: scratch.path, bundle: bundle, extraArguments: ["--log-max-bytes", "300", "--log-max-files", "3"])
        defer { run.cleanUp() }

        #expect(run.result().hasPrefix("created "))
        #expect(try run.runtime("start", run.id).status == .exited(0))
        #expect(run.waitForExit() == .exited(0))
        let files = ContainerLog(path: run.logPath).files
        #expect(files.count == 3, "\(files)")
        #expect(files.last == run.logPath)
        for file in files {
            let size = try FileSystem.readBytes(file).count
            #expect(size > 0 && size <= 300, "\(file): \(size) bytes")
        }
        let shown = try ContainerLog(path: run.logPath).read().text.split(separator: "\n").map(String.init)
        let first = try #require(shown.first.flatMap { Int($0.dropFirst(5)) })
        #expect(first > 1, "the oldest rotated files were deleted")
        #expect(shown == (first...60).map { "line \($0)" }, "the kept files hold consecutive lines up to the last")
    }

    @Test("a container killed by SIGKILL records exitCode 137 and signal 9; the monitor stays small (root)")
    func killedContainer() throws {
        try #require(MonitorHarness.isRoot, "needs root")
        let scratch = try Scratch()
        defer { scratch.remove() }
        let bundle = try MonitorHarness.makeBundle(in: scratch.path, args: ["sleep", "60"])
        let run = try MonitorRun(scratch: scratch.path, bundle: bundle)
        defer { run.cleanUp() }

        #expect(run.result().hasPrefix("created "))
        #expect(try run.runtime("start", run.id).status == .exited(0))
        let status = (try? FileSystem.readString("/proc/\(run.pid)/status")) ?? ""
        let rssKB =
            status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
            .flatMap { Int($0.split(separator: " ", omittingEmptySubsequences: true)[1]) } ?? -1
        let maps = (try? FileSystem.readString("/proc/\(run.pid)/maps")) ?? ""
        // Only a static build can meet the 1 MB goal: a debug build maps libc and libswiftCore.
        if !maps.contains(".so") {
            #expect(rssKB > 0 && rssKB <= 1024, "VmRSS \(rssKB) kB")
        }
        print("skiff-monitor VmRSS while monitoring: \(rssKB) kB (\(maps.contains(".so") ? "dynamic" : "static") build)")
        #expect(try run.runtime("kill", run.id, "KILL").status == .exited(0))
        #expect(run.waitForExit() == .exited(0))
        let exit = try #require(MonitorHarness.readJSON(run.stateDir + "/exit.json"))
        #expect(exit["exitCode"] as? Int == 137)
        #expect(exit["signal"] as? Int == 9)
    }
}

@Suite("skiff-monitor output edge cases with the real skiff-runc (root)", .timeLimit(.minutes(2)))
struct MonitorOutputTests {
    @Test("a line longer than 16 KiB is written as P records and a final F record (root)")
    func longLine() throws {
        try #require(MonitorHarness.isRoot, "needs root")
        let scratch = try Scratch()
        defer { scratch.remove() }
        let bundle = try MonitorHarness.makeBundle(
            in: scratch.path, args: ["/bin/sh", "-c", "head -c 40000 /dev/zero | tr '\\0' x; echo; echo short"])
        let run = try MonitorRun(scratch: scratch.path, bundle: bundle)
        defer { run.cleanUp() }

        #expect(run.result().hasPrefix("created "))
        #expect(try run.runtime("start", run.id).status == .exited(0))
        #expect(run.waitForExit() == .exited(0))
        let lines = try FileSystem.readString(run.logPath).split(separator: "\n").map { line throws in
            try CRILogLine(parsing: Array(line.utf8))
        }
        #expect(lines.map { "\($0.isPartial ? "P" : "F") \($0.content.count)" } == ["P 16384", "P 16384", "F 7232", "F 5"])
        #expect(try ContainerLog(path: run.logPath).read().text == String(repeating: "x", count: 40000) + "\nshort\n")
    }

    @Test("the container starts with no signal ignored or blocked, though the monitor ignores SIGPIPE (root)")
    func cleanSignalState() throws {
        try #require(MonitorHarness.isRoot, "needs root")
        let scratch = try Scratch()
        defer { scratch.remove() }
        let bundle = try MonitorHarness.makeBundle(in: scratch.path, args: ["grep", "-E", "^Sig(Ign|Blk)", "/proc/self/status"])
        let run = try MonitorRun(scratch: scratch.path, bundle: bundle)
        defer { run.cleanUp() }

        #expect(run.result().hasPrefix("created "))
        #expect(try run.runtime("start", run.id).status == .exited(0))
        #expect(run.waitForExit() == .exited(0))
        let shown = try ContainerLog(path: run.logPath).read().text
        #expect(shown == "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n")
    }

    @Test("a process that escaped with the pipes open does not keep the monitor past 2 s after the exit (root)")
    func escapedProcessHoldsPipes() throws {
        try #require(MonitorHarness.isRoot, "needs root")
        let scratch = try Scratch()
        defer { scratch.remove() }
        // Without a pid namespace the kernel does not kill the init's children when it exits.
        let bundle = try MonitorHarness.makeBundle(in: scratch.path, args: ["/bin/sh", "-c", "sleep 30 & echo bye"]) { config in
            var linux = config["linux"] as? [String: Any] ?? [:]
            let namespaces = linux["namespaces"] as? [[String: Any]] ?? []
            linux["namespaces"] = namespaces.filter { $0["type"] as? String != "pid" }
            config["linux"] = linux
        }
        let run = try MonitorRun(scratch: scratch.path, bundle: bundle)
        defer { run.cleanUp() }

        #expect(run.result().hasPrefix("created "))
        let started = CRITimestamp.now()
        #expect(try run.runtime("start", run.id).status == .exited(0))
        #expect(run.waitForExit() == .exited(0))
        let waited = CRITimestamp.now().seconds - started.seconds
        #expect(waited >= 1 && waited <= 6, "monitor exited \(waited) s after start")
        #expect(try ContainerLog(path: run.logPath).read().text == "bye\n")
        let exit = try #require(MonitorHarness.readJSON(run.stateDir + "/exit.json"))
        #expect(exit["exitCode"] as? Int == 0)
    }
}
