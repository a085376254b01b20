import Foundation
import SkiffTestSupport
import Testing

@Suite("skiff image rm and prune (root)", .serialized)
struct ImageCommandTests {
    @Test(
        "rm untags one of two names, refuses the image a saved pod names, saying which; prune keeps it while the pod is there, then deletes it and prints what it freed (root)"
    )
    func removeAndPrune() async throws {
        let dataDir = NSTemporaryDirectory() + "skiff-image-command-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        let skiff = try Tools.skiffBinary()
        func image(_ arguments: String...) async throws -> Tools.Output {
            try await Tools.run(skiff, ["image"] + arguments + ["--data-dir", dataDir])
        }
        #expect(try await image("import", AgentCluster.busyboxLayout).status == 0)
        #expect(try await image("import", AgentCluster.busyboxLayout, "--name", "example.com/tools/bb:1").status == 0)
        // A pod the agent keeps (its saved state; no agent runs) names busybox.
        let pod = dataDir + "/pods/uid-1"
        try FileManager.default.createDirectory(atPath: pod, withIntermediateDirectories: true)
        let state =
            #"{"pod":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"default","uid":"uid-1"},"spec":{"containers":[{"name":"c","image":"busybox"}]}},"containers":[],"finished":false}"#
        try state.write(toFile: pod + "/state.json", atomically: true, encoding: .utf8)

        let untag = try await image("rm", "example.com/tools/bb:1")
        #expect(untag.status == 0 && untag.stdout == "Untagged: example.com/tools/bb:1\n", "\(untag.stdout)\(untag.stderr)")
        let refused = try await image("rm", "busybox")
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("image busybox is in use by container c of pod default/web; delete the pod first"), "\(refused.stderr)")
        let kept = try await image("prune")
        #expect(kept.stdout == "Total reclaimed space: 0B\n", "\(kept.stdout)\(kept.stderr)")
        #expect(try await image("ls").stdout.contains("docker.io/library/busybox"))

        try FileManager.default.removeItem(atPath: pod)
        let pruned = try await image("prune")
        let lines = pruned.stdout.split(separator: "\n")
        #expect(lines.count == 2 && lines[0].hasPrefix("Deleted: busybox:latest sha256:"), "\(pruned.stdout)")
        #expect(lines.last?.hasPrefix("Total reclaimed space: ") == true && lines.last?.hasSuffix("MB") == true, "\(pruned.stdout)")
        #expect(try await image("ls").stdout.split(separator: "\n").count == 1, "only the header is left")
    }
}
