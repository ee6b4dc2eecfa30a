import JSON
import Store
import Synchronization

/// Where a run's events go: the store (durable runs) or memory (test runs). Every change of a
/// run is an event appended here before the next step starts.
protocol RunLog: Sendable {
    /// Appends one event; with `status`, also sets the run's status projection; with `audit`,
    /// chains an audit entry; with `deadLetter`, records it - all in one transaction.
    func append(_ type: RunEventType, node: String?, data: JSONValue, status: RunStatus?, audit: AuditRecord?,
                deadLetter: DeadLetterRecord?) async throws -> RunEventRecord
    /// Appends several events in one transaction; `status` (if any) is set with them.
    func appendBatch(_ events: [PendingEvent], status: RunStatus?, audit: AuditRecord?, deadLetter: DeadLetterRecord?) async throws -> [RunEventRecord]
}

/// An event waiting to be committed with the next one (see ``Execution/pending``).
struct PendingEvent: Sendable {
    let type: RunEventType
    let node: String?
    let data: JSONValue
    let status: RunStatus?
    /// `data` as stored, serialized once.
    let text: String

    init(type: RunEventType, node: String?, data: JSONValue, status: RunStatus?) {
        self.type = type
        self.node = node
        self.data = data
        self.status = status
        self.text = data.serialized()
    }

    /// The data as a fold of the stored event would see it: `data` itself unless it holds a
    /// number that JSON cannot write (stored as null), so live and recovered states agree.
    var storedData: JSONValue {
        data.hasNonFiniteNumber ? ((try? JSONValue.parse(text)) ?? [:]) : data
    }
}

extension RunLog {
    func append(_ type: RunEventType, node: String? = nil, data: JSONValue = [:], status: RunStatus? = nil) async throws -> RunEventRecord {
        try await append(type, node: node, data: data, status: status, audit: nil, deadLetter: nil)
    }
}

/// The durable log: each event is its own committed transaction.
struct StoreRunLog: RunLog {
    let store: Store
    let tenant: TenantID
    let runID: String

    func append(_ type: RunEventType, node: String?, data: JSONValue, status: RunStatus?, audit: AuditRecord?,
                deadLetter: DeadLetterRecord?) async throws -> RunEventRecord {
        try await appendBatch([PendingEvent(type: type, node: node, data: data, status: nil)], status: status, audit: audit, deadLetter: deadLetter)[0]
    }

    func appendBatch(_ events: [PendingEvent], status: RunStatus?, audit: AuditRecord?, deadLetter: DeadLetterRecord?) async throws -> [RunEventRecord] {
        let now = store.clock.nowMillis()
        let (tenant, runID) = (self.tenant, self.runID)
        let rows = events.map { ($0.type.rawValue, $0.node, now, $0.text) }
        let change = status.map { ($0.rawValue, at: now) }
        if audit == nil, deadLetter == nil {
            // Events and a status (every step's commit): one statement, one round trip on PostgreSQL.
            return try await store.writeStatement { try await RunRepository($0, tenant: tenant).append(runID, rows, status: change) }
        }
        return try await store.write { db in
            let runs = RunRepository(db, tenant: tenant)
            let records = try await runs.append(runID, rows, status: change)
            if let deadLetter { try await DeadLetterRepository(db, tenant: tenant).create(deadLetter) }
            if let audit { try await AuditLog.append([audit], in: db) }
            return records
        }
    }
}

/// A test run's log: kept in memory, never stored, returned with the result.
final class MemoryRunLog: RunLog {
    private let events = Mutex<[RunEventRecord]>([])
    let runID: String
    let clock: any WallClock

    init(runID: String, clock: any WallClock) {
        self.runID = runID
        self.clock = clock
    }

    func append(_ type: RunEventType, node: String?, data: JSONValue, status: RunStatus?, audit: AuditRecord?,
                deadLetter: DeadLetterRecord?) async throws -> RunEventRecord {
        try await appendBatch([PendingEvent(type: type, node: node, data: data, status: nil)], status: status, audit: audit, deadLetter: deadLetter)[0]
    }

    func appendBatch(_ batch: [PendingEvent], status: RunStatus?, audit: AuditRecord?, deadLetter: DeadLetterRecord?) async throws -> [RunEventRecord] {
        let now = clock.nowMillis()
        return events.withLock { list in
            batch.map { event in
                let record = RunEventRecord(runID: runID, seq: Int64(list.count + 1), type: event.type.rawValue, nodeID: event.node, at: now,
                                            data: event.text)
                list.append(record)
                return record
            }
        }
    }

    var recorded: [RunEventRecord] { events.withLock { $0 } }
}
