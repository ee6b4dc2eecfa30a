import Synchronization

/// A request rate: `burst` requests at once, refilled at `rate` per `period`.
public struct RateLimit: Sendable, Hashable {
    /// Requests per period in the long run.
    public var rate: Int
    /// The period `rate` is counted over.
    public var period: Duration
    /// Requests that may arrive at once after a quiet spell (at least 1).
    public var burst: Int

    public init(rate: Int, per period: Duration = .seconds(1), burst: Int) {
        self.rate = max(1, rate)
        self.period = period
        self.burst = max(1, burst)
    }

    /// Time between two requests at the long-run rate, in nanoseconds.
    @usableFromInline var emissionInterval: Int64 {
        let (seconds, attoseconds) = period.components
        let nanos = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
        return max(1, nanos / Int64(rate))
    }
}

/// The outcome of one rate-limit check, with what the `RateLimit-*` headers report.
public struct RateLimitOutcome: Sendable, Equatable {
    public var allowed: Bool
    /// The burst size (`RateLimit-Limit`).
    public var limit: Int
    /// Requests that could still be made now (`RateLimit-Remaining`).
    public var remaining: Int
    /// Nanoseconds until the full burst is available again (`RateLimit-Reset`).
    public var resetNanos: Int64
    /// Nanoseconds until a refused request could succeed (`Retry-After`); 0 when allowed.
    public var retryAfterNanos: Int64

    @usableFromInline init(allowed: Bool, limit: Int, remaining: Int, resetNanos: Int64, retryAfterNanos: Int64) {
        self.allowed = allowed
        self.limit = limit
        self.remaining = remaining
        self.resetNanos = resetNanos
        self.retryAfterNanos = retryAfterNanos
    }

    /// Whole seconds, rounded up, as HTTP headers want them.
    public static func seconds(_ nanos: Int64) -> Int { Int((nanos + 999_999_999) / 1_000_000_000) }
}

/// Generic Cell Rate Algorithm: one "theoretical arrival time" per key, so memory is one
/// integer per active key and a check is O(1) with no timers.
///
/// Time comes from an injected monotonic source (nanoseconds), so tests step it by hand.
/// Keys are any hashable value, so that callers need not build a string per check; `check`
/// is inlinable so that it is specialized to the caller's key type.
public final class RateLimiter<Key: Hashable & Sendable>: Sendable {
    @usableFromInline let state = Mutex<[Key: Int64]>([:])
    @usableFromInline let now: @Sendable () -> Int64
    /// Keys whose arrival time is this far in the past are forgotten on cleanup.
    @usableFromInline let maxKeys: Int

    /// - Parameters:
    ///   - maxKeys: bound on tracked keys; stale keys are dropped beyond it (default 100,000).
    ///   - now: monotonic time in nanoseconds (default: the continuous clock).
    public init(maxKeys: Int = 100_000, now: @escaping @Sendable () -> Int64 = MonotonicClock.nanos) {
        self.maxKeys = maxKeys
        self.now = now
    }

    /// Counts one request against `key` under `limit`; a refused request is not counted.
    @inlinable public func check(_ key: Key, _ limit: RateLimit) -> RateLimitOutcome {
        let t = now()
        let interval = limit.emissionInterval
        let tolerance = interval * Int64(limit.burst)
        return state.withLock { tats in
            let tat = max(tats[key] ?? t, t)
            let newTAT = tat + interval
            let allowAt = newTAT - tolerance
            if allowAt > t {
                let remaining = 0
                return RateLimitOutcome(allowed: false, limit: limit.burst, remaining: remaining,
                                        resetNanos: tat - t, retryAfterNanos: allowAt - t)
            }
            if tats.count >= maxKeys, tats[key] == nil {
                // Forget keys whose bucket is already full again: they carry no state.
                tats = tats.filter { $0.value > t }
            }
            tats[key] = newTAT
            let remaining = Int((tolerance - (newTAT - t)) / interval)
            return RateLimitOutcome(allowed: true, limit: limit.burst, remaining: max(0, remaining),
                                    resetNanos: newTAT - t, retryAfterNanos: 0)
        }
    }
}

/// The rate limiter's default time source.
public enum MonotonicClock {
    /// Nanoseconds on the continuous clock since an arbitrary origin.
    public static func nanos() -> Int64 {
        let d = ContinuousClock.now - origin
        let (s, a) = d.components
        return s * 1_000_000_000 + a / 1_000_000_000
    }
    private static let origin = ContinuousClock.now
}
