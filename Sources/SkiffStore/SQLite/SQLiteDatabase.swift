import CSQLite

/// A value bound to or read from a SQLite statement.
enum SQLiteValue: Equatable {
    case integer(Int64)
    case text(String)
    case blob([UInt8])
    case null

    var integer: Int64 {
        if case .integer(let value) = self { return value }
        return 0
    }

    var blob: [UInt8] {
        switch self {
        case .blob(let bytes): bytes
        case .text(let text): Array(text.utf8)
        default: []
        }
    }

    var text: String {
        switch self {
        case .text(let text): text
        case .blob(let bytes): String(decoding: bytes, as: UTF8.self)
        default: ""
        }
    }
}

/// A thin owner of one `sqlite3*` connection with a prepared-statement cache.
///
/// Not thread-safe: `SQLiteStore` only touches it while holding its mutex.
final class SQLiteDatabase {
    private var handle: OpaquePointer?
    private var statements: [String: OpaquePointer] = [:]

    init(path: String) throws(StoreError) {
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let code = sqlite3_open_v2(path, &handle, flags, nil)
        guard code == SQLITE_OK else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(handle)
            throw .backend("sqlite3_open_v2(\(path)): \(message)")
        }
    }

    deinit {
        for statement in statements.values { sqlite3_finalize(statement) }
        sqlite3_close(handle)
    }

    private func failure(_ call: String) -> StoreError {
        .backend("\(call): \(handle.map { String(cString: sqlite3_errmsg($0)) } ?? "closed")")
    }

    func execute(_ sql: String) throws(StoreError) {
        guard sqlite3_exec(handle, sql, nil, nil, nil) == SQLITE_OK else { throw failure(sql) }
    }

    /// Runs a statement and returns every row. Constraint violations surface as `.conflict(current: -1)`
    /// so callers can map the compare-and-swap guard.
    @discardableResult
    func query(_ sql: String, _ bindings: [SQLiteValue] = []) throws(StoreError) -> [[SQLiteValue]] {
        let statement = try prepared(sql)
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        for (offset, binding) in bindings.enumerated() {
            let index = Int32(offset + 1)
            switch binding {
            case .integer(let value): sqlite3_bind_int64(statement, index, value)
            case .text(let value): sqlite3_bind_text(statement, index, value, -1, csqlite_transient())
            case .blob(let bytes):
                _ = bytes.withUnsafeBytes { buffer in
                    sqlite3_bind_blob(statement, index, buffer.baseAddress, Int32(buffer.count), csqlite_transient())
                }
            case .null: sqlite3_bind_null(statement, index)
            }
        }
        var rows: [[SQLiteValue]] = []
        while true {
            let code = sqlite3_step(statement)
            if code == SQLITE_DONE { return rows }
            if code == SQLITE_CONSTRAINT { throw .conflict(current: -1) }
            guard code == SQLITE_ROW else { throw failure(sql) }
            let columns = sqlite3_column_count(statement)
            var row: [SQLiteValue] = []
            row.reserveCapacity(Int(columns))
            for column in 0..<columns {
                switch sqlite3_column_type(statement, column) {
                case SQLITE_INTEGER: row.append(.integer(sqlite3_column_int64(statement, column)))
                case SQLITE_TEXT:
                    row.append(.text(sqlite3_column_text(statement, column).map { String(cString: $0) } ?? ""))
                case SQLITE_BLOB:
                    let count = Int(sqlite3_column_bytes(statement, column))
                    if let pointer = sqlite3_column_blob(statement, column), count > 0 {
                        row.append(.blob(Array(UnsafeRawBufferPointer(start: pointer, count: count))))
                    } else {
                        row.append(.blob([]))
                    }
                default: row.append(.null)
                }
            }
            rows.append(row)
        }
    }

    /// Copies committed WAL frames into the database file without blocking writers or readers
    /// (a PASSIVE checkpoint); frames still needed by a reader stay for the next one. Returns
    /// the frames in the WAL.
    @discardableResult
    func checkpoint() throws(StoreError) -> Int {
        var frames: Int32 = 0
        guard sqlite3_wal_checkpoint_v2(handle, nil, SQLITE_CHECKPOINT_PASSIVE, &frames, nil) == SQLITE_OK else {
            throw failure("sqlite3_wal_checkpoint_v2(PASSIVE)")
        }
        return Int(frames)
    }

    /// Checkpoints everything and waits (busy timeout) until no reader uses the WAL, so the
    /// next write starts it over from the beginning (a RESTART checkpoint). Blocks writers.
    func checkpointAndRestart() throws(StoreError) {
        guard sqlite3_wal_checkpoint_v2(handle, nil, SQLITE_CHECKPOINT_RESTART, nil, nil) == SQLITE_OK else {
            throw failure("sqlite3_wal_checkpoint_v2(RESTART)")
        }
    }

    private func prepared(_ sql: String) throws(StoreError) -> OpaquePointer {
        if let statement = statements[sql] { return statement }
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK, let statement else { throw failure(sql) }
        statements[sql] = statement
        return statement
    }
}
