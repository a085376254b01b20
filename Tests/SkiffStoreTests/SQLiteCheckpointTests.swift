import Foundation
import SkiffStore
import Testing

/// The SQLite store checkpoints its WAL in the background every 1,000 writes, and the writer
/// restarts the WAL once it passes 64 MiB. The checkpoint connection once never opened the WAL,
/// so every checkpoint copied nothing and the WAL grew by every write for as long as the server ran.
@Suite struct SQLiteCheckpointTests {
    @Test("under a steady stream of writes the WAL is checkpointed and restarted, not grown by every write")
    func walStaysBoundedUnderSteadyWrites() async throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.path + "/state.db")
        let value = [UInt8](repeating: UInt8(ascii: "x"), count: 1024)
        let writers = 20
        let rounds = 800
        // 16,000 writes of 1 KiB: a WAL holding every frame passes 140 MB.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<writers {
                group.addTask {
                    for round in 0..<rounds { _ = try await store.create("/wal/\(writer)/\(round)", value: value) }
                }
            }
            try await group.waitForAll()
        }
        let size = try FileManager.default.attributesOfItem(atPath: directory.path + "/state.db-wal")[.size] as? Int ?? 0
        #expect(size > 0)
        #expect(size < 100 * 1024 * 1024, "WAL is \(size) bytes after 16,000 writes")
        #expect(try store.get("/wal/19/799")?.value == value)
        #expect(try store.list(prefix: "/wal/", startAfter: nil, limit: nil, revision: nil).items.count == writers * rounds)
    }
}
