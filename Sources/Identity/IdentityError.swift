/// Why an identity operation was refused. Messages never contain secrets.
public struct IdentityError: Error, Sendable, CustomStringConvertible {
    private enum Code: Sendable { case invalid, notFound, conflict }
    private let code: Code
    /// The offending field, when there is one.
    public let field: String?
    /// What was wrong, for the caller.
    public let message: String

    private init(_ code: Code, field: String?, _ message: String) {
        self.code = code
        self.field = field
        self.message = message
    }

    /// Input that does not meet the rules (422).
    public static func invalid(_ field: String, _ message: String) -> IdentityError { .init(.invalid, field: field, message) }
    /// A referenced object does not exist in this tenant (404).
    public static func notFound(_ what: String) -> IdentityError { .init(.notFound, field: nil, "\(what) not found") }
    /// A unique name is taken (409).
    public static func conflict(_ message: String) -> IdentityError { .init(.conflict, field: nil, message) }

    public var isInvalid: Bool { code == .invalid }
    public var isNotFound: Bool { code == .notFound }
    public var isConflict: Bool { code == .conflict }
    public var description: String { message }
}
