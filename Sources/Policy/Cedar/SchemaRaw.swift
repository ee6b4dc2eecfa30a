/// A schema type as written, before names are resolved.
indirect enum RawType: Sendable {
    /// A name that may be a common type, an entity type or a builtin (resolved in that order).
    case name(String)
    /// A name the JSON form marked as an entity type.
    case entityName(String)
    /// A name the JSON form marked as an extension type.
    case extensionName(String)
    case bool, long, string
    case set(RawType)
    case record([String: RawAttribute], isOpen: Bool)
}

struct RawAttribute: Sendable {
    let type: RawType
    let required: Bool
}

struct RawEntityType: Sendable {
    let name: String
    let memberOf: [String]
    let shape: RawType?
    let tags: RawType?
    let enumValues: [String]?
}

/// An action reference as written: an id and an optional explicit type path.
struct RawActionRef: Sendable {
    let type: String?
    let id: String
}

struct RawAction: Sendable {
    let id: String
    let memberOf: [RawActionRef]
    /// `nil` when the action has no `appliesTo`.
    let principalTypes: [String]?
    let resourceTypes: [String]?
    let context: RawType?
}

struct RawNamespace: Sendable {
    let name: String
    var entityTypes: [RawEntityType] = []
    var actions: [RawAction] = []
    var commonTypes: [(String, RawType)] = []
}

/// The unresolved schema both syntaxes produce; ``resolve()`` applies Cedar's name rules.
struct RawSchema: Sendable {
    var namespaces: [RawNamespace] = []

    func qualify(_ ns: String, _ name: String) -> String { ns.isEmpty ? name : "\(ns)::\(name)" }

    func resolve() throws(SchemaError) -> Schema {
        var common: [String: (ns: String, type: RawType)] = [:]
        var entityNames: Set<String> = []
        for ns in namespaces {
            for (n, t) in ns.commonTypes {
                let q = qualify(ns.name, n)
                if ["Bool", "Boolean", "Long", "String", "Set", "Record", "Entity", "Extension"].contains(n) {
                    throw .invalid("common type name `\(n)` is reserved")
                }
                guard common[q] == nil else { throw .invalid("duplicate common type `\(q)`") }
                common[q] = (ns.name, t)
            }
            for e in ns.entityTypes {
                let q = qualify(ns.name, e.name)
                guard entityNames.insert(q).inserted else { throw .invalid("duplicate entity type `\(q)`") }
            }
        }
        var resolver = Resolver(common: common, entityNames: entityNames)
        var entityTypes: [String: EntityTypeDefinition] = [:]
        var actions: [EntityUID: ActionDefinition] = [:]
        for ns in namespaces {
            for e in ns.entityTypes {
                let q = qualify(ns.name, e.name)
                var parents: [String] = []
                for p in e.memberOf {
                    guard let r = resolver.entityName(p, ns.name) else { throw .invalid("undeclared entity type `\(p)`") }
                    parents.append(r)
                }
                var shape = RecordType(attributes: [:])
                if let s = e.shape {
                    guard case .record(let r) = try resolver.resolve(s, ns.name) else {
                        throw .invalid("the shape of `\(q)` must be a record")
                    }
                    shape = r
                }
                let tags = try e.tags.map { (t) throws(SchemaError) in try resolver.resolve(t, ns.name) }
                if let values = e.enumValues, values.isEmpty { throw .invalid("enumerated entity type `\(q)` has no values") }
                entityTypes[q] = EntityTypeDefinition(
                    name: q, memberOfTypes: parents, shape: shape, tags: tags, enumValues: e.enumValues)
            }
        }
        // Actions: collect ids first so `in` references can be checked.
        var declared: Set<EntityUID> = []
        for ns in namespaces {
            for a in ns.actions {
                let uid = EntityUID(type: qualify(ns.name, "Action"), id: a.id)
                guard declared.insert(uid).inserted else { throw .invalid("duplicate action `\(uid)`") }
            }
        }
        for ns in namespaces {
            for a in ns.actions {
                let uid = EntityUID(type: qualify(ns.name, "Action"), id: a.id)
                var parents: [EntityUID] = []
                for p in a.memberOf {
                    let ref: EntityUID
                    if let t = p.type {
                        ref = EntityUID(type: t.contains("::") || ns.name.isEmpty ? t : (t == "Action" ? qualify(ns.name, t) : t), id: p.id)
                    } else {
                        ref = EntityUID(type: qualify(ns.name, "Action"), id: p.id)
                    }
                    var resolved = ref
                    if !declared.contains(ref), p.type == "Action", declared.contains(EntityUID(type: "Action", id: p.id)) {
                        resolved = EntityUID(type: "Action", id: p.id)
                    }
                    guard declared.contains(resolved) else { throw .invalid("undeclared action `\(resolved)` in `\(uid)`") }
                    parents.append(resolved)
                }
                var principals: [String] = []
                var resources: [String] = []
                for p in a.principalTypes ?? [] {
                    guard let r = resolver.entityName(p, ns.name) else { throw .invalid("undeclared entity type `\(p)`") }
                    principals.append(r)
                }
                for p in a.resourceTypes ?? [] {
                    guard let r = resolver.entityName(p, ns.name) else { throw .invalid("undeclared entity type `\(p)`") }
                    resources.append(r)
                }
                var context = RecordType(attributes: [:])
                if let c = a.context {
                    guard case .record(let r) = try resolver.resolve(c, ns.name) else {
                        throw .invalid("the context of `\(uid)` must be a record")
                    }
                    context = r
                }
                actions[uid] = ActionDefinition(
                    uid: uid, memberOf: parents, principalTypes: principals, resourceTypes: resources, context: context)
            }
        }
        try checkActionCycles(actions)
        return Schema(entityTypes: entityTypes, actions: actions)
    }

