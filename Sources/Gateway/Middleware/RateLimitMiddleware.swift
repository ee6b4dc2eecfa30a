import HTTPTypes
import Hummingbird
import Identity
import JSON
import Metrics
import Policy
import Store

/// Request quotas: one GCRA bucket per tenant and one per principal. A refused request gets
/// 429 with `Retry-After`; every answer carries `RateLimit-Limit`, `-Remaining` and `-Reset`
/// of the tighter bucket. Runs inside the audit middleware, so refusals are audited.
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = FlowgateRequestContext
    let limiter: RateLimiter<RateLimitKey>
    let quotas: QuotaBook

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let principal = context.principal else { return try await next(request, context) }
        let limits = try await quotas.quotas(for: principal.tenant)
        // Both buckets count the request. A refusal is reported by the bucket that refused
        // (the tenant's first); otherwise the one with fewer requests left (the tenant's on a tie).
        let principalOutcome = limiter.check(.principal(principal.name), limits.principalRate)
        var refused: (kind: String, outcome: RateLimitOutcome)? = principalOutcome.allowed ? nil : ("principal", principalOutcome)
        var reported = principalOutcome
        if let tenant = principal.tenant {
            let tenantOutcome = limiter.check(.tenant(tenant), limits.tenantRate)
            if !tenantOutcome.allowed { refused = ("tenant", tenantOutcome) }
            if tenantOutcome.remaining <= principalOutcome.remaining { reported = tenantOutcome }
        }
        if let refused { reported = refused.outcome }
        var headers = HTTPFields()
        headers.reserveCapacity(4)
        headers.append(HTTPField(name: .rateLimitLimit, value: String(reported.limit)))
        headers.append(HTTPField(name: .rateLimitRemaining, value: String(reported.remaining)))
        headers.append(HTTPField(name: .rateLimitReset, value: String(RateLimitOutcome.seconds(reported.resetNanos))))
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
        response.headers.append(contentsOf: headers)
        return response
    }
}

/// What a request is counted against: its tenant, and the principal making it.
enum RateLimitKey: Hashable, Sendable {
    case tenant(TenantID)
    /// The principal by its entity name (``Principal/name``).
    case principal(String)
}

/// Each tenant's quotas, read from its settings (through the identity service's tenant cache)
/// on top of the deployment defaults.
struct QuotaBook: Sendable {
    let identity: IdentityService
    let defaults: TenantQuotas
    /// Quotas parsed from each tenant's settings, with the settings they came from: parsing
    /// them on every request showed in profiles.
    private let parsed = BoundedCache<TenantID, (settings: String, quotas: TenantQuotas)>(limit: 10_000)

    init(identity: IdentityService, defaults: TenantQuotas) {
        self.identity = identity
        self.defaults = defaults
    }

    func quotas(for tenant: TenantID?) async throws -> TenantQuotas {
        guard let tenant, let record = try await identity.resolveTenant(tenant.rawValue) else { return defaults }
        if let known = parsed[record.id], known.settings == record.settings { return known.quotas }
        let quotas = Self.quotas(of: record, defaults: defaults)
        parsed.set((record.settings, quotas), for: record.id)
        return quotas
    }

    static func quotas(of tenant: Tenant, defaults: TenantQuotas) -> TenantQuotas {
        guard let settings = try? JSONValue.parse(tenant.settings), let stored = settings["quotas"] else { return defaults }
        return (try? TenantQuotas.from(stored, base: defaults)) ?? defaults
    }
}
