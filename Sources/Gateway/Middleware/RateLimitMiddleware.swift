import HTTPTypes
import Hummingbird
import Identity
import Metrics
import Policy
import Store

/// Request quotas: one GCRA bucket per tenant and one per principal. A refused request gets
/// 429 with `Retry-After`; every answer carries `RateLimit-Limit`, `-Remaining` and `-Reset`
/// of the tighter bucket. Runs inside the audit middleware, so refusals are audited.
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = FlowgateRequestContext
    let limiter: RateLimiter
    let quotas: QuotaBook

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let principal = context.principal else { return try await next(request, context) }
        let limits = try await quotas.quotas(for: principal.tenant)
        var checks: [(kind: String, outcome: RateLimitOutcome)] = []
        if let tenant = principal.tenant {
            checks.append(("tenant", limiter.check("t:\(tenant.rawValue)", limits.tenantRate)))
        }
        checks.append(("principal", limiter.check("p:\(principal.entity)", limits.principalRate)))
        let refused = checks.first { !$0.outcome.allowed }
        let reported = refused ?? checks.min { $0.outcome.remaining < $1.outcome.remaining } ?? checks[0]
        var headers: HTTPFields = [
            .rateLimitLimit: String(reported.outcome.limit),
            .rateLimitRemaining: String(reported.outcome.remaining),
            .rateLimitReset: String(RateLimitOutcome.seconds(reported.outcome.resetNanos)),
        ]
        if let refused {
            headers[.retryAfter] = String(max(1, RateLimitOutcome.seconds(refused.outcome.retryAfterNanos)))
            context.audit?.update {
                $0.decision = "deny"
                $0.reasons = ["quota:\(refused.kind)-rate"]
                if $0.action == nil { $0.action = "request.rate_limit" }
            }
            Counter(label: "flowgate_quota_rejections_total", dimensions: [("quota", "\(refused.kind)_rate")]).increment()
            throw Problem(.tooManyRequests, kind: "rate-limited", title: "Too many requests",
                          detail: "the \(refused.kind) request quota is used up; retry after the time in Retry-After", headers: headers)
        }
        var response = try await next(request, context)
        for field in headers { response.headers[field.name] = field.value }
        return response
    }
}

/// Each tenant's quotas, read from its settings (through the identity service's tenant cache)
/// on top of the deployment defaults.
struct QuotaBook: Sendable {
    let identity: IdentityService
    let defaults: TenantQuotas

    func quotas(for tenant: TenantID?) async throws -> TenantQuotas {
        guard let tenant, let record = try await identity.resolveTenant(tenant.rawValue) else { return defaults }
        return Self.quotas(of: record, defaults: defaults)
    }

    static func quotas(of tenant: Tenant, defaults: TenantQuotas) -> TenantQuotas {
        guard let settings = try? JSONValue.parse(tenant.settings), let stored = settings["quotas"] else { return defaults }
        return (try? TenantQuotas.from(stored, base: defaults)) ?? defaults
    }
}

import JSON