    private func checkActionCycles(_ actions: [EntityUID: ActionDefinition]) throws(SchemaError) {
        for start in actions.keys {
            var seen: Set<EntityUID> = []
            var stack = actions[start]?.memberOf ?? []
            while let a = stack.popLast() {
                if a == start { throw .invalid("action `\(start)` is its own ancestor") }
                if seen.insert(a).inserted { stack.append(contentsOf: actions[a]?.memberOf ?? []) }
            }
        }
    }
}

/// Resolves type names with Cedar's precedence: common type in the namespace, entity type in
/// the namespace, common type at the top level, entity type at the top level, builtin.
private struct Resolver {
    let common: [String: (ns: String, type: RawType)]
    let entityNames: Set<String>
    var resolving: Set<String> = []
    var cache: [String: SchemaType] = [:]

    init(common: [String: (ns: String, type: RawType)], entityNames: Set<String>) {
        self.common = common
        self.entityNames = entityNames
    }

    func entityName(_ name: String, _ ns: String) -> String? {
        if name.contains("::") { return entityNames.contains(name) ? name : nil }
        let q = ns.isEmpty ? name : "\(ns)::\(name)"
        if entityNames.contains(q) { return q }
        if entityNames.contains(name) { return name }
        return nil
    }

    static func builtin(_ name: String) -> SchemaType? {
        let bare = name.hasPrefix("__cedar::") ? String(name.dropFirst("__cedar::".count)) : name
        switch bare {
        case "Bool", "Boolean": return .bool
        case "Long": return .long
        case "String": return .string
        case "ipaddr", "decimal", "datetime", "duration": return .ext(bare)
        default: return nil
        }
    }

    mutating func commonType(_ q: String) throws(SchemaError) -> SchemaType? {
        guard let (ns, t) = common[q] else { return nil }
        if let c = cache[q] { return c }
        guard resolving.insert(q).inserted else { throw .invalid("common type `\(q)` refers to itself") }
        let r = try resolve(t, ns)
        resolving.remove(q)
        cache[q] = r
        return r
    }

    mutating func resolveName(_ name: String, _ ns: String) throws(SchemaError) -> SchemaType {
        if name.hasPrefix("__cedar::") {
            if let b = Resolver.builtin(name) { return b }
            throw .invalid("unknown builtin type `\(name)`")
        }
        if name.contains("::") {
            if let c = try commonType(name) { return c }
            if entityNames.contains(name) { return .entity(name) }
            throw .invalid("failed to resolve type: \(name)")
        }
        let q = ns.isEmpty ? name : "\(ns)::\(name)"
        if let c = try commonType(q) { return c }
        if entityNames.contains(q) { return .entity(q) }
        if !ns.isEmpty {
            if let c = try commonType(name) { return c }
            if entityNames.contains(name) { return .entity(name) }
        }
        if let b = Resolver.builtin(name) { return b }
        throw .invalid("failed to resolve type: \(name)")
    }

    mutating func resolve(_ t: RawType, _ ns: String) throws(SchemaError) -> SchemaType {
        switch t {
        case .bool: return .bool
        case .long: return .long
        case .string: return .string
        case .name(let n): return try resolveName(n, ns)
        case .entityName(let n):
            guard let r = entityName(n, ns) else { throw .invalid("undeclared entity type `\(n)`") }
            return .entity(r)
        case .extensionName(let n):
            guard ["ipaddr", "decimal", "datetime", "duration"].contains(n) else { throw .invalid("unknown extension type `\(n)`") }
            return .ext(n)
        case .set(let e): return .set(try resolve(e, ns))
        case .record(let attrs, let isOpen):
            var out: [String: AttributeType] = [:]
            for (k, a) in attrs { out[k] = AttributeType(type: try resolve(a.type, ns), required: a.required) }
            return .record(RecordType(attributes: out, isOpen: isOpen))
        }
    }
}
