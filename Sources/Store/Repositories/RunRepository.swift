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
            INSERT INTO runs (tenant_id, id, workflow_id, workflow_version, status, idempotency_key, trace_id, created_by, created_at, updated_at,
                              parent_run_id)
            VALUES (\(tenant.rawValue), \(run.id), \(run.workflowID), \(run.workflowVersion), \(run.status), \(run.idempotencyKey),
                    \(run.traceID), \(run.createdBy), \(run.createdAt), \(run.updatedAt), \(run.parentRunID))
            """
        )
        return (run, true)
    }

    /// Creates a run with its first event (sequence 1). On PostgreSQL both rows are written by
    /// one statement, so outside a transaction (``Store/writeStatement(_:)``) it is atomic and
    /// costs one round trip. Throws a unique violation for a taken idempotency key.
    public func create(_ run: RunRecord, firstEvent event: (type: String, at: Int64, data: String)) async throws -> RunEventRecord {
        if db.dialect == .postgres {
            try await db.execute(
                """
                WITH r AS (
                    INSERT INTO runs (tenant_id, id, workflow_id, workflow_version, status, idempotency_key, trace_id, created_by, created_at,
                                      updated_at, parent_run_id, last_seq)
                    VALUES (\(tenant.rawValue), \(run.id), \(run.workflowID), \(run.workflowVersion), \(run.status), \(run.idempotencyKey),
                            \(run.traceID), \(run.createdBy), \(run.createdAt), \(run.updatedAt), \(run.parentRunID), 1)
                    RETURNING tenant_id, id
                )
                INSERT INTO run_events (tenant_id, run_id, seq, type, node_id, at, data)
                SELECT r.tenant_id, r.id, 1, CAST(\(event.type) AS TEXT), NULL, CAST(\(event.at) AS BIGINT), CAST(\(event.data) AS TEXT) FROM r
                """
            )
            return RunEventRecord(runID: run.id, seq: 1, type: event.type, nodeID: nil, at: event.at, data: event.data)
        }
        _ = try await create(run)
        guard let first = try await append(run.id, [(event.type, nil, event.at, event.data)]).first else { throw StoreError.notFound("run") }
        return first
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

    /// Deletes finished top-level runs created before `cutoff` or beyond the newest `keep`
    /// finished ones, with their events, dead letters and child runs; at most `limit` runs per
    /// call. Unfinished runs are never deleted. Returns how many top-level runs went.
    public func prune(createdBefore cutoff: Int64?, keepNewest keep: Int?, limit: Int) async throws -> Int {
        var ids: [String] = []
        let finished: SQLQuery = "tenant_id = \(tenant.rawValue) AND parent_run_id IS NULL AND status IN ('succeeded', 'failed')"
        if let cutoff {
            ids += try await db.query("SELECT id FROM runs WHERE \(finished) AND created_at < \(cutoff) ORDER BY created_at LIMIT \(limit)")
                .map { try $0.string("id") }
        }
        if let keep, ids.count < limit {
            ids += try await db.query(
                "SELECT id FROM runs WHERE \(finished) ORDER BY created_at DESC, id DESC LIMIT \(limit) OFFSET \(keep)"
            ).map { try $0.string("id") }
        }
        var seen: Set<String> = []
        for id in ids where seen.insert(id).inserted {
            // The run and every descendant (sub-workflows nest a few levels at most).
            var family = [id]
            var frontier = [id]
            while let parent = frontier.popLast() {
                let children = try await db.query("SELECT id FROM runs WHERE tenant_id = \(tenant.rawValue) AND parent_run_id = \(parent)")
                    .map { try $0.string("id") }
                family += children
                frontier += children
            }
            for run in family.reversed() {
                try await db.execute("DELETE FROM run_events WHERE tenant_id = \(tenant.rawValue) AND run_id = \(run)")
                try await db.execute("DELETE FROM dead_letters WHERE tenant_id = \(tenant.rawValue) AND run_id = \(run)")
                try await db.execute("DELETE FROM runs WHERE tenant_id = \(tenant.rawValue) AND id = \(run)")
            }
        }
        return seen.count
    }

    /// Appends events after the run's last sequence number; returns them with their numbers.
    ///
    /// The run row's `last_seq` hands out the numbers: its update takes the row lock, so
    /// concurrent appends to one run (map items) never share a number. On PostgreSQL the counter
    /// and the inserts are one statement, so outside a transaction (``Store/writeStatement(_:)``)
    /// an append costs one round trip and is still atomic.
    /// - Parameter status: a new status for the run, set by the same statement (with `updated_at`).
    @discardableResult
    public func append(
        _ runID: String, _ events: [(type: String, nodeID: String?, at: Int64, data: String)], status: (String, at: Int64)? = nil
    ) async throws -> [RunEventRecord] {
        guard !events.isEmpty else { return [] }
        let n = Int64(events.count)
        let statusChange: SQLQuery = status.map { ", status = \($0.0), updated_at = \($0.at)" } ?? ""
        let last: Int64
        if db.dialect == .postgres {
            var values: SQLQuery = ""
            for (offset, event) in events.enumerated() {
                let row: SQLQuery = """
                    (\(unsafeSQL: String(offset + 1)), CAST(\(event.type) AS TEXT), CAST(\(event.nodeID) AS TEXT), CAST(\(event.at) AS BIGINT), \
                    CAST(\(event.data) AS TEXT))
                    """
                values = offset == 0 ? row : "\(values), \(row)"
            }
            let rows = try await db.query(
                """
                WITH counter AS (
                    UPDATE runs SET last_seq = last_seq + \(n)\(statusChange) WHERE tenant_id = \(tenant.rawValue) AND id = \(runID) RETURNING last_seq
                )
                INSERT INTO run_events (tenant_id, run_id, seq, type, node_id, at, data)
                SELECT \(tenant.rawValue), \(runID), counter.last_seq - \(n) + v.ord, v.type, v.node_id, v.at, v.data
                FROM counter, (VALUES \(values)) AS v(ord, type, node_id, at, data)
                RETURNING seq
                """
            )
            guard let first = try rows.map({ try $0.int("seq") }).min() else { throw StoreError.notFound("run") }
            last = first - 1
        } else {
            guard let row = try await db.first(
                "UPDATE runs SET last_seq = last_seq + \(n)\(statusChange) WHERE tenant_id = \(tenant.rawValue) AND id = \(runID) RETURNING last_seq"
            ) else { throw StoreError.notFound("run") }
            last = try row.int("last_seq") - n
            for (offset, event) in events.enumerated() {
                try await db.execute(
                    """
                    INSERT INTO run_events (tenant_id, run_id, seq, type, node_id, at, data)
                    VALUES (\(tenant.rawValue), \(runID), \(last + Int64(offset) + 1), \(event.type), \(event.nodeID), \(event.at), \(event.data))
                    """
                )
            }
        }
        return events.enumerated().map { offset, event in
            RunEventRecord(runID: runID, seq: last + Int64(offset) + 1, type: event.type, nodeID: event.nodeID, at: event.at, data: event.data)
        }
    }

    /// Every event of the run, read in pages.
    public func allEvents(_ runID: String) async throws -> [RunEventRecord] {
        var all: [RunEventRecord] = []
        while true {
            let page = try await events(runID, afterSeq: all.last?.seq ?? 0, limit: 10_000)
            all += page
            if page.count < 10_000 { return all }
        }
    }

    /// The run's events in order, after `afterSeq`, at most `limit` of them.
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

    /// Top-level runs whose status is neither succeeded nor failed, oldest first. Child runs
    /// (sub-workflows) are left out: their parent's step drives them.
    public func list(limit: Int) async throws -> [RunRecord] {
        try await db.query(
            "SELECT * FROM runs WHERE status IN ('queued', 'running') AND parent_run_id IS NULL ORDER BY created_at, id LIMIT \(limit)"
        ).map(RunRecord.init(row:))
    }
}

/// A run or item that exhausted its retries.
public struct DeadLetterRecord: Sendable, Equatable {
    public var tenantID: TenantID
    public var id: String
    public var runID: String
    public var workflowID: String
    public var nodeID: String
    /// The failed item of a map or loop, when the letter is for one item.
    public var itemIndex: Int64?
    /// The (redacted) error.
    public var error: String
    public var attempts: Int64
    /// `open` or `redriven`.
    public var status: String
    public var createdAt: Int64
    public var redrivenAt: Int64?

    public init(tenantID: TenantID, id: String, runID: String, workflowID: String, nodeID: String, itemIndex: Int64?, error: String,
                attempts: Int64, status: String, createdAt: Int64, redrivenAt: Int64? = nil) {
        self.tenantID = tenantID
        self.id = id
        self.runID = runID
        self.workflowID = workflowID
        self.nodeID = nodeID
        self.itemIndex = itemIndex
        self.error = error
        self.attempts = attempts
        self.status = status
        self.createdAt = createdAt
        self.redrivenAt = redrivenAt
    }

    init(row: Row) throws {
        tenantID = TenantID(try row.string("tenant_id"))
        id = try row.string("id")
        runID = try row.string("run_id")
        workflowID = try row.string("workflow_id")
        nodeID = try row.string("node_id")
        itemIndex = row.optionalInt("item_index")
        error = try row.string("error")
        attempts = try row.int("attempts")
        status = try row.string("status")
        createdAt = try row.int("created_at")
        redrivenAt = row.optionalInt("redriven_at")
    }
}

/// The dead-letter list of one tenant.
public struct DeadLetterRepository: Sendable {
    let db: any SQLExecutor
    /// The tenant every statement is confined to.
    public let tenant: TenantID

    public init(_ db: any SQLExecutor, tenant: TenantID) {
        self.db = db
        self.tenant = tenant
    }

    public func create(_ letter: DeadLetterRecord) async throws {
        try await db.execute(
            """
            INSERT INTO dead_letters (tenant_id, id, run_id, workflow_id, node_id, item_index, error, attempts, status, created_at, redriven_at)
            VALUES (\(tenant.rawValue), \(letter.id), \(letter.runID), \(letter.workflowID), \(letter.nodeID), \(letter.itemIndex), \(letter.error),
                    \(letter.attempts), \(letter.status), \(letter.createdAt), \(letter.redrivenAt))
            """
        )
    }

    public func get(_ id: String) async throws -> DeadLetterRecord? {
        try await db.first("SELECT * FROM dead_letters WHERE tenant_id = \(tenant.rawValue) AND id = \(id)").map(DeadLetterRecord.init(row:))
    }

    /// Letters, newest first, optionally only open ones.
    public func list(limit: Int, openOnly: Bool) async throws -> [DeadLetterRecord] {
        var q: SQLQuery = "SELECT * FROM dead_letters WHERE tenant_id = \(tenant.rawValue)"
        if openOnly { q.append(" AND status = 'open'") }
        q.append(" ORDER BY created_at DESC, id DESC LIMIT \(limit)")
        return try await db.query(q).map(DeadLetterRecord.init(row:))
    }

    /// Open letters of a run.
    public func open(ofRun runID: String) async throws -> [DeadLetterRecord] {
        try await db.query(
            "SELECT * FROM dead_letters WHERE tenant_id = \(tenant.rawValue) AND run_id = \(runID) AND status = 'open' ORDER BY created_at"
        ).map(DeadLetterRecord.init(row:))
    }

    public func markRedriven(_ id: String, at now: Int64) async throws {
        try await db.execute(
            "UPDATE dead_letters SET status = 'redriven', redriven_at = \(now) WHERE tenant_id = \(tenant.rawValue) AND id = \(id)"
        )
    }
}
