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
        let now = store.clock.nowMillis()
        let (tenant, runID) = (self.tenant, self.runID)
        return try await store.write { db in
            let runs = RunRepository(db, tenant: tenant)
            let records = try await runs.append(runID, [(type.rawValue, node, now, data.serialized())])
            if let status { try await runs.setStatus(runID, status.rawValue, at: now) }
            if let deadLetter { try await DeadLetterRepository(db, tenant: tenant).create(deadLetter) }
            if let audit { try await AuditLog.append([audit], in: db) }
            return records[0]
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
        let now = clock.nowMillis()
        return events.withLock { list in
            let record = RunEventRecord(runID: runID, seq: Int64(list.count + 1), type: type.rawValue, nodeID: node, at: now, data: data.serialized())
            list.append(record)
            return record
        }
    }

    var recorded: [RunEventRecord] { events.withLock { $0 } }
}
