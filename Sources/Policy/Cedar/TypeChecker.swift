/// One request environment: an action with one principal type and one resource type it applies to.
struct RequestEnvironment {
    let principal: String
    let action: EntityUID
    let resource: String
    let context: CheckedType
}

/// A capability learned from a `has` or `hasTag` test that evaluated to true: the expression
/// (by canonical text) and the attribute or tag.
struct TypeCapability: Hashable {
    let target: String
    let key: String
    let isTag: Bool
}

/// The result of typechecking an expression: a type if one could be assigned, whether checking
/// succeeded, and the capabilities that hold when the expression is true.
struct TypeAnswer {
    var type: CheckedType?
    var ok: Bool
    var caps: Set<TypeCapability> = []

    static func success(_ t: CheckedType?, _ caps: Set<TypeCapability> = []) -> TypeAnswer { TypeAnswer(type: t, ok: true, caps: caps) }
    static func fail(_ t: CheckedType?) -> TypeAnswer { TypeAnswer(type: t, ok: false) }
}

/// Strict-mode typechecking of one policy against every request environment of the schema,
/// plus the schema-level checks (unknown entity types and actions, enumerated ids, and whether
/// the scope can apply to any action at all).
///
/// The rules follow the reference validator: singleton Boolean types let `&&`, `||` and `if`
/// short-circuit, `has` guards make optional attributes safe, `in` between types that cannot be
/// related is `false`, and strict mode forbids joining different types.
struct TypeChecker {
    let schema: Schema
    let policyID: String
    var issues: [ValidationIssue] = []
    let lattice = TypeLattice(strict: true)
    let permissive = TypeLattice(strict: false)
    var env = RequestEnvironment(principal: "", action: EntityUID(type: "", id: ""), resource: "", context: .anyRecord)
    var envErrors = 0
    var reported: Set<String> = []

    init(schema: Schema, policyID: String) {
        self.schema = schema
        self.policyID = policyID
    }

    mutating func error(_ message: String) {
        envErrors += 1
        // The same problem usually shows in many environments; report it once.
        guard issues.count < 50, reported.insert(message).inserted else { return }
        // Type errors depend on the request environment, so say which one.
        let context = env.principal.isEmpty ? "" : "for principal \(env.principal), action \(env.action), resource \(env.resource): "
        issues.append(ValidationIssue(policyID: policyID, message: context + message))
    }

    // MARK: - Policy level

    mutating func check(_ policy: CedarPolicy) {
        checkEntityTypesAndLiterals(policy)
        checkActionApplication(policy)
        let condition = TypeChecker.condition(of: policy)
        for action in schema.actions.values.sorted(by: { $0.uid.id < $1.uid.id }) {
            for p in action.principalTypes {
                for r in action.resourceTypes {
                    env = RequestEnvironment(principal: p, action: action.uid, resource: r, context: CheckedType(record: action.context))
                    envErrors = 0
                    let ans = expect(condition, .anyBool, [])
                    let isFalse = ans.type?.isFalse ?? false
                    if envErrors > 0 || (!isFalse && !ans.ok) {
                        if envErrors == 0 {
                            issues.append(ValidationIssue(policyID: policyID, message: "policy fails to typecheck for \(p), \(action.uid), \(r)"))
                        }
                    }
                }
            }
        }
    }

    /// The whole policy as one Boolean expression: scope constraints, then the conditions.
    static func condition(of p: CedarPolicy) -> CedarExpr {
        func scope(_ c: ScopeConstraint, _ v: CedarVariable) -> CedarExpr {
            switch c {
            case .any: return .literal(.bool(true))
            case .eq(let e): return .binary(.eq, .variable(v), .literal(.entity(e)))
            case .in(let e): return .binary(.in, .variable(v), .literal(.entity(e)))
            case .is(let t): return .isType(.variable(v), t)
            case .isIn(let t, let e): return .and(.isType(.variable(v), t), .binary(.in, .variable(v), .literal(.entity(e))))
            }
        }
        let action: CedarExpr
        switch p.action {
        case .any: action = .literal(.bool(true))
        case .eq(let e): action = .binary(.eq, .variable(.action), .literal(.entity(e)))
        case .in(let list): action = .binary(.in, .variable(.action), .set(list.map { .literal(.entity($0)) }))
        }
        var body: CedarExpr?
        for c in p.conditions {
            let e: CedarExpr = c.isWhen ? c.body : .not(c.body)
            body = body.map { .and($0, e) } ?? e
        }
        return .and(scope(p.principal, .principal), .and(action, .and(scope(p.resource, .resource), body ?? .literal(.bool(true)))))
    }

