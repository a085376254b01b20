import Foundation
import SkiffTestSupport
import Testing

@Suite("A pull killed with -9 leaves nothing that is used (root)", .serialized)
struct KilledPullTests {
    static func entries(_ directory: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    }

    static func waitUntil(_ what: String, timeout: TimeInterval = 120, _ condition: () -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw Tools.Failure("timed out waiting for \(what)")
    }

    @Test(
        "skiff image pull killed with -9 mid-download, then mid-unpack: nothing is stored under the image's name, the next pull completes, every stored blob matches its digest, and no partial download, staging or unpack directory is left (root)"
    )
    func killedPullsRecover() async throws {
        let work = NSTemporaryDirectory() + "skiff-killed-pull-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: work) }
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        // One layer big enough to be caught mid-download and mid-unpack.
        try await TestImages.build(["big"], payloadMebibytes: 384, in: work)
        let registry = try await TestRegistry.start(in: work + "/registry", busyboxLayout: AgentCluster.busyboxLayout)
        defer { registry.stop() }
        try await registry.push(layout: work + "/big", as: "team/big:1")
        let dataDir = work + "/node"
        let store = dataDir + "/images"
        let reference = "\(registry.host)/team/big:1"
        let skiff = try Tools.skiffBinary()

        func startPull(_ attempt: Int) throws -> Process {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: skiff)
            process.arguments = [
                "image", "pull", reference, "--creds", "\(TestRegistry.username):\(TestRegistry.password)", "--certs-dir", registry.certificates,
                "--data-dir", dataDir,
            ]
            let log = work + "/pull-\(attempt).log"
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            process.standardOutput = FileHandle(forWritingAtPath: log)
            process.standardError = FileHandle(forWritingAtPath: log)
            try process.run()
            return process
        }
        func stored() async throws -> String {
            try await Tools.run(skiff, ["image", "ls", "--data-dir", dataDir]).stdout
        }
        func partialBytes() -> Int {
            Self.entries(store + "/blobs/partial").reduce(0) { total, name in
                total + (((try? FileManager.default.attributesOfItem(atPath: store + "/blobs/partial/" + name))?[.size] as? Int) ?? 0)
            }
        }

        // 1. Killed while the layer streams in: a partial file, nothing verified under its name.
        let downloading = try startPull(1)
        try await Self.waitUntil("the layer download to start") { partialBytes() > 8 << 20 || !downloading.isRunning }
        kill(downloading.processIdentifier, SIGKILL)
        downloading.waitUntilExit()
        #expect(downloading.terminationReason == .uncaughtSignal, "the first pull was still running when killed")
        #expect(partialBytes() > 0, "the kill left a partial download")
        #expect(!(try await stored()).contains("team/big"))

        // 2. Killed while the verified layer is unpacked: the half-made rootfs is in tmp/, never in images/.
        let unpacking = try startPull(2)
        try await Self.waitUntil("the unpack to start") {
            Self.entries(store + "/tmp").contains { FileManager.default.fileExists(atPath: "\(store)/tmp/\($0)/image/rootfs") } || !unpacking.isRunning
        }
        kill(unpacking.processIdentifier, SIGKILL)
        unpacking.waitUntilExit()
        #expect(unpacking.terminationReason == .uncaughtSignal, "the second pull was still running when killed")
        #expect(partialBytes() == 0, "the second pull removed the dead one's partial download")
        #expect(!(try await stored()).contains("team/big"))
        #expect(!Self.entries(store + "/tmp").isEmpty && !Self.entries(store + "/pulls").isEmpty, "the kill left its staging behind")
        // The killed pull's tar may still be writing into its tmp directory for a moment.
        try await Task.sleep(for: .seconds(3))

        // 3. A pull that is left alone completes from what is verified.
        let finishing = try startPull(3)
        finishing.waitUntilExit()
        let log = (try? String(contentsOfFile: work + "/pull-3.log", encoding: .utf8)) ?? ""
        #expect(finishing.terminationStatus == 0, "\(log)")
        #expect(log.contains("already present"), "the verified layer was not downloaded again: \(log)")
        #expect(try await stored().contains("\(registry.host)/team/big"))
        #expect(Self.entries(store + "/blobs/partial").isEmpty)
        #expect(Self.entries(store + "/pulls").isEmpty)
        #expect(Self.entries(store + "/tmp").isEmpty)
        let check = try await Tools.run(
            "/bin/bash", ["-c", "cd \(store)/blobs/sha256 && for f in *; do echo \"$f  $f\"; done | sha256sum --check --quiet"])
        #expect(check.status == 0, "every blob hashes to its name: \(check.stdout) \(check.stderr)")
        let images = Self.entries(store + "/images")
        #expect(images.count == 1)
        let payload = try FileManager.default.attributesOfItem(atPath: "\(store)/images/\(images.first ?? "")/rootfs/data/payload")
        #expect(payload[.size] as? Int == 384 << 20)

        // Nothing uses it: prune deletes the image and every blob.
        let pruned = try await Tools.run(skiff, ["image", "prune", "--data-dir", dataDir])
        #expect(pruned.stdout.contains("Deleted: \(registry.host)/team/big:1 "), "\(pruned.stdout)\(pruned.stderr)")
        #expect(pruned.stdout.contains("Total reclaimed space: 8"), "two copies of the 384 MiB layer (the blob and the rootfs): \(pruned.stdout)")
        #expect(Self.entries(store + "/blobs/sha256").isEmpty)
        #expect(Self.entries(store + "/images").isEmpty)
    }
}
