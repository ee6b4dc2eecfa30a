import Hummingbird
import JSON
import Store

extension Gateway {
    static func auditJSON(_ e: AuditEntry) -> JSONValue {
        let r = e.record
        return [
            "seq": .int(e.seq), "at": .time(r.at), "principal": .string(r.principal), "action": .string(r.action),
            "resource": .string(r.resource), "decision": .string(r.decision), "reasons": .array(r.reasons.map(JSONValue.string)),
            "outcome": .string(r.outcome), "status": .int(Int64(r.status)), "request_id": .string(r.requestID),
            "source_ip": .string(r.sourceIP), "detail": r.detail, "prev_hash": .string(e.prevHash), "hash": .string(e.hash),
        ]
    }

    static func auditPage(_ request: Request, tenant: TenantID, store: Store) async throws -> Response {
        let paging = try Paging(request)
        let after: Int64
        if let cursor = paging.after {
            guard let value = Int64(cursor), value >= 0 else { throw Problem.badRequest("after must be a sequence number") }
            after = value
        } else {
            after = 0
        }
        let query = request.uri.queryParameters
        let action = query["action"].map(String.init)
        let principal = query["principal"].map(String.init)
        let outcome = query["outcome"].map(String.init)
        let entries = try await store.read { db in
            try await AuditLog.page(tenant: tenant, afterSeq: after, limit: paging.limit, action: action, principal: principal, outcome: outcome, in: db)
        }
        return Response.json([
            "items": .array(entries.map(auditJSON)),
            "next": entries.count == paging.limit ? .optional(entries.last.map { String($0.seq) }) : .null,
        ])
    }

    /// The tenant's audit log, and the platform's for platform administrators.
    func addAuditRoutes(api: RouterGroup<FlowgateRequestContext>, tenant: RouterGroup<FlowgateRequestContext>) {
        let store = self.store
        on(tenant, prefix: "/api/v1/tenants/:tenant", .get, "audit", action: "audit.read", resource: .tenant) { request, context in
            try await Gateway.auditPage(request, tenant: try context.requireTenant(), store: store)
        }
        on(api, prefix: "/api/v1", .get, "audit", action: "audit.read", resource: .platform) { request, _ in
            try await Gateway.auditPage(request, tenant: .platform, store: store)
        }
    }
}
