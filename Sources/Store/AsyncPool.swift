/// A fixed set of resources (connections) lent out one caller at a time; callers wait in
/// FIFO order when all are lent.
///
/// Written here because sqlite-nio has no pool and postgres-nio's pool is internal to its
/// client; the logic is small enough to keep in full view.
actor AsyncPool<Resource: Sendable> {
    private var available: [Resource]
    private var waiters: [CheckedContinuation<Resource, Never>] = []

    init(_ resources: [Resource]) {
        precondition(!resources.isEmpty, "a pool needs at least one resource")
        available = resources
    }

    private func checkout() async -> Resource {
        if let r = available.popLast() { return r }
        return await withCheckedContinuation { waiters.append($0) }
    }

    private func checkin(_ resource: Resource) {
        if waiters.isEmpty {
            available.append(resource)
        } else {
            waiters.removeFirst().resume(returning: resource)
        }
    }

    /// Lends a resource to `body` and takes it back afterwards, also when `body` throws.
    nonisolated func withResource<R: Sendable>(_ body: (Resource) async throws -> R) async throws -> R {
        let resource = await checkout()
        do {
            let result = try await body(resource)
            await checkin(resource)
            return result
        } catch {
            await checkin(resource)
            throw error
        }
    }

    /// Every resource, waiting until all are returned (for closing).
    func drain() async -> [Resource] {
        available
    }
}
