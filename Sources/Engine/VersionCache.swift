import Store
import Synchronization

/// Something derived from a stored workflow version (its parsed definition), by tenant,
/// workflow and version. Versions never change once stored, so an entry can never be stale; a
/// reader still goes through the workflow's row (which names the current version and vanishes
/// with a deleted workflow), only the version's row and the parse are saved. Bounded by the
/// size of the stored text the entries came from, emptied when full.
///
/// Its members are inlinable so that callers in other modules get them specialized.
public final class VersionCache<Value: Sendable>: Sendable {
    /// A version: tenant, workflow and number (hashed as they are, no string built per lookup).
    public struct Key: Hashable, Sendable {
        @usableFromInline let tenant: TenantID
        @usableFromInline let workflow: String
        @usableFromInline let version: Int64

        @usableFromInline init(tenant: TenantID, workflow: String, version: Int64) {
            self.tenant = tenant
            self.workflow = workflow
            self.version = version
        }
    }

    @usableFromInline struct State {
        @usableFromInline var entries: [Key: Value] = [:]
        @usableFromInline var bytes = 0
        @usableFromInline init() {}
    }

    @usableFromInline let state = Mutex(State())
    /// Stored text the entries may come from at most, in bytes; one entry takes at most a
    /// sixteenth of it.
    public let capacity: Int

    /// - Parameter capacity: bytes of stored text (default 16 MiB).
    public init(capacity: Int = 16 << 20) {
        self.capacity = capacity
    }

    /// The key of a version.
    @inlinable public func key(_ tenant: TenantID, _ workflow: String, _ version: Int64) -> Key {
        Key(tenant: tenant, workflow: workflow, version: version)
    }

    @inlinable public func get(_ key: Key) -> Value? { state.withLock { $0.entries[key] } }

    /// Remembers `value`, derived from `size` bytes of stored text.
    @inlinable public func put(_ key: Key, _ value: Value, size: Int) {
        guard size <= capacity / 16 else { return }
        state.withLock { s in
            if s.bytes + size > capacity {
                s.entries.removeAll()
                s.bytes = 0
            }
            if s.entries.updateValue(value, forKey: key) == nil { s.bytes += size }
        }
    }
}
