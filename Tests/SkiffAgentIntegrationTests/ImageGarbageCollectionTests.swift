import Foundation
import SkiffTestSupport
import Testing

@Suite("Image garbage collection on a small image filesystem (root)", .serialized)
struct ImageGarbageCollectionTests {
    static let mebibyte: Int64 = 1 << 20
    /// The agent's data directory (so its image store) is a tmpfs of this size.
    static let capacity: Int64 = 96 << 20

    static func pod(_ name: String, image: String) -> String {
        """
        apiVersion: v1
        kind: Pod
        metadata: {name: \(name)}
        spec:
          terminationGracePeriodSeconds: 1
          containers:
          - name: c
            image: \(image)
            command: ["/bin/sh", "-c", "sleep 3600"]
        """
    }

    static func available(_ path: String) -> Int64 {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return 0 }
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }

    static func storedNames(_ cluster: AgentCluster) async throws -> String {
        try await Tools.run(try Tools.skiffBinary(), ["image", "ls", "--data-dir", cluster.agentData]).stdout
    }

    /// Grows the filler file so `bytesToFree` is what the agent must free to get from the high
    /// threshold (80 %) down to the low one (70 %): available = 30 % of capacity − bytesToFree.
    static func fill(_ cluster: AgentCluster, toFree bytesToFree: Int64) async throws {
        let filler = cluster.agentData + "/filler"
        let current = ((try? FileManager.default.attributesOfItem(atPath: filler))?[.size] as? NSNumber)?.int64Value ?? 0
        let target = current + available(cluster.agentData) - (capacity * 30 / 100 - bytesToFree)
        let grown = try await Tools.run("/usr/bin/fallocate", ["-l", "\(target)", filler])
        guard grown.status == 0 else { throw Tools.Failure("fallocate: \(grown.stderr)") }
    }

    static func waitUntil(_ what: String, timeout: TimeInterval = 40, _ condition: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(300))
        }
        throw Tools.Failure("timed out waiting for \(what)")
    }

    @Test(
        "over the high threshold the agent removes unused images least recently used first until under the low one; the image a pod runs is never removed, and when that is not enough FreeDiskSpaceFailed is recorded; status.images follows (root)"
    )
    func collectsLeastRecentlyUsedFirst() async throws {
        let work = NSTemporaryDirectory() + "skiff-imagegc-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: work) }
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        try await TestImages.build(["a", "b", "c"], payloadMebibytes: 16, in: work)
        try await AgentCluster.with(
            name: "imagegc", clusterCIDRBlock: 13,
            agentArguments: [
                "--image-gc-high-threshold", "80", "--image-gc-low-threshold", "70", "--minimum-image-ttl-duration", "0s",
                "--image-gc-period", "1s", "--eviction-hard", "",
            ],
            prepare: { cluster in
                try FileManager.default.createDirectory(atPath: cluster.agentData, withIntermediateDirectories: true)
                let mounted = try await Tools.run("/usr/bin/mount", ["-t", "tmpfs", "-o", "size=\(Self.capacity)", "tmpfs", cluster.agentData])
                guard mounted.status == 0 else { throw Tools.Failure("mount tmpfs: \(mounted.stderr)") }
            }
        ) { cluster in
            // busybox (imported by the cluster) would be the oldest candidate; only the test's images remain.
            let removed = try await Tools.run(try Tools.skiffBinary(), ["image", "rm", "busybox", "--data-dir", cluster.agentData])
            #expect(removed.status == 0, "\(removed.stderr)")
            // Stored a, b, c in that order.
            for name in ["a", "b", "c"] {
                let imported = try await Tools.run(
                    try Tools.skiffBinary(), ["image", "import", "\(work)/\(name)", "--name", "example.com/gc/\(name):1", "--data-dir", cluster.agentData])
                #expect(imported.status == 0, "\(imported.stderr)")
                try await Task.sleep(for: .milliseconds(50))
            }
            // a runs for the whole test; b ran once, after c was stored, so c is the least recently used.
            #expect(try await cluster.kubectl("apply", "-f", "-", input: Self.pod("keep", image: "example.com/gc/a:1")).status == 0)
            #expect(try await cluster.kubectl("apply", "-f", "-", input: Self.pod("once", image: "example.com/gc/b:1")).status == 0)
            for name in ["keep", "once"] {
                _ = try await cluster.waitForPod(name) { ($0["status"] as? [String: Any])?["phase"] as? String == "Running" }
            }
            #expect(try await cluster.kubectl("delete", "pod", "once", "--wait=true", "--timeout=60s", timeout: 90).status == 0)
            try await Task.sleep(for: .seconds(3))
            #expect(try await Self.storedNames(cluster).contains("example.com/gc/c"), "under the threshold nothing goes")

            // The node's status.images lists all three, with their repo digests.
            try await Self.waitUntil("status.images to list the test's images") {
                let images = try await cluster.kubectl("get", "node", cluster.nodeName, "-o", "jsonpath={.status.images[*].names}").stdout
                return ["a", "b", "c"].allSatisfy { images.contains("example.com/gc/\($0):1") && images.contains("example.com/gc/\($0)@sha256:") }
            }

            // 83 % used: 12 MiB to free, which c (~17 MiB) covers on its own.
            try await Self.fill(cluster, toFree: 12 * Self.mebibyte)
            try await Self.waitUntil("c to be collected") { !(try await Self.storedNames(cluster).contains("example.com/gc/c")) }
            try await Task.sleep(for: .seconds(3))
            var names = try await Self.storedNames(cluster)
            #expect(names.contains("example.com/gc/a") && names.contains("example.com/gc/b"), "only c went: \(names)")

            // 95 % used: 25 MiB to free; b (~17 MiB) goes, a is in use, so not enough.
            try await Self.fill(cluster, toFree: 25 * Self.mebibyte)
            try await Self.waitUntil("b to be collected") { !(try await Self.storedNames(cluster).contains("example.com/gc/b")) }
            try await Self.waitUntil("a FreeDiskSpaceFailed event") {
                let events = try await cluster.kubectl(
                    "get", "events", "-A", "--field-selector", "reason=FreeDiskSpaceFailed", "-o",
                    "jsonpath={range .items[*]}{.type} {.involvedObject.kind}/{.involvedObject.name}: {.message}{\"\\n\"}{end}")
                return events.stdout.contains("Warning Node/\(cluster.nodeName): Failed to garbage collect required amount of images. Attempted to free ")
            }
            names = try await Self.storedNames(cluster)
            #expect(names.contains("example.com/gc/a"), "the running pod's image stays: \(names)")
            let keep = try await cluster.pod("keep")
            #expect((keep["status"] as? [String: Any])?["phase"] as? String == "Running")
            let log = try String(contentsOfFile: cluster.directory + "/agent.log", encoding: .utf8)
            let order = log.split(separator: "\n").filter { $0.contains("Removing image to free bytes") }
            #expect(order.count == 2 && order[0].contains("example.com/gc/c:1") && order[1].contains("example.com/gc/b:1"), "\(order)")

            try await Self.waitUntil("status.images to drop the collected images") {
                let images = try await cluster.kubectl("get", "node", cluster.nodeName, "-o", "jsonpath={.status.images[*].names}").stdout
                return images.contains("example.com/gc/a:1") && !images.contains("example.com/gc/b:1") && !images.contains("example.com/gc/c:1")
            }
        }
    }
}
