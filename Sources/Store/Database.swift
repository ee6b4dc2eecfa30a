/// Runs statements inside one transaction or read snapshot.
public protocol SQLExecutor: Sendable {
    /// The dialect statements are rendered for.
    var dialect: SQLDialect { get }
    /// Runs a statement and returns its rows (use `RETURNING` to read back writes).
    func query(_ query: SQLQuery) async throws -> [Row]
}

extension SQLExecutor {
    /// Runs a statement, ignoring any rows.
    public func execute(_ query: SQLQuery) async throws {
        _ = try await self.query(query)
    }

    /// Runs a statement and returns its first row, if any.
    public func first(_ query: SQLQuery) async throws -> Row? {
        try await self.query(query).first
    }
}

/// A database backend: SQLite (embedded default) or PostgreSQL.
///
/// Writes run in ``write(_:)`` as one transaction that commits when the closure returns and
/// rolls back when it throws, so a request commits whole or not at all.
public protocol Database: Sendable {
    /// The dialect of this backend.
    var dialect: SQLDialect { get }
    /// Runs `body` in a read-write transaction.
    func write<R: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> R) async throws -> R
    /// Runs `body` with read access; it may run concurrently with other readers.
    func read<R: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> R) async throws -> R
    /// Runs `body`, which issues a single statement, with read access and no explicit
    /// transaction: one statement reads one snapshot by itself.
    func readStatement<R: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> R) async throws -> R
    /// Checks that the database answers (for `/readyz`).
    func ping() async throws
    /// Closes every connection. No call may follow.
    func close() async
}

extension Database {
    public func readStatement<R: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> R) async throws -> R {
        try await read(body)
    }
}
