import Synchronization

/// A thread-safe map for values that can always be derived again, bounded by a count: storing
/// a new key when it already holds `limit` entries empties it first. Cheaper than keeping the
/// hottest entries, and enough where a refill costs one lookup; expiry, where needed, is the
/// caller's (store the deadline with the value).
///
/// Its members are inlinable so that callers in other modules get them specialized to their
/// types: unspecialized, every lookup paid for generic metadata at run time.
public final class BoundedCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    @usableFromInline let entries = Mutex<[Key: Value]>([:])
    /// Entries held at most.
    public let limit: Int

    public init(limit: Int) {
        precondition(limit > 0, "a cache holds at least one entry")
        self.limit = limit
    }

    /// The value stored for `key`, if any.
    @inlinable public subscript(key: Key) -> Value? {
        entries.withLock { $0[key] }
    }

    /// Stores `value` for `key`, emptying the cache first if it is full and `key` is new.
    @inlinable public func set(_ value: Value, for key: Key) {
        entries.withLock { map in
            if map.count >= limit, map[key] == nil { map.removeAll() }
            map[key] = value
        }
    }

    /// Forgets every entry.
    @inlinable public func removeAll() {
        entries.withLock { $0.removeAll() }
    }

    /// Entries held now.
    @inlinable public var count: Int { entries.withLock { $0.count } }
}
