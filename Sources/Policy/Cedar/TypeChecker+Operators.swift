/// Typing rules for binary operators, `in`, tags and extension functions, and the canonical
/// rendering of expressions that capabilities are keyed by.
extension TypeChecker {
    mutating func typecheckBinary(_ op: CedarBinaryOp, _ l: CedarExpr, _ r: CedarExpr, _ prior: Set<TypeCapability>) -> TypeAnswer {
        switch op {
        case .eq:
            let a = typecheck(l, prior)
            let b = typecheck(r, prior)
            var type: CheckedType = .anyBool
            if let x = a.type, let y = b.type, disjoint(x, y) {
                type = .singleton(false)
            } else if let lv = literalValue(l), let rv = literalValue(r) {
                type = .singleton(lv == rv)
            }
            let ok = strictEquality(type, a.type, b.type)
            return TypeAnswer(type: type, ok: a.ok && b.ok && ok)
        case .less, .lessEq, .greater, .greaterEq:
            let a = typecheck(l, prior)
            let b = typecheck(r, prior)
            var ok = a.ok && b.ok
            func comparable(_ t: CheckedType) -> Bool {
                switch t {
                case .long, .ext("datetime"), .ext("duration"): return true
                default: return false
                }
            }
            switch (a.type, b.type) {
            case (.never?, .never?): ok = false
            case (.never?, let o?), (let o?, .never?):
                if !comparable(o) { error("expected a comparable type"); ok = false }
            case (let x?, let y?):
                if !(x == y && comparable(x)) {
                    error("cannot compare \(x) and \(y)")
                    ok = false
                }
            default: ok = false
            }
            return TypeAnswer(type: .anyBool, ok: ok)
        case .add, .sub, .mul:
            let a = expect(l, .long, prior)
            let b = expect(r, .long, prior)
            return TypeAnswer(type: .long, ok: a.ok && b.ok)
        case .in:
            return typecheckIn(l, r, prior)
        case .contains:
            let a = expect(l, .set(nil), prior)
            let b = typecheck(r, prior)
            var ok = a.ok && b.ok
            var elem: CheckedType?
            if case .set(let e)? = a.type { elem = e }
            if a.type != nil && b.type != nil && !strictEquality(.anyBool, elem, b.type) { ok = false }
            return TypeAnswer(type: .anyBool, ok: ok)
        case .containsAll, .containsAny:
            let a = expect(l, .set(nil), prior)
            let b = expect(r, .set(nil), prior)
            var ok = a.ok && b.ok
            if a.type != nil && b.type != nil && !strictEquality(.anyBool, a.type, b.type) { ok = false }
            return TypeAnswer(type: .anyBool, ok: ok)
        case .hasTag:
            let a = expect(l, .anyEntity, prior)
            let b = expect(r, .string, prior)
            guard let t = a.type, b.type != nil else { return .fail(.anyBool) }
            let cap = TypeCapability(target: key(l), key: key(r), isTag: true)
            let type: CheckedType = tagTypes(t).isEmpty ? .singleton(false) : (prior.contains(cap) ? .singleton(true) : .anyBool)
            return TypeAnswer(type: type, ok: a.ok && b.ok, caps: a.ok && b.ok ? [cap] : [])
        case .getTag:
            let a = expect(l, .anyEntity, prior)
            let b = expect(r, .string, prior)
            guard let t = a.type, b.type != nil else { return .fail(nil) }
            let cap = TypeCapability(target: key(l), key: key(r), isTag: true)
            guard prior.contains(cap) else {
                error("tag `\(key(r))` of \(t) is read without a `hasTag` check")
                return .fail(nil)
            }
            let tags = tagTypes(t)
            guard !tags.isEmpty else {
                error("\(t) has no tags")
                return .fail(nil)
            }
            var acc: CheckedType? = .never
            for x in Set(tags) { acc = acc.flatMap { lattice.lub($0, x) } }
            guard let tagType = acc else {
                error("incompatible tag types")
                return .fail(nil)
            }
            return TypeAnswer(type: tagType, ok: a.ok && b.ok)
        }
    }

    func disjoint(_ a: CheckedType, _ b: CheckedType) -> Bool {
        if case .entity(let x) = a, case .entity(let y) = b { return x.isDisjoint(with: y) }
        return false
    }

    mutating func typecheckIn(_ l: CedarExpr, _ r: CedarExpr, _ prior: Set<TypeCapability>) -> TypeAnswer {
        let a = expect(l, .anyEntity, prior)
        let b = expectOneOf(r, [.set(.anyEntity), .anyEntity], prior)
        guard a.ok && b.ok else { return .fail(.anyBool) }
        if case .entity(let lhs)? = literalValue(l), lhs.isAction, let rhs = literalEntities(r) {
            let actions = rhs.filter(\.isAction)
            if actions.isEmpty { return .success(.singleton(false)) }
            guard let descendants = actionsIn(actions) else { return .fail(.anyBool) }
            return .success(.singleton(descendants.contains(lhs)))
        }
        var lhsTypes: Set<String>?
        var rhsTypes: Set<String>?
        if case .entity(let x)? = a.type { lhsTypes = x }
        switch b.type {
        case .entity(let x)?: rhsTypes = x
        case .set(.entity(let x)?)?: rhsTypes = x
        default: break
        }
        if let lhsTypes, let rhsTypes, !canBeDescendant(lhsTypes, rhsTypes) {
            return .success(.singleton(false))
        }
        return .success(.anyBool)
    }

