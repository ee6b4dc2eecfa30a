import CSQLite
import Foundation
import JSON

/// Runs one tenant-supplied SQL query over a batch of items in a private in-memory SQLite.
///
/// The batch becomes table `items`: one row per item, one column per distinct top-level key
/// of the object items (in order of first appearance; the new keys of one item sorted), plus `_json` holding the whole item as JSON text so
/// that `json_extract(_json, '$.a.b')` reaches anything nested. Columns have no declared type,
/// so values keep the storage class they were bound with: integers as INTEGER, floats as
/// REAL, strings as TEXT, `true`/`false` as 1/0, `null` and missing keys as NULL, objects and
/// arrays as JSON text. A key equal to `_json`, equal ignoring case to an earlier key (SQLite
/// column names are case-insensitive) or containing a NUL character gets no column of its
/// own; it stays reachable through `_json`.
///
/// Result rows come back as JSON objects keyed by column name (a repeated name gets `:2`,
/// `:3`, ... appended). INTEGER, REAL, TEXT and NULL map to the matching JSON values; text
/// produced by SQLite's JSON functions (`json(...)`, `json_object(...)`, `json_group_array`)
/// is returned as the JSON value it holds; BLOBs come back as base64 strings.
///
/// The query is held to:
/// - exactly one statement, read-only (`sqlite3_stmt_readonly`), and a default-deny
///   authorizer: no writes, no schema changes, no ATTACH/DETACH, no PRAGMA, no transactions,
///   no table but `items` (and `json_each`/`json_tree`), no `load_extension`/`fts3_tokenizer`;
///   extension loading, triggers and views are switched off and temporary storage stays in
///   memory, so nothing touches the file system;
/// - a wall-clock deadline and a VM instruction budget, checked by the progress handler;
/// - `sqlite3_limit` bounds on query length, columns, value size, expression depth, compound
///   selects, LIKE patterns, function arguments and program size;
/// - caps on result rows and bytes;
/// - the process-wide heap limit, if the host set one (``setProcessHeapLimit(bytes:)``).
///
/// Everything here is synchronous and may take up to the timeout. Never call it on Swift's
/// cooperative pool (two threads on our machines): use ``SQLBatchExecutor``, or a thread pool
/// of the host's (for example `NIOThreadPool`).
public enum SQLBatchRunner {
    /// Name of the table holding the batch.
    public static let tableName = "items"
    /// Name of the column holding each whole item as JSON text.
    public static let jsonColumn = "_json"
    /// Subtype SQLite's JSON functions attach to the text they return (`'J'`).
    static let jsonSubtype: UInt32 = 74

    /// Runs `query` over `items` and returns the result rows.
    ///
    /// - Parameters:
    ///   - query: one SQL statement reading table `items`.
    ///   - items: the batch; objects give columns, any value is available through `_json`.
    ///   - limits: bounds on time, size and result (default ``SQLBatchLimits/init()``).
    /// - Returns: one JSON object per result row.
    public static func run(query: String, items: [JSONValue], limits: SQLBatchLimits = .init()) throws(SQLBatchError) -> [JSONValue] {
        do {
            return try execute(query: query, items: items, limits: limits, cancellation: nil)
        } catch let error as SQLBatchError {
            throw error
        } catch {
            // Only a cancellation token can produce anything else, and none was given.
            throw SQLBatchError.internalError("unexpected failure: \(error)")
        }
    }

