/// The request an expression is evaluated against.
public struct CedarRequest: Sendable {
    /// The principal entity.
    public var principal: EntityUID
    /// The action entity.
    public var action: EntityUID
    /// The resource entity.
    public var resource: EntityUID
    /// The context record.
    public var context: [String: CedarValue]

    /// Creates a request.
    public init(principal: EntityUID, action: EntityUID, resource: EntityUID, context: [String: CedarValue] = [:]) {
        self.principal = principal
        self.action = action
        self.resource = resource
        self.context = context
    }
}

/// Evaluates compiled expressions against one request and entity store.
///
/// Recursion depth equals the expression tree height, which the parser bounds
/// (``CedarParserLimits/maxDepth``).
struct CedarEvaluator {
    let request: CedarRequest
    let entities: Entities
    let contextValue: CedarValue
    /// The request's entities, looked up once per request: most policy conditions read
    /// attributes of the principal or resource, or test their ancestors.
    let principalEntry: StoredEntity?
    let actionEntry: StoredEntity?
    let resourceEntry: StoredEntity?

    init(request: CedarRequest, entities: Entities) {
        self.request = request
        self.entities = entities
        self.contextValue = .record(request.context)
        self.principalEntry = entities.stored(request.principal)
        self.actionEntry = entities.stored(request.action)
        self.resourceEntry = entities.stored(request.resource)
    }

    /// The stored record of a request variable other than `context`.
    @inline(__always)
    func requestEntry(_ v: CedarVariable) -> StoredEntity? {
        switch v {
        case .principal: return principalEntry
        case .action: return actionEntry
        case .resource: return resourceEntry
        case .context: return nil
        }
    }

    /// The uid of a request variable other than `context`.
    func requestUID(_ v: CedarVariable) -> EntityUID {
        switch v {
        case .principal: return request.principal
        case .action: return request.action
        default: return request.resource
        }
    }

    /// Evaluates an expression (compiling it first; policies keep their compiled form).
    func eval(_ e: CedarExpr) throws(CedarEvaluationError) -> CedarValue {
        try EvalNode.compile(e).evaluate(self)
    }

    func negate(_ v: CedarValue) throws(CedarEvaluationError) -> CedarValue {
        let x = try long(v)
        let (r, o) = Int64(0).subtractingReportingOverflow(x)
        if o { throw .overflow("integer overflow while attempting to negate the value `\(x)`") }
        return .long(r)
    }

    func hasAttr(_ v: CedarValue, _ name: String) throws(CedarEvaluationError) -> CedarValue {
        switch v {
        case .record(let r): return .bool(r[name] != nil)
        case .entity(let uid): return .bool(entities.stored(uid)?.attribute(name) != nil)
        default: throw .type(expected: "one of [record, (entity of type `any_entity_type`)]", got: v)
        }
    }

    func long(_ v: CedarValue) throws(CedarEvaluationError) -> Int64 {
        guard case .long(let l) = v else { throw .type(expected: "long", got: v) }
        return l
    }

    func getAttr(_ v: CedarValue, _ name: String) throws(CedarEvaluationError) -> CedarValue {
        switch v {
        case .record(let r):
            guard let a = r[name] else { throw .missingAttribute("record does not have the attribute `\(name)`") }
            return a
        case .entity(let uid):
            guard let entity = entities.stored(uid) else { throw .missingEntity(uid) }
            guard let a = entity.attribute(name) else {
                throw .missingAttribute("`\(uid)` does not have the attribute `\(name)`")
            }
            return a
        default:
            throw .type(expected: "one of [record, (entity of type `any_entity_type`)]", got: v)
        }
    }

    func binary(_ op: CedarBinaryOp, _ l: CedarValue, _ r: CedarValue) throws(CedarEvaluationError) -> CedarValue {
        switch op {
        case .eq:
            return .bool(l == r)
        case .less, .lessEq, .greater, .greaterEq:
            let c: Int
            switch (l, r) {
            case (.long(let a), .long(let b)): c = a < b ? -1 : (a == b ? 0 : 1)
            case (.ext(.datetime(let a)), .ext(.datetime(let b))): c = a < b ? -1 : (a == b ? 0 : 1)
            case (.ext(.duration(let a)), .ext(.duration(let b))): c = a < b ? -1 : (a == b ? 0 : 1)
            default:
                let bad = isComparable(l) ? r : l
                if isComparable(l) && isComparable(r) {
                    throw .type("cannot compare \(l.typeName) with \(r.typeName)")
                }
                throw .type(expected: "one of [long, datetime, duration]", got: bad)
            }
            switch op {
            case .less: return .bool(c < 0)
            case .lessEq: return .bool(c <= 0)
            case .greater: return .bool(c > 0)
            default: return .bool(c >= 0)
            }
        case .add, .sub, .mul:
            let a = try long(l)
            let b = try long(r)
            let (v, o): (Int64, Bool)
            switch op {
            case .add: (v, o) = a.addingReportingOverflow(b)
            case .sub: (v, o) = a.subtractingReportingOverflow(b)
            default: (v, o) = a.multipliedReportingOverflow(by: b)
            }
            if o { throw .overflow("integer overflow while attempting to compute `\(a)` \(op) `\(b)`") }
            return .long(v)
        case .in:
            guard case .entity(let child) = l else { throw .type(expected: "(entity of type `any_entity_type`)", got: l) }
            switch r {
            case .entity(let parent):
                return .bool(entities.isDescendant(child, of: parent))
            case .set(let s):
                var found = false
                for el in s {
                    guard case .entity(let parent) = el else {
                        throw .type(expected: "(entity of type `any_entity_type`)", got: el)
                    }
                    if !found && entities.isDescendant(child, of: parent) { found = true }
                }
                return .bool(found)
            default:
                throw .type(expected: "one of [set, (entity of type `any_entity_type`)]", got: r)
            }
        case .contains:
            guard case .set(let s) = l else { throw .type(expected: "set", got: l) }
            return .bool(s.contains(r))
        case .containsAll, .containsAny:
            guard case .set(let a) = l else { throw .type(expected: "set", got: l) }
            guard case .set(let b) = r else { throw .type(expected: "set", got: r) }
            return .bool(op == .containsAll ? b.isSubset(of: a) : !a.isDisjoint(with: b))
        case .hasTag, .getTag:
            guard case .entity(let uid) = l else { throw .type(expected: "(entity of type `any_entity_type`)", got: l) }
            guard case .string(let tag) = r else { throw .type(expected: "string", got: r) }
            let entity = entities.stored(uid)?.entity
            if op == .hasTag { return .bool(entity?.tags[tag] != nil) }
            guard let entity else { throw .missingEntity(uid) }
            guard let v = entity.tags[tag] else { throw .missingTag("`\(uid)` does not have the tag `\(tag)`") }
            return v
        }
    }

    func isComparable(_ v: CedarValue) -> Bool {
        switch v {
        case .long, .ext(.datetime), .ext(.duration): return true
        default: return false
        }
    }
}

