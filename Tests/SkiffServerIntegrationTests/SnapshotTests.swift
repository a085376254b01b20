import Foundation
import SkiffTestSupport
import Testing

/// `skiff server snapshot save|ls|restore` and `--snapshot-schedule` on a real server's SQLite
/// store: saved while it serves, restored into a wiped data dir, every object back at its
/// resourceVersion; a restore under a running server is refused.
@Suite struct SnapshotTests {
    func skiff(_ arguments: [String]) async throws -> Tools.Output {
        try await Tools.run(try Tools.skiffBinary(), ["server", "snapshot"] + arguments)
    }

    func versions(_ server: ServerProcess, of kinds: String = "configmaps,deployments") async throws -> String {
        try await server.kubectl(
            "get", kinds, "-n", "shop", "-o", #"jsonpath={range .items[*]}{.metadata.name}={.metadata.resourceVersion} {end}"#
        ).stdout
    }

    @Test("a snapshot saved while the server runs, restored into a wiped data dir, brings every object back at its resourceVersion")
    func saveWipeRestore() async throws {
        let server = try await ServerProcess.start()
        defer { server.stop() }
        let directory = server.directory
        #expect(try await server.kubectl("create", "namespace", "shop").status == 0)
        #expect(try await server.kubectl("create", "configmap", "prices", "-n", "shop", "--from-literal=apple=3").status == 0)
        #expect(try await server.kubectl("create", "configmap", "stock", "-n", "shop", "--from-literal=apple=12").status == 0)
        #expect(try await server.kubectl("create", "deployment", "till", "-n", "shop", "--image=busybox").status == 0)
        let saved = try await versions(server)

        let save = try await skiff(["save", "--data-dir", directory, "--name", "before"])
        #expect(save.status == 0, "\(save.stderr)")
        #expect(save.stdout.hasPrefix("saved \(directory)/snapshots/before.db (revision "), "\(save.stdout)")
        #expect(try await skiff(["save", "--data-dir", directory, "--name", "before"]).stderr.contains("already exists"))
        // Changes after the snapshot: gone once it is restored.
        #expect(try await server.kubectl("delete", "configmap", "stock", "-n", "shop").status == 0)
        #expect(try await server.kubectl("create", "configmap", "later", "-n", "shop").status == 0)

        let refused = try await skiff(["restore", "before", "--data-dir", directory])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("a skiff server is running on --data-dir"), "\(refused.stderr)")

        server.stop(removeDirectory: false)
        for file in ["state.db", "state.db-wal", "state.db-shm"] { try? FileManager.default.removeItem(atPath: directory + "/" + file) }
        let listed = try await skiff(["ls", "--data-dir", directory])
        #expect(listed.stdout.split(separator: "\n").dropFirst().first?.hasPrefix("before\t") == true, "\(listed.stdout)")
        let restored = try await skiff(["restore", "before", "--data-dir", directory])
        #expect(restored.status == 0, "\(restored.stderr)")
        #expect(restored.stdout.contains("restored \(directory)/snapshots/before.db into \(directory)/state.db"), "\(restored.stdout)")

