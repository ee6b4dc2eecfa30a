/// Allow or deny.
public enum CedarDecision: String, Sendable, Hashable {
    /// Some permit was satisfied and no forbid was (`allow`), or not (`deny`).
    case allow, deny
}

/// A policy whose evaluation failed, and why.
public struct CedarPolicyError: Sendable, Hashable {
    /// The policy id.
    public let policyID: String
    /// The evaluation error.
    public let error: CedarEvaluationError
}

/// The result of an authorization.
public struct CedarResponse: Sendable {
    /// The decision.
    public let decision: CedarDecision
    /// The policies that determined it: satisfied forbids on deny, satisfied permits on allow
    /// (empty when nothing applied).
    public let reason: [String]
    /// Policies skipped because evaluating them failed.
    public let errors: [CedarPolicyError]
}

/// Why a policy did or did not take part in a decision, for "explain" views.
public struct CedarPolicyTrace: Sendable, Hashable {
    /// How a policy fared.
    public enum Outcome: String, Sendable, Hashable {
        /// Scope and conditions held.
        case satisfied
        /// The scope did not match the request.
        case scopeMismatch
        /// The scope matched but a `when` was false or an `unless` true.
        case conditionFalse
        /// Evaluation failed.
        case error
    }
    /// The policy id.
    public let policyID: String
    /// Its effect.
    public let effect: CedarEffect
    /// What happened.
    public let outcome: Outcome
}

/// Answers authorization requests against a policy set and entity store.
///
/// A satisfied `forbid` denies; otherwise a satisfied `permit` allows; otherwise the answer is
/// deny. A policy whose evaluation errors is skipped and reported.
public struct CedarAuthorizer: Sendable {
    /// The policies.
    public let policies: CedarPolicySet

    /// Creates an authorizer for a policy set.
    public init(policies: CedarPolicySet) {
        self.policies = policies
    }

    /// Decides one request.
    public func isAuthorized(_ request: CedarRequest, entities: Entities) -> CedarResponse {
        var outcome = Outcome()
        let evaluator = CedarEvaluator(request: request, entities: entities)
        let all = policies.compiled
        if let pinned = policies.byAction[request.action] {
            for i in pinned { outcome.consider(all[i], evaluator) }
        }
        for i in policies.unpinned { outcome.consider(all[i], evaluator) }
        if !outcome.forbids.isEmpty { return CedarResponse(decision: .deny, reason: outcome.forbids, errors: outcome.errors) }
        if !outcome.permits.isEmpty { return CedarResponse(decision: .allow, reason: outcome.permits, errors: outcome.errors) }
        return CedarResponse(decision: .deny, reason: [], errors: outcome.errors)
    }

    /// Satisfied permits and forbids and evaluation errors, collected over the policies.
    private struct Outcome {
        var permits: [String] = []
        var forbids: [String] = []
        var errors: [CedarPolicyError] = []

        @inline(__always)
        mutating func consider(_ p: CompiledPolicy, _ evaluator: borrowing CedarEvaluator) {
            guard p.scopeMatches(evaluator) else { return }
            do {
                if try p.conditionsHold(evaluator) {
                    if p.effect == .permit { permits.append(p.id) } else { forbids.append(p.id) }
                }
            } catch {
                errors.append(CedarPolicyError(policyID: p.id, error: error))
            }
        }
    }

    /// Evaluates every policy and reports how each fared, for explaining a decision.
    public func explain(_ request: CedarRequest, entities: Entities) -> (response: CedarResponse, trace: [CedarPolicyTrace]) {
        let evaluator = CedarEvaluator(request: request, entities: entities)
        var trace: [CedarPolicyTrace] = []
        for p in policies.compiled {
            let outcome: CedarPolicyTrace.Outcome
            if !p.scopeMatches(evaluator) {
                outcome = .scopeMismatch
            } else {
                do {
                    outcome = try p.conditionsHold(evaluator) ? .satisfied : .conditionFalse
                } catch {
                    outcome = .error
                }
            }
            trace.append(CedarPolicyTrace(policyID: p.id, effect: p.effect, outcome: outcome))
        }
        return (isAuthorized(request, entities: entities), trace)
    }
}
