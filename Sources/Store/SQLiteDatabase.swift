import Logging

/// The embedded default backend: one SQLite file in WAL mode, one writer connection (SQLite
/// allows one writer at a time anyway, so queuing in process is cheaper than busy-waiting) and
/// a few reader connections that see committed data while a write is in progress.
public final class SQLiteDatabase: Database {
    public let dialect: SQLDialect = .sqlite
    private let writer: ConnectionPool
    private let readers: ConnectionPool
    private let checkpointer: SQLiteCheckpointer

    private init(writer: SQLiteConnection, readers: [SQLiteConnection], checkpointer: SQLiteCheckpointer) {
        self.writer = ConnectionPool([writer])
        self.readers = ConnectionPool(readers)
        self.checkpointer = checkpointer
    }

    /// Checkpoints that ran beside the writer rather than in one of its commits.
    var backgroundCheckpoints: Int { checkpointer.completed }

    /// Opens (creating if needed) the database file at `path`.
    ///
    /// - Parameters:
    ///   - path: the database file.
    ///   - readerCount: reader connections (default 4).
    ///   - logger: unused; kept so both backends open alike.
    public static func open(path: String, readerCount: Int = 4, logger: Logger) async throws -> SQLiteDatabase {
        let writer = try SQLiteConnection(path: path)
        // WAL lets readers proceed during a write; NORMAL sync keeps every commit across a
        // process crash (SIGKILL), which is what run durability needs, without an fsync per
        // commit. A power loss may lose the last commits, never corrupt the file.
        try writer.execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000")
        // The commits' checkpoints move off the writer (see SQLiteCheckpointer).
        let checkpointer = try SQLiteCheckpointer(path: path)
        writer.checkpoint(with: checkpointer)
        var readers: [SQLiteConnection] = []
        for _ in 0..<max(1, readerCount) {
            let reader = try SQLiteConnection(path: path)
            try reader.execute("PRAGMA busy_timeout=5000; PRAGMA query_only=1")
            readers.append(reader)
        }
        return SQLiteDatabase(writer: writer, readers: readers, checkpointer: checkpointer)
    }

    public func write<R: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> R) async throws -> R {
        try await writer.withResource { connection in
            try await Self.transaction(on: connection, begin: "BEGIN IMMEDIATE", body)
        }
    }

    public func read<R: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> R) async throws -> R {
        // A read transaction gives the body one consistent snapshot.
        try await readers.withResource { connection in
            try await Self.transaction(on: connection, begin: "BEGIN", body)
        }
    }

    public func readStatement<R: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> R) async throws -> R {
        // Without BEGIN and COMMIT: the statement takes and ends its own read transaction.
        try await readers.withResource { connection in try await body(SQLiteExecutor(connection: connection)) }
    }

    private static func transaction<R: Sendable>(
        on connection: SQLiteConnection, begin: String, _ body: @Sendable (any SQLExecutor) async throws -> R
    ) async throws -> R {
        // Through the statement cache: parsing BEGIN and COMMIT anew was measurable.
        let executor = SQLiteExecutor(connection: connection)
        _ = try connection.query(begin, [])
        do {
            let result = try await body(executor)
            _ = try connection.query("COMMIT", [])
            return result
        } catch {
            _ = try? connection.query("ROLLBACK", [])
            throw error
        }
    }

    public func ping() async throws {
        _ = try await read { try await $0.query("SELECT 1 AS ok") }
    }

    public func close() async {
        // Each connection is closed once no transaction holds it.
        await writer.close { $0.close() }
        await readers.close { $0.close() }
        checkpointer.close()
    }
}

struct SQLiteExecutor: SQLExecutor {
    let connection: SQLiteConnection
    var dialect: SQLDialect { .sqlite }

    func query(_ query: SQLQuery) async throws -> [Row] {
        let (sql, binds) = query.render(for: .sqlite)
        return try connection.query(sql, binds)
    }
}
