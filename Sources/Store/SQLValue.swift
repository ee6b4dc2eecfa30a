/// A value bound to, or read from, an SQL statement. The same five storage classes work on both
/// backends; Booleans are stored as integers 0 and 1.
public enum SQLValue: Sendable, Hashable {
    case null
    case int(Int64)
    case double(Double)
    case text(String)
    case blob([UInt8])
}

/// A Swift value that can be bound to an SQL statement.
public protocol SQLBindable: Sendable {
    /// The value as bound to a statement.
    var sqlValue: SQLValue { get }
}

extension String: SQLBindable { public var sqlValue: SQLValue { .text(self) } }
extension Substring: SQLBindable { public var sqlValue: SQLValue { .text(String(self)) } }
extension Int: SQLBindable { public var sqlValue: SQLValue { .int(Int64(self)) } }
extension Int64: SQLBindable { public var sqlValue: SQLValue { .int(self) } }
extension Double: SQLBindable { public var sqlValue: SQLValue { .double(self) } }
extension Bool: SQLBindable { public var sqlValue: SQLValue { .int(self ? 1 : 0) } }
extension Array: SQLBindable where Element == UInt8 { public var sqlValue: SQLValue { .blob(self) } }
extension SQLValue: SQLBindable { public var sqlValue: SQLValue { self } }
extension Optional: SQLBindable where Wrapped: SQLBindable {
    public var sqlValue: SQLValue { self?.sqlValue ?? .null }
}

/// One result row: column names and values in select order.
public struct Row: Sendable {
    /// Column names, in select order.
    public let columns: [String]
    /// Values, in select order.
    public let values: [SQLValue]

    public init(columns: [String], values: [SQLValue]) {
        self.columns = columns
        self.values = values
    }

    /// The raw value of a column, `.null` when the column is absent.
    public subscript(_ column: String) -> SQLValue {
        guard let i = columns.firstIndex(of: column) else { return .null }
        return values[i]
    }

    /// A text column; throws when it is null or of another type.
    public func string(_ column: String) throws(StoreError) -> String {
        guard let s = optionalString(column) else { throw .corruptRow(column) }
        return s
    }

    /// A text column that may be null.
    public func optionalString(_ column: String) -> String? {
        switch self[column] {
        case .text(let s): return s
        case .blob(let b): return String(validating: b, as: UTF8.self)
        default: return nil
        }
    }

    /// An integer column; throws when it is null or of another type.
    public func int(_ column: String) throws(StoreError) -> Int64 {
        guard let i = optionalInt(column) else { throw .corruptRow(column) }
        return i
    }

    /// An integer column that may be null.
    public func optionalInt(_ column: String) -> Int64? {
        switch self[column] {
        case .int(let i): return i
        case .double(let d): return Int64(exactly: d)
        case .text(let s): return Int64(s)
        default: return nil
        }
    }

    /// A Boolean stored as an integer.
    public func bool(_ column: String) throws(StoreError) -> Bool { try int(column) != 0 }

    /// A blob column that may be null.
    public func optionalBlob(_ column: String) -> [UInt8]? {
        switch self[column] {
        case .blob(let b): return b
        case .text(let s): return Array(s.utf8)
        default: return nil
        }
    }
}
