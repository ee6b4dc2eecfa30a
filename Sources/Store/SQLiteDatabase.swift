import Logging
import NIOCore
import SQLiteNIO

/// The embedded default backend: one SQLite file in WAL mode, one writer connection (SQLite
/// allows one writer at a time anyway, so queuing in process is cheaper than busy-waiting) and
/// a few reader connections that see committed data while a write is in progress.
public final class SQLiteDatabase: Database {
    public let dialect: SQLDialect = .sqlite
    private let writer: AsyncPool<SQLiteConnection>
    private let readers: AsyncPool<SQLiteConnection>
    private let connections: [SQLiteConnection]

    private init(writer: SQLiteConnection, readers: [SQLiteConnection]) {
        self.writer = AsyncPool([writer])
        self.readers = AsyncPool(readers)
        self.connections = [writer] + readers
    }

    /// Opens (creating if needed) the database file at `path`.
    ///
    /// - Parameters:
    ///   - path: the database file.
    ///   - readerCount: reader connections (default 4).
    ///   - logger: where the driver logs.
    public static func open(path: String, readerCount: Int = 4, logger: Logger) async throws -> SQLiteDatabase {
        let writer = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        // WAL lets readers proceed during a write; NORMAL sync keeps every commit across a
        // process crash (SIGKILL), which is what run durability needs, without an fsync per
        // commit. A power loss may lose the last commits, never corrupt the file.
        for pragma in ["PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON", "PRAGMA busy_timeout=5000"] {
            _ = try await writer.query(pragma)
        }
        var readers: [SQLiteConnection] = []
        for _ in 0..<max(1, readerCount) {
            let reader = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
            _ = try await reader.query("PRAGMA busy_timeout=5000")
            _ = try await reader.query("PRAGMA query_only=1")
            readers.append(reader)
        }
        return SQLiteDatabase(writer: writer, readers: readers)
    }

    public func write<R: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> R) async throws -> R {
        try await writer.withResource { connection in
            let executor = SQLiteExecutor(connection: connection)
            try await executor.raw("BEGIN IMMEDIATE")
            do {
                let result = try await body(executor)
                try await executor.raw("COMMIT")
                return result
            } catch {
                try? await executor.raw("ROLLBACK")
                throw error
            }
        }
    }

    public func read<R: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> R) async throws -> R {
        try await readers.withResource { connection in
            let executor = SQLiteExecutor(connection: connection)
            // A read transaction gives the body one consistent snapshot.
            try await executor.raw("BEGIN")
            do {
                let result = try await body(executor)
                try await executor.raw("COMMIT")
                return result
            } catch {
                try? await executor.raw("ROLLBACK")
                throw error
            }
        }
    }

    public func ping() async throws {
        _ = try await read { try await $0.query("SELECT 1 AS ok") }
    }

    public func close() async {
        for connection in connections {
            // The future-based close is not tied to task cancellation, so a database closed
            // by a cancelled service still releases its handles.
            try? await connection.close().get()
        }
    }
}

struct SQLiteExecutor: SQLExecutor {
    let connection: SQLiteConnection
    var dialect: SQLDialect { .sqlite }

    func raw(_ sql: String) async throws {
        do {
            _ = try await connection.query(sql)
        } catch let error as SQLiteError {
            throw StoreError.backend("sqlite: \(error.reason)")
        }
    }

    func query(_ query: SQLQuery) async throws -> [Row] {
        let (sql, binds) = query.render(for: .sqlite)
        let data: [SQLiteData] = binds.map { value in
            switch value {
            case .null: return .null
            case .int(let i): return .integer(SQLiteInt64(i))
            case .double(let d): return .float(d)
            case .text(let s): return .text(s)
            case .blob(let b): return .blob(ByteBuffer(bytes: b))
            }
        }
        let rows: [SQLiteRow]
        do {
            rows = try await connection.query(sql, data)
        } catch let error as SQLiteError {
            throw SQLiteExecutor.map(error)
        }
        return rows.map { row in
            let columns = row.columns
            return Row(
                columns: columns.map(\.name),
                values: columns.map { column in
                    switch column.data {
                    case .null: return .null
                    case .integer(let i): return .int(Int64(i))
                    case .float(let d): return .double(d)
                    case .text(let s): return .text(s)
                    case .blob(var buffer): return .blob(buffer.readBytes(length: buffer.readableBytes) ?? [])
                    }
                }
            )
        }
    }

    static func map(_ error: SQLiteError) -> StoreError {
        switch error.reason {
        case .constraintUniqueFailed, .constraintPrimaryKeyFailed:
            // SQLite's message names the table and columns, never the values.
            return .uniqueViolation(error.message)
        default:
            return .backend("sqlite \(error.reason): \(error.message)")
        }
    }
}
