import Store
import Synchronization

/// Runs waiting for a worker, one FIFO lane per tenant, served round-robin so that one
/// tenant's flood of runs does not starve another tenant's.
///
/// A lock rather than an actor, so that ``close()`` can be called from the synchronous
/// graceful-shutdown handler.
final class RunQueue: Sendable {
    private struct State {
        var lanes: [TenantID: [RunEngine.RunKey]] = [:]
        /// Tenants with waiting runs, in the order they will next be served.
        var rotation: [TenantID] = []
        /// Runs queued or being executed, so that a run is never executed twice at once.
        var present: Set<RunEngine.RunKey> = []
        var waiters: [CheckedContinuation<RunEngine.RunKey?, Never>] = []
        var closed = false

        mutating func take() -> RunEngine.RunKey? {
            while !rotation.isEmpty {
                let tenant = rotation.removeFirst()
                guard var lane = lanes[tenant], !lane.isEmpty else { continue }
                let key = lane.removeFirst()
                lanes[tenant] = lane.isEmpty ? nil : lane
                if !lane.isEmpty { rotation.append(tenant) }
                return key
            }
            return nil
        }
    }

    private let state = Mutex(State())

    /// Adds a run unless it is already queued or executing.
    func push(_ key: RunEngine.RunKey) {
        let waiter: CheckedContinuation<RunEngine.RunKey?, Never>? = state.withLock { s in
            guard !s.closed, s.present.insert(key).inserted else { return nil }
            if !s.waiters.isEmpty { return s.waiters.removeFirst() }
            if s.lanes[key.tenant, default: []].isEmpty { s.rotation.append(key.tenant) }
            s.lanes[key.tenant, default: []].append(key)
            return nil
        }
        waiter?.resume(returning: key)
    }

    /// The next run, taking tenants in turn; `nil` once closed.
    func pop() async -> RunEngine.RunKey? {
        await withCheckedContinuation { continuation in
            let immediate: RunEngine.RunKey?? = state.withLock { s in
                if let key = s.take() { return .some(key) }
                if s.closed { return .some(nil) }
                s.waiters.append(continuation)
                return nil
            }
            if let immediate { continuation.resume(returning: immediate) }
        }
    }

    /// Marks a run as no longer executing.
    func done(_ key: RunEngine.RunKey) {
        _ = state.withLock { $0.present.remove(key) }
    }

    /// How many runs wait.
    var depth: Int { state.withLock { $0.lanes.values.reduce(0) { $0 + $1.count } } }

    /// Stops handing out runs; waiting workers get `nil`.
    func close() {
        let waiters = state.withLock { s in
            s.closed = true
            defer { s.waiters.removeAll() }
            return s.waiters
        }
        for waiter in waiters { waiter.resume(returning: nil) }
    }
}
