import JSON

/// A tenant's limits. Stored in the tenant's settings under `quotas`; absent values fall back
/// to the deployment defaults.
public struct TenantQuotas: Sendable, Hashable {
    /// All requests of the tenant's principals together.
    public var tenantRate: RateLimit
    /// Requests of one principal (token, user, SCIM client).
    public var principalRate: RateLimit
    /// Runs executing at the same time.
    public var maxConcurrentRuns: Int
    /// Runs waiting for a slot; beyond this, new runs are refused with 429.
    public var maxQueuedRuns: Int

    public init(tenantRate: RateLimit, principalRate: RateLimit, maxConcurrentRuns: Int, maxQueuedRuns: Int) {
        self.tenantRate = tenantRate
        self.principalRate = principalRate
        self.maxConcurrentRuns = maxConcurrentRuns
        self.maxQueuedRuns = maxQueuedRuns
    }

    /// The defaults: 200 requests/s (burst 400) per tenant, 100/s (burst 200) per principal,
    /// 8 concurrent runs, 1,000 queued.
    public static let defaults = TenantQuotas(
        tenantRate: RateLimit(rate: 200, burst: 400), principalRate: RateLimit(rate: 100, burst: 200),
        maxConcurrentRuns: 8, maxQueuedRuns: 1_000
    )

    /// Field names of the JSON form.
    public static let fields: Set<String> = [
        "tenant_requests_per_second", "tenant_burst", "principal_requests_per_second", "principal_burst",
        "max_concurrent_runs", "max_queued_runs",
    ]

    /// The JSON form, as the API shows it.
    public var json: JSONValue {
        [
            "tenant_requests_per_second": .int(Int64(tenantRate.rate)), "tenant_burst": .int(Int64(tenantRate.burst)),
            "principal_requests_per_second": .int(Int64(principalRate.rate)), "principal_burst": .int(Int64(principalRate.burst)),
            "max_concurrent_runs": .int(Int64(maxConcurrentRuns)), "max_queued_runs": .int(Int64(maxQueuedRuns)),
        ]
    }

    /// Reads a JSON object on top of `base`; every field is an integer in its range.
    public static func from(_ json: JSONValue, base: TenantQuotas) throws(QuotaError) -> TenantQuotas {
        guard case .object(let o) = json else { throw QuotaError("quotas must be an object") }
        if let unknown = o.keys.filter({ !fields.contains($0) }).sorted().first {
            throw QuotaError("\(unknown) is not a quota (known: \(fields.sorted().joined(separator: ", ")))")
        }
        func int(_ key: String, _ current: Int, _ range: ClosedRange<Int>) throws(QuotaError) -> Int {
            guard let value = o[key] else { return current }
            guard case .int(let i) = value, range.contains(Int(i)) else {
                throw QuotaError("\(key) must be an integer from \(range.lowerBound) to \(range.upperBound)")
            }
            return Int(i)
        }
        var q = base
        q.tenantRate = RateLimit(rate: try int("tenant_requests_per_second", base.tenantRate.rate, 1...1_000_000),
                                 burst: try int("tenant_burst", base.tenantRate.burst, 1...10_000_000))
        q.principalRate = RateLimit(rate: try int("principal_requests_per_second", base.principalRate.rate, 1...1_000_000),
                                    burst: try int("principal_burst", base.principalRate.burst, 1...10_000_000))
        q.maxConcurrentRuns = try int("max_concurrent_runs", base.maxConcurrentRuns, 1...10_000)
        q.maxQueuedRuns = try int("max_queued_runs", base.maxQueuedRuns, 0...1_000_000)
        return q
    }
}

/// Invalid quota settings.
public struct QuotaError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
