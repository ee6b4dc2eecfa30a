import Hummingbird
import Identity
import JSON
import Metrics
import Policy
import Store

extension Gateway {
    /// `GET/PUT /api/v1/tenants/{tenant}/quotas`: reading is for the tenant's admins, setting
    /// for platform administrators (a tenant raising its own limits would defeat them).
    func addQuotaRoutes(tenant: RouterGroup<FlowgateRequestContext>, defaults: TenantQuotas) {
        let identity = self.identity
        let prefix = "/api/v1/tenants/:tenant"
        on(tenant, prefix: prefix, .get, "quotas", action: "quota.read", resource: .tenant) { _, context in
            guard let t = context.tenant else { throw Problem.notFound("tenant") }
            return Response.json(QuotaBook.quotas(of: t, defaults: defaults).json)
        }
        on(tenant, prefix: prefix, .put, "quotas", action: "quota.update", resource: .tenant) { request, context in
            guard let t = context.tenant else { throw Problem.notFound("tenant") }
            let body = try await JSONBody.readValue(request, context: context)
            let quotas = try TenantQuotas.from(body, base: QuotaBook.quotas(of: t, defaults: defaults))
            let updated = try await identity.updateSettings(of: t) { settings in settings["quotas"] = quotas.json }
            Gateway.publish(quotas, tenant: updated.slug)
            context.audit?.update { $0.detail["quotas"] = quotas.json }
            return Response.json(quotas.json)
        }
    }

    /// Exposes a tenant's configured limits as gauges in /metrics.
    static func publish(_ quotas: TenantQuotas, tenant slug: String) {
        for (name, value) in quotas.json.objectValue ?? [:] {
            Gauge(label: "flowgate_quota_limit", dimensions: [("tenant", slug), ("quota", name)]).record(value.doubleValue ?? 0)
        }
    }
}
