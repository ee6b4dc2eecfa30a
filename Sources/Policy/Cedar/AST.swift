/// One of the four request variables.
public enum CedarVariable: UInt8, Sendable, Hashable, CaseIterable {
    /// `principal`, `action`, `resource`, `context`.
    case principal, action, resource, context

    var name: String {
        switch self {
        case .principal: return "principal"
        case .action: return "action"
        case .resource: return "resource"
        case .context: return "context"
        }
    }
}

/// Binary operators that evaluate both operands (`&&` and `||` short-circuit and are separate).
enum CedarBinaryOp: UInt8, Sendable {
    case eq, less, lessEq, greater, greaterEq, add, sub, mul, `in`
    case contains, containsAll, containsAny, hasTag, getTag
}

/// Extension functions and methods, resolved by name at parse time.
enum CedarExtFunction: String, Sendable, CaseIterable {
    case ip, decimal, datetime, duration
    case isIpv4, isIpv6, isLoopback, isMulticast, isInRange
    case lessThan, lessThanOrEqual, greaterThan, greaterThanOrEqual
    case offset, durationSince, toDate, toTime
    case toDays, toHours, toMinutes, toSeconds, toMilliseconds

    /// Whether the function is called as `f(x)` (constructors) rather than `x.f()`.
    var isConstructor: Bool {
        switch self {
        case .ip, .decimal, .datetime, .duration: return true
        default: return false
        }
    }

    /// Number of arguments including the receiver of a method.
    var arity: Int {
        switch self {
        case .ip, .decimal, .datetime, .duration: return 1
        case .isIpv4, .isIpv6, .isLoopback, .isMulticast, .toDate, .toTime, .toDays, .toHours, .toMinutes, .toSeconds,
            .toMilliseconds:
            return 1
        default: return 2
        }
    }
}

/// One element of a `like` pattern.
enum LikePatternElement: Sendable, Hashable {
    case char(UnicodeScalar)
    case wildcard
}

/// A compiled Cedar expression.
///
/// `!=`, `is ... in` and the nested `has a.b` form are desugared by the parser, the same way the
/// reference implementation does, so evaluator and validator see a small core language.
indirect enum CedarExpr: Sendable {
    case literal(CedarValue)
    case variable(CedarVariable)
    case ifThenElse(CedarExpr, CedarExpr, CedarExpr)
    case and(CedarExpr, CedarExpr)
    case or(CedarExpr, CedarExpr)
    case not(CedarExpr)
    case negate(CedarExpr)
    case binary(CedarBinaryOp, CedarExpr, CedarExpr)
    case isEmpty(CedarExpr)
    case getAttr(CedarExpr, String)
    case hasAttr(CedarExpr, String)
    case like(CedarExpr, LikePattern)
    case isType(CedarExpr, String)
    case set([CedarExpr])
    case record([(String, CedarExpr)])
    case call(CedarExtFunction, [CedarExpr])
    /// A constructor call on a valid literal (`ip("10.0.0.0/8")`), evaluated once at parse time.
    /// The original call is kept because the validator types it as a call, not a literal.
    case folded(CedarValue, CedarExpr)
}

/// Whether a policy grants or denies.
public enum CedarEffect: String, Sendable, Hashable {
    /// A `permit` policy allows when satisfied; a `forbid` policy denies and wins over permits.
    case permit, forbid
}

/// A principal or resource scope constraint.
enum ScopeConstraint: Sendable, Equatable {
    case any
    case eq(EntityUID)
    case `in`(EntityUID)
    case `is`(String)
    case isIn(String, EntityUID)
}

/// An action scope constraint.
enum ActionConstraint: Sendable, Equatable {
    case any
    case eq(EntityUID)
    case `in`([EntityUID])
}

/// A `when` or `unless` clause.
struct PolicyCondition: Sendable {
    let isWhen: Bool
    let body: CedarExpr
}

/// A parsed Cedar policy.
public struct CedarPolicy: Sendable {
    /// The policy id: the `@id` annotation if present, else `policyN` by source position.
    public let id: String
    /// Permit or forbid.
    public let effect: CedarEffect
    /// Annotations in source order (`@key("value")`; a bare `@key` has an empty value).
    public let annotations: [(key: String, value: String)]
    /// 1-based line of the policy's first token.
    public let line: Int
    /// 1-based column of the policy's first token.
    public let column: Int
    let principal: ScopeConstraint
    let action: ActionConstraint
    let resource: ScopeConstraint
    let conditions: [PolicyCondition]
}
