import JSON
import Synchronization

/// The Cedar authorizer behind every decision: the default policies of `policies/` plus each
/// tenant's own, evaluated against entities built from the request (the principal with its
/// roles, groups and tenant; the resource with its tenant; the role entities).
///
/// Decisions are synchronous; a tenant's policy set and attributes must be loaded with
/// ``setTenant(_:policies:attributes:)`` before its requests are decided (the gateway and the
/// engine do so on first use and after every change).
public final class FlowgateAuthorizer: Authorizer {
    /// A tenant's compiled policies and the attributes of its `Tenant` entity.
    struct TenantState: Sendable {
        var authorizer: CedarAuthorizer
        var attributes: [String: CedarValue]
        var version: Int64
        /// Which installation this is (process-wide counter), so entity layers built from an
        /// earlier one are not reused.
        var generation: Int64
        /// Whether any of the policies may read `context.time`.
        var readsTime: Bool
    }

    /// The tenants of one request and their installed states.
    private struct RequestTenants {
        let ids: [String]
        let states: [TenantState?]
        let deciding: TenantState?
    }

    /// A request and the tenant installations it would be decided under.
    private struct DecisionKey: Hashable {
        let request: AuthorizationRequest
        let generations: [Int64]
    }

    /// What a principal's entity layer is built from.
    private struct LayerKey: Hashable {
        let principal: PrincipalInfo
        let tenants: [String]
        let generations: [Int64]
    }

    public let schema: Schema
    /// The default policies alone.
    public let defaults: CedarPolicySet
    private let tenants = Mutex<(states: [String: TenantState], generation: Int64)>(([:], 0))
    /// Each principal's entities (its tenant, groups and itself) over the shared ones, built on
    /// its first decision.
    private let layers = BoundedCache<LayerKey, Entities>(limit: 4096)
    /// Decisions by request (without its time when no deciding policy reads it) and tenant
    /// installation (see ``authorize(_:)``).
    private let decisions = BoundedCache<DecisionKey, Decision>(limit: 16_384)
    private let defaultAuthorizer: CedarAuthorizer
    private let defaultsReadTime: Bool
    /// Role and action entities, the base of every request's entity store (their ancestors
    /// computed once, here, not per decision).
    private let sharedEntities: Entities

    /// Builds the authorizer from the embedded schema and default policies; throws if they do
    /// not parse or validate (a build defect, caught by tests).
    public init() throws {
        let schema: Schema
        do {
            schema = try CedarEngine.parseSchema(DefaultPolicies.schemaText)
        } catch {
            throw PolicyError.invalid("the built-in schema does not parse: \(error)")
        }
        let defaults: CedarPolicySet
        do {
            defaults = try CedarEngine.parsePolicies(DefaultPolicies.policyText)
        } catch {
            throw PolicyError.invalid("the default policies do not parse: \(error)")
        }
        let issues = CedarEngine.validate(defaults, schema: schema)
        if !issues.isEmpty { throw PolicyError.invalid("the default policies do not validate: \(issues.map { "\($0)" })") }
        self.schema = schema
        self.defaults = defaults
        self.defaultAuthorizer = CedarAuthorizer(policies: defaults)
        self.defaultsReadTime = defaults.mayRead(contextAttribute: "time")
        // Entities every request shares: the roles with their ranks, and the actions with the
        // groups the schema puts them in (so `action in Action::"read"` holds).
        let shared = DefaultPolicies.roles.enumerated().map { rank, role in
            Entity(uid: EntityUID(type: "Role", id: role), attributes: ["rank": .long(Int64(rank))])
        } + schema.actions.values.map { Entity(uid: $0.uid, parents: $0.memberOf) }
        do {
            self.sharedEntities = try Entities(shared)
        } catch {
            throw PolicyError.invalid("the role and action entities do not build: \(error)")
        }
    }

    // MARK: Tenant policies

