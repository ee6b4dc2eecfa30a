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
        /// Runs executing per tenant, and each tenant's cap on that.
        var active: [TenantID: Int] = [:]
        var caps: [TenantID: Int] = [:]

        /// The next run of the next tenant in turn that is below its concurrency cap.
        mutating func take() -> RunEngine.RunKey? {
            var skipped: [TenantID] = []
            defer { rotation.append(contentsOf: skipped) }
            while !rotation.isEmpty {
                let tenant = rotation.removeFirst()
                guard var lane = lanes[tenant], !lane.isEmpty else { continue }
                if active[tenant, default: 0] >= caps[tenant, default: Int.max] {
                    skipped.append(tenant)
                    continue
                }
                let key = lane.removeFirst()
                lanes[tenant] = lane.isEmpty ? nil : lane
                if !lane.isEmpty { rotation.append(tenant) }
                active[tenant, default: 0] += 1
                return key
            }
            return nil
        }

        /// Hands queued runs to waiting workers while caps allow.
        mutating func dispatch() -> [(CheckedContinuation<RunEngine.RunKey?, Never>, RunEngine.RunKey)] {
            var handed: [(CheckedContinuation<RunEngine.RunKey?, Never>, RunEngine.RunKey)] = []
            while !waiters.isEmpty, let key = take() {
                handed.append((waiters.removeFirst(), key))
            }
            return handed
        }
    }

    private let state = Mutex(State())

    /// Adds a run unless it is already queued or executing. `concurrencyCap` is the tenant's
    /// current limit on runs executing at once.
    func push(_ key: RunEngine.RunKey, concurrencyCap: Int = .max) {
        let handed = state.withLock { s -> [(CheckedContinuation<RunEngine.RunKey?, Never>, RunEngine.RunKey)] in
            s.caps[key.tenant] = max(1, concurrencyCap)
            guard !s.closed, s.present.insert(key).inserted else { return [] }
            if s.lanes[key.tenant, default: []].isEmpty { s.rotation.append(key.tenant) }
            s.lanes[key.tenant, default: []].append(key)
            return s.dispatch()
        }
        for (waiter, key) in handed { waiter.resume(returning: key) }
    }

    /// How many runs of `tenant` wait (not counting those executing).
    func queued(_ tenant: TenantID) -> Int { state.withLock { $0.lanes[tenant]?.count ?? 0 } }

    /// Whether the run is queued or executing here.
    func holds(_ key: RunEngine.RunKey) -> Bool { state.withLock { $0.present.contains(key) } }

    /// How many runs of `tenant` are executing.
    func executing(_ tenant: TenantID) -> Int { state.withLock { $0.active[tenant] ?? 0 } }

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

    /// Marks a run as no longer executing, which may free a slot for a waiting run.
    func done(_ key: RunEngine.RunKey) {
        let handed = state.withLock { s -> [(CheckedContinuation<RunEngine.RunKey?, Never>, RunEngine.RunKey)] in
            s.present.remove(key)
            s.active[key.tenant] = max(0, s.active[key.tenant, default: 1] - 1)
            return s.dispatch()
        }
        for (waiter, key) in handed { waiter.resume(returning: key) }
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

/// What the engine hands from a run's creation to its executor in the same process: the run
/// and its first events (so the executor need not read back what was just committed), and
/// parsed workflow versions, which are immutable. Both bounded.
final class RunHandoff: Sendable {
    private let runs = Mutex<[RunEngine.RunKey: (run: RunRecord, events: [RunEventRecord])]>([:])
    let definitions = VersionCache<WorkflowDefinition>()

    func put(_ key: RunEngine.RunKey, run: RunRecord, events: [RunEventRecord]) {
        runs.withLock { map in
            // Runs queued beyond this many are read from the database when they start.
            guard map.count < 10_000 else { return }
            map[key] = (run, events)
        }
    }

    func take(_ key: RunEngine.RunKey) -> (run: RunRecord, events: [RunEventRecord])? {
        runs.withLock { $0.removeValue(forKey: key) }
    }
}