    /// Checks that `query` compiles and is allowed, without data, for validation at save time.
    ///
    /// The columns of `items` depend on the data, so an unknown column is not an error here:
    /// each unknown plain column name is added to the table and the query prepared again. Any
    /// other problem (syntax, unknown function or table, a denied statement, more than one
    /// statement) throws with SQLite's message. A column that is missing from a CTE or
    /// subquery it is qualified with is still reported.
    ///
    /// - Parameters:
    ///   - query: the SQL to check.
    ///   - knownColumns: columns the items are known to have, if any.
    ///   - limits: the limits the query will run under.
    public static func compileCheck(_ query: String, knownColumns: [String] = [], limits: SQLBatchLimits = .init()) throws(SQLBatchError) {
        var columns = plannedColumns(knownColumns)
        var lowercased = Set(columns.map { $0.lowercased() })
        while true {
            let connection = try open()
            let context = SQLBatchGuard(interval: limits.progressInterval, cancellation: nil)
            connection.install(context)
            try load(columns: columns, items: [], into: connection, context: context, limits: limits)
            context.deadline = ContinuousClock.now.advanced(by: limits.timeout)
            do {
                let statement = try prepare(query, on: connection, context: context, limits: limits)
                sqlite3_finalize(statement)
                return
            } catch {
                // "no such column: name" (or "alias.name"): add the column and try again. If
                // it was there already, the reference is to something else (a CTE, a
                // subquery) and the error is real.
                let prefix = "no such column: "
                guard error.code == .invalidQuery, error.message.hasPrefix(prefix), columns.count < limits.maxColumns - 1 else { throw error }
                var name = String(error.message.dropFirst(prefix.count))
                if let dot = name.lastIndex(of: ".") { name = String(name[name.index(after: dot)...]) }
                guard !name.isEmpty, !lowercased.contains(name.lowercased()) else { throw error }
                columns.append(name)
                lowercased.insert(name.lowercased())
            }
        }
    }

    /// Sets SQLite's hard heap limit (`sqlite3_hard_heap_limit64`) and returns the previous
    /// one; `0` means no limit.
    ///
    /// The limit is process-wide: it covers every connection of Debian's libsqlite3 in this
    /// process (all batches running at once, not each one), and not sqlite-nio's bundled copy,
    /// which keeps its own books. Set it once at startup. When it is reached, allocations fail
    /// and the query fails with ``SQLBatchError/Code/memoryLimit``; the process is unharmed.
    @discardableResult
    public static func setProcessHeapLimit(bytes: Int) -> Int {
        Int(sqlite3_hard_heap_limit64(Int64(bytes)))
    }

    // MARK: Internals

    /// The evaluation; throws ``SQLBatchError``, or `CancellationError` when `cancellation`
    /// fired.
    static func execute(query: String, items: [JSONValue], limits: SQLBatchLimits, cancellation: SQLCancellation?) throws -> [JSONValue] {
        let context = SQLBatchGuard(interval: limits.progressInterval, cancellation: cancellation)
        do {
            let columns = try columns(of: items, limits: limits)
            let connection = try open()
            connection.install(context)
            try load(columns: columns, items: items, into: connection, context: context, limits: limits)
            // The timeout is the query's: loading is our work, bounded by the batch size the
            // host allows.
            context.deadline = ContinuousClock.now.advanced(by: limits.timeout)
            let statement = try prepare(query, on: connection, context: context, limits: limits)
            defer { sqlite3_finalize(statement) }
            // The budget is for the query, not for loading the batch.
            context.instructions = 0
            context.instructionBudget = limits.maxInstructions
            return try rows(of: statement, on: connection, context: context, limits: limits)
        } catch where context.stopReason == .cancelled {
            throw CancellationError()
        }
    }

    private static func open() throws(SQLBatchError) -> BatchSQLiteConnection {
        do {
            return try BatchSQLiteConnection()
        } catch {
            throw SQLBatchError.internalError("cannot open an in-memory database: \(error.message)")
        }
    }

    /// Column names for `items`: the given names, deduplicated ignoring case, without `_json`.
    private static func plannedColumns(_ names: [String]) -> [String] {
        var seen: Set<String> = [jsonColumn]
        var columns: [String] = []
        for name in names where !name.utf8.contains(0) && seen.insert(name.lowercased()).inserted {
            columns.append(name)
        }
        return columns
    }

