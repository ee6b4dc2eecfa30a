/// Singleton or general Boolean type.
enum BoolKind: Hashable, Sendable { case any, alwaysTrue, alwaysFalse }

/// A type as the strict typechecker sees it.
///
/// Entity types are tracked as the set of possible type names (a least upper bound); strict mode
/// never joins different entity types, so in practice the set has one element. Action entities
/// are entity types too.
indirect enum CheckedType: Hashable, Sendable {
    case never
    case bool(BoolKind)
    case long
    case string
    /// A set; `nil` element type stands for "any set" and only appears as an expected type.
    case set(CheckedType?)
    case record([String: CheckedAttribute], isOpen: Bool)
    case entity(Set<String>)
    case anyEntity
    case ext(String)

    static let anyBool = CheckedType.bool(.any)
    static let anyRecord = CheckedType.record([:], isOpen: true)

    static func singleton(_ b: Bool) -> CheckedType { .bool(b ? .alwaysTrue : .alwaysFalse) }

    var isFalse: Bool { self == .bool(.alwaysFalse) }
    var isTrue: Bool { self == .bool(.alwaysTrue) }
}

extension CheckedType: CustomStringConvertible {
    /// Cedar-like spelling, for validation messages.
    var description: String {
        switch self {
        case .never: return "Never"
        case .bool(.any): return "Bool"
        case .bool(.alwaysTrue): return "True"
        case .bool(.alwaysFalse): return "False"
        case .long: return "Long"
        case .string: return "String"
        case .set(let e): return "Set<\(e.map(\.description) ?? "_")>"
        case .record(let attrs, let open):
            let body = attrs.sorted { $0.key < $1.key }.map { "\($0.key)\($0.value.required ? "" : "?"): \($0.value.type)" }
            return "{" + body.joined(separator: ", ") + (open ? ", ..." : "") + "}"
        case .entity(let names): return names.sorted().joined(separator: " | ")
        case .anyEntity: return "entity"
        case .ext(let n): return n
        }
    }
}

/// A record or entity attribute type.
struct CheckedAttribute: Hashable, Sendable {
    let type: CheckedType
    let required: Bool
}

extension CheckedType {
    /// Converts a schema type.
    init(_ t: SchemaType) {
        switch t {
        case .bool: self = .anyBool
        case .long: self = .long
        case .string: self = .string
        case .entity(let n): self = .entity([n])
        case .set(let e): self = .set(CheckedType(e))
        case .record(let r): self = CheckedType(record: r)
        case .ext(let n): self = .ext(n)
        }
    }

    init(record r: RecordType) {
        var attrs: [String: CheckedAttribute] = [:]
        for (k, a) in r.attributes { attrs[k] = CheckedAttribute(type: CheckedType(a.type), required: a.required) }
        self = .record(attrs, isOpen: r.isOpen)
    }
}

/// Subtyping and least upper bounds, strict or permissive.
struct TypeLattice {
    let strict: Bool

    func isSubtype(_ a: CheckedType, _ b: CheckedType) -> Bool {
        switch (a, b) {
        case (.never, _): return true
        case (.bool(let x), .bool(let y)): return y == .any || x == y
        case (.long, .long), (.string, .string): return true
        case (.set(let e0), .set(let e1)):
            switch (e0, e1) {
            case (.some(let x), .some(let y)): return isSubtype(x, y)
            case (.some, .none), (.none, .none): return true
            case (.none, .some): return false
            }
        case (.record(let a0, let o0), .record(let a1, let o1)):
            guard !o0 || o1 else { return false }
            if o1 && !strict && attributesSubtype(a0, a1) { return true }
            return Set(a0.keys) == Set(a1.keys) && attributesSubtype(a0, a1)
        case (.entity(let l0), .entity(let l1)):
            return strict ? l0 == l1 : l0.isSubset(of: l1)
        case (.anyEntity, .anyEntity): return true
        case (.entity, .anyEntity): return !strict
        case (.ext(let x), .ext(let y)): return x == y
        default: return false
        }
    }

    private func attributesSubtype(_ a0: [String: CheckedAttribute], _ a1: [String: CheckedAttribute]) -> Bool {
        for (k, t1) in a1 {
            guard let t0 = a0[k] else { return false }
            let qualifier = strict ? t0.required == t1.required : (t0.required || !t1.required)
            if !qualifier || !isSubtype(t0.type, t1.type) { return false }
        }
        return true
    }

    func lub(_ a: CheckedType, _ b: CheckedType) -> CheckedType? {
        if isSubtype(a, b) { return b }
        if isSubtype(b, a) { return a }
        switch (a, b) {
        case (.bool, .bool): return .anyBool
        case (.set(.none), .set), (.set, .set(.none)): return .set(nil)
        case (.set(.some(let x)), .set(.some(let y))):
            guard let e = lub(x, y) else { return nil }
            return .set(e)
        case (.record(let a0, let o0), .record(let a1, let o1)):
            var out: [String: CheckedAttribute] = [:]
            if strict {
                guard Set(a0.keys) == Set(a1.keys) else { return nil }
                for (k, t0) in a0 {
                    guard let t1 = a1[k], t0.required == t1.required, let l = lub(t0.type, t1.type) else { return nil }
                    out[k] = CheckedAttribute(type: l, required: t0.required)
                }
            } else {
                for (k, t0) in a0 {
                    if let t1 = a1[k], let l = lub(t0.type, t1.type) {
                        out[k] = CheckedAttribute(type: l, required: t0.required && t1.required)
                    }
                }
            }
            let open = o0 || o1 || Set(out.keys) != Set(a0.keys).union(a1.keys)
            return .record(out, isOpen: open)
        case (.entity(let l0), .entity(let l1)):
            return strict ? nil : .entity(l0.union(l1))
        case (.anyEntity, .entity), (.entity, .anyEntity):
            return strict ? nil : .anyEntity
        default:
            return nil
        }
    }
}
