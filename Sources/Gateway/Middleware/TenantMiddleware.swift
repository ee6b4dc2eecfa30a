import Hummingbird
import Identity
import Store

/// Resolves `{tenant}` (slug or id) and enforces isolation: a principal of another tenant gets
/// the same 404 as for a tenant that does not exist, so existence does not leak.
struct TenantMiddleware: RouterMiddleware {
    typealias Context = FlowgateRequestContext
    let identity: IdentityService
    let policies: PolicyBook

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let name = context.parameters.get("tenant") ?? ""
        guard let principal = context.principal else { throw Problem.unauthorized("authentication required") }
        let tenant = try await identity.resolveTenant(name)
        guard let tenant, principal.tenant == nil || principal.tenant == tenant.id else {
            context.audit?.update {
                $0.action = "tenant.access"
                $0.resource = "Tenant::\"\(name)\""
                $0.decision = "deny"
                $0.reasons = ["tenant-isolation"]
            }
            throw Problem.notFound("tenant \"\(name)\"")
        }
        try await policies.prepare(tenant.id)
        var context = context
        context.tenant = tenant
        context.audit?.update { $0.tenant = tenant.id }
        // The authentication middleware already named the principal's own tenant.
        if principal.tenant != tenant.id { context.logger[metadataKey: "fg.tenant"] = .string(tenant.id.rawValue) }
        return try await next(request, context)
    }
}
