import Logging
import Secrets
import ServiceLifecycle
import Store
import Synchronization

/// Commits audit entries in groups: requests hand their entry over and wait until the
/// transaction holding it has committed, and all entries that arrive while one commit is in
/// flight go into the next. Every answered request is audited before its response leaves,
/// at the cost of one commit per group rather than one per request.
final class AuditWriter: Service {
    /// A waiting request, resumed with `true` once its entry is committed.
    private typealias Waiter = CheckedContinuation<Bool, any Error>
    /// Queued entries and their requests, index for index.
    private struct Batch {
        var records: [AuditRecord] = []
        var waiters: [Waiter] = []
    }
    private struct State {
        var queued = Batch()
        /// The buffers of the last group committed, emptied, for the next group: taking a
        /// group swaps buffers instead of allocating one per commit.
        var spare = Batch()
        /// After shutdown began, entries are written one by one instead of queued.
        var closed = false
    }

    private let store: Store
    private let redactor: Redactor
    private let logger: Logger
    private let state = Mutex(State())
    /// Each tenant's chain head as this writer last wrote it. On PostgreSQL a group is then
    /// appended in one statement that checks the head is unchanged (see
    /// ``AuditLog/append(_:after:in:)``); only drain() touches it, one drain at a time.
    private let heads = Mutex<[TenantID: (seq: Int64, hash: String)]>([:])
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    /// Whether the store is PostgreSQL, where groups are per tenant and heads are remembered.
    private var isPostgres: Bool { store.database.dialect == .postgres }
    /// Largest group committed in one transaction.
    private let maxBatch: Int

    init(store: Store, redactor: Redactor, logger: Logger, maxBatch: Int = 512) {
        precondition(maxBatch > 0, "a group holds at least one entry")
        self.store = store
        self.redactor = redactor
        self.logger = logger
        self.maxBatch = maxBatch
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Appends `record` to its tenant's chain; returns once it is committed.
    func write(_ unredacted: AuditRecord) async throws {
        // Nothing that reaches the audit log may carry a secret, whatever a handler put there.
        var redacted = unredacted
        redacted.resource = redactor.redact(redacted.resource)
        redacted.detail = redactor.redact(redacted.detail)
        redacted.reasons = redacted.reasons.map(redactor.redact)
        let record = redacted
        let committed = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Bool, any Error>) in
            let queued = state.withLock { s in
                guard !s.closed else { return false }
                s.queued.records.append(record)
                s.queued.waiters.append(continuation)
                return true
            }
            if queued { wake.yield() } else { continuation.resume(returning: false) }
        }
        if !committed {
            try await store.write { db in try await AuditLog.append([record], in: db) }
        }
    }

    func run() async throws {
        await withGracefulShutdownHandler {
            for await _ in wakeups {
                // Let requests that are ready to run reach their write first, so that they join
                // this group rather than wait for the next commit: yield while the queue grows.
                var queued = -1
                for _ in 0..<4 {
                    let now = state.withLock { $0.queued.records.count }
                    if now == queued { break }
                    queued = now
                    await Task.yield()
                }
                await drain()
            }
        } onGracefulShutdown: {
            self.wake.finish()
        }
        state.withLock { $0.closed = true }
        await drain()
    }

    private func drain() async {
        while true {
            var batch: Batch = state.withLock { s in
                var taken = Batch()
                swap(&taken, &s.spare)
                if s.queued.records.count <= maxBatch {
                    swap(&taken, &s.queued)
                } else {
                    taken.records.append(contentsOf: s.queued.records[..<maxBatch])
                    taken.waiters.append(contentsOf: s.queued.waiters[..<maxBatch])
                    s.queued.records.removeFirst(maxBatch)
                    s.queued.waiters.removeFirst(maxBatch)
                }
                return taken
            }
            if batch.records.isEmpty { return }
            if isPostgres {
                // Per tenant, so that each group can go in one statement.
                var order: [TenantID] = []
                var groups: [TenantID: Batch] = [:]
                for (record, waiter) in zip(batch.records, batch.waiters) {
                    if groups[record.tenant] == nil { order.append(record.tenant) }
                    groups[record.tenant, default: Batch()].records.append(record)
                    groups[record.tenant, default: Batch()].waiters.append(waiter)
                }
                for tenant in order { await commit(groups[tenant] ?? Batch()) }
            } else {
                await commit(batch)
            }
            batch.records.removeAll(keepingCapacity: true)
            batch.waiters.removeAll(keepingCapacity: true)
            state.withLock { $0.spare = batch }
        }
    }

    private func commit(_ group: Batch) async {
        let records = group.records
        // On PostgreSQL a group is one tenant's (see drain()).
        let tenant = isPostgres ? records.first?.tenant : nil
        do {
            var entries: [AuditEntry]?
            if let tenant, let head = heads.withLock({ $0[tenant] }) {
                entries = try await store.writeStatement { db in try await AuditLog.append(records, after: head, in: db) }
            }
            if entries == nil {
                entries = try await store.write { db in try await AuditLog.append(records, in: db) }
            }
            if let tenant, let last = entries?.last { heads.withLock { $0[tenant] = (last.seq, last.hash) } }
            for waiter in group.waiters { waiter.resume(returning: true) }
        } catch {
            logger.error("audit write failed", metadata: ["error": "\(error)"])
            if let tenant { _ = heads.withLock { $0.removeValue(forKey: tenant) } }
            for waiter in group.waiters { waiter.resume(throwing: error) }
        }
    }
}
