import CSQLite

/// Snapshots of the SQLite store (`skiff server snapshot`): a consistent copy made with SQLite's
/// online backup API while the server keeps writing, and the checks a snapshot must pass before
/// it replaces a store. The store's revision is its log's sequence, copied with it, so a
/// restored store answers every object at the resourceVersion it had.
public enum SQLiteSnapshot {
    /// What a snapshot holds, read from the file.
    public struct Summary: Sendable, Equatable {
        /// The store's revision when the snapshot was taken.
        public let revision: Int64
        /// Keys that exist (not deleted) at that revision.
        public let objects: Int64
    }

    /// Copies the store at `database` into a new file at `path` (which must not exist).
    public static func save(database: String, to path: String) throws(StoreError) -> Summary {
        let source = try open(database, flags: SQLITE_OPEN_READONLY)
        defer { sqlite3_close(source) }
        let destination = try open(path, flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_EXCLUSIVE)
        var closed = false
        defer { if !closed { sqlite3_close(destination) } }
        guard let backup = sqlite3_backup_init(destination, "main", source, "main") else {
            throw .backend("sqlite3_backup_init(\(path)): \(String(cString: sqlite3_errmsg(destination)))")
        }
        // All pages in one step: the copy is of one moment (a write meanwhile restarts it).
        var code = SQLITE_OK
        repeat {
            code = sqlite3_backup_step(backup, -1)
        } while code == SQLITE_BUSY || code == SQLITE_LOCKED
        let finished = sqlite3_backup_finish(backup)
        guard code == SQLITE_DONE, finished == SQLITE_OK else {
            throw .backend("sqlite3_backup_step(\(database) → \(path)): \(String(cString: sqlite3_errstr(code == SQLITE_DONE ? finished : code)))")
        }
        // A single file: no -wal beside it to lose when the snapshot is copied elsewhere.
        try execute(destination, "PRAGMA journal_mode=DELETE", path: path)
        sqlite3_close(destination)
        closed = true
        return try summary(of: path)
    }

    /// Checks the file is an intact Skiff store and says what it holds.
    public static func summary(of path: String) throws(StoreError) -> Summary {
        let database = try open(path, flags: SQLITE_OPEN_READONLY)
        defer { sqlite3_close(database) }
        let integrity = try text(database, "PRAGMA integrity_check", path: path)
        guard integrity == "ok" else { throw .backend("\(path) is damaged: \(integrity ?? "no answer")") }
        guard try integer(database, "SELECT COUNT(*) FROM kine", path: path) != nil else {
            throw .backend("\(path) is not a Skiff store (no kine table)")
        }
        // As the store reads it when it opens: the log's sequence, which compaction keeps.
        let revision = try integer(database, "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'kine'), 0)", path: path) ?? 0
        let objects =
            try integer(
                database,
                "SELECT COUNT(*) FROM kine AS k WHERE k.deleted = 0 AND k.id = (SELECT MAX(id) FROM kine WHERE name = k.name)", path: path) ?? 0
        return Summary(revision: revision, objects: objects)
    }

    private static func open(_ path: String, flags: Int32) throws(StoreError) -> OpaquePointer? {
        var handle: OpaquePointer?
        let code = sqlite3_open_v2(path, &handle, flags | SQLITE_OPEN_NOMUTEX, nil)
        guard code == SQLITE_OK else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(handle)
            throw .backend("sqlite3_open_v2(\(path)): \(message)")
        }
        sqlite3_busy_timeout(handle, 5000)
        return handle
    }

    private static func execute(_ database: OpaquePointer?, _ sql: String, path: String) throws(StoreError) {
        guard sqlite3_exec(database, sql, nil, nil, nil) == SQLITE_OK else {
            throw .backend("\(sql) on \(path): \(String(cString: sqlite3_errmsg(database)))")
        }
    }

    /// The first column of the first row; nil when the statement cannot be prepared (no table).
    private static func integer(_ database: OpaquePointer?, _ sql: String, path: String) throws(StoreError) -> Int64? {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(database, sql, -1, &statement, nil) == SQLITE_OK else { return nil }
        defer { sqlite3_finalize(statement) }
        guard sqlite3_step(statement) == SQLITE_ROW else { throw .backend("\(sql) on \(path): \(String(cString: sqlite3_errmsg(database)))") }
        return sqlite3_column_int64(statement, 0)
    }

    private static func text(_ database: OpaquePointer?, _ sql: String, path: String) throws(StoreError) -> String? {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(database, sql, -1, &statement, nil) == SQLITE_OK else {
            throw .backend("\(sql) on \(path): \(String(cString: sqlite3_errmsg(database)))")
        }
        defer { sqlite3_finalize(statement) }
        guard sqlite3_step(statement) == SQLITE_ROW, let text = sqlite3_column_text(statement, 0) else { return nil }
        return String(cString: text)
    }
}
