import Hummingbird
import Identity
import JSON
import Policy
import Store

extension Gateway {
    static func policyJSON(_ p: TenantPolicyRecord) -> JSONValue {
        ["id": .string(p.id), "version": .int(p.version), "text": .string(p.text), "created_by": .string(p.createdBy), "updated_at": .time(p.createdAt)]
    }

    /// Tenant policies as code (`/policies`), and `POST /authorize` to simulate and explain a
    /// decision.
    func addPolicyRoutes(tenant: RouterGroup<FlowgateRequestContext>) {
        let store = self.store
        let authorizer = self.authorizer
        let policies = self.policies
        let prefix = "/api/v1/tenants/:tenant"

        /// Checks, stores a new version and installs the tenant's set at once; nothing changes
        /// when the text does not parse or validate.
        /// `id` comes from the path on PUT and from the body on POST (`nil`).
        @Sendable func save(_ request: Request, _ context: FlowgateRequestContext, pathID: String?) async throws -> Response {
            let t = try context.requireTenant()
            let creating = pathID == nil
            let body = try await JSONBody.read(request, context: context, allowed: creating ? ["id", "text"] : ["text"])
            let id = try pathID ?? body.string("id")
            let text = try body.string("text")
            if text.utf8.count > 64 * 1024 { throw Problem.field("text", "must be at most 64 KiB") }
            do {
                try authorizer.check(text, id: id)
            } catch {
                var entry: [String: JSONValue] = ["field": "text", "message": .string(error.message)]
                if let line = error.line { entry["line"] = .int(Int64(line)) }
                if let column = error.column { entry["column"] = .int(Int64(column)) }
                throw Problem.unprocessable("the policy is not accepted: \(error)", errors: [.object(entry)])
            }
            let by = context.principal?.name ?? ""
            let now = store.clock.nowMillis()
            let version: Int64 = try await store.write { db in
                let repository = TenantPolicyRepository(db, tenant: t)
                let latest = try await repository.latest(id)
                if creating, let latest, !latest.deleted { throw Problem.conflict("a policy with id \"\(id)\" exists; use PUT to change it") }
                if !creating, latest == nil || latest?.deleted == true { throw Problem.notFound("policy \"\(id)\"") }
                return try await repository.put(id, text: text, deleted: false, by: by, at: now)
            }
            try await policies.reload(t)
            context.audit?.update { $0.detail["policy"] = .string(id); $0.detail["version"] = .int(version) }
            let record = TenantPolicyRecord(id: id, version: version, text: text, deleted: false, createdBy: by, createdAt: now)
            return Response.json(Gateway.policyJSON(record), status: creating ? .created : .ok)
        }

        on(tenant, prefix: prefix, .get, "policies", action: "policy.list", resource: .tenant) { _, context in
            let t = try context.requireTenant()
            let current = try await store.read { try await TenantPolicyRepository($0, tenant: t).current() }
            return Response.json([
                "items": .array(current.map(Gateway.policyJSON)),
                "defaults": .array(DefaultPolicies.policyFiles.map { ["file": .string($0.name), "text": .string($0.text)] }),
            ])
        }
        on(tenant, prefix: prefix, .post, "policies", action: "policy.create", resource: .tenant) { request, context in
            try await save(request, context, pathID: nil)
        }
        on(tenant, prefix: prefix, .get, "policies/:id", action: "policy.read", resource: .parameter(type: "Policy", parameter: "id")) { _, context in
            let t = try context.requireTenant()
            let id = try context.parameter("id")
            let history = try await store.read { try await TenantPolicyRepository($0, tenant: t).history(id) }
            guard let latest = history.last, !latest.deleted else { throw Problem.notFound("policy") }
            var json = Gateway.policyJSON(latest)
            if case .object(var o) = json {
                o["versions"] = .array(history.map { ["version": .int($0.version), "deleted": .bool($0.deleted), "created_by": .string($0.createdBy), "at": .time($0.createdAt)] })
                json = .object(o)
            }
            return Response.json(json)
        }
        on(tenant, prefix: prefix, .put, "policies/:id", action: "policy.update", resource: .parameter(type: "Policy", parameter: "id")) { request, context in
            try await save(request, context, pathID: try context.parameter("id"))
        }
        on(tenant, prefix: prefix, .delete, "policies/:id", action: "policy.delete", resource: .parameter(type: "Policy", parameter: "id")) { _, context in
            let t = try context.requireTenant()
            let id = try context.parameter("id")
            let by = context.principal?.name ?? ""
            let now = store.clock.nowMillis()
            try await store.write { db in
                let repository = TenantPolicyRepository(db, tenant: t)
                guard let latest = try await repository.latest(id), !latest.deleted else { throw Problem.notFound("policy") }
                try await repository.put(id, text: latest.text, deleted: true, by: by, at: now)
            }
            try await policies.reload(t)
            return Response(status: .noContent)
        }

        // Simulate: decide a described request with the tenant's current policies and explain.
        on(tenant, prefix: prefix, .post, "authorize", action: "policy.simulate", resource: .tenant) { request, context in
            guard let t = context.tenant else { throw Problem.notFound("tenant") }
            let body = try await JSONBody.read(request, context: context, allowed: ["principal", "action", "resource", "context"])
            let action = try body.string("action")
            let principalJSON = try body.value("principal")
            let resourceJSON = try body.value("resource")
            guard let pType = principalJSON["type"]?.stringValue, let pID = principalJSON["id"]?.stringValue else {
                throw Problem.field("principal", "must be {\"type\": ..., \"id\": ...}")
            }
            guard let rType = resourceJSON["type"]?.stringValue, let rID = resourceJSON["id"]?.stringValue else {
                throw Problem.field("resource", "must be {\"type\": ..., \"id\": ...}")
            }
            // The principal as the tenant knows it: a token's role, a user's bindings and groups.
            let principal: PrincipalInfo = try await store.read { db in
                switch pType {
                case "ApiToken":
                    guard let token = try await APITokenRepository(db, tenant: t.id).get(pID) else { throw Problem.field("principal", "no such token in this tenant") }
                    return PrincipalInfo(entity: EntityRef("ApiToken", pID), tenant: t.id.rawValue, roles: [token.role])
                case "User":
                    guard try await UserRepository(db, tenant: t.id).get(pID) != nil else { throw Problem.field("principal", "no such user in this tenant") }
                    let roles = try await RoleBindingRepository(db, tenant: t.id).roles(ofUser: pID)
                    let groups = try await GroupRepository(db, tenant: t.id).groupIDs(ofUser: pID)
                    return PrincipalInfo(entity: EntityRef("User", pID), tenant: t.id.rawValue, roles: roles, groups: Set(groups))
                default:
                    throw Problem.field("principal.type", "must be ApiToken or User")
                }
            }
            var requestContext: [String: JSONValue] = [
                "source_ip": .string(context.sourceIP), "time": .string(Time.rfc3339(store.clock.nowMillis())),
            ]
            if let given = body.object["context"] {
                guard case .object(let o) = given else { throw Problem.field("context", "must be an object") }
                requestContext.merge(o) { _, new in new }
            }
            let resourceTenant = rType == "Platform" || rType == "NodeType" || rType == "Role" ? nil : t.id.rawValue
            var attributes: [String: JSONValue] = [:]
            if rType == "NodeType" { attributes = ["name": .string(rID), "category": .string(resourceJSON["category"]?.stringValue ?? "")] }
            let (decision, traces) = authorizer.explain(AuthorizationRequest(
                principal: principal, action: action, resource: ResourceInfo(entity: EntityRef(rType, rID), tenant: resourceTenant, attributes: attributes),
                context: requestContext
            ))
            return Response.json([
                "decision": decision.isAllowed ? "allow" : "deny",
                "determining": .array(decision.reasons.map(JSONValue.string)),
                "errors": .array(decision.errors.map(JSONValue.string)),
                "policies": .array(traces.map { ["id": .string($0.policyID), "effect": .string($0.effect.rawValue), "outcome": .string($0.outcome.rawValue)] }),
                "not_applicable": .array(traces.filter { $0.outcome == .scopeMismatch || $0.outcome == .conditionFalse }.map { .string($0.policyID) }),
            ])
        }
    }
}
