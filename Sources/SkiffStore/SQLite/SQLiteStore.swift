import Synchronization

/// The embedded backend: a kine-style append-only table in one SQLite file.
///
/// Every write appends a row whose `id` is the new global revision; a key's current value is its
/// row with the highest id. WAL with `synchronous=FULL` makes each acknowledged write durable.
/// All access is serialized by one mutex: writes are single-row inserts, and watchers are fed
/// under the same lock so history replay and live delivery can neither overlap nor leave a gap.
public final class SQLiteStore: Store {
    struct State {
        let database: SQLiteDatabase
        var revision: Int64
        var compactRevision: Int64
        var watchers: [Int: Watcher] = [:]
        var nextWatcherID = 0
    }

    struct Watcher {
        let prefix: String
        let continuation: AsyncStream<StoreEvent>.Continuation
    }

    let state: Mutex<State>
    public let path: String

    public init(path: String) throws(StoreError) {
        self.path = path
        let database = try SQLiteDatabase(path: path)
        try database.execute("PRAGMA journal_mode=WAL")
        try database.execute("PRAGMA synchronous=FULL")
        try database.execute("PRAGMA busy_timeout=5000")
        try database.execute(Self.schema)
        let revision = try database.query("SELECT seq FROM sqlite_sequence WHERE name = 'kine'").first?.first?.integer ?? 0
        let compacted = try database.query("SELECT value FROM skiff_meta WHERE key = 'compact_revision'").first?.first?.integer ?? 0
        state = Mutex(State(database: database, revision: revision, compactRevision: compacted))
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

    /// The latest row of a key: (id, createRevision, deleted, value).
    static func latest(_ database: SQLiteDatabase, _ key: String) throws(StoreError) -> (id: Int64, createRevision: Int64, deleted: Bool, value: [UInt8])? {
        let rows = try database.query(
            "SELECT id, create_revision, deleted, value FROM kine WHERE name = ? ORDER BY id DESC LIMIT 1", [.text(key)])
        guard let row = rows.first else { return nil }
        return (row[0].integer, row[1].integer, row[2].integer != 0, row[3].blob)
    }

    public func get(_ key: String) throws(StoreError) -> KeyValue? {
        try state.withLock { state throws(StoreError) -> KeyValue? in
            guard let row = try Self.latest(state.database, key), !row.deleted else { return nil }
            return KeyValue(key: key, value: row.value, createRevision: row.createRevision, modRevision: row.id)
        }
    }

    public func list(prefix: String, startAfter: String?, limit: Int?, revision: Int64?) throws(StoreError) -> ListResult {
        try state.withLock { state throws(StoreError) -> ListResult in
            let readRevision = revision ?? state.revision
            if readRevision < state.compactRevision { throw .compacted(compactRevision: state.compactRevision) }
            let fetch = limit.map { Int64($0) + 1 } ?? -1
            let rows = try state.database.query(
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
            return ListResult(items: items, revision: readRevision, hasMore: hasMore)
        }
    }

    public func create(_ key: String, value: [UInt8]) throws(StoreError) -> Int64 {
        try state.withLock { state throws(StoreError) -> Int64 in
            let previous = try Self.latest(state.database, key)
            if let previous, !previous.deleted { throw .keyExists }
            let revision = state.revision + 1
            try Self.insert(&state, id: revision, key: key, created: true, deleted: false, createRevision: revision,
                            previousRevision: previous?.id ?? 0, value: value, oldValue: nil)
            return revision
        }
    }

    public func update(_ key: String, value: [UInt8], expectedRevision: Int64) throws(StoreError) -> Int64 {
        try state.withLock { state throws(StoreError) -> Int64 in
            guard let previous = try Self.latest(state.database, key), !previous.deleted else { throw .notFound }
            guard previous.id == expectedRevision else { throw .conflict(current: previous.id) }
            let revision = state.revision + 1
            try Self.insert(&state, id: revision, key: key, created: false, deleted: false, createRevision: previous.createRevision,
                            previousRevision: previous.id, value: value, oldValue: previous.value)
            return revision
        }
    }

    public func delete(_ key: String, expectedRevision: Int64?) throws(StoreError) -> Int64 {
        try state.withLock { state throws(StoreError) -> Int64 in
            guard let previous = try Self.latest(state.database, key), !previous.deleted else { throw .notFound }
            if let expectedRevision, previous.id != expectedRevision { throw .conflict(current: previous.id) }
            let revision = state.revision + 1
            try Self.insert(&state, id: revision, key: key, created: false, deleted: true, createRevision: previous.createRevision,
                            previousRevision: previous.id, value: previous.value, oldValue: previous.value)
            return revision
        }
    }

    /// Appends one row (its own durable transaction), then feeds matching watchers while still
    /// holding the lock so they observe revisions in order.
    private static func insert(
        _ state: inout State, id: Int64, key: String, created: Bool, deleted: Bool, createRevision: Int64,
        previousRevision: Int64, value: [UInt8], oldValue: [UInt8]?
    ) throws(StoreError) {
        do throws(StoreError) {
            try state.database.query(
                "INSERT INTO kine (id, name, created, deleted, create_revision, prev_revision, value, old_value) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [.integer(id), .text(key), .integer(created ? 1 : 0), .integer(deleted ? 1 : 0), .integer(createRevision),
                 .integer(previousRevision), .blob(value), oldValue.map { .blob($0) } ?? .null])
        } catch .conflict {
            // UNIQUE(name, prev_revision): another writer already replaced this revision.
            throw .conflict(current: -1)
        }
        state.revision = id
        let event = StoreEvent(
            kind: deleted ? .deleted : (created ? .created : .updated), key: key, value: value,
            previousValue: oldValue, revision: id)
        for watcher in state.watchers.values where key.hasPrefix(watcher.prefix) {
            watcher.continuation.yield(event)
        }
    }

    public func currentRevision() throws(StoreError) -> Int64 {
        state.withLock { $0.revision }
    }
}
