/// One version of a tenant's policy.
public struct TenantPolicyRecord: Sendable, Equatable {
    public var id: String
    public var version: Int64
    public var text: String
    /// A deletion is recorded as a version, so the history stays whole.
    public var deleted: Bool
    public var createdBy: String
    public var createdAt: Int64

    public init(id: String, version: Int64, text: String, deleted: Bool, createdBy: String, createdAt: Int64) {
        self.id = id
        self.version = version
        self.text = text
        self.deleted = deleted
        self.createdBy = createdBy
        self.createdAt = createdAt
    }

    init(row: Row) throws {
        id = try row.string("id")
        version = try row.int("version")
        text = try row.string("text")
        deleted = try row.bool("deleted")
        createdBy = try row.string("created_by")
        createdAt = try row.int("created_at")
    }
}

/// A tenant's own Cedar policies, versioned; every change bumps the tenant's policy revision
/// so that other processes notice and reload.
public struct TenantPolicyRepository: Sendable {
    let db: any SQLExecutor
    /// The tenant every statement is confined to.
    public let tenant: TenantID

    public init(_ db: any SQLExecutor, tenant: TenantID) {
        self.db = db
        self.tenant = tenant
    }

    /// The current (newest, not deleted) version of every policy, by id.
    public func current() async throws -> [TenantPolicyRecord] {
        let rows = try await db.query(
            """
            SELECT p.* FROM tenant_policies p
            WHERE p.tenant_id = \(tenant.rawValue) AND p.version = (
                SELECT MAX(q.version) FROM tenant_policies q WHERE q.tenant_id = p.tenant_id AND q.id = p.id)
            ORDER BY p.id
            """
        )
        return try rows.map(TenantPolicyRecord.init(row:)).filter { !$0.deleted }
    }

    /// Every version of one policy, oldest first.
    public func history(_ id: String) async throws -> [TenantPolicyRecord] {
        try await db.query(
            "SELECT * FROM tenant_policies WHERE tenant_id = \(tenant.rawValue) AND id = \(id) ORDER BY version"
        ).map(TenantPolicyRecord.init(row:))
    }

    /// The newest version of one policy, deleted or not.
    public func latest(_ id: String) async throws -> TenantPolicyRecord? {
        try await db.first(
            "SELECT * FROM tenant_policies WHERE tenant_id = \(tenant.rawValue) AND id = \(id) ORDER BY version DESC LIMIT 1"
        ).map(TenantPolicyRecord.init(row:))
    }

    /// Appends a version and bumps the revision; returns the new version number.
    @discardableResult
    public func put(_ id: String, text: String, deleted: Bool, by: String, at now: Int64) async throws -> Int64 {
        let version = (try await latest(id)?.version ?? 0) + 1
        try await db.execute(
            """
            INSERT INTO tenant_policies (tenant_id, id, version, text, deleted, created_by, created_at)
            VALUES (\(tenant.rawValue), \(id), \(version), \(text), \(deleted), \(by), \(now))
            """
        )
        try await db.execute(
            """
            INSERT INTO tenant_policy_heads (tenant_id, revision) VALUES (\(tenant.rawValue), 1)
            ON CONFLICT (tenant_id) DO UPDATE SET revision = tenant_policy_heads.revision + 1
            """
        )
        return version
    }

    /// The tenant's policy revision (0 before any change).
    public func revision() async throws -> Int64 {
        try await db.first("SELECT revision FROM tenant_policy_heads WHERE tenant_id = \(tenant.rawValue)")?.int("revision") ?? 0
    }
}
