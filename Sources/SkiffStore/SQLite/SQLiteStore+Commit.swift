import CSQLite

/// One write waiting for the next commit batch.
struct PendingWrite: Sendable {
    enum Operation: Sendable {
        case create
        case update(expectedRevision: Int64)
        case delete(expectedRevision: Int64?)
    }

    let operation: Operation
    let key: String
    let value: [UInt8]
    let completion: CheckedContinuation<Result<Int64, StoreError>, Never>
}

/// Writes waiting to be committed, and whether a batch loop is running on the committer queue.
struct WriteQueue {
    var pending: [PendingWrite] = []
    var draining = false
}

extension SQLiteStore {
    /// The most writes one transaction takes, so a burst does not make one batch's latency unbounded.
    static let maximumBatch = 256

    /// Queues a write and suspends (without holding a thread) until its batch is durable.
    func write(_ operation: PendingWrite.Operation, key: String, value: [UInt8]) async throws(StoreError) -> Int64 {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Int64, StoreError>, Never>) in
            let start = queue.withLock { queue in
                queue.pending.append(PendingWrite(operation: operation, key: key, value: value, completion: continuation))
                if queue.draining { return false }
                queue.draining = true
                return true
            }
            if start { committer.async { self.drain() } }
        }
        return try result.get()
    }

    /// Commits batches until the queue is empty. Whatever arrived while the previous COMMIT was
    /// in fsync forms the next batch: under load one fsync covers many writes, and a lone write
    /// is committed at once.
    private func drain() {
        while true {
            let batch = queue.withLock { queue -> [PendingWrite] in
                if queue.pending.isEmpty {
                    queue.draining = false
                    return []
                }
                let count = min(queue.pending.count, Self.maximumBatch)
                let batch = Array(queue.pending.prefix(count))
                queue.pending.removeFirst(count)
                return batch
            }
            if batch.isEmpty { return }
            let (results, events) = commit(batch)
            if !events.isEmpty {
                deliver(events)
                checkpointIfDue(afterWrites: events.count)
            }
            for (write, result) in zip(batch, results) { write.completion.resume(returning: result) }
            restartWALIfDue()
        }
    }

    /// Applies the batch in one transaction. A write that fails its own checks (exists, not
    /// found, conflict) fails alone; a database failure rolls back and fails the whole batch.
    private func commit(_ batch: [PendingWrite]) -> (results: [Result<Int64, StoreError>], events: [StoreEvent]) {
        writer.withLock { writer in
            let start = writer.revision
            var results: [Result<Int64, StoreError>] = []
            var events: [StoreEvent] = []
            results.reserveCapacity(batch.count)
            do throws(StoreError) {
                try writer.database.execute("BEGIN IMMEDIATE")
                for write in batch {
                    do throws(StoreError) {
                        let event = try Self.apply(write, to: &writer)
                        events.append(event)
                        results.append(.success(event.revision))
                    } catch .backend(let message) {
                        throw StoreError.backend(message)
                    } catch {
                        results.append(.failure(error))
                    }
                }
                try writer.database.execute("COMMIT")
                return (results, events)
            } catch {
                try? writer.database.execute("ROLLBACK")
                writer.revision = start
                return (Array(repeating: .failure(error), count: batch.count), [])
            }
        }
    }

    /// Checks one write against the batch so far (the open transaction sees its own rows) and appends its row.
    private static func apply(_ write: PendingWrite, to writer: inout Writer) throws(StoreError) -> StoreEvent {
        let previous = try latest(writer.database, write.key)
        let live = previous.flatMap { $0.deleted ? nil : $0 }
        let revision = writer.revision + 1
        let event: StoreEvent
        let createRevision: Int64
        switch write.operation {
        case .create:
            if live != nil { throw .keyExists }
            createRevision = revision
            event = StoreEvent(kind: .created, key: write.key, value: write.value, previousValue: nil, revision: revision)
        case .update(let expected):
            guard let live else { throw .notFound }
            guard live.id == expected else { throw .conflict(current: live.id) }
            createRevision = live.createRevision
            event = StoreEvent(kind: .updated, key: write.key, value: write.value, previousValue: live.value, revision: revision)
        case .delete(let expected):
            guard let live else { throw .notFound }
            if let expected, live.id != expected { throw .conflict(current: live.id) }
            createRevision = live.createRevision
            event = StoreEvent(kind: .deleted, key: write.key, value: live.value, previousValue: live.value, revision: revision)
        }
        do throws(StoreError) {
            try writer.database.query(
                "INSERT INTO kine (id, name, created, deleted, create_revision, prev_revision, value, old_value) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    .integer(revision), .text(write.key), .integer(event.kind == .created ? 1 : 0), .integer(event.kind == .deleted ? 1 : 0),
                    .integer(createRevision), .integer(previous?.id ?? 0), .blob(event.value), event.previousValue.map { .blob($0) } ?? .null,
                ])
        } catch .conflict {
            // UNIQUE(name, prev_revision): another writer already replaced this revision.
            throw .conflict(current: -1)
        }
        writer.revision = revision
        return event
    }

    /// Writes between checkpoints: about SQLite's default of 1,000 WAL pages for small objects.
    static let checkpointInterval = 1000

    /// Starts a background checkpoint every `checkpointInterval` writes (one at a time). A
    /// failed checkpoint loses nothing: the frames stay in the WAL for the next one.
    private func checkpointIfDue(afterWrites count: Int) {
        let due = checkpointSchedule.withLock { schedule in
            schedule.writesSinceCheckpoint += count
            guard schedule.writesSinceCheckpoint >= Self.checkpointInterval, !schedule.running else { return false }
            schedule.writesSinceCheckpoint = 0
            schedule.running = true
            return true
        }
        guard due else { return }
        checkpointQueue.async {
            let frames = self.checkpointer.withLock { database in try? database.checkpoint() }
            self.checkpointSchedule.withLock { schedule in
                schedule.running = false
                if let frames, frames > Self.walRestartFrames { schedule.restartDue = true }
            }
        }
    }

    /// WAL frames (4 KiB pages) past which the writer restarts the WAL: 64 MiB.
    static let walRestartFrames = 16_384

    /// SQLite reuses the WAL from its start only when a write begins with every frame already
    /// copied back; under a steady stream of writes the background checkpoints never catch up
    /// with that, and the WAL would grow as long as the stream lasts. Past `walRestartFrames`,
    /// the writer checkpoints the rest itself, between batches, holding writes for that long.
    private func restartWALIfDue() {
        let due = checkpointSchedule.withLock { schedule in
            defer { schedule.restartDue = false }
            return schedule.restartDue
        }
        guard due else { return }
        writer.withLock { writer in try? writer.database.checkpointAndRestart() }
    }

    /// Makes a committed batch visible to reads and feeds matching watchers, in revision order,
    /// under the lock that watch registration replays history under.
    private func deliver(_ events: [StoreEvent]) {
        state.withLock { state in
            for event in events {
                for watcher in state.watchers.values where event.key.hasPrefix(watcher.prefix) {
                    watcher.continuation.yield(event)
                }
            }
            if let last = events.last { state.revision = last.revision }
        }
    }
}
