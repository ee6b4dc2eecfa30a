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
    /// An entry and its waiting request, resumed with `true` once committed.
    private typealias Pending = (record: AuditRecord, done: CheckedContinuation<Bool, any Error>)
    private struct State {
        var items: [Pending] = []
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
    private let maxBatch = 512

    init(store: Store, redactor: Redactor, logger: Logger) {
        self.store = store
        self.redactor = redactor
        self.logger = logger
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
                s.items.append((record, continuation))
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
                // this group rather than wait for the next commit.
                await Task.yield()
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
            let batch: [Pending] = state.withLock { s in
                let count = min(s.items.count, maxBatch)
                defer { s.items.removeFirst(count) }
                return Array(s.items.prefix(count))
            }
            if batch.isEmpty { return }
            if isPostgres {
                // Per tenant, so that each group can go in one statement.
                var order: [TenantID] = []
                var groups: [TenantID: [Pending]] = [:]
                for item in batch {
                    if groups[item.record.tenant] == nil { order.append(item.record.tenant) }
                    groups[item.record.tenant, default: []].append(item)
                }
                for tenant in order { await commit(groups[tenant] ?? []) }
            } else {
                await commit(batch)
            }
        }
    }

    private func commit(_ group: [Pending]) async {
        let records = group.map(\.record)
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
            for item in group { item.done.resume(returning: true) }
        } catch {
            logger.error("audit write failed", metadata: ["error": "\(error)"])
            if let tenant { _ = heads.withLock { $0.removeValue(forKey: tenant) } }
            for item in group { item.done.resume(throwing: error) }
        }
    }
}
