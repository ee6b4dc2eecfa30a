/// A parsed set of Cedar policies, compiled once for repeated authorization.
public struct CedarPolicySet: Sendable {
    /// The policies in source order.
    public let policies: [CedarPolicy]
    /// The same policies as shared references, so authorization does not copy policy structs.
    let compiled: [CompiledPolicy]
    /// Policies indexed by the action they are pinned to with `action == A`.
    let byAction: [EntityUID: [Int]]
    /// Policies whose action scope is not a single `==` (checked for every request).
    let unpinned: [Int]

    /// Parses policy text. Policies are named `policy0`, `policy1`, ... in source order unless
    /// they carry an `@id("...")` annotation.
    public init(text: String, limits: CedarParserLimits = .init()) throws(CedarParseError) {
        try self.init(bytes: Array(text.utf8), limits: limits)
    }

    /// Parses policy text given as UTF-8 bytes; invalid UTF-8 is refused.
    public init(bytes: [UInt8], limits: CedarParserLimits = .init()) throws(CedarParseError) {
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw .encoding("policy text is not valid UTF-8")
        }
        var parser = try PolicyParser(bytes: bytes, limits: limits)
        self.init(policies: try parser.parsePolicies())
    }

    /// Builds a set from already parsed policies.
    public init(policies: [CedarPolicy]) {
        self.policies = policies
        self.compiled = policies.map(CompiledPolicy.init)
        var byAction: [EntityUID: [Int]] = [:]
        var unpinned: [Int] = []
        for (i, p) in policies.enumerated() {
            if case .eq(let a) = p.action {
                byAction[a, default: []].append(i)
            } else {
                unpinned.append(i)
            }
        }
        self.byAction = byAction
        self.unpinned = unpinned
    }

    /// The policy with this id.
    public func policy(id: String) -> CedarPolicy? { policies.first { $0.id == id } }
}

/// A policy in the form the authorizer walks.
final class CompiledPolicy: Sendable {
    let id: String
    let effect: CedarEffect
    let principal: ScopeConstraint
    let action: ActionConstraint
    let resource: ScopeConstraint
    /// `when` (true) / `unless` (false) clauses, compiled for evaluation.
    let conditions: [(isWhen: Bool, body: EvalNode)]

    init(_ p: CedarPolicy) {
        id = p.id
        effect = p.effect
        principal = p.principal
        action = p.action
        resource = p.resource
        conditions = p.conditions.map { ($0.isWhen, EvalNode.compile($0.body)) }
    }

    /// Whether the scope admits the request (never errors: scope operands are entities).
    @inline(__always)
    func scopeMatches(_ e: CedarEvaluator) -> Bool {
        principal.matches(e.request.principal, e.principalEntry) && action.matches(e.request.action, e.actionEntry)
            && resource.matches(e.request.resource, e.resourceEntry)
    }

    /// Evaluates the conditions: `true`/`false`, or the first error.
    func conditionsHold(_ evaluator: CedarEvaluator) throws(CedarEvaluationError) -> Bool {
        for c in conditions {
            let v = try c.body.evaluateBool(evaluator)
            if v != c.isWhen { return false }
        }
        return true
    }
}

extension ScopeConstraint {
    /// Whether the request entity `uid` (whose stored record is `entry`) satisfies the constraint.
    @inline(__always)
    func matches(_ uid: EntityUID, _ entry: StoredEntity?) -> Bool {
        switch self {
        case .any: return true
        case .eq(let e): return uid == e
        case .in(let e): return uid == e || (entry?.hasAncestor(e) ?? false)
        case .is(let t): return uid.type == t
        case .isIn(let t, let e): return uid.type == t && (uid == e || (entry?.hasAncestor(e) ?? false))
        }
    }
}

extension ActionConstraint {
    @inline(__always)
    func matches(_ uid: EntityUID, _ entry: StoredEntity?) -> Bool {
        switch self {
        case .any: return true
        case .eq(let e): return uid == e
        case .in(let list):
            for e in list where uid == e || (entry?.hasAncestor(e) ?? false) { return true }
            return false
        }
    }
}
