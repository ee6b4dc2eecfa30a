import Testing
import Foundation
import Logging
import Store

/// A database backend the shared store suites run against.
public struct TestBackend: Sendable, CustomTestStringConvertible, CustomStringConvertible {
    public let name: String
    let postgresURL: String?

    public var description: String { name }
    public var testDescription: String { name }

    /// SQLite in a temporary file.
    public static let sqlite = TestBackend(name: "sqlite", postgresURL: nil)

    /// The backends available here: SQLite always, PostgreSQL when `make test` started one
    /// (`FLOWGATE_TEST_POSTGRES_URL`). With `FLOWGATE_REQUIRE_POSTGRES=1` a missing server is
    /// a failure rather than a skip, so CI cannot silently lose the PostgreSQL run.
    public static var all: [TestBackend] {
        var backends = [sqlite]
        let env = ProcessInfo.processInfo.environment
        if let url = env["FLOWGATE_TEST_POSTGRES_URL"], !url.isEmpty {
            backends.append(TestBackend(name: "postgres", postgresURL: url))
        } else if env["FLOWGATE_REQUIRE_POSTGRES"] == "1" {
            backends.append(TestBackend(name: "postgres (missing: FLOWGATE_TEST_POSTGRES_URL not set)", postgresURL: ""))
        } else {
            print("note: FLOWGATE_TEST_POSTGRES_URL is not set; store suites run on SQLite only (make test starts PostgreSQL)")
        }
        return backends
    }

    public var isPostgres: Bool { postgresURL != nil }

    /// A fresh, empty, migrated database for one test: a temporary SQLite file, or a new
    /// PostgreSQL database created for the test and dropped afterwards.
    /// - Parameter migratingUpTo: stop migrating at this version (for tests of a later migration).
    public func withStore<R: Sendable>(
        clock: any WallClock = SystemWallClock(), migratingUpTo: Int? = nil, _ body: @Sendable (Store) async throws -> R
    ) async throws -> R {
        var logger = Logger(label: "test.store")
        logger.logLevel = .warning
        guard let postgresURL else {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flowgate-test-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            return try await Store.withOpened(.sqlite(path: dir.appendingPathComponent("db.sqlite").path), clock: clock, logger: logger) { store in
                try await store.migrate(upTo: migratingUpTo)
                return try await body(store)
            }
        }
        guard !postgresURL.isEmpty else { throw TestSetupError("PostgreSQL is required (FLOWGATE_REQUIRE_POSTGRES=1) but FLOWGATE_TEST_POSTGRES_URL is not set") }
        let database = try await createPostgresDatabase(adminURL: postgresURL, logger: logger)
        do {
            let result = try await Store.withOpened(.postgres(url: database.url), clock: clock, logger: logger) { store in
                try await store.migrate(upTo: migratingUpTo)
                return try await body(store)
            }
            try await dropPostgresDatabase(adminURL: postgresURL, name: database.name, logger: logger)
            return result
        } catch {
            try? await dropPostgresDatabase(adminURL: postgresURL, name: database.name, logger: logger)
            throw error
        }
    }

    /// A new empty PostgreSQL database on the test server; returns its name and URL.
    public func createPostgresDatabase(adminURL: String, logger: Logger) async throws -> (name: String, url: String) {
        let name = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await Store.withOpened(.postgres(url: adminURL), logger: logger) { admin in
            // CREATE DATABASE cannot run inside a transaction, so it goes through read(), which
            // runs statements on a plain connection. The name is generated above, not input.
            try await admin.read { try await $0.execute("CREATE DATABASE \(unsafeSQL: name)") }
        }
        guard let slash = adminURL.lastIndex(of: "/") else { throw TestSetupError("bad PostgreSQL URL") }
        return (name, String(adminURL[...slash]) + name)
    }

    func dropPostgresDatabase(adminURL: String, name: String, logger: Logger) async throws {
        try await Store.withOpened(.postgres(url: adminURL), logger: logger) { admin in
            try await admin.read { try await $0.execute("DROP DATABASE IF EXISTS \(unsafeSQL: name) WITH (FORCE)") }
        }
    }
}

/// A test environment that is not set up as the test needs.
public struct TestSetupError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A wall clock the test moves by hand.
public final class ManualClock: WallClock, @unchecked Sendable {
    // @unchecked: every access to `now` goes through `lock`.
    private let lock = NSLock()
    private var now: Int64

    public init(_ start: Int64 = 1_800_000_000_000) { now = start }

    public func nowMillis() -> Int64 { lock.withLock { now } }

    /// Moves the clock forward.
    public func advance(millis: Int64) { lock.withLock { now += millis } }
}