        let again = try await ServerProcess.start(directory: directory)
        defer { again.stop() }
        #expect(try await versions(again) == saved)
        #expect(try await again.kubectl("get", "configmap", "later", "-n", "shop").status != 0)
        // Writes go on from the restored revision.
        #expect(try await again.kubectl("create", "configmap", "after", "-n", "shop").status == 0)
    }

    @Test(
        "an embedded etcd member's snapshot (--cluster-init, real etcd over TLS) saved while the server runs and restored into a one-member cluster brings every object back at its resourceVersion; --snapshot-schedule snapshots the member and prunes to --snapshot-retain"
    )
    func etcdSaveRestore() async throws {
        let clientPort = EtcdProcess.freePort()
        let peerPort = EtcdProcess.freePort()
        let etcdFlags = [
            "--cluster-init", "--advertise-address", "127.0.0.1", "--etcd-client-port", "\(clientPort)", "--etcd-peer-port", "\(peerPort)",
        ]
        let server = try await ServerProcess.start(extraArguments: etcdFlags)
        defer { server.stop() }
        let directory = server.directory
        #expect(try await server.kubectl("create", "namespace", "shop").status == 0)
        #expect(try await server.kubectl("create", "configmap", "prices", "-n", "shop", "--from-literal=apple=3").status == 0)
        #expect(try await server.kubectl("create", "deployment", "till", "-n", "shop", "--image=busybox").status == 0)
        // ConfigMaps only: the controllers may still be writing the Deployment's status.
        let saved = try await versions(server, of: "configmaps")

        let save = try await skiff(["save", "--data-dir", directory, "--name", "before", "--etcd-endpoint", "https://127.0.0.1:\(clientPort)"])
        #expect(save.status == 0, "\(save.stderr)")
        #expect(save.stdout.hasPrefix("saved \(directory)/snapshots/before.etcd (etcd, revision "), "\(save.stdout)")
        #expect(!FileManager.default.fileExists(atPath: directory + "/snapshots/before.etcd.partial"))
        let listed = try await skiff(["ls", "--data-dir", directory])
        #expect(listed.stdout.contains("before.etcd\t") && listed.stdout.contains("keys (etcd)"), "\(listed.stdout)")
        #expect(try await server.kubectl("create", "configmap", "later", "-n", "shop").status == 0)

        let refused = try await skiff(["restore", "before", "--data-dir", directory, "--peer-url", "https://127.0.0.1:\(peerPort)"])
        #expect(refused.status != 0 && refused.stderr.contains("a skiff server is running on --data-dir"), "\(refused.stderr)")
        server.stop(removeDirectory: false)
        let withoutAddress = try await skiff(["restore", "before", "--data-dir", directory])
        #expect(withoutAddress.status != 0 && withoutAddress.stderr.contains("--peer-url"), "\(withoutAddress.stderr)")
        let restored = try await skiff(["restore", "before", "--data-dir", directory, "--peer-url", "https://127.0.0.1:\(peerPort)"])
        #expect(restored.status == 0, "\(restored.stderr)")
        #expect(restored.stdout.contains("as a one-member cluster"), "\(restored.stdout)")

        // An older scheduled snapshot, for --snapshot-retain 1 to prune.
        let snapshots = directory + "/snapshots"
        try FileManager.default.copyItem(atPath: snapshots + "/before.etcd", toPath: snapshots + "/skiff-snapshot-old.etcd")
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -3600)], ofItemAtPath: snapshots + "/skiff-snapshot-old.etcd")
        let again = try await ServerProcess.start(
            directory: directory, extraArguments: etcdFlags + ["--snapshot-schedule", "* * * * *", "--snapshot-retain", "1"])
        defer { again.stop() }
        let restoredVersions = try await versions(again, of: "configmaps")
        #expect(restoredVersions == saved, "before: \(saved), restored: \(restoredVersions)")
        #expect(try await again.kubectl("get", "deployment", "till", "-n", "shop").status == 0)
        #expect(try await again.kubectl("get", "configmap", "later", "-n", "shop").status != 0)
        #expect(try await again.kubectl("create", "configmap", "after", "-n", "shop").status == 0)

        // --snapshot-schedule on the embedded member: one on the minute, the older scheduled one
        // pruned, the named one kept.
        let deadline = Date().addingTimeInterval(90)
        var names: [String] = []
        while Date() < deadline {
            names = try FileManager.default.contentsOfDirectory(atPath: snapshots).sorted()
            if !names.contains("skiff-snapshot-old.etcd") && !names.contains(where: { $0.hasSuffix(".partial") }) { break }
            try await Task.sleep(for: .seconds(1))
        }
        #expect(names.count == 2 && names.contains("before.etcd"), "\(names)")
        let scheduled = try #require(names.first { $0.hasPrefix("skiff-snapshot-2") && $0.hasSuffix(".etcd") }, "\(names)")
        let listedAgain = try await skiff(["ls", "--data-dir", directory])
        #expect(listedAgain.stdout.contains(scheduled + "\t") && !listedAgain.stdout.contains("damaged"), "\(listedAgain.stdout)")
    }

    @Test("a damaged or missing snapshot is refused and the store is left as it was")
    func badSnapshot() async throws {
        let directory = NSTemporaryDirectory() + "skiff-snapshot-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory + "/snapshots", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data("not a database".utf8).write(to: URL(fileURLWithPath: directory + "/snapshots/junk.db"))
        try Data("store".utf8).write(to: URL(fileURLWithPath: directory + "/state.db"))
        let junk = try await skiff(["restore", "junk", "--data-dir", directory])
        #expect(junk.status != 0 && !junk.stderr.isEmpty)
        let missing = try await skiff(["restore", "nothing", "--data-dir", directory])
        #expect(missing.status != 0 && !missing.stderr.isEmpty)
        #expect(try String(contentsOfFile: directory + "/state.db", encoding: .utf8) == "store")
    }

    @Test("--snapshot-schedule saves on the minute and keeps --snapshot-retain scheduled snapshots, never pruning named ones")
    func schedule() async throws {
        let directory = NSTemporaryDirectory() + "skiff-it-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory + "/snapshots", withIntermediateDirectories: true)
        let first = try await ServerProcess.start(directory: directory)
        #expect(try await skiff(["save", "--data-dir", directory, "--name", "skiff-snapshot-old"]).status == 0)
        #expect(try await skiff(["save", "--data-dir", directory, "--name", "mine"]).status == 0)
        first.stop(removeDirectory: false)
        let server = try await ServerProcess.start(directory: directory, extraArguments: ["--snapshot-schedule", "* * * * *", "--snapshot-retain", "1"])
        defer { server.stop() }
        let deadline = Date().addingTimeInterval(90)
        var names: [String] = []
        while Date() < deadline {
            names = try FileManager.default.contentsOfDirectory(atPath: directory + "/snapshots").sorted()
            if !names.contains("skiff-snapshot-old.db") { break }
            try await Task.sleep(for: .seconds(1))
        }
        #expect(names.count == 2 && names.contains("mine.db"), "\(names)")
        #expect(names.contains { $0.hasPrefix("skiff-snapshot-2") && $0.hasSuffix(".db") }, "\(names)")
        let listed = try await skiff(["ls", "--data-dir", directory])
        #expect(!listed.stdout.contains("damaged"), "\(listed.stdout)")
    }

    @Test("a bad schedule is refused before the server starts")
    func badSchedule() async throws {
        let output = try await Tools.run(
            try Tools.skiffBinary(), ["server", "--data-dir", NSTemporaryDirectory() + "unused-" + UUID().uuidString, "--snapshot-schedule", "61 * * * *"])
        #expect(output.status != 0)
        #expect(output.stderr.contains("--snapshot-schedule"), "\(output.stderr)")
    }
}