    /// Whether `id` may name a tenant policy: 1-128 of letters, digits, `-`, `_`, `.`, and not
    /// the id of a default policy.
    public func isAcceptableID(_ id: String) -> Bool {
        let bytes = Array(id.utf8)
        guard (1...128).contains(bytes.count), bytes.allSatisfy({ b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D || b == 0x5F || b == 0x2E
        }) else { return false }
        return defaults.policy(id: id) == nil
    }

    /// Parses and validates one tenant policy (exactly one policy; an `@id` in the text must
    /// equal `id`). Throws ``PolicyError`` naming line and column.
    @discardableResult
    public func check(_ text: String, id: String) throws(PolicyError) -> CedarPolicySet {
        if !isAcceptableID(id) {
            throw PolicyError.invalid("id must be 1-128 letters, digits, '-', '_' or '.', and not the id of a built-in policy")
        }
        let set: CedarPolicySet
        do {
            set = try CedarEngine.parsePolicies(text)
        } catch {
            throw PolicyError.syntax(error.message, line: error.line, column: error.column)
        }
        if set.policies.count != 1 { throw PolicyError.invalid("the text must hold exactly one policy, not \(set.policies.count)") }
        if let policy = set.policies.first, policy.annotations.contains(where: { $0.key == "id" }), policy.id != id {
            throw PolicyError.validation("the policy's @id(\"\(policy.id)\") differs from its id \"\(id)\"", line: policy.line, column: policy.column)
        }
        let issues = CedarEngine.validate(set, schema: schema)
        if let first = issues.first {
            // Validation names the policy; its position is where that policy starts.
            let policy = set.policies.first { $0.id == first.policyID }
            throw PolicyError.validation("\(first)", line: policy?.line, column: policy?.column)
        }
        return set
    }

    /// Installs a tenant's policies (id and text, each checked before) and entity attributes.
    public func setTenant(_ tenant: String, policies: [(id: String, text: String)], attributes: [String: JSONValue], version: Int64) throws(PolicyError) {
        var text = DefaultPolicies.policyText
        for policy in policies {
            text += "\n// tenant policy \(policy.id)\n" + Self.withID(policy.text, id: policy.id)
        }
        let set: CedarPolicySet
        do {
            set = try CedarEngine.parsePolicies(text)
        } catch {
            throw PolicyError.syntax(error.message, line: error.line, column: error.column)
        }
        let compiled = CedarAuthorizer(policies: set)
        let converted = attributes.mapValues(Self.cedarValue)
        let readsTime = set.mayRead(contextAttribute: "time")
        tenants.withLock { t in
            t.generation += 1
            t.states[tenant] = TenantState(authorizer: compiled, attributes: converted, version: version, generation: t.generation, readsTime: readsTime)
        }
    }

    /// Gives a checked tenant policy its id unless it carries `@id` itself (ids are checked to
    /// hold no quotes, so the annotation needs no escaping).
    static func withID(_ text: String, id: String) -> String {
        if let set = try? CedarEngine.parsePolicies(text), set.policies.first?.annotations.contains(where: { $0.key == "id" }) == true {
            return text
        }
        return "@id(\"\(id)\")\n" + text
    }

    /// The version of the tenant's installed policies, `nil` when none are loaded.
    public func installedVersion(of tenant: String) -> Int64? { tenants.withLock { $0.states[tenant]?.version } }

    /// Forgets a tenant's policies (they are loaded again on next use).
    public func forget(_ tenant: String) { _ = tenants.withLock { $0.states.removeValue(forKey: tenant) } }

    // MARK: Decisions

