import Policy
import Synchronization
import Testing

final class ManualNanos: Sendable {
    let value = Mutex<Int64>(1_000_000_000)
    func advance(_ nanos: Int64) { value.withLock { $0 += nanos } }
    var now: Int64 { value.withLock { $0 } }
}

@Suite struct RateLimiterTests {
    @Test func burstThenSteadyRate() {
        let time = ManualNanos()
        let limiter = RateLimiter<String>(now: { time.now })
        let limit = RateLimit(rate: 10, burst: 3)  // one request per 100 ms, three at once
        let first = limiter.check("k", limit)
        #expect(first.allowed && first.remaining == 2 && first.limit == 3)
        #expect(limiter.check("k", limit).remaining == 1)
        #expect(limiter.check("k", limit).remaining == 0)
        let refused = limiter.check("k", limit)
        #expect(!refused.allowed)
        #expect(refused.retryAfterNanos == 100_000_000)
        #expect(RateLimitOutcome.seconds(refused.retryAfterNanos) == 1)
        time.advance(99_000_000)
        #expect(!limiter.check("k", limit).allowed)
        time.advance(1_000_000)
        let again = limiter.check("k", limit)
        #expect(again.allowed && again.remaining == 0)
        // After a quiet spell the whole burst is back, and no more.
        time.advance(10_000_000_000)
        #expect(limiter.check("k", limit).remaining == 2)
    }

    @Test func keysAreIndependentAndRefusalsAreNotCounted() {
        let time = ManualNanos()
        let limiter = RateLimiter<String>(now: { time.now })
        let limit = RateLimit(rate: 1, burst: 1)
        #expect(limiter.check("a", limit).allowed)
        for _ in 0..<100 { #expect(!limiter.check("a", limit).allowed) }
        #expect(limiter.check("b", limit).allowed)
        time.advance(1_000_000_000)
        #expect(limiter.check("a", limit).allowed)
    }

    @Test func resetTellsWhenTheBurstIsFullAgain() {
        let time = ManualNanos()
        let limiter = RateLimiter<String>(now: { time.now })
        let limit = RateLimit(rate: 2, burst: 4)
        _ = limiter.check("k", limit)
        let second = limiter.check("k", limit)
        #expect(second.resetNanos == 1_000_000_000)
    }

    @Test func quotasReadFromJSONWithRanges() throws {
        let q = try TenantQuotas.from(["tenant_requests_per_second": 5, "max_queued_runs": 0], base: .defaults)
        #expect(q.tenantRate.rate == 5)
        #expect(q.tenantRate.burst == TenantQuotas.defaults.tenantRate.burst)
        #expect(q.maxQueuedRuns == 0)
        #expect(throws: QuotaError.self) { try TenantQuotas.from(["max_concurrent_runs": 0], base: .defaults) }
        #expect(throws: QuotaError.self) { try TenantQuotas.from(["max_concurrent_runs": 1.5], base: .defaults) }
        #expect(throws: QuotaError.self) { try TenantQuotas.from(["bogus": 1], base: .defaults) }
        #expect(try TenantQuotas.from(q.json, base: .defaults) == q)
    }
}
