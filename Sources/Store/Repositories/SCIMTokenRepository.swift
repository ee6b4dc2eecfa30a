/// A SCIM provisioning token as stored: a name and the hash of the secret part.
public struct SCIMTokenRecord: Sendable, Equatable {
    public var tenantID: TenantID
    public var id: String
    public var name: String
    public var tokenHash: String
    public var createdAt: Int64
    /// After a rotation the old token stays accepted until this time.
    public var expiresAt: Int64?
    public var revokedAt: Int64?

    public init(tenantID: TenantID, id: String, name: String, tokenHash: String, createdAt: Int64, expiresAt: Int64? = nil, revokedAt: Int64? = nil) {
        self.tenantID = tenantID
        self.id = id
        self.name = name
        self.tokenHash = tokenHash
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
    }

    init(row: Row) throws {
        tenantID = TenantID(try row.string("tenant_id"))
        id = try row.string("id")
        name = try row.string("name")
        tokenHash = try row.string("token_hash")
        createdAt = try row.int("created_at")
        expiresAt = row.optionalInt("expires_at")
        revokedAt = row.optionalInt("revoked_at")
    }
}

/// SCIM tokens of one tenant.
public struct SCIMTokenRepository: Sendable {
    let db: any SQLExecutor
    /// The tenant every statement is confined to.
    public let tenant: TenantID

    public init(_ db: any SQLExecutor, tenant: TenantID) {
        self.db = db
        self.tenant = tenant
    }

    public func create(_ token: SCIMTokenRecord) async throws {
        try await db.execute(
            """
            INSERT INTO scim_tokens (tenant_id, id, name, token_hash, created_at, expires_at, revoked_at)
            VALUES (\(tenant.rawValue), \(token.id), \(token.name), \(token.tokenHash), \(token.createdAt), \(token.expiresAt), \(token.revokedAt))
            """
        )
    }

    public func get(_ id: String) async throws -> SCIMTokenRecord? {
        try await db.first("SELECT * FROM scim_tokens WHERE tenant_id = \(tenant.rawValue) AND id = \(id)").map(SCIMTokenRecord.init(row:))
    }

    public func list() async throws -> [SCIMTokenRecord] {
        try await db.query("SELECT * FROM scim_tokens WHERE tenant_id = \(tenant.rawValue) ORDER BY created_at, id").map(SCIMTokenRecord.init(row:))
    }

    /// Revokes a token at once.
    public func revoke(_ id: String, at now: Int64) async throws {
        let rows = try await db.query(
            "UPDATE scim_tokens SET revoked_at = COALESCE(revoked_at, \(now)) WHERE tenant_id = \(tenant.rawValue) AND id = \(id) RETURNING id"
        )
        if rows.isEmpty { throw StoreError.notFound("SCIM token") }
    }

    /// Lets a token expire at `at` (rotation overlap); an earlier expiry is kept.
    public func expire(_ id: String, at: Int64) async throws {
        let rows = try await db.query(
            """
            UPDATE scim_tokens SET expires_at = CASE WHEN expires_at IS NULL OR expires_at > \(at) THEN \(at) ELSE expires_at END
            WHERE tenant_id = \(tenant.rawValue) AND id = \(id) RETURNING id
            """
        )
        if rows.isEmpty { throw StoreError.notFound("SCIM token") }
    }
}

extension TokenLookup {
    /// The SCIM token with this hash, revoked or not (authentication, before the tenant is known).
    public func scimToken(hash: String) async throws -> SCIMTokenRecord? {
        try await db.first("SELECT * FROM scim_tokens WHERE token_hash = \(hash)").map(SCIMTokenRecord.init(row:))
    }
}
