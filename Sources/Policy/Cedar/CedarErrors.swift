/// A syntax error in Cedar policy or schema text, with its position.
public struct CedarParseError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: Hashable, Sendable { case syntax, limit, encoding }
    private let code: Code
    /// What was wrong.
    public let message: String
    /// 1-based line.
    public let line: Int
    /// 1-based column, counted in Unicode scalars.
    public let column: Int

    /// Whether the input hit a size or nesting limit rather than being malformed.
    public var isLimit: Bool { code == .limit }

    public var description: String { "\(message) at line \(line), column \(column)" }

    static func syntax(_ message: String, offset: Int, in bytes: [UInt8]) -> CedarParseError {
        make(.syntax, message, offset, bytes)
    }

    static func limit(_ message: String, offset: Int, in bytes: [UInt8]) -> CedarParseError {
        make(.limit, message, offset, bytes)
    }

    static func encoding(_ message: String) -> CedarParseError {
        CedarParseError(code: .encoding, message: message, line: 1, column: 1)
    }

    private static func make(_ code: Code, _ message: String, _ offset: Int, _ bytes: [UInt8]) -> CedarParseError {
        var line = 1
        var column = 1
        var i = 0
        let end = min(offset, bytes.count)
        while i < end {
            if bytes[i] == 0x0A {
                line += 1
                column = 1
            } else if bytes[i] & 0xC0 != 0x80 {
                column += 1
            }
            i += 1
        }
        return CedarParseError(code: code, message: message, line: line, column: column)
    }
}

/// Why evaluating an expression failed. The authorizer reports these per policy.
public struct CedarEvaluationError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case type, overflow, missingAttribute, missingEntity, missingTag, extensionFailure, arity
    }
    private let code: Code
    /// A human-readable explanation.
    public let message: String

    public var description: String { message }

    static func type(expected: String, got: CedarValue) -> CedarEvaluationError {
        .init(code: .type, message: "type error: expected \(expected), got \(got.typeName)")
    }
    static func type(_ message: String) -> CedarEvaluationError { .init(code: .type, message: "type error: \(message)") }
    static func overflow(_ message: String) -> CedarEvaluationError { .init(code: .overflow, message: message) }
    static func missingAttribute(_ message: String) -> CedarEvaluationError { .init(code: .missingAttribute, message: message) }
    static func missingEntity(_ uid: EntityUID) -> CedarEvaluationError {
        .init(code: .missingEntity, message: "entity `\(uid)` does not exist")
    }
    static func missingTag(_ message: String) -> CedarEvaluationError { .init(code: .missingTag, message: message) }
    static func extensionFailure(_ message: String) -> CedarEvaluationError { .init(code: .extensionFailure, message: message) }
    static func arity(_ message: String) -> CedarEvaluationError { .init(code: .arity, message: message) }
}
