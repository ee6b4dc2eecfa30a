import Store
import Synchronization

/// Bodies of `GET .../workflows/{id}` (the workflow's row around its current definition,
/// serialized), for a server that is the only writer of its database: the embedded SQLite
/// store, whose data folder `flowgate serve` locks (``DataDirectoryLock``). A hit saves the
/// read transaction, which on SQLite also re-reads the pages every audit commit made stale;
/// the request is still authenticated, authorized and audited as any other. Off for
/// PostgreSQL, where other servers may write the same rows.
///
/// Coherence: every write of a workflow ends with ``invalidate()`` after its commit, which
/// empties the cache and moves the generation on. A reader takes the generation before it
/// reads and stores what it read only if the generation has not moved since, so a row read
/// before a commit is never served after it. Bounded by bytes, emptied when full.
final class WorkflowReadCache: Sendable {
    struct Key: Hashable, Sendable {
        let tenant: TenantID
        let workflow: String
    }

    private struct State {
        var entries: [Key: [UInt8]] = [:]
        var bytes = 0
        var generation = 0
    }

    private let state = Mutex(State())
    /// Whether entries are kept at all.
    let enabled: Bool
    /// Body bytes held at most; one body takes at most a sixteenth of it.
    let capacity: Int

    init(enabled: Bool, capacity: Int = 16 << 20) {
        self.enabled = enabled
        self.capacity = capacity
    }

    /// The cached body of the workflow, if any.
    func body(_ key: Key) -> [UInt8]? {
        guard enabled else { return nil }
        return state.withLock { $0.entries[key] }
    }

    /// The generation to pass to ``store(_:for:readAt:)``, taken before reading.
    func generation() -> Int {
        state.withLock { $0.generation }
    }

    /// Keeps `body`, read after ``generation()`` returned `generation`, unless a workflow was
    /// written since.
    func store(_ body: [UInt8], for key: Key, readAt generation: Int) {
        guard enabled, body.count <= capacity / 16 else { return }
        state.withLock { s in
            guard s.generation == generation else { return }
            if s.bytes + body.count > capacity {
                s.entries.removeAll()
                s.bytes = 0
            }
            if let old = s.entries.updateValue(body, forKey: key) { s.bytes -= old.count }
            s.bytes += body.count
        }
    }

    /// Forgets every body; called after each committed (or failed) write of a workflow.
    func invalidate() {
        state.withLock { s in
            s.generation &+= 1
            s.entries.removeAll()
            s.bytes = 0
        }
    }
}
