import JSON

/// A type in a Cedar schema, with every name resolved.
public indirect enum SchemaType: Sendable, Hashable, CustomStringConvertible {
    case bool
    case long
    case string
    /// An entity of the named (fully qualified) type.
    case entity(String)
    case set(SchemaType)
    case record(RecordType)
    /// An extension type: `ipaddr`, `decimal`, `datetime` or `duration`.
    case ext(String)

    public var description: String {
        switch self {
        case .bool: return "Bool"
        case .long: return "Long"
        case .string: return "String"
        case .entity(let n): return "Entity<\(n)>"
        case .set(let t): return "Set<\(t)>"
        case .record(let r): return r.description
        case .ext(let n): return n
        }
    }
}

/// One declared attribute of a record or entity shape.
public struct AttributeType: Sendable, Hashable {
    /// The attribute's type.
    public let type: SchemaType
    /// Whether the attribute must be present (`?` in the text form makes it optional).
    public let required: Bool
}

/// A record type: named attributes, closed unless declared open.
public struct RecordType: Sendable, Hashable, CustomStringConvertible {
    /// The declared attributes.
    public let attributes: [String: AttributeType]
    /// Whether attributes beyond the declared ones may appear (never in the text form).
    public let isOpen: Bool

    /// Creates a record type; closed unless `isOpen`.
    public init(attributes: [String: AttributeType], isOpen: Bool = false) {
        self.attributes = attributes
        self.isOpen = isOpen
    }

    public var description: String {
        "{" + attributes.sorted { $0.key < $1.key }.map { "\($0.key)\($0.value.required ? "" : "?"): \($0.value.type)" }
            .joined(separator: ", ") + "}"
    }
}

/// A declared entity type.
public struct EntityTypeDefinition: Sendable, Hashable {
    /// Fully qualified name.
    public let name: String
    /// Types an entity of this type may have as direct parents.
    public let memberOfTypes: [String]
    /// The attributes.
    public let shape: RecordType
    /// The type of tag values, if the type has tags.
    public let tags: SchemaType?
    /// For enumerated entity types, the only ids allowed.
    public let enumValues: [String]?
}

/// A declared action.
public struct ActionDefinition: Sendable, Hashable {
    /// The action entity.
    public let uid: EntityUID
    /// Direct parent action groups.
    public let memberOf: [EntityUID]
    /// Principal types it applies to (empty: it applies to no request).
    public let principalTypes: [String]
    /// Resource types it applies to.
    public let resourceTypes: [String]
    /// The context type.
    public let context: RecordType
}

/// A Cedar schema: entity types and actions, from either the text or the JSON form.
public struct Schema: Sendable {
    /// Entity types by fully qualified name.
    public let entityTypes: [String: EntityTypeDefinition]
    /// Actions by entity UID.
    public let actions: [EntityUID: ActionDefinition]
    /// For each entity type, every type that can be its ancestor (transitively, via `in`).
    let ancestorTypes: [String: Set<String>]
    /// For each action, its transitive ancestor action groups.
    let actionAncestors: [EntityUID: Set<EntityUID>]

    init(entityTypes: [String: EntityTypeDefinition], actions: [EntityUID: ActionDefinition]) {
        self.entityTypes = entityTypes
        self.actions = actions
        var anc: [String: Set<String>] = [:]
        for name in entityTypes.keys {
            var seen: Set<String> = []
            var stack = entityTypes[name]?.memberOfTypes ?? []
            while let t = stack.popLast() {
                if seen.insert(t).inserted { stack.append(contentsOf: entityTypes[t]?.memberOfTypes ?? []) }
            }
            anc[name] = seen
        }
        self.ancestorTypes = anc
        var actAnc: [EntityUID: Set<EntityUID>] = [:]
        for uid in actions.keys {
            var seen: Set<EntityUID> = []
            var stack = actions[uid]?.memberOf ?? []
            while let a = stack.popLast() {
                if seen.insert(a).inserted { stack.append(contentsOf: actions[a]?.memberOf ?? []) }
            }
            actAnc[uid] = seen
        }
        self.actionAncestors = actAnc
    }

    /// Parses a schema in the human-readable (`.cedarschema`) form.
    public static func parse(text: String, limits: CedarParserLimits = .init()) throws(SchemaError) -> Schema {
        var parser: SchemaTextParser
        do {
            parser = try SchemaTextParser(bytes: Array(text.utf8), limits: limits)
        } catch {
            throw SchemaError.syntax(error)
        }
        return try parser.parse().resolve()
    }

    /// Parses a schema in the JSON form.
    public static func parse(json: JSONValue) throws(SchemaError) -> Schema {
        try SchemaJSONReader.read(json).resolve()
    }

    /// Parses either form: text starting with `{` is read as JSON.
    public static func parse(_ text: String) throws(SchemaError) -> Schema {
        if text.first(where: { !$0.isWhitespace }) == "{" {
            do {
                return try parse(json: try JSONValue.parse(text))
            } catch let e as JSONParseError {
                throw SchemaError.invalid("invalid JSON schema: \(e)")
            } catch let e as SchemaError {
                throw e
            } catch {
                throw SchemaError.invalid("\(error)")
            }
        }
        return try parse(text: text)
    }

    /// Whether an entity of type `descendant` may be `in` an entity of type `ancestor`.
    func canBeDescendant(_ descendant: String, of ancestor: String) -> Bool {
        ancestorTypes[descendant]?.contains(ancestor) ?? false
    }

    /// Whether `type` names a declared entity type or the type of a declared action.
    func isKnownEntityType(_ type: String) -> Bool {
        entityTypes[type] != nil || actionTypes.contains(type)
    }

    /// The entity types of the declared actions (`Action`, `NS::Action`, ...).
    var actionTypes: Set<String> { Set(actions.keys.map(\.type)) }
}

/// Why a schema was refused.
public struct SchemaError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: Hashable, Sendable { case syntax, invalid }
    private let code: Code
    /// What was wrong.
    public let message: String
    /// The position, for syntax errors in the text form.
    public let parseError: CedarParseError?

    public var description: String { parseError.map { "\($0)" } ?? message }

    static func syntax(_ e: CedarParseError) -> SchemaError { .init(code: .syntax, message: e.message, parseError: e) }
    static func invalid(_ message: String) -> SchemaError { .init(code: .invalid, message: message, parseError: nil) }
}