    /// The distinct top-level keys of the object items, in first-seen order.
    private static func columns(of items: [JSONValue], limits: SQLBatchLimits) throws(SQLBatchError) -> [String] {
        var seen: Set<String> = [jsonColumn]
        var columns: [String] = []
        for item in items {
            guard case .object(let members) = item else { continue }
            // Sorted so that keys first seen in the same item get a stable order. A key with a
            // NUL cannot be a column name in SQL text; it stays reachable through `_json`.
            for key in members.keys.sorted() where !key.utf8.contains(0) && seen.insert(key.lowercased()).inserted {
                columns.append(key)
                // One column is `_json`.
                if columns.count >= limits.maxColumns {
                    throw SQLBatchError.invalidItems("the items have more than \(limits.maxColumns - 1) distinct top-level keys")
                }
            }
        }
        return columns
    }

    private static func quoted(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Creates `items` and inserts the batch, before the authorizer is switched on.
    private static func load(columns: [String], items: [JSONValue], into connection: BatchSQLiteConnection, context: SQLBatchGuard, limits: SQLBatchLimits) throws(SQLBatchError) {
        // Sorts and temporary b-trees would otherwise spill to files in /tmp.
        connection.execute("PRAGMA temp_store = MEMORY")
        connection.setLimit(SQLITE_LIMIT_LENGTH, limits.maxValueBytes)
        connection.setLimit(SQLITE_LIMIT_COLUMN, limits.maxColumns)
        let allColumns = columns + [jsonColumn]
        let create = "CREATE TABLE \(tableName) (\(allColumns.map(quoted).joined(separator: ", ")))"
        guard connection.execute(create) == SQLITE_OK else {
            throw SQLBatchError.invalidItems("cannot create the items table: \(connection.errorMessage)")
        }
        // The JSON table functions declare their schema on first use, which the authorizer
        // would see as a write to sqlite_master; declare them now, while it is off.
        connection.execute("SELECT 1 FROM json_each('[]'), json_tree('[]')")
        guard !items.isEmpty else { return }

        let placeholders = Array(repeating: "?", count: allColumns.count).joined(separator: ", ")
        var insert: OpaquePointer?
        guard sqlite3_prepare_v2(connection.handle, "INSERT INTO \(tableName) VALUES (\(placeholders))", -1, &insert, nil) == SQLITE_OK, let insert else {
            throw SQLBatchError.invalidItems("cannot prepare the items table: \(connection.errorMessage)")
        }
        defer { sqlite3_finalize(insert) }
        connection.execute("BEGIN")
        var index: [String: Int32] = [:]
        for (position, name) in columns.enumerated() { index[name] = Int32(position + 1) }
        let jsonIndex = Int32(allColumns.count)
        for (row, item) in items.enumerated() {
            sqlite3_reset(insert)
            sqlite3_clear_bindings(insert)
            if case .object(let members) = item {
                for (key, value) in members {
                    guard let column = index[key] else { continue }
                    try bind(value, to: insert, at: column, row: row, connection: connection, limits: limits)
                }
            }
            try bind(.string(item.serialized()), to: insert, at: jsonIndex, row: row, connection: connection, limits: limits)
            let rc = sqlite3_step(insert)
            guard rc == SQLITE_DONE else {
                throw failure(rc, connection: connection, context: context, limits: limits, phase: .loading(row: row))
            }
        }
        connection.execute("COMMIT")
    }

    private static func bind(_ value: JSONValue, to statement: OpaquePointer, at column: Int32, row: Int, connection: BatchSQLiteConnection, limits: SQLBatchLimits) throws(SQLBatchError) {
        let rc: Int32
        switch value {
        case .null: rc = sqlite3_bind_null(statement, column)
        case .bool(let b): rc = sqlite3_bind_int64(statement, column, b ? 1 : 0)
        case .int(let i): rc = sqlite3_bind_int64(statement, column, i)
        case .double(let d): rc = sqlite3_bind_double(statement, column, d)
        case .string(let s): rc = bindText(s, to: statement, at: column)
        case .array, .object: rc = bindText(value.serialized(), to: statement, at: column)
        }
        guard rc == SQLITE_OK else {
            if rc & 0xFF == SQLITE_TOOBIG {
                throw SQLBatchError.invalidItems("item \(row) has a value larger than \(limits.maxValueBytes) bytes")
            }
            throw SQLBatchError.invalidItems("cannot load item \(row): \(connection.errorMessage)")
        }
    }

    private static func bindText(_ text: String, to statement: OpaquePointer, at column: Int32) -> Int32 {
        var text = text
        // An explicit length keeps NUL characters inside strings; SQLite copies the bytes.
        return text.withUTF8 { bytes in
            guard bytes.count <= Int(Int32.max) else { return SQLITE_TOOBIG }
            return bytes.withMemoryRebound(to: CChar.self) { chars in
                guard let base = chars.baseAddress else { return csqlite_bind_text_transient(statement, column, "", 0) }
                return csqlite_bind_text_transient(statement, column, base, Int32(chars.count))
            }
        }
    }

    /// Prepares the one statement of `query` under the query limits and the authorizer.
    private static func prepare(_ query: String, on connection: BatchSQLiteConnection, context: SQLBatchGuard, limits: SQLBatchLimits) throws(SQLBatchError) -> OpaquePointer {
        guard query.utf8.count <= limits.maxQueryBytes else {
            throw SQLBatchError.invalidQuery("the query exceeds \(limits.maxQueryBytes) bytes")
        }
        connection.setLimit(SQLITE_LIMIT_SQL_LENGTH, limits.maxQueryBytes)
        connection.setLimit(SQLITE_LIMIT_EXPR_DEPTH, limits.maxExpressionDepth)
        connection.setLimit(SQLITE_LIMIT_COMPOUND_SELECT, limits.maxCompoundSelectTerms)
        connection.setLimit(SQLITE_LIMIT_LIKE_PATTERN_LENGTH, limits.maxLikePatternBytes)
        connection.setLimit(SQLITE_LIMIT_FUNCTION_ARG, limits.maxFunctionArguments)
        connection.setLimit(SQLITE_LIMIT_VDBE_OP, limits.maxProgramInstructions)
        // The query has nothing to bind.
        connection.setLimit(SQLITE_LIMIT_VARIABLE_NUMBER, 0)
        context.authorizing = true

        let bytes = Array(query.utf8)
        var statement: OpaquePointer?
        var offset = 0
        while offset < bytes.count {
            var next: OpaquePointer?
            var nextOffset = bytes.count
            let rc = bytes.withUnsafeBytes { raw -> Int32 in
                guard let base = raw.baseAddress?.assumingMemoryBound(to: CChar.self) else { return SQLITE_MISUSE }
                var tail: UnsafePointer<CChar>?
                let rc = sqlite3_prepare_v3(connection.handle, base + offset, Int32(bytes.count - offset), 0, &next, &tail)
                if let tail { nextOffset = tail - base }
                return rc
            }
            guard rc == SQLITE_OK else {
                if let statement {
                    // Whatever follows the first statement, it is not allowed to be there.
                    sqlite3_finalize(statement)
                    throw SQLBatchError.multipleStatements
                }
                throw failure(rc, connection: connection, context: context, limits: limits, phase: .preparing)
            }
            if let next {
                guard statement == nil else {
                    sqlite3_finalize(next)
                    sqlite3_finalize(statement)
                    throw SQLBatchError.multipleStatements
                }
                statement = next
            }
            // Only whitespace, comments or semicolons are left when nothing was consumed.
            guard nextOffset > offset else { break }
            offset = nextOffset
        }
        guard let statement else { throw SQLBatchError.emptyQuery }
        // Second fence behind the authorizer.
        guard sqlite3_stmt_readonly(statement) != 0 else {
            sqlite3_finalize(statement)
            throw SQLBatchError.notAllowed("only read-only queries are allowed")
        }
        return statement
    }

    /// Steps `statement` to the end, turning rows into JSON objects within the result caps.
    private static func rows(of statement: OpaquePointer, on connection: BatchSQLiteConnection, context: SQLBatchGuard, limits: SQLBatchLimits) throws(SQLBatchError) -> [JSONValue] {
        let count = sqlite3_column_count(statement)
        var names: [String] = []
        var used: Set<String> = []
        for column in 0..<count {
            let base = sqlite3_column_name(statement, column).map { String(cString: $0) } ?? "column\(column + 1)"
            var name = base
            var suffix = 2
            while !used.insert(name).inserted {
                name = "\(base):\(suffix)"
                suffix += 1
            }
            names.append(name)
        }
        let namesBytes = names.reduce(0) { $0 + $1.utf8.count }

        var rows: [JSONValue] = []
        var bytes = 0
        while true {
            let rc = sqlite3_step(statement)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else {
                throw failure(rc, connection: connection, context: context, limits: limits, phase: .running)
            }
            guard rows.count < limits.maxResultRows else { throw SQLBatchError.tooManyRows(limits.maxResultRows) }
            var row: [String: JSONValue] = [:]
            row.reserveCapacity(Int(count))
            bytes += namesBytes
            for column in 0..<count {
                let (value, size) = self.value(of: statement, column: column)
                row[names[Int(column)]] = value
                bytes += size
            }
            guard bytes <= limits.maxResultBytes else { throw SQLBatchError.resultTooLarge(limits.maxResultBytes) }
            rows.append(.object(row))
        }
        return rows
    }

    /// The value of one result column and its size for the result cap.
    private static func value(of statement: OpaquePointer, column: Int32) -> (JSONValue, Int) {
        switch sqlite3_column_type(statement, column) {
        case SQLITE_INTEGER:
            return (.int(sqlite3_column_int64(statement, column)), 8)
        case SQLITE_FLOAT:
            return (.double(sqlite3_column_double(statement, column)), 8)
        case SQLITE_TEXT:
            // Text first, then its length, as SQLite documents.
            let text = sqlite3_column_text(statement, column)
            let count = Int(sqlite3_column_bytes(statement, column))
            let string = text.map { String(decoding: UnsafeBufferPointer(start: $0, count: count), as: UTF8.self) } ?? ""
            if sqlite3_value_subtype(sqlite3_column_value(statement, column)) == jsonSubtype,
                let parsed = try? JSONValue.parse(string, limits: JSONParseLimits(rejectDuplicateKeys: false))
            {
                return (parsed, count)
            }
            return (.string(string), count)
        case SQLITE_BLOB:
            let blob = sqlite3_column_blob(statement, column)
            let count = Int(sqlite3_column_bytes(statement, column))
            let data = blob.map { Data(bytes: $0, count: count) } ?? Data()
            return (.string(data.base64EncodedString()), count * 4 / 3 + 4)
        default:
            return (.null, 1)
        }
    }

    /// Where a SQLite call failed.
    private enum Phase {
        case loading(row: Int), preparing, running
    }

    /// The error a failed SQLite call stands for.
    private static func failure(_ rc: Int32, connection: BatchSQLiteConnection, context: SQLBatchGuard, limits: SQLBatchLimits, phase: Phase) -> SQLBatchError {
        let message = connection.errorMessage
        switch (rc & 0xFF, phase) {
        case (SQLITE_INTERRUPT, _):
            switch context.stopReason {
            case .instructions: return .instructionLimit(limits.maxInstructions ?? 0)
            // Cancellation is turned into CancellationError by the caller.
            case .deadline, .cancelled, nil: return .timeout(limits.timeout)
            }
        case (SQLITE_NOMEM, _):
            return .memoryLimit
        case (SQLITE_AUTH, _):
            return .notAllowed(context.denial ?? message)
        case (_, .preparing) where context.denial != nil:
            // A denial inside a table-valued function's constructor or a function lookup
            // surfaces as SQLITE_ERROR ("vtable constructor failed", "not authorized to use
            // function"); the authorizer's own words are clearer.
            return .notAllowed(context.denial ?? message)
        case (SQLITE_TOOBIG, .loading(let row)):
            return .invalidItems("item \(row) has a value larger than \(limits.maxValueBytes) bytes")
        case (SQLITE_TOOBIG, .running):
            return .valueTooLarge(limits.maxValueBytes)
        case (_, .loading(let row)):
            return .invalidItems("cannot load item \(row): \(message)")
        case (_, .preparing):
            return .invalidQuery(message)
        case (_, .running):
            return .runtime(message)
        }
    }
}
