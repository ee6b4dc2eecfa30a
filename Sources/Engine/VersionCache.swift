import Store
import Synchronization

/// Something derived from a stored workflow version (its parsed definition), by tenant,
/// workflow and version. Versions never change once stored, so an entry can never be stale; a
/// reader still goes through the workflow's row (which names the current version and vanishes
/// with a deleted workflow), only the version's row and the parse are saved. Bounded by the
/// size of the stored text the entries came from, emptied when full.
public final class VersionCache<Value: Sendable>: Sendable {
    private struct State {
        var entries: [String: Value] = [:]
        var bytes = 0
    }

    private let state = Mutex(State())
    /// Stored text the entries may come from at most, in bytes; one entry takes at most a
    /// sixteenth of it.
    public let capacity: Int

    /// - Parameter capacity: bytes of stored text (default 16 MiB).
    public init(capacity: Int = 16 << 20) {
        self.capacity = capacity
    }

    /// The key of a version.
    public func key(_ tenant: TenantID, _ workflow: String, _ version: Int64) -> String {
        "\(tenant.rawValue)\u{0}\(workflow)\u{0}\(version)"
    }

    public func get(_ key: String) -> Value? { state.withLock { $0.entries[key] } }

    /// Remembers `value`, derived from `size` bytes of stored text.
    public func put(_ key: String, _ value: Value, size: Int) {
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
