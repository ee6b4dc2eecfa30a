/// Workflows of one tenant and their immutable numbered versions.
public struct WorkflowRepository: Sendable {
    let db: any SQLExecutor
    /// The tenant every statement is confined to.
    public let tenant: TenantID

    public init(_ db: any SQLExecutor, tenant: TenantID) {
        self.db = db
        self.tenant = tenant
    }

    /// Creates the workflow with version 1.
    public func create(_ workflow: WorkflowRecord, definition: String, createdBy: String) async throws {
        try await db.execute(
            """
            INSERT INTO workflows (tenant_id, id, name, description, current_version, created_at, updated_at)
            VALUES (\(tenant.rawValue), \(workflow.id), \(workflow.name), \(workflow.description), 1, \(workflow.createdAt), \(workflow.updatedAt))
            """
        )
        try await insertVersion(workflow.id, 1, definition: definition, at: workflow.createdAt, by: createdBy)
    }

    private func insertVersion(_ id: String, _ version: Int64, definition: String, at: Int64, by: String) async throws {
        try await db.execute(
            """
            INSERT INTO workflow_versions (tenant_id, workflow_id, version, definition, created_at, created_by)
            VALUES (\(tenant.rawValue), \(id), \(version), \(definition), \(at), \(by))
            """
        )
    }

    public func get(_ id: String) async throws -> WorkflowRecord? {
        try await db.first("SELECT * FROM workflows WHERE tenant_id = \(tenant.rawValue) AND id = \(id)").map(WorkflowRecord.init(row:))
    }

    public func list(limit: Int, afterID: String? = nil) async throws -> [WorkflowRecord] {
        try await db.query(
            "SELECT * FROM workflows WHERE tenant_id = \(tenant.rawValue) AND id > \(afterID ?? "") ORDER BY id LIMIT \(limit)"
        ).map(WorkflowRecord.init(row:))
    }

    /// Stores a new version and makes it current; returns the updated workflow.
    /// `expectedVersion`, when given, must be the current version (optimistic concurrency).
    public func addVersion(
        _ id: String, name: String, description: String, definition: String, at now: Int64, by: String, expectedVersion: Int64? = nil
    ) async throws -> WorkflowRecord {
        guard var workflow = try await get(id) else { throw StoreError.notFound("workflow") }
        if let expectedVersion, expectedVersion != workflow.currentVersion {
            throw StoreError.conflict("workflow is at version \(workflow.currentVersion), not \(expectedVersion)")
        }
        let next = workflow.currentVersion + 1
        let rows = try await db.query(
            """
            UPDATE workflows SET current_version = \(next), name = \(name), description = \(description), updated_at = \(now)
            WHERE tenant_id = \(tenant.rawValue) AND id = \(id) AND current_version = \(workflow.currentVersion) RETURNING id
            """
        )
        if rows.isEmpty { throw StoreError.conflict("workflow changed concurrently") }
        try await insertVersion(id, next, definition: definition, at: now, by: by)
        workflow.currentVersion = next
        workflow.name = name
        workflow.description = description
        workflow.updatedAt = now
        return workflow
    }

    /// One version of a workflow.
    public func version(_ id: String, _ version: Int64) async throws -> WorkflowVersionRecord? {
        try await db.first(
            "SELECT * FROM workflow_versions WHERE tenant_id = \(tenant.rawValue) AND workflow_id = \(id) AND version = \(version)"
        ).map(WorkflowVersionRecord.init(row:))
    }

    /// Every version of a workflow, oldest first.
    public func versions(_ id: String) async throws -> [WorkflowVersionRecord] {
        try await db.query(
            "SELECT * FROM workflow_versions WHERE tenant_id = \(tenant.rawValue) AND workflow_id = \(id) ORDER BY version"
        ).map(WorkflowVersionRecord.init(row:))
    }

    /// Deletes the workflow and its versions. Runs stay, for the record.
    public func delete(_ id: String) async throws {
        try await db.execute("DELETE FROM triggers WHERE tenant_id = \(tenant.rawValue) AND workflow_id = \(id)")
        try await db.execute("DELETE FROM workflow_versions WHERE tenant_id = \(tenant.rawValue) AND workflow_id = \(id)")
        let rows = try await db.query("DELETE FROM workflows WHERE tenant_id = \(tenant.rawValue) AND id = \(id) RETURNING id")
        if rows.isEmpty { throw StoreError.notFound("workflow") }
    }
}
