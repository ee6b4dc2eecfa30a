import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// The PostgreSQL backend, over postgres-nio's connection pool. The pool's `run()` must be
/// running (see ``PostgresDatabase/run()``) for queries to be served.
public final class PostgresDatabase: Database {
    public let dialect: SQLDialect = .postgres
    /// The postgres-nio client; a `Service` whose `run()` drives the pool.
    public let client: PostgresClient
    private let logger: Logger
    /// Statement texts kept prepared on this pool's connections.
    private let preparedTexts = PreparedTexts()

    /// - Parameters:
    ///   - url: `postgres://user:password@host:port/database` (`?sslmode=disable|prefer|require`).
    ///   - maxConnections: upper bound for the pool (default 20).
    public init(url: String, maxConnections: Int = 20, logger: Logger) throws {
        var configuration = try PostgresDatabase.configuration(from: url)
        configuration.options.maximumConnections = maxConnections
        // The statements kept prepared (``SQLQuery/prepared()``) are lookups by key whose best
        // plan does not depend on the values bound; they are planned once. PostgreSQL's default
        // would plan again on every run any statement whose generic plan it estimates costlier,
        // as it does for a LIMIT it cannot see, and that planning cost more than the statement.
        // Unnamed (unprepared) statements are planned for their values either way. The setting
        // exists since PostgreSQL 12, the oldest release we support.
        configuration.options.additionalStartupParameters = [("plan_cache_mode", "force_generic_plan")]
        self.client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.logger = logger
    }

    /// Parses a PostgreSQL URL into a client configuration.
    static func configuration(from url: String) throws -> PostgresClient.Configuration {
        guard let components = URLParts(url), components.scheme == "postgres" || components.scheme == "postgresql" else {
            throw StoreError.configuration("database URL must look like postgres://user:password@host:port/database")
        }
        let tls: PostgresClient.Configuration.TLS
        switch components.query["sslmode"] ?? "disable" {
        case "disable": tls = .disable
        case "require": tls = .require(.makeClientConfiguration())
        default: tls = .prefer(.makeClientConfiguration())
        }
        return PostgresClient.Configuration(
            host: components.host.isEmpty ? "127.0.0.1" : components.host,
            port: components.port ?? 5432,
            username: components.user ?? "postgres",
            password: components.password,
            database: components.path.isEmpty ? nil : components.path,
            tls: tls
        )
    }

    /// Drives the connection pool until the task is cancelled.
    public func run() async {
        await client.run()
    }

    public func write<R: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> R) async throws -> R {
        do {
            return try await client.withTransaction(logger: logger) { connection in
                try await body(PostgresExecutor(connection: connection, logger: logger, preparedTexts: preparedTexts))
            }
        } catch let error as PostgresTransactionError {
            // Surface the error of the body, not the wrapper.
            if let closureError = error.closureError { throw closureError }
            throw StoreError.backend("postgres transaction failed")
        }
    }

    public func read<R: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> R) async throws -> R {
        try await client.withConnection { connection in
            try await body(PostgresExecutor(connection: connection, logger: logger, preparedTexts: preparedTexts))
        }
    }

    public func ping() async throws {
        _ = try await read { try await $0.query("SELECT 1 AS ok") }
    }

    public func close() async {}
}

struct PostgresExecutor: SQLExecutor {
    let connection: PostgresConnection
    let logger: Logger
    let preparedTexts: PreparedTexts
    var dialect: SQLDialect { .postgres }

    func query(_ query: SQLQuery) async throws -> [Row] {
        let (sql, binds) = query.render(for: .postgres)
        var bindings = PostgresBindings(capacity: binds.count)
        for value in binds {
            switch value {
            case .null: bindings.appendNull()
            case .int(let i): bindings.append(i)
            case .double(let d): bindings.append(d)
            case .text(let s): bindings.append(s)
            case .blob(let b): bindings.append(ByteBuffer(bytes: b))
            }
        }
        do {
            if query.isPrepared, let statement = preparedTexts.statement(sql, binds: binds) {
                return try await PreparedText.$current.withValue(statement) {
                    var rows: [Row] = []
                    for try await row in try await connection.execute(PreparedText(bindings: bindings), logger: logger) {
                        rows.append(try PostgresExecutor.convert(row))
                    }
                    return rows
                }
            }
            var rows: [Row] = []
            for try await row in try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger) {
                rows.append(try PostgresExecutor.convert(row))
            }
            return rows
        } catch let error as PSQLError {
            throw PostgresExecutor.map(error)
        }
    }

    static func convert(_ row: PostgresRow) throws -> Row {
        var columns: [String] = []
        var values: [SQLValue] = []
        for cell in row {
            columns.append(cell.columnName)
            guard cell.bytes != nil else {
                values.append(.null)
                continue
            }
            switch cell.dataType {
            case .int2, .int4, .int8: values.append(.int(try cell.decode(Int64.self)))
            case .float4, .float8, .numeric: values.append(.double(try cell.decode(Double.self)))
            case .bool: values.append(.int(try cell.decode(Bool.self) ? 1 : 0))
            case .bytea:
                var buffer = try cell.decode(ByteBuffer.self)
                values.append(.blob(buffer.readBytes(length: buffer.readableBytes) ?? []))
            default: values.append(.text(try cell.decode(String.self)))
            }
        }
        return Row(columns: columns, values: values)
    }

    static func map(_ error: PSQLError) -> StoreError {
        // The server's detail can quote row values, so only the SQLSTATE and the primary
        // message (which names the constraint, not the values) are kept.
        let state = error.serverInfo?[.sqlState] ?? ""
        let message = error.serverInfo?[.message] ?? "\(error.code)"
        if state == "23505" { return .uniqueViolation(message) }
        if state == "40001" || state == "40P01" { return .conflict(message) }
        return .backend("postgres \(state): \(message)")
    }
}

