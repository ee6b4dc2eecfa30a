import Logging

/// The wall clock, injected so that expiry, ordering and audit times are testable.
public protocol WallClock: Sendable {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    func nowMillis() -> Int64
}

/// The system's wall clock.
public struct SystemWallClock: WallClock {
    public init() {}
    public func nowMillis() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}

/// Where the data lives.
public struct StoreConfiguration: Sendable {
    enum Backend: Sendable {
        case sqlite(path: String)
        case postgres(url: String)
    }

    let backend: Backend

    /// The embedded default: an SQLite file.
    public static func sqlite(path: String) -> StoreConfiguration { .init(backend: .sqlite(path: path)) }
    /// A PostgreSQL server, given as a `postgres://` URL.
    public static func postgres(url: String) -> StoreConfiguration { .init(backend: .postgres(url: url)) }

    /// Whether this is PostgreSQL.
    public var isPostgres: Bool {
        if case .postgres = backend { return true }
        return false
    }
}

/// The persistence layer: a database backend plus the clock used to stamp rows.
///
/// Repositories are built inside ``write(_:)`` or ``read(_:)`` from the executor they are
/// given, so every repository call runs in a transaction the caller controls. Tenant-owned
/// repositories cannot be built without a ``TenantID``.
public struct Store: Sendable {
    /// The backend.
    public let database: any Database
    /// The clock that stamps rows.
    public let clock: any WallClock
    private let postgres: PostgresDatabase?

    /// Wraps an opened database.
    public init(database: any Database, clock: any WallClock = SystemWallClock()) {
        self.database = database
        self.clock = clock
        self.postgres = database as? PostgresDatabase
    }

    /// Opens the configured backend. For PostgreSQL, ``run()`` must be running for queries to
    /// be served.
    public static func open(_ configuration: StoreConfiguration, clock: any WallClock = SystemWallClock(), logger: Logger) async throws -> Store {
        switch configuration.backend {
        case .sqlite(let path):
            return Store(database: try await SQLiteDatabase.open(path: path, logger: logger), clock: clock)
        case .postgres(let url):
            return Store(database: try PostgresDatabase(url: url, logger: logger), clock: clock)
        }
    }

    /// Drives background work of the backend (PostgreSQL's pool) until cancelled.
    public func run() async {
        if let postgres {
            await postgres.run()
        } else {
            // Nothing to drive; wait for cancellation so the caller's service stays up.
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(3600))
            }
        }
    }

    /// Runs `body` in one read-write transaction.
    @discardableResult
    public func write<R: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> R) async throws -> R {
        try await database.write(body)
    }

    /// Runs `body` with read access.
    public func read<R: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> R) async throws -> R {
        try await database.read(body)
    }

    /// Runs a read that `body` makes as one statement, outside an explicit transaction (which
    /// on SQLite saves the BEGIN and COMMIT; PostgreSQL reads run that way anyway). Statements
    /// in two such calls may see different snapshots.
    public func readStatement<R: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> R) async throws -> R {
        try await database.readStatement(body)
    }

    /// Runs a write that `body` makes as one statement on PostgreSQL, outside an explicit
    /// transaction: the statement is atomic by itself, and it saves the BEGIN and COMMIT round
    /// trips. On SQLite (whose writes are local) it is ``write(_:)``. The body must issue a
    /// single statement on PostgreSQL.
    public func writeStatement<R: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> R) async throws -> R {
        if postgres != nil { return try await database.read(body) }
        return try await database.write(body)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension Store {
    /// Opens the backend, runs `body` with it and closes it again, driving PostgreSQL's pool
    /// for exactly that long. For one-off work: migrations at start, admin commands.
    public static func withOpened<R: Sendable>(
        _ configuration: StoreConfiguration, clock: any WallClock = SystemWallClock(), logger: Logger,
        _ body: @Sendable (Store) async throws -> R
    ) async throws -> R {
        let store = try await Store.open(configuration, clock: clock, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            if let postgres = store.postgres {
                group.addTask { await postgres.run() }
            }
            do {
                let result = try await body(store)
                group.cancelAll()
                await store.database.close()
                return result
            } catch {
                group.cancelAll()
                await store.database.close()
                throw error
            }
        }
    }
}
