/// A schedule or webhook trigger of a workflow: a projection of the workflow's current
/// definition, rewritten whenever a new version is saved.
public struct TriggerRecord: Sendable, Equatable {
    public var tenantID: TenantID
    public var workflowID: String
    public var nodeID: String
    /// `schedule` or `webhook`.
    public var kind: String
    /// The node's config and the principal runs act as, as JSON.
    public var config: String
    public var webhookPath: String?
    /// Milliseconds since the epoch of the next fire time (schedules).
    public var nextFireAt: Int64?
    public var lastFiredAt: Int64?

    public init(tenantID: TenantID, workflowID: String, nodeID: String, kind: String, config: String, webhookPath: String? = nil,
                nextFireAt: Int64? = nil, lastFiredAt: Int64? = nil) {
        self.tenantID = tenantID
        self.workflowID = workflowID
        self.nodeID = nodeID
        self.kind = kind
        self.config = config
        self.webhookPath = webhookPath
        self.nextFireAt = nextFireAt
        self.lastFiredAt = lastFiredAt
    }

    init(row: Row) throws {
        tenantID = TenantID(try row.string("tenant_id"))
        workflowID = try row.string("workflow_id")
        nodeID = try row.string("node_id")
        kind = try row.string("kind")
        config = try row.string("config")
        webhookPath = row.optionalString("webhook_path")
        nextFireAt = row.optionalInt("next_fire_at")
        lastFiredAt = row.optionalInt("last_fired_at")
    }
}

/// The triggers of one tenant.
public struct TriggerRepository: Sendable {
    let db: any SQLExecutor
    /// The tenant every statement is confined to.
    public let tenant: TenantID

    public init(_ db: any SQLExecutor, tenant: TenantID) {
        self.db = db
        self.tenant = tenant
    }

    /// Replaces the workflow's triggers. A schedule whose expression, zone and catch-up are
    /// unchanged keeps its next fire time, so saving a workflow does not re-fire or skip it.
    /// Throws ``StoreError/conflict(_:)`` when another workflow of the tenant has the path.
    public func replace(workflowID: String, with triggers: [TriggerRecord]) async throws {
        let previous = try await list(workflowID: workflowID)
        try await db.execute("DELETE FROM triggers WHERE tenant_id = \(tenant.rawValue) AND workflow_id = \(workflowID)")
        for var trigger in triggers {
            if let path = trigger.webhookPath,
               let other = try await db.first("SELECT workflow_id FROM triggers WHERE tenant_id = \(tenant.rawValue) AND webhook_path = \(path)") {
                throw StoreError.conflict("webhook path \"\(path)\" is used by workflow \(try other.string("workflow_id"))")
            }
            if let old = previous.first(where: { $0.nodeID == trigger.nodeID && $0.kind == trigger.kind && $0.config == trigger.config }) {
                trigger.nextFireAt = old.nextFireAt
                trigger.lastFiredAt = old.lastFiredAt
            }
            try await db.execute(
                """
                INSERT INTO triggers (tenant_id, workflow_id, node_id, kind, config, webhook_path, next_fire_at, last_fired_at)
                VALUES (\(tenant.rawValue), \(workflowID), \(trigger.nodeID), \(trigger.kind), \(trigger.config), \(trigger.webhookPath),
                        \(trigger.nextFireAt), \(trigger.lastFiredAt))
                """
            )
        }
    }

    public func list(workflowID: String) async throws -> [TriggerRecord] {
        try await db.query(
            "SELECT * FROM triggers WHERE tenant_id = \(tenant.rawValue) AND workflow_id = \(workflowID) ORDER BY node_id"
        ).map(TriggerRecord.init(row:))
    }

    /// The webhook trigger at this path.
    public func webhook(path: String) async throws -> TriggerRecord? {
        try await db.first(
            "SELECT * FROM triggers WHERE tenant_id = \(tenant.rawValue) AND kind = 'webhook' AND webhook_path = \(path)"
        ).map(TriggerRecord.init(row:))
    }

    /// Moves a schedule to its next fire time, if nobody else did since `expected` was read:
    /// returns false when another server instance got there first.
    public func advance(workflowID: String, nodeID: String, expected: Int64, next: Int64?, firedAt: Int64?) async throws -> Bool {
        var q: SQLQuery = "UPDATE triggers SET next_fire_at = \(next)"
        if let firedAt { q.append(", last_fired_at = \(firedAt)") }
        q.append(
            """
             WHERE tenant_id = \(tenant.rawValue) AND workflow_id = \(workflowID) AND node_id = \(nodeID) AND next_fire_at = \(expected)
            RETURNING node_id
            """
        )
        return try await !db.query(q).isEmpty
    }
}

/// Schedules of every tenant that are due: read by the scheduler, which works for all tenants.
public struct DueSchedules: Sendable {
    let db: any SQLExecutor
    public init(_ db: any SQLExecutor) { self.db = db }

    public func list(dueAt now: Int64, limit: Int) async throws -> [TriggerRecord] {
        try await db.query(
            "SELECT * FROM triggers WHERE kind = 'schedule' AND next_fire_at IS NOT NULL AND next_fire_at <= \(now) ORDER BY next_fire_at LIMIT \(limit)"
        ).map(TriggerRecord.init(row:))
    }
}
