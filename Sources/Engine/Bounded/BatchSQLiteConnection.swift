import CSQLite
import Synchronization

/// Set from another thread to stop a running query at its next progress check.
final class SQLCancellation: Sendable {
    private let flag = Atomic<Bool>(false)

    func cancel() { flag.store(true, ordering: .relaxed) }
    var isCancelled: Bool { flag.load(ordering: .relaxed) }
}

/// What the progress handler and the authorizer of one evaluation decide with, and what they
/// observed. Lives for one call on one thread: SQLite invokes both callbacks synchronously
/// from inside `sqlite3_prepare`/`sqlite3_step` on the calling thread.
final class SQLBatchGuard {
    enum StopReason {
        case deadline, instructions, cancelled
    }

    /// When the query must be done; `nil` while the runner loads the batch (its own work,
    /// bounded by the batch size; cancellation is still checked).
    var deadline: ContinuousClock.Instant?
    let interval: Int
    var instructionBudget: Int?
    let cancellation: SQLCancellation?
    /// Instructions counted since the budget was (re)started, in steps of `interval`.
    var instructions = 0
    var stopReason: StopReason?
    /// Whether the authorizer applies; off while the runner loads the batch itself.
    var authorizing = false
    /// The first thing the authorizer refused, in words.
    var denial: String?

    init(interval: Int, cancellation: SQLCancellation?) {
        self.interval = max(1, interval)
        self.cancellation = cancellation
    }

    /// Called every `interval` VM instructions; `true` interrupts the statement.
    func shouldInterrupt() -> Bool {
        instructions += interval
        if cancellation?.isCancelled == true {
            stopReason = .cancelled
        } else if let budget = instructionBudget, instructions > budget {
            stopReason = .instructions
        } else if let deadline, ContinuousClock.now >= deadline {
            stopReason = .deadline
        }
        return stopReason != nil
    }

    /// Table-valued functions the query may read from; they only see their arguments.
    static let readableTableFunctions: Set<String> = ["json_each", "json_tree"]

    /// Functions no tenant query may call, whatever the build enables: `load_extension` loads
    /// native code; `fts3_tokenizer` with two arguments installs a C function pointer.
    static let deniedFunctions: Set<String> = ["load_extension", "fts3_tokenizer"]

    /// SQLite's own tables and table-valued functions (schema, statistics, pragmas).
    static func isInternal(_ table: String) -> Bool {
        let name = table.lowercased()
        return name.hasPrefix("sqlite_") || name.hasPrefix("pragma_") || name == "dbstat"
    }

    /// Default-deny: the query may select, recurse, call functions other than the denied ones,
    /// and read columns of `items` (or of the JSON table functions) in the main database.
    func authorize(action: Int32, first: String?, second: String?, database: String?) -> Int32 {
        guard authorizing else { return SQLITE_OK }
        let verdict: String?
        switch action {
        case SQLITE_SELECT, SQLITE_RECURSIVE:
            verdict = nil
        case SQLITE_READ:
            let table = first ?? ""
            let allowed: Bool
            if (second ?? "").isEmpty, database == nil {
                // A table, CTE or subquery referenced without reading a column (`count(*)`,
                // `FROM r` of a recursive CTE). CTE names are not known here; this reveals
                // at most a row count, so only SQLite's internal tables are refused.
                allowed = !Self.isInternal(table)
            } else {
                allowed = database == "main"
                    && (table == SQLBatchRunner.tableName || Self.readableTableFunctions.contains(table))
            }
            verdict = allowed ? nil : "reading \(table.isEmpty ? "this table" : table) is not allowed; a query may read only the \(SQLBatchRunner.tableName) table"
        case SQLITE_FUNCTION:
            let name = (second ?? "").lowercased()
            verdict = Self.deniedFunctions.contains(name) ? "the function \(name) is not allowed" : nil
        case SQLITE_INSERT, SQLITE_UPDATE, SQLITE_DELETE:
            verdict = "writing is not allowed; a query may only read the \(SQLBatchRunner.tableName) table"
        case SQLITE_ATTACH, SQLITE_DETACH:
            verdict = "ATTACH and DETACH are not allowed"
        case SQLITE_PRAGMA:
            verdict = "PRAGMA is not allowed"
        case SQLITE_TRANSACTION, SQLITE_SAVEPOINT:
            verdict = "transactions are not allowed"
        default:
            // CREATE/DROP/ALTER of anything, virtual tables, ANALYZE, REINDEX, and whatever
            // later SQLite versions add.
            verdict = "this statement is not allowed; a query may only read the \(SQLBatchRunner.tableName) table"
        }
        guard let verdict else { return SQLITE_OK }
        if denial == nil { denial = verdict }
        return SQLITE_DENY
    }
}

