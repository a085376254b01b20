import Foundation
import SkiffStore
import Synchronization
import Testing

/// A watch consumer cancelled while a writer delivers to it once deadlocked the whole SQLite store:
/// the writer held the store's lock while `yield` resumed the consumer (which needs the consumer
/// task's status lock), and the cancelling thread held that status lock while the stream's
/// termination handler asked for the store's lock. Found by `scripts/bench agent`: a server froze
/// for good when a client dropped its watch during a burst of pod writes.
@Suite struct SQLiteWatchCancellationTests {
    @Test("cancelling watch consumers while writes are delivered to them never deadlocks the store")
    func cancellingWatchConsumersDuringWritesNeverDeadlocks() async throws {
        let directory = NSTemporaryDirectory() + "skiff-store-race-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteStore(path: directory + "/state.db")
        // A deadlock parks every cooperative thread, so nothing async could report it: a plain
        // thread turns a hang into a crash that names this test instead of a stalled CI run. It
        // fires on no progress, not on a slow test: under a full test run other tests can hold
        // the cooperative threads for a while, and each round here waits its turn.
        let watchdog = Watchdog(seconds: 120, what: "SQLiteStore watch cancellation: store deadlocked")
        defer { watchdog.disarm() }

        let writer = Task {
            var written = 0
            while !Task.isCancelled {
                _ = try await store.create("/race/\(written)", value: [1])
                written += 1
            }
            return written
        }
        var delivered = 0
        for _ in 0..<300 {
            let stream = try store.watch(prefix: "/race/", afterRevision: try store.currentRevision())
            let consumer = Task {
                var seen = 0
                for await _ in stream { seen += 1 }
                return seen
            }
            try await Task.sleep(for: .microseconds(Int.random(in: 50...800)))
            consumer.cancel()
            delivered += await consumer.value
            watchdog.progress()
        }
        writer.cancel()
        let written = try await writer.value
        // The store still serves reads and writes, and the writes reached the watchers.
        let after = try await store.create("/race/after", value: [2])
        #expect(try store.get("/race/after")?.modRevision == after)
        #expect(written > 0 && delivered > 0, "written \(written), delivered \(delivered)")
    }
}

/// Aborts the test process if neither disarmed nor told of progress for `seconds`.
final class Watchdog: Sendable {
    private let armed = Atomic<Bool>(true)
    private let ticks = Atomic<Int>(0)

    init(seconds: Int, what: String) {
        let thread = Thread { [self] in
            var idle = 0
            var seen = 0
            while idle < seconds * 10 {
                if !self.armed.load(ordering: .acquiring) { return }
                usleep(100_000)
                let now = self.ticks.load(ordering: .acquiring)
                idle = now == seen ? idle + 1 : 0
                seen = now
            }
            if self.armed.load(ordering: .acquiring) {
                FileHandle.standardError.write(Data("watchdog: \(what) (no progress in \(seconds) s)\n".utf8))
                abort()
            }
        }
        thread.start()
    }

    func progress() { ticks.add(1, ordering: .releasing) }

    func disarm() { armed.store(false, ordering: .releasing) }
}
