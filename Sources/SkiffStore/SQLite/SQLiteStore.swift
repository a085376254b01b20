import Dispatch
import Synchronization

/// The embedded backend: a kine-style append-only table in one SQLite file.
///
/// Every write appends a row whose `id` is the new global revision; a key's current value is its
/// row with the highest id. WAL with `synchronous=FULL` makes each acknowledged write durable.
///
/// Writes are group-committed (see `SQLiteStore+Commit.swift`): they queue for one writer
/// connection, which applies everything waiting in one transaction and acknowledges each write
/// only after that transaction's COMMIT (and its fsync) returned, so concurrent writers share an
/// fsync instead of each paying for one. Reads use a second connection and see exactly the
/// revisions delivered to watchers (`State.revision`), which are all durable.
public final class SQLiteStore: Store {
    /// What readers and watchers share: the read connection and the delivered revision.
    struct State {
        let reader: SQLiteDatabase
        /// The newest committed revision whose events watchers have been given; reads see up to it.
        var revision: Int64
        var compactRevision: Int64
        var watchers: [Int: Watcher] = [:]
        var nextWatcherID = 0
    }

    struct Watcher {
        let prefix: String
        let continuation: AsyncStream<StoreEvent>.Continuation
    }

    /// The write connection and the last revision it assigned; held for a whole commit batch.
    struct Writer {
        let database: SQLiteDatabase
        var revision: Int64
    }

    /// How many writes were committed since the last checkpoint started, whether one runs, and
    /// whether the WAL has grown enough that the writer should restart it.
    struct CheckpointSchedule {
        var writesSinceCheckpoint = 0
        var running = false
        var restartDue = false
    }

    let state: Mutex<State>
    let writer: Mutex<Writer>
    let queue = Mutex(WriteQueue())
    /// Runs commit batches off the Swift concurrency pool: a COMMIT blocks in fsync.
    let committer = DispatchQueue(label: "skiff.sqlite.commit")
    /// A third connection that checkpoints the WAL beside the writer. SQLite's automatic
    /// checkpoint would run inside a COMMIT, stalling every write of that batch while the
    /// database file is written and fsynced.
    /// Only the checkpoint queue locks it.
    let checkpointer: Mutex<SQLiteDatabase>
    let checkpointSchedule = Mutex(CheckpointSchedule())
    let checkpointQueue = DispatchQueue(label: "skiff.sqlite.checkpoint")
    public let path: String

    public init(path: String) throws(StoreError) {
        self.path = path
        let database = try SQLiteDatabase(path: path)
        try database.execute("PRAGMA journal_mode=WAL")
        try database.execute("PRAGMA synchronous=FULL")
        try database.execute("PRAGMA busy_timeout=5000")
        try database.execute("PRAGMA wal_autocheckpoint=0")
        try database.execute(Self.schema)
        let revision = try database.query("SELECT seq FROM sqlite_sequence WHERE name = 'kine'").first?.first?.integer ?? 0
        let compacted = try database.query("SELECT value FROM skiff_meta WHERE key = 'compact_revision'").first?.first?.integer ?? 0
        let reader = try SQLiteDatabase(path: path)
        try reader.execute("PRAGMA busy_timeout=5000")
        let checkpointing = try SQLiteDatabase(path: path)
        try checkpointing.execute("PRAGMA busy_timeout=5000")
        // A connection opens the WAL on its first read; until then sqlite3_wal_checkpoint_v2
        // returns OK having copied nothing, and the WAL grew without bound.
        try checkpointing.execute("SELECT 1 FROM sqlite_master LIMIT 1")
        checkpointer = Mutex(checkpointing)
        writer = Mutex(Writer(database: database, revision: revision))
        state = Mutex(State(reader: reader, revision: revision, compactRevision: compacted))
    }

    static let schema = """
        CREATE TABLE IF NOT EXISTS kine (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL,
            created INTEGER NOT NULL,
            deleted INTEGER NOT NULL,
            create_revision INTEGER NOT NULL,
            prev_revision INTEGER NOT NULL,
            value BLOB,
            old_value BLOB
        );
        CREATE INDEX IF NOT EXISTS kine_name_id ON kine (name, id);
        CREATE UNIQUE INDEX IF NOT EXISTS kine_name_prev_revision ON kine (name, prev_revision);
        CREATE TABLE IF NOT EXISTS skiff_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
        """

    /// The latest row of a key at or before `revision`: (id, createRevision, deleted, value).
    static func latest(
        _ database: SQLiteDatabase, _ key: String, atOrBefore revision: Int64 = .max
    ) throws(StoreError) -> (id: Int64, createRevision: Int64, deleted: Bool, value: [UInt8])? {
        let rows = try database.query(
            "SELECT id, create_revision, deleted, value FROM kine WHERE name = ? AND id <= ? ORDER BY id DESC LIMIT 1",
            [.text(key), .integer(revision)])
        guard let row = rows.first else { return nil }
        return (row[0].integer, row[1].integer, row[2].integer != 0, row[3].blob)
    }

    public func get(_ key: String) throws(StoreError) -> KeyValue? {
        try state.withLock { state throws(StoreError) -> KeyValue? in
            guard let row = try Self.latest(state.reader, key, atOrBefore: state.revision), !row.deleted else { return nil }
            return KeyValue(key: key, value: row.value, createRevision: row.createRevision, modRevision: row.id)
        }
    }

    public func list(prefix: String, startAfter: String?, limit: Int?, revision: Int64?) throws(StoreError) -> ListResult {
        try state.withLock { state throws(StoreError) -> ListResult in
            let readRevision = min(revision ?? state.revision, state.revision)
            if readRevision < state.compactRevision { throw .compacted(compactRevision: state.compactRevision) }
            let fetch = limit.map { Int64($0) + 1 } ?? -1
            let rows = try state.reader.query(
                """
                SELECT k.name, k.id, k.create_revision, k.value FROM kine AS k
                JOIN (SELECT MAX(id) AS id FROM kine WHERE name >= ? AND name > ? AND name < ? AND id <= ? GROUP BY name) AS m
                ON k.id = m.id WHERE k.deleted = 0 ORDER BY k.name LIMIT ?
                """,
                [.text(prefix), .text(startAfter ?? ""), .text(Self.rangeEnd(ofPrefix: prefix)), .integer(readRevision), .integer(fetch)])
            var items = rows.map { KeyValue(key: $0[0].text, value: $0[3].blob, createRevision: $0[2].integer, modRevision: $0[1].integer) }
            var hasMore = false
            if let limit, items.count > limit {
                items.removeLast(items.count - limit)
                hasMore = true
            }
            return ListResult(items: items, revision: revision ?? readRevision, hasMore: hasMore)
        }
    }

    public func create(_ key: String, value: [UInt8]) async throws(StoreError) -> Int64 {
        try await write(PendingWrite.Operation.create, key: key, value: value)
    }

    public func update(_ key: String, value: [UInt8], expectedRevision: Int64) async throws(StoreError) -> Int64 {
        try await write(.update(expectedRevision: expectedRevision), key: key, value: value)
    }

    public func delete(_ key: String, expectedRevision: Int64?) async throws(StoreError) -> Int64 {
        try await write(.delete(expectedRevision: expectedRevision), key: key, value: [])
    }

    public func currentRevision() throws(StoreError) -> Int64 {
        state.withLock { $0.revision }
    }
}
