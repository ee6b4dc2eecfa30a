import Synchronization

/// A thread-safe map for values that can always be derived again, bounded by a count: storing
/// a new key when it already holds `limit` entries empties it first. Cheaper than keeping the
/// hottest entries, and enough where a refill costs one lookup; expiry, where needed, is the
/// caller's (store the deadline with the value).
public final class BoundedCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private let entries = Mutex<[Key: Value]>([:])
    /// Entries held at most.
    public let limit: Int

    public init(limit: Int) {
        precondition(limit > 0, "a cache holds at least one entry")
        self.limit = limit
    }

    /// The value stored for `key`, if any.
    public subscript(key: Key) -> Value? {
        entries.withLock { $0[key] }
    }

    /// Stores `value` for `key`, emptying the cache first if it is full and `key` is new.
    public func set(_ value: Value, for key: Key) {
        entries.withLock { map in
            if map.count >= limit, map[key] == nil { map.removeAll() }
            map[key] = value
        }
    }

    /// Forgets every entry.
    public func removeAll() {
        entries.withLock { $0.removeAll() }
    }

    /// Entries held now.
    public var count: Int { entries.withLock { $0.count } }
}
