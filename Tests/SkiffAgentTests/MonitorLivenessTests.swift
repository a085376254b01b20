import Foundation
import Testing

@testable import SkiffAgent

@Suite("re-adoption: is a container's monitor still running")
struct MonitorLivenessTests {
    @Test("a live process whose command line names the container is its monitor; another id, a dead pid or none is not")
    func monitorRunsChecksTheCommandLine() throws {
        // Stands in for `skiff-monitor … --id ID …`: bash takes the arguments after its script as
        // $0 and $@, and waits in its builtin read on a pipe nobody writes to — no child process,
        // which would keep Foundation's exit detection waiting after the kill.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", "read -t 30 line", "--runtime", "skiff-runc", "--id", "c0ffee"]
        let input = Pipe()
        process.standardInput = input
        try process.run()
        // SIGKILL: Process's children ignore SIGTERM.
        defer {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        let pid = process.processIdentifier
        // Process.run returns before the child has exec'd bash: until then its command line is
        // the test's own.
        for _ in 0..<500 where !((try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? "").contains("c0ffee") {
            usleep(10_000)
        }
        #expect(PodWorker.monitorRuns(pid: pid, containerID: "c0ffee"))
        #expect(!PodWorker.monitorRuns(pid: pid, containerID: "other"))
        #expect(!PodWorker.monitorRuns(pid: pid, containerID: "skiff-runc"))
        #expect(!PodWorker.monitorRuns(pid: 0, containerID: "c0ffee"))
        kill(pid, SIGKILL)
        process.waitUntilExit()
        #expect(!PodWorker.monitorRuns(pid: pid, containerID: "c0ffee"))
    }
}
