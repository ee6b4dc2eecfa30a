import JSON
import Store
import Synchronization

/// Parsed workflow definitions by tenant, workflow and version. Versions never change once
/// stored, so an entry can never be stale; a read still goes through the workflow's row (which
/// names the current version and vanishes with a deleted workflow), only the parse and the
/// version's row are saved. Bounded by the stored text's size, emptied when full.
final class DefinitionCache: Sendable {
    private struct State {
        var entries: [String: JSONValue] = [:]
        var bytes = 0
    }

    private let state = Mutex(State())
    /// Definition text held at most, in bytes.
    let capacity: Int

    init(capacity: Int = 16 << 20) {
        self.capacity = capacity
    }

    static func key(_ tenant: TenantID, _ workflow: String, _ version: Int64) -> String {
        "\(tenant.rawValue)\u{0}\(workflow)\u{0}\(version)"
    }

    func get(_ key: String) -> JSONValue? { state.withLock { $0.entries[key] } }

    /// Remembers `definition`, parsed from `size` bytes of stored text.
    func put(_ key: String, _ definition: JSONValue, size: Int) {
        guard size <= capacity / 16 else { return }
        state.withLock { s in
            if s.bytes + size > capacity {
                s.entries.removeAll()
                s.bytes = 0
            }
            if s.entries.updateValue(definition, forKey: key) == nil { s.bytes += size }
        }
    }
}