    public func authorize(_ request: AuthorizationRequest) -> Decision {
        let tenants = tenants(of: request)
        // A decision depends on nothing but the request and the tenants' installed policies
        // and attributes, so requests that repeat (a run's steps of one node type, a client
        // reading the same resource) are decided once per installation. The time, which never
        // repeats, counts only when the deciding policies may read it.
        var key: DecisionKey?
        if request.context["time"] == nil {
            key = DecisionKey(request: request, generations: tenants.states.map { $0?.generation ?? -1 })
        } else if !(tenants.deciding?.readsTime ?? defaultsReadTime) {
            var timeless = request
            timeless.context["time"] = nil
            key = DecisionKey(request: timeless, generations: tenants.states.map { $0?.generation ?? -1 })
        }
        if let key, let known = decisions[key] { return known }
        let (cedarRequest, entities, authorizer) = prepare(request, tenants)
        let response = authorizer.isAuthorized(cedarRequest, entities: entities)
        let decision = Decision(
            isAllowed: response.decision == .allow, reasons: response.reason,
            errors: response.errors.map { "\($0.policyID): \($0.error)" }
        )
        if let key { decisions.set(decision, for: key) }
        return decision
    }

    /// The decision with every policy's part in it (for the simulate/explain endpoint).
    public func explain(_ request: AuthorizationRequest) -> (decision: Decision, traces: [CedarPolicyTrace]) {
        let (cedarRequest, entities, authorizer) = prepare(request, tenants(of: request))
        let (response, traces) = authorizer.explain(cedarRequest, entities: entities)
        return (
            Decision(isAllowed: response.decision == .allow, reasons: response.reason,
                     errors: response.errors.map { "\($0.policyID): \($0.error)" }),
            traces
        )
    }

    /// The tenants a request involves (the principal's, then the resource's if another) with
    /// their installed states, and the one whose policies decide.
    private func tenants(of request: AuthorizationRequest) -> RequestTenants {
        var ids: [String] = []
        if let t = request.principal.tenant { ids.append(t) }
        if let t = request.resource.tenant, t != request.principal.tenant { ids.append(t) }
        let deciding = request.principal.tenant ?? request.resource.tenant
        return tenants.withLock { t in
            RequestTenants(ids: ids, states: ids.map { t.states[$0] }, deciding: deciding.flatMap { t.states[$0] })
        }
    }

    private func prepare(_ request: AuthorizationRequest, _ involved: RequestTenants) -> (CedarRequest, Entities, CedarAuthorizer) {
        let p = request.principal
        let r = request.resource
        let (tenantIDs, tenantStates, state) = (involved.ids, involved.states, involved.deciding)
        let principalUID = EntityUID(type: p.entity.type, id: p.entity.id)
        let layer = principalLayer(p, uid: principalUID, tenants: tenantIDs, states: tenantStates)
        var entities = layer
        let resourceUID = EntityUID(type: r.entity.type, id: r.entity.id)
        if r.entity.type != "Tenant", r.entity.type != "Role", resourceUID != principalUID {
            var attributes = r.attributes.compactMapValues { $0 == .null ? nil : Self.cedarValue($0) }
            if let t = r.tenant, r.entity.type != "Platform", r.entity.type != "NodeType" {
                attributes["tenant"] = .entity(EntityUID(type: "Tenant", id: t))
            }
            // A resource clashing with an entity of the principal's layer (a group it is in)
            // keeps the layer's entity.
            entities = (try? Entities([Entity(uid: resourceUID, attributes: attributes)], over: layer)) ?? layer
        }
        var context: [String: CedarValue] = [:]
        for (key, value) in request.context {
            switch key {
            case "source_ip":
                let text = value.stringValue ?? ""
                if case .success(let ip) = CedarIPAddress.parse(text) {
                    context[key] = .ext(.ipaddr(ip))
                } else if case .success(let ip) = CedarIPAddress.parse("0.0.0.0") {
                    context[key] = .ext(.ipaddr(ip))
                }
            case "time":
                // Epoch milliseconds (the gateway's own requests) or RFC 3339 text (simulations).
                if case .int(let milliseconds) = value {
                    context[key] = .ext(.datetime(CedarDatetime(milliseconds: milliseconds)))
                } else if case .success(let t) = CedarDatetime.parse(value.stringValue ?? "") {
                    context[key] = .ext(.datetime(t))
                }
            default:
                if value != .null { context[key] = Self.cedarValue(value) }
            }
        }
        let cedarRequest = CedarRequest(
            principal: principalUID, action: EntityUID(type: "Action", id: request.action), resource: resourceUID, context: context
        )
        return (cedarRequest, entities, state?.authorizer ?? defaultAuthorizer)
    }

