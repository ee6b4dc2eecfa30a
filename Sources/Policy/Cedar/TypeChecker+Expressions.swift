/// Typing rules for expressions: variables, literals, Boolean connectives with singleton
/// types, attribute access guarded by capabilities, `is`, `like`, sets and records.
extension TypeChecker {
    mutating func expectOneOf(_ e: CedarExpr, _ expected: [CheckedType], _ prior: Set<TypeCapability>) -> TypeAnswer {
        var ans = typecheck(e, prior)
        guard let t = ans.type else { return .fail(nil) }
        if !expected.contains(where: { permissive.isSubtype(t, $0) }) {
            error("expected \(expected.map(\.description).joined(separator: " or ")), got \(t)")
            return .fail(nil)
        }
        if !ans.ok { ans.caps = [] }
        return ans
    }

    mutating func expect(_ e: CedarExpr, _ expected: CheckedType, _ prior: Set<TypeCapability>) -> TypeAnswer {
        expectOneOf(e, [expected], prior)
    }

    func literalValue(_ e: CedarExpr) -> CedarValue? {
        switch e {
        case .literal(let v): return v
        case .variable(.action): return .entity(env.action)
        default: return nil
        }
    }

    mutating func typecheck(_ e: CedarExpr, _ prior: Set<TypeCapability>) -> TypeAnswer {
        switch e {
        case .variable(let v):
            switch v {
            case .principal: return .success(.entity([env.principal]))
            case .action: return .success(.entity([env.action.type]))
            case .resource: return .success(.entity([env.resource]))
            case .context: return .success(env.context)
            }
        case .literal(let v):
            switch v {
            case .bool(let b): return .success(.singleton(b))
            case .long: return .success(.long)
            case .string: return .success(.string)
            case .entity(let uid):
                if uid.isAction {
                    return schema.actions[uid] != nil ? .success(.entity([uid.type])) : .fail(nil)
                }
                return schema.entityTypes[uid.type] != nil ? .success(.entity([uid.type])) : .fail(nil)
            default:
                return .fail(nil)
            }
        case .ifThenElse(let c, let t, let f):
            let test = expect(c, .anyBool, prior)
            var result: TypeAnswer
            if test.type?.isTrue == true {
                let then = typecheck(t, prior.union(test.caps))
                result = TypeAnswer(type: then.type, ok: then.ok, caps: then.ok ? then.caps.union(test.caps) : [])
            } else if test.type?.isFalse == true {
                let other = typecheck(f, prior)
                result = TypeAnswer(type: other.type, ok: other.ok, caps: other.ok ? other.caps : [])
            } else {
                let then = typecheck(t, prior.union(test.caps))
                let other = typecheck(f, prior)
                var lubType: CheckedType?
                if let a = then.type, let b = other.type {
                    lubType = lattice.lub(a, b)
                    if lubType == nil { error("incompatible types in conditional") }
                }
                let ok = then.ok && other.ok && lubType != nil
                result = TypeAnswer(type: lubType, ok: ok, caps: ok ? then.caps.union(test.caps).intersection(other.caps) : [])
            }
            if !test.ok { result.ok = false; result.caps = [] }
            return result
        case .and(let l, let r):
            let left = expect(l, .anyBool, prior)
            if left.type?.isFalse == true {
                return TypeAnswer(type: left.type, ok: left.ok, caps: [])
            }
            let right = expect(r, .anyBool, prior.union(left.ok ? left.caps : []))
            guard let lt = left.type, let rt = right.type else { return .fail(.anyBool) }
            var result: TypeAnswer
            if rt.isFalse {
                result = .success(.singleton(false))
            } else if rt.isTrue {
                result = .success(lt, left.caps.union(right.caps))
            } else if lt.isTrue {
                result = .success(rt, right.caps)
            } else {
                result = .success(.anyBool, left.caps.union(right.caps))
            }
            if !(left.ok && right.ok) { result.ok = false; result.caps = [] }
            return result
        case .or(let l, let r):
            let left = expect(l, .anyBool, prior)
            if left.type?.isTrue == true {
                return TypeAnswer(type: left.type, ok: left.ok, caps: left.ok ? left.caps : [])
            }
            let right = expect(r, .anyBool, prior)
            guard let lt = left.type, let rt = right.type else { return .fail(.anyBool) }
            var result: TypeAnswer
            if rt.isTrue {
                result = .success(.singleton(true), right.caps)
            } else if rt.isFalse {
                result = .success(lt, left.caps)
            } else if lt.isFalse {
                result = .success(rt, right.caps)
            } else {
                result = .success(.anyBool, left.caps.intersection(right.caps))
            }
            if !(left.ok && right.ok) { result.ok = false; result.caps = [] }
            return result
        case .not(let x):
            let a = expect(x, .anyBool, prior)
            guard let t = a.type else { return .fail(.anyBool) }
            let r: CheckedType = t.isTrue ? .singleton(false) : (t.isFalse ? .singleton(true) : .anyBool)
            return TypeAnswer(type: r, ok: a.ok)
        case .negate(let x):
            let a = expect(x, .long, prior)
            return TypeAnswer(type: .long, ok: a.ok)
        case .isEmpty(let x):
            let a = expect(x, .set(nil), prior)
            return TypeAnswer(type: .anyBool, ok: a.ok)
        case .like(let x, _):
            let a = expect(x, .string, prior)
            return TypeAnswer(type: .anyBool, ok: a.ok)
        case .isType(let x, let t):
            let a = expect(x, .anyEntity, prior)
            switch a.type {
            case .entity(let lub)?:
                let r: CheckedType = !lub.contains(t) ? .singleton(false) : (lub == [t] ? .singleton(true) : .anyBool)
                return TypeAnswer(type: r, ok: a.ok)
            case .anyEntity?:
                return TypeAnswer(type: .anyBool, ok: a.ok)
            default:
                return .fail(.anyBool)
            }
        case .getAttr(let x, let attr):
            let a = expectOneOf(x, [.anyEntity, .anyRecord], prior)
            guard let t = a.type else { return .fail(nil) }
            guard let at = attributeType(t, attr) else {
                error("attribute `\(attr)` not found on \(t)")
                return .fail(nil)
            }
            if at.required || prior.contains(TypeCapability(target: key(x), key: attr, isTag: false)) {
                return TypeAnswer(type: at.type, ok: a.ok)
            }
            error("optional attribute `\(attr)` of \(t) is accessed without a `has` check")
            return .fail(at.type)
        case .hasAttr(let x, let attr):
            let a = expectOneOf(x, [.anyEntity, .anyRecord], prior)
            guard let t = a.type else { return .fail(.anyBool) }
            let cap = TypeCapability(target: key(x), key: attr, isTag: false)
            var result: TypeAnswer
            if let at = attributeType(t, attr) {
                let isRecord: Bool
                if case .record = t { isRecord = true } else { isRecord = false }
                let known = prior.contains(cap) || (at.required && isRecord)
                result = .success(known ? .singleton(true) : .anyBool, [cap])
            } else {
                result = .success(mayHaveAttribute(t, attr) ? .anyBool : .singleton(false))
            }
            if !a.ok { result.ok = false; result.caps = [] }
            return result
        case .set(let elements):
            var ok = true
            var types: [CheckedType] = []
            var allTyped = true
            for el in elements {
                let a = typecheck(el, prior)
                ok = ok && a.ok
                if let t = a.type { types.append(t) } else { allTyped = false }
            }
            var lubType: CheckedType?
            if allTyped {
                var acc: CheckedType? = .never
                for t in types {
                    guard let cur = acc else { break }
                    acc = lattice.lub(cur, t)
                }
                if acc == nil { error("incompatible types in set literal") }
                lubType = acc
            }
            if elements.isEmpty {
                error("empty set literals are forbidden in policies")
                return .fail(nil)
            }
            guard let elemType = lubType else { return .fail(nil) }
            return TypeAnswer(type: .set(elemType), ok: ok)
        case .record(let entries):
            var ok = true
            var attrs: [String: CheckedAttribute] = [:]
            var allTyped = true
            for (k, v) in entries {
                let a = typecheck(v, prior)
                ok = ok && a.ok
                if let t = a.type { attrs[k] = CheckedAttribute(type: t, required: true) } else { allTyped = false }
            }
            guard allTyped else { return .fail(nil) }
            return TypeAnswer(type: .record(attrs, isOpen: false), ok: ok)
        case .call(let f, let args):
            return typecheckCall(f, args, prior)
        case .folded(_, let original):
            return typecheck(original, prior)
        case .binary(let op, let l, let r):
            return typecheckBinary(op, l, r, prior)
        }
    }

