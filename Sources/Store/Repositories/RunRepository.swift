/// Runs of one tenant and their event logs.
public struct RunRepository: Sendable {
    let db: any SQLExecutor
    /// The tenant every statement is confined to.
    public let tenant: TenantID

    public init(_ db: any SQLExecutor, tenant: TenantID) {
        self.db = db
        self.tenant = tenant
    }

    /// Inserts the run header. With an idempotency key already used for this workflow, inserts
    /// nothing and returns the earlier run instead.
    public func create(_ run: RunRecord) async throws -> (run: RunRecord, created: Bool) {
        if let key = run.idempotencyKey, let existing = try await find(workflowID: run.workflowID, idempotencyKey: key) {
            return (existing, false)
        }
        try await db.execute(
            """
            INSERT INTO runs (tenant_id, id, workflow_id, workflow_version, status, idempotency_key, trace_id, created_by, created_at, updated_at)
            VALUES (\(tenant.rawValue), \(run.id), \(run.workflowID), \(run.workflowVersion), \(run.status), \(run.idempotencyKey),
                    \(run.traceID), \(run.createdBy), \(run.createdAt), \(run.updatedAt))
            """
        )
        return (run, true)
    }

    /// The run started with this idempotency key, if any.
    public func find(workflowID: String, idempotencyKey: String) async throws -> RunRecord? {
        try await db.first(
            "SELECT * FROM runs WHERE tenant_id = \(tenant.rawValue) AND workflow_id = \(workflowID) AND idempotency_key = \(idempotencyKey)"
        ).map(RunRecord.init(row:))
    }

    public func get(_ id: String) async throws -> RunRecord? {
        try await db.first("SELECT * FROM runs WHERE tenant_id = \(tenant.rawValue) AND id = \(id)").map(RunRecord.init(row:))
    }

    /// Runs of a workflow, newest first.
    public func list(workflowID: String, limit: Int) async throws -> [RunRecord] {
        try await db.query(
            """
            SELECT * FROM runs WHERE tenant_id = \(tenant.rawValue) AND workflow_id = \(workflowID)
            ORDER BY created_at DESC, id DESC LIMIT \(limit)
            """
        ).map(RunRecord.init(row:))
    }

    /// Sets the run's status column (the projection of its latest status event).
    public func setStatus(_ id: String, _ status: String, at now: Int64) async throws {
        try await db.execute(
            "UPDATE runs SET status = \(status), updated_at = \(now) WHERE tenant_id = \(tenant.rawValue) AND id = \(id)"
        )
    }

    /// Appends events after the run's last sequence number; returns them with their numbers.
    @discardableResult
    public func append(_ runID: String, _ events: [(type: String, nodeID: String?, at: Int64, data: String)]) async throws -> [RunEventRecord] {
        let last = try await db.first(
            "SELECT MAX(seq) AS seq FROM run_events WHERE tenant_id = \(tenant.rawValue) AND run_id = \(runID)"
        )?.optionalInt("seq") ?? 0
        var records: [RunEventRecord] = []
        for (offset, event) in events.enumerated() {
            let seq = last + Int64(offset) + 1
            try await db.execute(
                """
                INSERT INTO run_events (tenant_id, run_id, seq, type, node_id, at, data)
                VALUES (\(tenant.rawValue), \(runID), \(seq), \(event.type), \(event.nodeID), \(event.at), \(event.data))
                """
            )
            records.append(RunEventRecord(runID: runID, seq: seq, type: event.type, nodeID: event.nodeID, at: event.at, data: event.data))
        }
        return records
    }

    /// The run's events in order, after `afterSeq`.
    public func events(_ runID: String, afterSeq: Int64 = 0, limit: Int = 10_000) async throws -> [RunEventRecord] {
        try await db.query(
            """
            SELECT * FROM run_events WHERE tenant_id = \(tenant.rawValue) AND run_id = \(runID) AND seq > \(afterSeq)
            ORDER BY seq LIMIT \(limit)
            """
        ).map(RunEventRecord.init(row:))
    }
}

/// The engine's one cross-tenant read: which runs were left unfinished (after a crash), so
/// that each can be resumed within its own tenant.
public struct UnfinishedRuns: Sendable {
    let db: any SQLExecutor

    public init(_ db: any SQLExecutor) { self.db = db }

    /// Runs whose status is neither succeeded nor failed, oldest first.
    public func list(limit: Int) async throws -> [RunRecord] {
        try await db.query(
            "SELECT * FROM runs WHERE status IN ('queued', 'running') ORDER BY created_at, id LIMIT \(limit)"
        ).map(RunRecord.init(row:))
    }
}
