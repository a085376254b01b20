import Foundation
import SkiffTestSupport
import Testing

/// Done-means 4 of issue 14 on `scripts/cluster` hosts: a snapshot saved while the cluster runs,
/// the server killed and its store wiped, the snapshot restored: every object is back at its
/// resourceVersion, and the agents reconnect without restarting their pods.
@Suite("Snapshot restore under running agents (root, multi-host)", .serialized)
struct SnapshotRestoreClusterTests {
    /// Name, container ID and restart count of every pod of the Deployment.
    func podContainers(_ cluster: TestCluster) async throws -> [String: String] {
        let output = try await cluster.kubectl(
            "get", "pods", "-l", "app=kept", "-o",
            #"jsonpath={range .items[*]}{.metadata.name} {.status.containerStatuses[0].containerID} {.status.containerStatuses[0].restartCount} {.status.phase}{"\n"}{end}"#
        )
        guard output.status == 0 else { throw Tools.Failure("listing pods failed: \(output.stderr)") }
        var containers: [String: String] = [:]
        for line in output.stdout.split(separator: "\n") {
            let fields = line.split(separator: " ").map(String.init)
            if fields.count == 4 { containers[fields[0]] = "\(fields[1]) restarts=\(fields[2]) \(fields[3])" }
        }
        return containers
    }

    func until(_ seconds: Double, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if (try? await condition()) == true { return true }
            try await Task.sleep(for: .milliseconds(500))
        }
        return try await condition()
    }

    @Test(
        "snapshot save, kill the server, wipe its store, restore (root, multi-host): every object is back at its resourceVersion and the agents keep their pods"
    )
    func restoreKeepsObjectsAndPods() async throws {
        try await TestCluster.with(nodes: 2) { cluster in
            let data = TestCluster.state + "/server/data"
            let skiff = try Tools.skiffBinary()
            #expect(
                try await cluster.kubectl("create", "deployment", "kept", "--image=busybox", "--replicas=3", "--", "sleep", "3600").status == 0)
            #expect(try await until(120) { try await cluster.kubectl("get", "deployment", "kept", "-o", "jsonpath={.status.availableReplicas}").stdout == "3" })
            #expect(try await cluster.kubectl("create", "configmap", "before", "--from-literal=a=b").status == 0)
            let before = try await podContainers(cluster)
            try #require(before.count == 3 && before.values.allSatisfy { $0.hasSuffix("restarts=0 Running") }, "pods before: \(before)")
            let versionBefore = try await cluster.kubectl("get", "configmap", "before", "-o", "jsonpath={.metadata.resourceVersion}").stdout

            let saved = try await Tools.run(skiff, ["server", "snapshot", "save", "--data-dir", data, "--name", "kept"])
            try #require(saved.status == 0, "snapshot save failed: \(saved.stderr)")
            // A write after the snapshot: the restore takes the cluster back to before it.
            #expect(try await cluster.kubectl("create", "configmap", "after", "--from-literal=a=b").status == 0)

            try await cluster.killServer("server")
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: data + "/state.db" + suffix) }
            let restored = try await Tools.run(skiff, ["server", "snapshot", "restore", "kept", "--data-dir", data])
            try #require(restored.status == 0, "snapshot restore failed: \(restored.stderr)")
            try await cluster.startServer("server")
            try #require(try await until(60) { try await cluster.kubectl("get", "--raw", "/readyz").status == 0 }, "the server did not come back")

            #expect(try await cluster.kubectl("get", "configmap", "before", "-o", "jsonpath={.metadata.resourceVersion}").stdout == versionBefore)
            let after = try await cluster.kubectl("get", "configmap", "after")
            #expect(after.status != 0 && after.stderr.contains("NotFound"), "the write made after the snapshot survived the restore")
            // The agents relist (their watches' revisions are past the restored store's) and keep
            // running the same containers: same IDs, no restarts.
            for node in cluster.nodes {
                #expect(
                    try await until(60) {
                        try await cluster.kubectl("get", "node", node, "-o", #"jsonpath={.status.conditions[?(@.type=="Ready")].status}"#).stdout
                            == "True"
                    }, "\(node) is not Ready after the restore")
            }
            try await Task.sleep(for: .seconds(15))
            let afterRestore = try await podContainers(cluster)
            #expect(afterRestore == before, "pods changed across the restore: before \(before), after \(afterRestore)")
            #expect(try await cluster.kubectl("get", "deployment", "kept", "-o", "jsonpath={.status.availableReplicas}").stdout == "3")
        }
    }
}
