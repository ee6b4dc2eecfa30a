/// A problem the validator found in a policy.
public struct ValidationIssue: Sendable, Hashable, CustomStringConvertible {
    /// The policy id.
    public let policyID: String
    /// What is wrong.
    public let message: String

    public var description: String { "policy `\(policyID)`: \(message)" }
}

/// Checks policies against a schema the way the reference validator's strict mode does.
public struct Validator: Sendable {
    /// The schema policies are checked against.
    public let schema: Schema

    /// Creates a validator for a schema.
    public init(schema: Schema) {
        self.schema = schema
    }

    /// Validates every policy; an empty result means the set is valid.
    public func validate(_ policies: CedarPolicySet) -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        for p in policies.policies {
            var checker = TypeChecker(schema: schema, policyID: p.id)
            checker.check(p)
            issues.append(contentsOf: checker.issues)
        }
        return issues
    }
}