    /// The principal's entities (the tenants of the request, its groups, itself) over the
    /// shared roles and actions, from the cache when the principal and the tenants'
    /// installations are the same as when it was built.
    private func principalLayer(_ p: PrincipalInfo, uid: EntityUID, tenants tenantIDs: [String], states: [TenantState?]) -> Entities {
        let key = LayerKey(principal: p, tenants: tenantIDs, generations: states.map { $0?.generation ?? -1 })
        if let cached = layers[key] { return cached }
        var entities: [Entity] = []
        for (t, state) in zip(tenantIDs, states) {
            var attributes = state?.attributes ?? [:]
            if attributes["slug"] == nil { attributes["slug"] = .string(t) }
            entities.append(Entity(uid: EntityUID(type: "Tenant", id: t), attributes: attributes))
        }
        var principalAttributes: [String: CedarValue] = [:]
        if let t = p.tenant {
            principalAttributes["tenant"] = .entity(EntityUID(type: "Tenant", id: t))
            principalAttributes["role_rank"] = .long(Int64(p.roles.compactMap(DefaultPolicies.rank(of:)).min() ?? 99))
            if p.entity.type == "ApiToken" { principalAttributes["name"] = .string(p.entity.id) }
        }
        var parents = p.roles.map { EntityUID(type: "Role", id: $0) }
        for group in p.groups {
            let groupUID = EntityUID(type: "Group", id: group)
            parents.append(groupUID)
            if let t = p.tenant {
                entities.append(Entity(uid: groupUID, attributes: ["tenant": .entity(EntityUID(type: "Tenant", id: t))],
                                       parents: [EntityUID(type: "Tenant", id: t)]))
            }
        }
        entities.append(Entity(uid: uid, attributes: principalAttributes, parents: parents))
        // A principal clashing with a shared entity (named like a role) gets only the shared
        // ones, so nothing it claimed can count.
        let layer = (try? Entities(entities, over: sharedEntities)) ?? sharedEntities
        layers.set(layer, for: key)
        return layer
    }

    /// JSON to Cedar: arrays become sets, objects records; floats (which Cedar lacks) become strings.
    static func cedarValue(_ value: JSONValue) -> CedarValue {
        switch value {
        case .null: return .record([:])
        case .bool(let b): return .bool(b)
        case .int(let i): return .long(i)
        case .double(let d): return .string(String(d))
        case .string(let s): return .string(s)
        case .array(let a): return .set(Set(a.map(cedarValue)))
        case .object(let o): return .record(o.mapValues(cedarValue))
        }
    }
}

/// A policy that could not be accepted, with where.
public struct PolicyError: Error, Sendable, CustomStringConvertible {
    private enum Code: Sendable { case syntax, validation, invalid }
    private let code: Code
    public let message: String
    /// 1-based line and column of the problem, when known.
    public let line: Int?
    public let column: Int?

    private init(_ code: Code, _ message: String, line: Int?, column: Int?) {
        self.code = code
        self.message = message
        self.line = line
        self.column = column
    }

    /// The text does not parse.
    public static func syntax(_ message: String, line: Int, column: Int) -> PolicyError { .init(.syntax, message, line: line, column: column) }
    /// The policy does not validate against the schema.
    public static func validation(_ message: String, line: Int?, column: Int?) -> PolicyError { .init(.validation, message, line: line, column: column) }
    /// Something else is wrong.
    public static func invalid(_ message: String) -> PolicyError { .init(.invalid, message, line: nil, column: nil) }

    public var description: String {
        if let line, let column { return "\(message) (line \(line), column \(column))" }
        return message
    }
}
