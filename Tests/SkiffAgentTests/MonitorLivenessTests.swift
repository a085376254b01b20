import Foundation
import Testing

@testable import SkiffAgent

@Suite("re-adoption: is a container's monitor still running")
struct MonitorLivenessTests {
    @Test("a live process whose command line names the container is its monitor; another id, a dead pid or none is not")
    func monitorRunsChecksTheCommandLine() throws {
        // Stands in for `skiff-monitor … --id ID …`: sh takes the arguments after its script as
        // $0 and $@, and with a second command it does not exec sleep (which would replace them).
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "sleep 30; exit 0", "--runtime", "skiff-runc", "--id", "c0ffee"]
        try process.run()
        // SIGKILL: Process's children ignore SIGTERM.
        defer {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        let pid = process.processIdentifier
        #expect(PodWorker.monitorRuns(pid: pid, containerID: "c0ffee"))
        #expect(!PodWorker.monitorRuns(pid: pid, containerID: "other"))
        #expect(!PodWorker.monitorRuns(pid: pid, containerID: "skiff-runc"))
        #expect(!PodWorker.monitorRuns(pid: 0, containerID: "c0ffee"))
        kill(pid, SIGKILL)
        process.waitUntilExit()
        #expect(!PodWorker.monitorRuns(pid: pid, containerID: "c0ffee"))
    }
}