/// A statement text run as a named prepared statement (``SQLQuery/prepared()``).
///
/// postgres-nio prepares a statement once per connection and reuses it, but it keys statements
/// by a Swift type's static `name` and `sql`, which suits texts known at compile time; ours are
/// rendered from ``SQLQuery``. This one type serves every registered text by reading `name`
/// and `sql` from a task-local that ``PostgresExecutor`` binds around the call (postgres-nio
/// reads both in the calling task, before handing the statement to the connection).
struct PreparedText: PostgresPreparedStatement {
    typealias Row = PostgresRow

    struct Statement: Sendable {
        var name: String
        var sql: String
    }

    @TaskLocal static var current = Statement(name: "", sql: "")
    static var name: String { current.name }
    static var sql: String { current.sql }

    let bindings: PostgresBindings
    func makeBindings() throws -> PostgresBindings { bindings }
    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}

/// The texts a pool keeps prepared, by text and bind types (a statement's parameter types are
/// fixed when it is prepared, from its first bindings), each with its statement name.
final class PreparedTexts: Sendable {
    private let names = Mutex<[String: String]>([:])
    /// Every connection may end up holding this many prepared statements, so the set is
    /// bounded; texts beyond it run unprepared.
    static let capacity = 128

    /// The statement for `sql` with binds of these types, or `nil` when the set is full.
    func statement(_ sql: String, binds: [SQLValue]) -> PreparedText.Statement? {
        var key = ""
        key.reserveCapacity(binds.count + 1 + sql.utf8.count)
        for value in binds {
            switch value {
            case .null: key += "n"
            case .int: key += "i"
            case .double: key += "d"
            case .text: key += "t"
            case .blob: key += "b"
            }
        }
        key += ":"
        key += sql
        let name: String? = names.withLock { names in
            if let name = names[key] { return name }
            guard names.count < Self.capacity else { return nil }
            let name = "fg_\(names.count + 1)"
            names[key] = name
            return name
        }
        return name.map { PreparedText.Statement(name: $0, sql: sql) }
    }
}

/// The parts of a database URL. Foundation's URLComponents is avoided so that the Store does
/// not depend on Foundation's URL percent-encoding rules for passwords.
struct URLParts {
    var scheme: String
    var user: String?
    var password: String?
    var host: String
    var port: Int?
    var path: String
    var query: [String: String]

    init?(_ text: String) {
        guard let schemeEnd = text.range(of: "://") else { return nil }
        scheme = String(text[..<schemeEnd.lowerBound]).lowercased()
        var rest = Substring(text[schemeEnd.upperBound...])
        query = [:]
        if let q = rest.firstIndex(of: "?") {
            for pair in rest[rest.index(after: q)...].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1)
                query[String(kv[0])] = kv.count > 1 ? URLParts.decode(kv[1]) : ""
            }
            rest = rest[..<q]
        }
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = userInfo.firstIndex(of: ":") {
                user = URLParts.decode(userInfo[..<colon])
                password = URLParts.decode(userInfo[userInfo.index(after: colon)...])
            } else {
                user = URLParts.decode(userInfo)
            }
        }
        var hostPort = rest
        path = ""
        if let slash = rest.firstIndex(of: "/") {
            hostPort = rest[..<slash]
            path = URLParts.decode(rest[rest.index(after: slash)...])
        }
        if let colon = hostPort.lastIndex(of: ":"), !hostPort.hasSuffix("]") {
            guard let p = Int(hostPort[hostPort.index(after: colon)...]) else { return nil }
            port = p
            host = String(hostPort[..<colon])
        } else {
            host = String(hostPort)
        }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
    }

    static func decode(_ s: Substring) -> String {
        var bytes: [UInt8] = []
        var i = s.utf8.startIndex
        let utf8 = s.utf8
        while i < utf8.endIndex {
            let b = utf8[i]
            if b == UInt8(ascii: "%"), let h1 = utf8.index(i, offsetBy: 1, limitedBy: utf8.endIndex), h1 < utf8.endIndex,
               let h2 = utf8.index(i, offsetBy: 2, limitedBy: utf8.endIndex), h2 < utf8.endIndex,
               let v = UInt8(String(decoding: [utf8[h1], utf8[h2]], as: UTF8.self), radix: 16)
            {
                bytes.append(v)
                i = utf8.index(i, offsetBy: 3)
            } else {
                bytes.append(b)
                i = utf8.index(after: i)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
