/// A failure in the persistence layer. The description never includes bound values, so it can
/// be logged without leaking data.
public struct StoreError: Error, Sendable, CustomStringConvertible, Equatable {
    private enum Code: Sendable, Equatable {
        case corruptRow
        case uniqueViolation
        case notFound
        case backend
        case configuration
        case conflict
    }

    private let code: Code
    /// A message safe to log and to show to an operator.
    public let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// A row did not have the expected column type.
    public static func corruptRow(_ column: String) -> StoreError { .init(.corruptRow, "unexpected value in column \(column)") }
    /// A unique constraint refused the write.
    public static func uniqueViolation(_ detail: String) -> StoreError { .init(.uniqueViolation, detail) }
    /// The row does not exist (in this tenant).
    public static func notFound(_ what: String) -> StoreError { .init(.notFound, "\(what) not found") }
    /// The database reported an error.
    public static func backend(_ detail: String) -> StoreError { .init(.backend, detail) }
    /// The store was configured wrongly (bad URL, unreadable path).
    public static func configuration(_ detail: String) -> StoreError { .init(.configuration, detail) }
    /// A concurrent change won (optimistic check failed).
    public static func conflict(_ detail: String) -> StoreError { .init(.conflict, detail) }

    /// Whether this is a unique-constraint violation.
    public var isUniqueViolation: Bool { code == .uniqueViolation }
    /// Whether the row was not found.
    public var isNotFound: Bool { code == .notFound }
    /// Whether a concurrent change won.
    public var isConflict: Bool { code == .conflict }

    public var description: String { "StoreError: \(message)" }
}