    func isKnownEntityType(_ t: String) -> Bool {
        EntityUID(type: t, id: "").isAction || schema.entityTypes[t] != nil
    }

    mutating func checkEntityTypesAndLiterals(_ p: CedarPolicy) {
        var uids: [EntityUID] = []
        var types: [String] = []
        func scope(_ c: ScopeConstraint) {
            switch c {
            case .any: break
            case .eq(let e), .in(let e): uids.append(e)
            case .is(let t): types.append(t)
            case .isIn(let t, let e): types.append(t); uids.append(e)
            }
        }
        scope(p.principal)
        scope(p.resource)
        switch p.action {
        case .any: break
        case .eq(let e): uids.append(e)
        case .in(let list): uids.append(contentsOf: list)
        }
        for c in p.conditions { TypeChecker.collect(c.body, &uids, &types) }
        for t in types + uids.map(\.type) where !isKnownEntityType(t) {
            error("unrecognized entity type `\(t)`")
        }
        for u in uids {
            if u.isAction {
                if schema.actions[u] == nil { error("unrecognized action `\(u)`") }
            } else if let values = schema.entityTypes[u.type]?.enumValues, !values.contains(u.id) {
                error("`\(u)` is not a valid value of the enumerated entity type `\(u.type)`")
            }
        }
    }

    static func collect(_ e: CedarExpr, _ uids: inout [EntityUID], _ types: inout [String]) {
        switch e {
        case .literal(let v):
            if case .entity(let u) = v { uids.append(u) }
        case .variable: break
        case .ifThenElse(let a, let b, let c):
            collect(a, &uids, &types); collect(b, &uids, &types); collect(c, &uids, &types)
        case .and(let a, let b), .or(let a, let b), .binary(_, let a, let b):
            collect(a, &uids, &types); collect(b, &uids, &types)
        case .not(let a), .negate(let a), .isEmpty(let a), .getAttr(let a, _), .hasAttr(let a, _), .like(let a, _):
            collect(a, &uids, &types)
        case .isType(let a, let t):
            types.append(t)
            collect(a, &uids, &types)
        case .set(let list), .call(_, let list):
            for x in list { collect(x, &uids, &types) }
        case .record(let entries):
            for (_, x) in entries { collect(x, &uids, &types) }
        case .folded(_, let original):
            collect(original, &uids, &types)
        }
    }

    /// Entity types an entity must have to be `in` an entity of type `t` (including `t`).
    func typesIn(_ t: String) -> Set<String> {
        var out: Set<String> = [t]
        for (name, anc) in schema.ancestorTypes where anc.contains(t) { out.insert(name) }
        return out
    }

    func scopeTypes(_ c: ScopeConstraint) -> Set<String> {
        switch c {
        case .any: return Set(schema.entityTypes.keys)
        case .eq(let e): return [e.type]
        case .in(let e): return typesIn(e.type)
        case .is(let t): return schema.entityTypes[t] != nil ? [t] : []
        case .isIn(let t, let e): return typesIn(e.type).filter { $0 == t }
        }
    }

    mutating func checkActionApplication(_ p: CedarPolicy) {
        let actions: [ActionDefinition]
        switch p.action {
        case .any: actions = Array(schema.actions.values)
        case .eq(let e): actions = schema.actions[e].map { [$0] } ?? []
        case .in(let list):
            if let set = actionsIn(list) { actions = set.compactMap { schema.actions[$0] } } else { actions = [] }
        }
        let principals = scopeTypes(p.principal)
        let resources = scopeTypes(p.resource)
        let applies = actions.contains { a in
            !principals.isDisjoint(with: a.principalTypes) && !resources.isDisjoint(with: a.resourceTypes)
        }
        if !applies { error("unable to find an applicable action given the policy scope constraints") }
    }

    /// Every declared action that is (transitively) in one of `list`, including those listed;
    /// `nil` if any listed action is not declared.
    func actionsIn(_ list: [EntityUID]) -> Set<EntityUID>? {
        var out: Set<EntityUID> = []
        for a in list {
            guard schema.actions[a] != nil else { return nil }
            out.insert(a)
            for (uid, anc) in schema.actionAncestors where anc.contains(a) { out.insert(uid) }
        }
        return out
    }
}