    func attributeType(_ t: CheckedType, _ attr: String) -> CheckedAttribute? {
        switch t {
        case .record(let attrs, _): return attrs[attr]
        case .entity(let lub):
            guard lub.count == 1, let name = lub.first, let def = schema.entityTypes[name] else { return nil }
            return def.shape.attributes[attr].map { CheckedAttribute(type: CheckedType($0.type), required: $0.required) }
        default: return nil
        }
    }

    func mayHaveAttribute(_ t: CheckedType, _ attr: String) -> Bool {
        switch t {
        case .never, .anyEntity: return true
        case .record(let attrs, let open): return open || attrs[attr] != nil
        case .entity(let lub):
            return lub.contains { name in
                guard let def = schema.entityTypes[name] else { return !EntityUID(type: name, id: "").isAction }
                return def.shape.isOpen || def.shape.attributes[attr] != nil
            }
        default: return false
        }
    }

    func tagTypes(_ t: CheckedType) -> [CheckedType] {
        switch t {
        case .entity(let lub): return lub.compactMap { schema.entityTypes[$0]?.tags.map(CheckedType.init) }
        case .anyEntity: return schema.entityTypes.values.compactMap { $0.tags.map(CheckedType.init) }
        default: return []
        }
    }

    mutating func strictEquality(_ resultType: CheckedType, _ lhs: CheckedType?, _ rhs: CheckedType?) -> Bool {
        if resultType.isTrue || resultType.isFalse { return true }
        guard let lhs, let rhs else { return true }
        if lattice.lub(lhs, rhs) == nil {
            error("incompatible types \(lhs) and \(rhs)")
            return false
        }
        return true
    }
}
