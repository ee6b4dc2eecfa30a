// SQLite's C API, from the copy that sqlite-nio builds (3.54, every symbol prefixed with
// `sqlite_nio_`). Using that copy rather than Debian's libsqlite3 keeps the store apart from the
// process-wide heap limit that the SQL node sets on Debian's library (see SQLBatchRunner), so
// a tenant's runaway query can never starve the store of memory.
internal import VaporCSQLite

/// One SQLite connection, called directly on the calling task, with its prepared statements
/// cached by SQL text.
///
/// Written here instead of using sqlite-nio's `SQLiteConnection` because that one runs every
/// statement on a thread pool and prepares it anew each time: measured on this project's
/// 2-core machine, the two thread hops and the preparation cost more than the statements
/// themselves (a durable engine step is three statements; a governed API request four to six).
/// SQLite's work here is CPU work on pages in memory (WAL mode, `synchronous=NORMAL`: no fsync
/// on commit, only at a checkpoint, which ``SQLiteCheckpointer`` mostly runs elsewhere), so it
/// runs where the caller already is.
///
/// Not thread-safe by itself: ``ConnectionPool`` lends a connection to one task at a time,
/// which is SQLite's "multi-thread" mode (the connection may move between threads, never be
/// used by two at once).
final class SQLiteConnection: @unchecked Sendable {
    /// A prepared statement and its result column names.
    private final class Prepared {
        let statement: OpaquePointer
        let columns: [String]

        init(statement: OpaquePointer, columns: [String]) {
            self.statement = statement
            self.columns = columns
        }
    }

    private var handle: OpaquePointer?
    /// What this connection's WAL hook calls; kept for as long as the connection is open.
    private var walObserver: SQLiteCheckpointer?
    private var cache: [String: Prepared] = [:]
    /// Statements kept at most; past it the cache is emptied (SQL built from input, such as a
    /// SCIM filter, must not grow it without bound).
    private let cacheLimit = 256

