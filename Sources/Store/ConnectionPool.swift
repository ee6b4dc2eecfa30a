import Synchronization

/// A fixed set of SQLite connections lent out one caller at a time; callers wait in FIFO order
/// when all are lent.
///
/// A lock rather than an actor: taking a free connection must not cost a hop to another
/// executor, since the statements that follow run right there (see ``SQLiteConnection``).
/// postgres-nio's pool is internal to its client, and the logic is small enough to keep in view.
/// Not generic: called through generic reads it ran unspecialized, and instantiating its
/// generic types at run time showed in profiles of every read.
final class ConnectionPool: Sendable {
    typealias Resource = SQLiteConnection

    private struct State {
        var available: [Resource]
        var waiters: [CheckedContinuation<Resource?, Never>] = []
        var closed = false
    }

    private let state: Mutex<State>
    private let count: Int

    init(_ resources: [Resource]) {
        precondition(!resources.isEmpty, "a pool needs at least one resource")
        state = Mutex(State(available: resources))
        count = resources.count
    }

    /// Lends a resource to `body` and takes it back afterwards, also when `body` throws.
    /// Throws when the pool was closed.
    func withResource<R: Sendable>(_ body: (Resource) async throws -> R) async throws -> R {
        guard let resource = await checkout() else { throw StoreError.backend("the database is closed") }
        defer { checkin(resource) }
        return try await body(resource)
    }

    /// Waits until every resource is back, hands each to `body` (to close it) and refuses
    /// all later use. Closing again does nothing.
    func close(_ body: (Resource) -> Void) async {
        if state.withLock({ $0.closed }) { return }
        for _ in 0..<count {
            if let resource = await checkout(closing: true) { body(resource) }
        }
        let waiters = state.withLock { s in
            s.closed = true
            defer { s.waiters.removeAll() }
            return s.waiters
        }
        for waiter in waiters { waiter.resume(returning: nil) }
    }

    private func checkout(closing: Bool = false) async -> Resource? {
        if let free = state.withLock({ s in s.closed && !closing ? nil : s.available.popLast() }) { return free }
        return await withCheckedContinuation { continuation in
            let free: Resource?? = state.withLock { s in
                if s.closed && !closing { return .some(nil) }
                if let r = s.available.popLast() { return r }
                s.waiters.append(continuation)
                return nil
            }
            if let free { continuation.resume(returning: free) }
        }
    }

    private func checkin(_ resource: Resource) {
        let waiter: CheckedContinuation<Resource?, Never>? = state.withLock { s in
            if s.waiters.isEmpty {
                s.available.append(resource)
                return nil
            }
            return s.waiters.removeFirst()
        }
        waiter?.resume(returning: resource)
    }
}
