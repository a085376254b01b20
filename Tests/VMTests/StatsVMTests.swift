import Foundation
import Testing

extension VMTests {
    /// SkiffStats' cgroup v2 suite (real busy loops, PSI, CFS throttling) cannot run on the hybrid host; this
    /// runs it from this very test binary inside the pure cgroup v2 VM.
    @Test func statsCgroupV2TestsPassInsideTheVM() async throws {
        let testBinary = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let run = try await Self.vm(
            ["run", "--timeout", "300", "--", testBinary, "--testing-library", "swift-testing", "--filter", "StatsCgroupV2Tests"],
            environment: ["SKIFF_IN_VM": "1"])
        #expect(run.status == 0, "the stats cgroup v2 tests failed in the VM (\(run.status)):\n\(run.output)")
        #expect(run.output.contains("Suite \"stats on real cgroup v2 (root)\" passed"), "suite did not pass:\n\(run.output)")
        #expect(!run.output.contains("skipped"), "tests were skipped in the VM:\n\(run.output)")
        #expect(run.output.contains("skiff-stats psi: cpu some total="), "no PSI line from the guest:\n\(run.output)")
        // The CFS quota test: cpu.max set through SkiffCgroups (as skiff-runc sets it), read
        // back through CgroupReader, and rendered by CadvisorMetrics, all inside the v2 guest.
        #expect(run.output.contains("skiff-stats throttling: periods "), "no throttling line from the guest:\n\(run.output)")
    }
}
