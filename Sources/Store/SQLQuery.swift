/// The SQL dialect a statement is rendered for.
public struct SQLDialect: Sendable, Hashable, CustomStringConvertible {
    enum Kind: Sendable, Hashable { case sqlite, postgres }
    let kind: Kind
    /// The embedded default, SQLite 3 (bind parameters `?`).
    public static let sqlite = SQLDialect(kind: .sqlite)
    /// PostgreSQL (bind parameters `$1`, `$2`, ...).
    public static let postgres = SQLDialect(kind: .postgres)

    public var description: String { kind == .sqlite ? "sqlite" : "postgres" }
}

/// An SQL statement whose interpolated values become bind parameters, never SQL text.
///
/// ```swift
/// let q: SQLQuery = "SELECT * FROM workflows WHERE tenant_id = \(tenant.rawValue) AND id = \(id)"
/// ```
/// Text that must be spliced in (an identifier chosen from a fixed list, say) goes through
/// ``StringInterpolation/appendInterpolation(unsafeSQL:)``, whose name says what it is.
/// Written here rather than taken from sql-kit because that would bring async-kit and two
/// more driver layers for what is a few dozen lines over the drivers we already use.
public struct SQLQuery: Sendable, ExpressibleByStringInterpolation, CustomStringConvertible {
    enum Part: Sendable {
        case sql(String)
        case bind(SQLValue)
    }

    var parts: [Part]
    /// Whether PostgreSQL should keep the statement prepared (see ``prepared()``).
    public private(set) var isPrepared = false

    public init(stringLiteral value: String) { parts = [.sql(value)] }

    public init(stringInterpolation: StringInterpolation) { parts = stringInterpolation.parts }

    /// Builds the interpolated parts of an ``SQLQuery``.
    public struct StringInterpolation: StringInterpolationProtocol {
        var parts: [Part] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            parts.reserveCapacity(interpolationCount * 2 + 1)
        }

        public mutating func appendLiteral(_ literal: String) { parts.append(.sql(literal)) }

        /// Binds a value as a parameter.
        public mutating func appendInterpolation(_ value: some SQLBindable) { parts.append(.bind(value.sqlValue)) }

        /// Binds an optional value; `nil` binds SQL NULL.
        public mutating func appendInterpolation<T: SQLBindable>(_ value: T?) { parts.append(.bind(value.sqlValue)) }

        /// Splices SQL text verbatim. Only for fixed fragments chosen by our code, never for input.
        public mutating func appendInterpolation(unsafeSQL text: String) { parts.append(.sql(text)) }

        /// Splices another query, keeping its binds as binds.
        public mutating func appendInterpolation(_ query: SQLQuery) { parts.append(contentsOf: query.parts) }
    }

    /// The same statement, marked as one of the few a hot path runs again and again with the
    /// same text: PostgreSQL then keeps it prepared on each connection, so it is parsed and
    /// planned once rather than on every run (SQLite keeps every statement prepared anyway).
    /// Mark only statements whose text comes from a small fixed set; a bounded number of texts
    /// is kept prepared, and the rest run unprepared.
    public func prepared() -> SQLQuery {
        var copy = self
        copy.isPrepared = true
        return copy
    }

    /// Appends another query fragment.
    public mutating func append(_ other: SQLQuery) { parts.append(contentsOf: other.parts) }

    /// The SQL text for `dialect` and the values to bind, in order.
    public func render(for dialect: SQLDialect) -> (sql: String, binds: [SQLValue]) {
        // Sized up front: this runs for every statement, and growing the text piece by piece
        // showed in profiles of the audited read path.
        var length = 0
        var bindCount = 0
        for part in parts {
            switch part {
            case .sql(let s): length += s.utf8.count
            case .bind: bindCount += 1
            }
        }
        var sql = ""
        sql.reserveCapacity(length + bindCount * (dialect.kind == .sqlite ? 1 : 4))
        var binds: [SQLValue] = []
        binds.reserveCapacity(bindCount)
        for part in parts {
            switch part {
            case .sql(let s): sql.append(s)
            case .bind(let v):
                binds.append(v)
                if dialect.kind == .sqlite {
                    sql.append("?")
                } else {
                    sql.append("$")
                    sql.append(String(binds.count))
                }
            }
        }
        return (sql, binds)
    }

    /// The SQL text with placeholders; bound values are never printed.
    public var description: String { render(for: .sqlite).sql }
}
