import Foundation
import SkiffTestSupport
import Testing

/// `skiff server` refuses node-lifecycle flags it cannot honour before it touches its data dir.
@Suite struct ServerFlagTests {
    func server(_ arguments: [String]) async throws -> Tools.Output {
        let directory = NSTemporaryDirectory() + "skiff-flags-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let output = try await Tools.run(try Tools.skiffBinary(), ["server", "--data-dir", directory, "--port", "0"] + arguments)
        #expect(!FileManager.default.fileExists(atPath: directory), "the data dir was made for a refused flag")
        return output
    }

    @Test("a malformed or inconsistent node monitor period or a negative toleration is refused with a message naming the flag")
    func badNodeLifecycleFlags() async throws {
        let malformed = try await server(["--node-monitor-grace-period", "soon"])
        #expect(malformed.status != 0)
        #expect(malformed.stderr.contains("node-monitor-grace-period"), "\(malformed.stderr)")
        let shorter = try await server(["--node-monitor-grace-period", "2s", "--node-monitor-period", "5s"])
        #expect(shorter.status != 0)
        #expect(shorter.stderr.contains("--node-monitor-grace-period must be longer than --node-monitor-period"), "\(shorter.stderr)")
        let negative = try await server(["--default-unreachable-toleration-seconds=-1"])
        #expect(negative.status != 0)
        #expect(negative.stderr.contains("must not be negative"), "\(negative.stderr)")
    }
}
