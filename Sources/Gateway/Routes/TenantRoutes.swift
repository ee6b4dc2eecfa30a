import Hummingbird
import Identity
import JSON
import Store

extension Gateway {
    static func tenantJSON(_ t: Tenant) -> JSONValue {
        ["id": .string(t.id.rawValue), "slug": .string(t.slug), "name": .string(t.name), "created_at": .time(t.createdAt)]
    }

    /// `/api/v1/tenants` and `/api/v1/tenants/{tenant}`.
    func addTenantRoutes(api: RouterGroup<FlowgateRequestContext>, tenant: RouterGroup<FlowgateRequestContext>) {
        let identity = self.identity
        let store = self.store
        on(api, prefix: "/api/v1", .post, "tenants", action: "tenant.create", resource: .platform) { request, context in
            let body = try await JSONBody.read(request, context: context, allowed: ["slug", "name"])
            let created = try await identity.createTenant(slug: try body.string("slug"), name: try body.string("name"))
            context.audit?.update { $0.resource = "Tenant::\"\(created.id)\"" }
            return Response.json(Gateway.tenantJSON(created), status: .created,
                                 headers: [.location: "/api/v1/tenants/\(created.slug)"])
        }
        on(api, prefix: "/api/v1", .get, "tenants", action: "tenant.list", resource: .platform) { request, _ in
            let paging = try Paging(request)
            let tenants = try await store.read { try await TenantRepository($0).list(limit: paging.limit, afterSlug: paging.after) }
            return Response.json([
                "items": .array(tenants.map(Gateway.tenantJSON)),
                "next": tenants.count == paging.limit ? .optional(tenants.last?.slug) : .null,
            ])
        }
        on(tenant, prefix: "/api/v1/tenants/:tenant", .get, "", action: "tenant.read", resource: .tenant) { _, context in
            guard let t = context.tenant else { throw Problem.notFound("tenant") }
            return Response.json(Gateway.tenantJSON(t))
        }
        on(tenant, prefix: "/api/v1/tenants/:tenant", .patch, "", action: "tenant.update", resource: .tenant) { request, context in
            guard let t = context.tenant else { throw Problem.notFound("tenant") }
            let body = try await JSONBody.read(request, context: context, allowed: ["name"])
            let updated = try await identity.renameTenant(t, to: try body.string("name"))
            return Response.json(Gateway.tenantJSON(updated))
        }
    }
}