    func literalEntities(_ e: CedarExpr) -> [EntityUID]? {
        if case .entity(let u)? = literalValue(e) { return [u] }
        if case .set(let list) = e {
            var out: [EntityUID] = []
            for x in list {
                guard case .entity(let u)? = literalValue(x) else { return nil }
                out.append(u)
            }
            return out
        }
        return nil
    }

    func canBeDescendant(_ lhs: Set<String>, _ rhs: Set<String>) -> Bool {
        for l in lhs {
            for r in rhs {
                if l == r || schema.canBeDescendant(l, of: r) { return true }
                // Action groups: an action of type `l` may sit under an action of type `r`.
                for (uid, anc) in schema.actionAncestors where uid.type == l && anc.contains(where: { $0.type == r }) {
                    return true
                }
            }
        }
        return false
    }

    mutating func typecheckCall(_ f: CedarExtFunction, _ args: [CedarExpr], _ prior: Set<TypeCapability>) -> TypeAnswer {
        let (params, ret) = TypeChecker.signature(f)
        var failed = false
        if args.count != params.count {
            error("wrong number of arguments to `\(f.rawValue)`")
            failed = true
        }
        if f.isConstructor {
            if args.count == 1, case .literal(.string(let s)) = args[0], case .failure(let e) = f.construct(s) {
                error("invalid argument to `\(f.rawValue)`: \(e.message)")
                failed = true
            }
            if !args.allSatisfy({ if case .literal = $0 { return true } else { return false } }) {
                error("extension constructors must be applied to literals in strict mode")
                failed = true
            }
        }
        if failed {
            for a in args { _ = typecheck(a, prior) }
            return .fail(ret)
        }
        var ok = true
        for (a, p) in zip(args, params) {
            let ans = expect(a, p, prior)
            ok = ok && ans.ok
        }
        return TypeAnswer(type: ret, ok: ok)
    }

    static func signature(_ f: CedarExtFunction) -> ([CheckedType], CheckedType) {
        let ip = CheckedType.ext("ipaddr"), dec = CheckedType.ext("decimal"), dt = CheckedType.ext("datetime"), dur = CheckedType.ext("duration")
        switch f {
        case .ip: return ([.string], ip)
        case .decimal: return ([.string], dec)
        case .datetime: return ([.string], dt)
        case .duration: return ([.string], dur)
        case .isIpv4, .isIpv6, .isLoopback, .isMulticast: return ([ip], .anyBool)
        case .isInRange: return ([ip, ip], .anyBool)
        case .lessThan, .lessThanOrEqual, .greaterThan, .greaterThanOrEqual: return ([dec, dec], .anyBool)
        case .offset: return ([dt, dur], dt)
        case .durationSince: return ([dt, dt], dur)
        case .toDate: return ([dt], dt)
        case .toTime: return ([dt], dur)
        case .toDays, .toHours, .toMinutes, .toSeconds, .toMilliseconds: return ([dur], .long)
        }
    }

    /// Canonical text of an expression, so capabilities compare expressions structurally.
    func key(_ e: CedarExpr) -> String {
        var out = ""
        TypeChecker.render(e, into: &out)
        return out
    }

    static func render(_ e: CedarExpr, into out: inout String) {
        switch e {
        case .literal(let v): out += v.description
        case .variable(let v): out += v.name
        case .ifThenElse(let a, let b, let c):
            out += "(if "; render(a, into: &out); out += " then "; render(b, into: &out); out += " else "; render(c, into: &out); out += ")"
        case .and(let a, let b): out += "("; render(a, into: &out); out += " && "; render(b, into: &out); out += ")"
        case .or(let a, let b): out += "("; render(a, into: &out); out += " || "; render(b, into: &out); out += ")"
        case .not(let a): out += "!("; render(a, into: &out); out += ")"
        case .negate(let a): out += "-("; render(a, into: &out); out += ")"
        case .binary(let op, let a, let b):
            out += "(\(op) "; render(a, into: &out); out += ", "; render(b, into: &out); out += ")"
        case .isEmpty(let a): out += "isEmpty("; render(a, into: &out); out += ")"
        case .getAttr(let a, let k): out += "("; render(a, into: &out); out += ")[\(cedarQuoted(k))]"
        case .hasAttr(let a, let k): out += "("; render(a, into: &out); out += " has \(cedarQuoted(k)))"
        case .like(let a, let p): out += "("; render(a, into: &out); out += " like \(p))"
        case .isType(let a, let t): out += "("; render(a, into: &out); out += " is \(t))"
        case .set(let list):
            out += "["
            for x in list { render(x, into: &out); out += "," }
            out += "]"
        case .record(let entries):
            out += "{"
            for (k, x) in entries.sorted(by: { $0.0 < $1.0 }) { out += "\(cedarQuoted(k)):"; render(x, into: &out); out += "," }
            out += "}"
        case .call(let f, let args):
            out += "\(f.rawValue)("
            for x in args { render(x, into: &out); out += "," }
            out += ")"
        case .folded(_, let original):
            render(original, into: &out)
        }
    }
}
