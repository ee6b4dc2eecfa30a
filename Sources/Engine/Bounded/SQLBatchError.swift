/// Why a SQL-over-a-batch query was refused or stopped.
///
/// `message` is fit for the workflow author: SQLite's own text for syntax and runtime errors,
/// the limit that was hit otherwise. It never names a host path or setting.
public struct SQLBatchError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is; compare with the static members (`error.code == .timeout`).
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case invalidQuery, notAllowed, multipleStatements, emptyQuery, runtime
            case timeout, instructionLimit, memoryLimit, valueTooLarge, tooManyRows, resultTooLarge
            case invalidItems, internalError
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The query does not compile (syntax, unknown function, unknown column, a limit of the
        /// query's size or shape).
        public static let invalidQuery = Code(.invalidQuery)
        /// The query does something other than read `items` (write, ATTACH, PRAGMA, another
        /// table, a denied function).
        public static let notAllowed = Code(.notAllowed)
        /// More than one statement.
        public static let multipleStatements = Code(.multipleStatements)
        /// No statement at all (only whitespace or comments).
        public static let emptyQuery = Code(.emptyQuery)
        /// SQLite reported an error while running the query.
        public static let runtime = Code(.runtime)
        /// The wall-clock deadline passed.
        public static let timeout = Code(.timeout)
        /// The VM instruction budget ran out.
        public static let instructionLimit = Code(.instructionLimit)
        /// SQLite could not allocate memory within the process-wide heap limit.
        public static let memoryLimit = Code(.memoryLimit)
        /// A string or blob grew past ``SQLBatchLimits/maxValueBytes``.
        public static let valueTooLarge = Code(.valueTooLarge)
        /// More rows than ``SQLBatchLimits/maxResultRows``.
        public static let tooManyRows = Code(.tooManyRows)
        /// More bytes than ``SQLBatchLimits/maxResultBytes``.
        public static let resultTooLarge = Code(.resultTooLarge)
        /// The batch cannot be loaded into a table (too many distinct keys, an item too large).
        public static let invalidItems = Code(.invalidItems)
        /// SQLite failed in a way that is not the query's fault (opening the database).
        public static let internalError = Code(.internalError)

        /// The code's name, for logs.
        public var description: String { base.rawValue }
    }

    /// What kind of failure this is.
    public let code: Code
    /// What went wrong, in words for the workflow author.
    public let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The code and the message.
    public var description: String { "sql \(code): \(message)" }

    /// The query does not compile; `message` is SQLite's.
    public static func invalidQuery(_ message: String) -> SQLBatchError { .init(.invalidQuery, message) }
    /// The query was denied by the authorizer or the read-only check.
    public static func notAllowed(_ message: String) -> SQLBatchError { .init(.notAllowed, message) }
    /// More than one statement.
    public static let multipleStatements = SQLBatchError(.multipleStatements, "only one SQL statement is allowed")
    /// No statement.
    public static let emptyQuery = SQLBatchError(.emptyQuery, "the query contains no SQL statement")
    /// A runtime error; `message` is SQLite's.
    public static func runtime(_ message: String) -> SQLBatchError { .init(.runtime, message) }
    /// The deadline passed.
    public static func timeout(_ timeout: Duration) -> SQLBatchError {
        .init(.timeout, "the query did not finish within \(timeout)")
    }
    /// The instruction budget ran out.
    public static func instructionLimit(_ budget: Int) -> SQLBatchError {
        .init(.instructionLimit, "the query exceeded its budget of \(budget) instructions")
    }
    /// The heap limit was hit.
    public static let memoryLimit = SQLBatchError(.memoryLimit, "the query ran out of memory")
    /// A value grew too large.
    public static func valueTooLarge(_ limit: Int) -> SQLBatchError {
        .init(.valueTooLarge, "a string or blob exceeded \(limit) bytes")
    }
    /// Too many rows.
    public static func tooManyRows(_ limit: Int) -> SQLBatchError {
        .init(.tooManyRows, "the query returned more than \(limit) rows")
    }
    /// Too many bytes.
    public static func resultTooLarge(_ limit: Int) -> SQLBatchError {
        .init(.resultTooLarge, "the query result exceeds \(limit) bytes")
    }
    /// The items cannot be loaded.
    public static func invalidItems(_ message: String) -> SQLBatchError { .init(.invalidItems, message) }
    /// SQLite failed for reasons unrelated to the query.
    public static func internalError(_ message: String) -> SQLBatchError { .init(.internalError, message) }
}
