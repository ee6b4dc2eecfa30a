/// Where a login in progress waits between the redirect to the provider and its answer.
///
/// Records are keyed by the OIDC `state` or the SAML AuthnRequest ID, and `take` removes the
/// record it returns, so each can complete at most one login. A multi-instance deployment
/// backs this with its database; `InMemoryPendingLoginStore` serves one process and tests.
public protocol PendingLoginStore<Record>: Sendable {
    associatedtype Record: Sendable
    /// Stores `record` under `key` until `expiresAt` (times are since the epoch).
    func insert(_ record: Record, key: String, expiresAt: Duration, now: Duration) async throws
    /// Removes and returns the record under `key`, or nil when absent or expired at `now`.
    func take(key: String, now: Duration) async throws -> Record?
}

/// A bounded in-process `PendingLoginStore`.
public actor InMemoryPendingLoginStore<Record: Sendable>: PendingLoginStore {
    private var entries: [String: (record: Record, expiresAt: Duration)] = [:]
    private let capacity: Int

    /// - Parameter capacity: most logins in progress at once; when full, expired entries are
    ///   dropped and then the insert is refused. Default 10,000.
    public init(capacity: Int = 10_000) {
        self.capacity = capacity
    }

    public func insert(_ record: Record, key: String, expiresAt: Duration, now: Duration) throws {
        if entries.count >= capacity {
            entries = entries.filter { $0.value.expiresAt > now }
            guard entries.count < capacity else { throw PendingLoginStoreFull() }
        }
        entries[key] = (record, expiresAt)
    }

    public func take(key: String, now: Duration) -> Record? {
        guard let entry = entries.removeValue(forKey: key) else { return nil }
        return entry.expiresAt > now ? entry.record : nil
    }

    /// Drops entries expired at `now`.
    public func prune(now: Duration) {
        entries = entries.filter { $0.value.expiresAt > now }
    }

    /// How many entries are held.
    public var count: Int { entries.count }
}

/// The in-memory store is at capacity.
public struct PendingLoginStoreFull: Error, CustomStringConvertible {
    public var description: String { "too many logins in progress" }
}