    /// Opens (creating if needed) the database file at `path`.
    init(path: String) throws(StoreError) {
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let rc = sqlite_nio_sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.flatMap { sqlite_nio_sqlite3_errmsg($0) }.map { String(cString: $0) } ?? "cannot open"
            sqlite_nio_sqlite3_close_v2(db)
            throw StoreError.backend("sqlite: \(message)")
        }
        // Extended codes tell a unique violation from other constraint failures.
        sqlite_nio_sqlite3_extended_result_codes(db, 1)
        handle = db
    }

    deinit { close() }

    /// Runs statements that bind nothing and return nothing (pragmas, BEGIN, COMMIT).
    func execute(_ sql: String) throws(StoreError) {
        guard let handle else { throw StoreError.backend("sqlite: the connection is closed") }
        let rc = sqlite_nio_sqlite3_exec(handle, sql, nil, nil, nil)
        if rc != SQLITE_OK { throw error(rc) }
    }

    /// Runs one statement with `binds` and returns its rows.
    func query(_ sql: String, _ binds: [SQLValue]) throws(StoreError) -> [Row] {
        let prepared = try prepare(sql)
        let statement = prepared.statement
        defer {
            sqlite_nio_sqlite3_reset(statement)
            sqlite_nio_sqlite3_clear_bindings(statement)
        }
        for (offset, value) in binds.enumerated() {
            let rc = bind(value, at: Int32(offset + 1), in: statement)
            if rc != SQLITE_OK { throw error(rc) }
        }
        var rows: [Row] = []
        let count = Int32(prepared.columns.count)
        while true {
            let rc = sqlite_nio_sqlite3_step(statement)
            if rc == SQLITE_DONE { return rows }
            guard rc == SQLITE_ROW else { throw error(rc) }
            var values: [SQLValue] = []
            values.reserveCapacity(Int(count))
            for column in 0..<count { values.append(value(at: column, of: statement)) }
            rows.append(Row(columns: prepared.columns, values: values))
        }
    }

    /// Finalizes every statement and closes the connection; idempotent.
    func close() {
        for prepared in cache.values { sqlite_nio_sqlite3_finalize(prepared.statement) }
        cache.removeAll()
        if let handle { sqlite_nio_sqlite3_close_v2(handle) }
        handle = nil
        walObserver = nil
    }

    /// Runs a passive checkpoint: copies what it can without waiting for readers or the
    /// writer. Returns the frames in the log and how many of them are now copied, or `nil` on
    /// an error.
    func checkpoint() -> (log: Int32, copied: Int32)? {
        handle.flatMap(Self.passiveCheckpoint)
    }

    /// Replaces SQLite's automatic checkpoint on this connection by `checkpointer`, which this
    /// connection keeps for as long as it is open.
    func checkpoint(with checkpointer: SQLiteCheckpointer) {
        guard let handle else { return }
        walObserver = checkpointer
        let context = Unmanaged.passUnretained(checkpointer).toOpaque()
        _ = sqlite_nio_sqlite3_wal_hook(handle, { context, db, _, pages in
            guard let context else { return SQLITE_OK }
            let checkpointer = Unmanaged<SQLiteCheckpointer>.fromOpaque(context).takeUnretainedValue()
            if checkpointer.walGrew(to: pages), let db {
                // What SQLite's own hook does; an error here does not undo the commit.
                _ = SQLiteConnection.passiveCheckpoint(db)
            }
            return SQLITE_OK
        }, context)
    }

    /// A passive checkpoint on the connection `db` (also called from the WAL hook, which has
    /// no `self`).
    private static func passiveCheckpoint(_ db: OpaquePointer) -> (log: Int32, copied: Int32)? {
        var log: Int32 = 0, copied: Int32 = 0
        let rc = sqlite_nio_sqlite3_wal_checkpoint_v2(db, nil, SQLITE_CHECKPOINT_PASSIVE, &log, &copied)
        return rc == SQLITE_OK ? (log, copied) : nil
    }

    // MARK: Internals

    private func prepare(_ sql: String) throws(StoreError) -> Prepared {
        if let cached = cache[sql] { return cached }
        guard let handle else { throw StoreError.backend("sqlite: the connection is closed") }
        if cache.count >= cacheLimit {
            for prepared in cache.values { sqlite_nio_sqlite3_finalize(prepared.statement) }
            cache.removeAll(keepingCapacity: true)
        }
        var statement: OpaquePointer?
        let rc = sqlite_nio_sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard rc == SQLITE_OK, let statement else { throw error(rc) }
        let count = sqlite_nio_sqlite3_column_count(statement)
        let columns = (0..<count).map { i in sqlite_nio_sqlite3_column_name(statement, i).map { String(cString: $0) } ?? "" }
        let prepared = Prepared(statement: statement, columns: columns)
        cache[sql] = prepared
        return prepared
    }

    private func bind(_ value: SQLValue, at index: Int32, in statement: OpaquePointer) -> Int32 {
        switch value {
        case .null:
            return sqlite_nio_sqlite3_bind_null(statement, index)
        case .int(let i):
            return sqlite_nio_sqlite3_bind_int64(statement, index, i)
        case .double(let d):
            return sqlite_nio_sqlite3_bind_double(statement, index, d)
        case .text(let s):
            // `SQLITE_TRANSIENT` makes SQLite copy the bytes before the call returns. An empty
            // string goes as "" (a null pointer would bind NULL).
            if s.isEmpty { return sqlite_nio_sqlite3_bind_text64(statement, index, "", 0, transient, UInt8(SQLITE_UTF8)) }
            var text = s
            return text.withUTF8 { bytes in
                bytes.withMemoryRebound(to: CChar.self) { chars in
                    sqlite_nio_sqlite3_bind_text64(statement, index, chars.baseAddress, UInt64(chars.count), transient, UInt8(SQLITE_UTF8))
                }
            }
        case .blob(let b):
            if b.isEmpty { return sqlite_nio_sqlite3_bind_zeroblob(statement, index, 0) }
            return b.withUnsafeBytes { sqlite_nio_sqlite3_bind_blob64(statement, index, $0.baseAddress, UInt64($0.count), transient) }
        }
    }

    private func value(at column: Int32, of statement: OpaquePointer) -> SQLValue {
        switch sqlite_nio_sqlite3_column_type(statement, column) {
        case SQLITE_INTEGER:
            return .int(sqlite_nio_sqlite3_column_int64(statement, column))
        case SQLITE_FLOAT:
            return .double(sqlite_nio_sqlite3_column_double(statement, column))
        case SQLITE_TEXT:
            guard let text = sqlite_nio_sqlite3_column_text(statement, column) else { return .text("") }
            let length = Int(sqlite_nio_sqlite3_column_bytes(statement, column))
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: length), as: UTF8.self))
        case SQLITE_BLOB:
            let length = Int(sqlite_nio_sqlite3_column_bytes(statement, column))
            guard length > 0, let bytes = sqlite_nio_sqlite3_column_blob(statement, column) else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: bytes, count: length)))
        default:
            return .null
        }
    }

    /// The error for a result code. SQLite's messages name tables and columns, never values.
    private func error(_ rc: Int32) -> StoreError {
        let message = handle.flatMap { sqlite_nio_sqlite3_errmsg($0) }.map { String(cString: $0) } ?? "error \(rc)"
        // SQLITE_CONSTRAINT_UNIQUE and _PRIMARYKEY, macros Swift does not import.
        if rc == SQLITE_CONSTRAINT | (8 << 8) || rc == SQLITE_CONSTRAINT | (6 << 8) { return .uniqueViolation(message) }
        return .backend("sqlite \(rc): \(message)")
    }
}

/// SQLite's `SQLITE_TRANSIENT` (a macro casting -1 to a destructor, which Swift does not import).
private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
