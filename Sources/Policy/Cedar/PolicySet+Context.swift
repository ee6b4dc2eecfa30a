extension CedarPolicySet {
    /// Whether some policy's conditions could depend on the context attribute `name`: they
    /// read it (`context.name`, `context has name`), or use the context record as a whole
    /// (compare it, pass it on), which this check cannot see through.
    public func mayRead(contextAttribute name: String) -> Bool {
        policies.contains { policy in policy.conditions.contains { Self.mayRead(name, in: $0.body) } }
    }

    private static func mayRead(_ name: String, in expr: CedarExpr) -> Bool {
        switch expr {
        case .variable(let variable):
            return variable == .context
        case .getAttr(.variable(.context), let attribute), .hasAttr(.variable(.context), let attribute):
            return attribute == name
        case .literal:
            return false
        case .getAttr(let e, _), .hasAttr(let e, _), .not(let e), .negate(let e), .isEmpty(let e), .like(let e, _), .isType(let e, _):
            return mayRead(name, in: e)
        case .ifThenElse(let a, let b, let c):
            return mayRead(name, in: a) || mayRead(name, in: b) || mayRead(name, in: c)
        case .and(let a, let b), .or(let a, let b), .binary(_, let a, let b):
            return mayRead(name, in: a) || mayRead(name, in: b)
        case .set(let items), .call(_, let items):
            return items.contains { mayRead(name, in: $0) }
        case .record(let fields):
            return fields.contains { mayRead(name, in: $0.1) }
        case .folded(_, let original):
            return mayRead(name, in: original)
        }
    }
}
