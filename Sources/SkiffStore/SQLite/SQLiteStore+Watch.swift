import Synchronization

extension SQLiteStore {
    public func watch(prefix: String, afterRevision: Int64) throws(StoreError) -> AsyncStream<StoreEvent> {
        let (stream, continuation) = AsyncStream<StoreEvent>.makeStream()
        let id = try state.withLock { state throws(StoreError) -> Int in
            if afterRevision < state.compactRevision { throw .compacted(compactRevision: state.compactRevision) }
            // Replay history and register under one lock: writers wait, so nothing is missed or doubled.
            let rows = try state.reader.query(
                "SELECT id, name, created, deleted, value, old_value FROM kine WHERE id > ? AND id <= ? AND name >= ? AND name < ? ORDER BY id",
                [.integer(afterRevision), .integer(state.revision), .text(prefix), .text(Self.rangeEnd(ofPrefix: prefix))])
            for row in rows {
                let kind: StoreEvent.Kind = row[3].integer != 0 ? .deleted : (row[2].integer != 0 ? .created : .updated)
                let oldValue: [UInt8]? = row[5] == .null ? nil : row[5].blob
                continuation.yield(StoreEvent(kind: kind, key: row[1].text, value: row[4].blob, previousValue: oldValue, revision: row[0].integer))
            }
            let id = state.nextWatcherID
            state.nextWatcherID += 1
            state.watchers[id] = Watcher(prefix: prefix, continuation: continuation)
            return id
        }
        // onTermination runs inside the Swift runtime's cancellation of the consuming task, with
        // that task's status lock held, while a writer holding `state` may be resuming the same
        // task through `yield` (which needs that status lock): taking `state` here would deadlock
        // the whole store. Unregister from a fresh task, outside both locks.
        continuation.onTermination = { [weak self] _ in
            Task.detached { self?.removeWatcher(id) }
        }
        return stream
    }

    func removeWatcher(_ id: Int) {
        state.withLock { _ = $0.watchers.removeValue(forKey: id) }
    }

    /// Deletes rows superseded at or before the compaction revision, and tombstones, keeping
    /// what a read at any revision ≥ that point needs. Holds the write connection, so no batch
    /// is in flight and every committed revision has been delivered.
    public func compact(keepingRecent keep: Int64) throws(StoreError) {
        try writer.withLock { writer throws(StoreError) in
            let target = writer.revision - keep
            // Reads at revisions about to lose rows are refused from now on; a read already running
            // keeps its WAL snapshot.
            let previous = state.withLock { state in
                let previous = state.compactRevision
                state.compactRevision = max(previous, target)
                return previous
            }
            guard target > previous else { return }
            let database = writer.database
            try database.execute("BEGIN IMMEDIATE")
            do throws(StoreError) {
                try database.query(
                    "DELETE FROM kine WHERE id <= ? AND id NOT IN (SELECT MAX(id) FROM kine WHERE id <= ? GROUP BY name)",
                    [.integer(target), .integer(target)])
                try database.query("DELETE FROM kine WHERE id <= ? AND deleted = 1", [.integer(target)])
                try database.query(
                    "INSERT INTO skiff_meta (key, value) VALUES ('compact_revision', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    [.integer(target)])
                try database.execute("COMMIT")
            } catch {
                try? database.execute("ROLLBACK")
                state.withLock { $0.compactRevision = previous }
                throw error
            }
        }
    }

    /// Ends every watch stream (server shutdown).
    public func closeWatches() {
        let watchers = state.withLock { state in
            let watchers = Array(state.watchers.values)
            state.watchers.removeAll()
            return watchers
        }
        for watcher in watchers { watcher.continuation.finish() }
    }
}
