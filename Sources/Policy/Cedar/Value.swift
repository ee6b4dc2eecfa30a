/// The unique identifier of a Cedar entity: a (possibly namespaced) type name and an id.
///
/// The type is kept as its full path text (`"A::B::User"`) so that comparisons and hashing are
/// plain string operations; the parser normalises whitespace out of paths.
public struct EntityUID: Hashable, Sendable, CustomStringConvertible {
    /// The entity type path, e.g. `"Tenant::User"`.
    public let type: String
    /// The entity id (any string).
    public let id: String
    /// Hash of both strings, computed once: entity lookups dominate authorization time, and
    /// hashing one integer is much cheaper than hashing two strings on every lookup.
    let hashCode: Int

    /// Creates an entity identifier.
    public init(type: String, id: String) {
        self.type = type
        self.id = id
        var hasher = Hasher()
        hasher.combine(type)
        hasher.combine(id)
        self.hashCode = hasher.finalize()
    }

    public static func == (lhs: EntityUID, rhs: EntityUID) -> Bool {
        lhs.hashCode == rhs.hashCode && lhs.id == rhs.id && lhs.type == rhs.type
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(hashCode)
    }

    /// Cedar source form: `Type::"id"` with the id escaped.
    public var description: String { "\(type)::\(cedarQuoted(id))" }

    /// Whether this names an action (its last path segment is `Action`).
    public var isAction: Bool { type == "Action" || type.hasSuffix("::Action") }
}

/// A Cedar runtime value.
///
/// Equality is Cedar's: structural, sets unordered, and values of different types simply unequal.
public enum CedarValue: Hashable, Sendable {
    /// A Boolean.
    case bool(Bool)
    /// A 64-bit signed integer (`Long`); arithmetic overflow is an evaluation error.
    case long(Int64)
    /// A string.
    case string(String)
    /// A reference to an entity.
    case entity(EntityUID)
    /// A set of values.
    case set(Set<CedarValue>)
    /// A record of named values.
    case record([String: CedarValue])
    /// A value of an extension type.
    case ext(ExtensionValue)

    /// The Cedar type name used in error messages.
    public var typeName: String {
        switch self {
        case .bool: return "bool"
        case .long: return "long"
        case .string: return "string"
        case .entity(let uid): return "(entity of type `\(uid.type)`)"
        case .set: return "set"
        case .record: return "record"
        case .ext(let e): return e.typeName
        }
    }
}

/// A value of one of Cedar's extension types.
public enum ExtensionValue: Hashable, Sendable {
    /// `decimal("1.25")`.
    case decimal(CedarDecimal)
    /// `ip("10.0.0.0/8")`.
    case ipaddr(CedarIPAddress)
    /// `datetime("2024-01-01T00:00:00Z")`.
    case datetime(CedarDatetime)
    /// `duration("1h30m")`.
    case duration(CedarDuration)

    /// The extension type name (`decimal`, `ipaddr`, `datetime`, `duration`).
    public var typeName: String {
        switch self {
        case .decimal: return "decimal"
        case .ipaddr: return "ipaddr"
        case .datetime: return "datetime"
        case .duration: return "duration"
        }
    }
}

extension CedarValue: CustomStringConvertible {
    /// Cedar source-like rendering, used in messages and the differential tests.
    public var description: String {
        switch self {
        case .bool(let b): return b ? "true" : "false"
        case .long(let l): return String(l)
        case .string(let s): return cedarQuoted(s)
        case .entity(let e): return e.description
        case .set(let s): return "[" + s.map(\.description).sorted().joined(separator: ", ") + "]"
        case .record(let r):
            return "{" + r.sorted { $0.key < $1.key }.map { "\(cedarQuoted($0.key)): \($0.value.description)" }.joined(separator: ", ") + "}"
        case .ext(let e):
            switch e {
            case .decimal(let d): return "decimal(\(cedarQuoted(d.description)))"
            case .ipaddr(let i): return "ip(\(cedarQuoted(i.description)))"
            case .datetime(let d): return "datetime(\(cedarQuoted(d.description)))"
            case .duration(let d): return "duration(\(cedarQuoted(d.description)))"
            }
        }
    }
}

/// Quotes a string the way Cedar source writes it.
func cedarQuoted(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\0": out += "\\0"
        default:
            if scalar.value < 0x20 || scalar.value == 0x7F {
                out += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "\""
}