/// One private in-memory SQLite database (Debian's libsqlite3), closed on deinit.
///
/// Used by one thread for one evaluation; not `Sendable`.
final class BatchSQLiteConnection {
    let handle: OpaquePointer
    /// Retained here because SQLite keeps a raw pointer to it in both callbacks.
    private var guardContext: SQLBatchGuard?

    struct OpenError: Error {
        let message: String
    }

    /// Opens a fresh in-memory database with no URI filenames, extended result codes, and
    /// extension loading, triggers, views and schema writes all off.
    init() throws(OpenError) {
        var db: OpaquePointer?
        // NOMUTEX: the connection never leaves the thread that opened it.
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_MEMORY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        let rc = sqlite3_open_v2(":memory:", &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(db)
            throw OpenError(message: message)
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
        sqlite3_enable_load_extension(db, 0)
        _ = csqlite_db_config_flag(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0)
        _ = csqlite_db_config_flag(db, SQLITE_DBCONFIG_DEFENSIVE, 1)
        _ = csqlite_db_config_flag(db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0)
        _ = csqlite_db_config_flag(db, SQLITE_DBCONFIG_ENABLE_VIEW, 0)
        _ = csqlite_db_config_flag(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0)
        // No other database may ever be attached, and no helper threads.
        sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0)
        sqlite3_limit(db, SQLITE_LIMIT_WORKER_THREADS, 0)
        sqlite3_limit(db, SQLITE_LIMIT_TRIGGER_DEPTH, 1)
    }

    deinit {
        sqlite3_close_v2(handle)
    }

    /// The last error message of the connection.
    var errorMessage: String { String(cString: sqlite3_errmsg(handle)) }

    /// Installs the progress handler and the authorizer, both driven by `context`.
    func install(_ context: SQLBatchGuard) {
        guardContext = context
        let pointer = Unmanaged.passUnretained(context).toOpaque()
        sqlite3_progress_handler(handle, Int32(clamping: context.interval), { pointer in
            guard let pointer else { return 0 }
            return Unmanaged<SQLBatchGuard>.fromOpaque(pointer).takeUnretainedValue().shouldInterrupt() ? 1 : 0
        }, pointer)
        sqlite3_set_authorizer(handle, { pointer, action, first, second, database, _ in
            guard let pointer else { return SQLITE_DENY }
            return Unmanaged<SQLBatchGuard>.fromOpaque(pointer).takeUnretainedValue().authorize(
                action: action,
                first: first.map { String(cString: $0) },
                second: second.map { String(cString: $0) },
                database: database.map { String(cString: $0) }
            )
        }, pointer)
    }

    /// Runs trusted SQL of our own (setup); returns the result code.
    @discardableResult
    func execute(_ sql: String) -> Int32 {
        sqlite3_exec(handle, sql, nil, nil, nil)
    }

    /// Sets a `sqlite3_limit`, clamped to what an `Int32` holds.
    func setLimit(_ id: Int32, _ value: Int) {
        sqlite3_limit(handle, id, Int32(clamping: value))
    }
}
