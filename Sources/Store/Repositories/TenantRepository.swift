/// Tenants: platform-level, the root every other row hangs from.
public struct TenantRepository: Sendable {
    let db: any SQLExecutor

    public init(_ db: any SQLExecutor) { self.db = db }

    /// Inserts a tenant; a taken slug throws a unique violation.
    public func create(_ tenant: Tenant) async throws {
        try await db.execute(
            """
            INSERT INTO tenants (id, slug, name, settings, created_at)
            VALUES (\(tenant.id.rawValue), \(tenant.slug), \(tenant.name), \(tenant.settings), \(tenant.createdAt))
            """
        )
    }

    /// The tenant with this id or slug.
    public func resolve(_ idOrSlug: String) async throws -> Tenant? {
        try await db.first("SELECT * FROM tenants WHERE slug = \(idOrSlug) OR id = \(idOrSlug)").map(Tenant.init(row:))
    }

    /// The tenant with this id.
    public func get(_ id: TenantID) async throws -> Tenant? {
        try await db.first("SELECT * FROM tenants WHERE id = \(id.rawValue)").map(Tenant.init(row:))
    }

    /// Tenants ordered by slug, after `afterSlug`.
    public func list(limit: Int, afterSlug: String? = nil) async throws -> [Tenant] {
        try await db.query(
            "SELECT * FROM tenants WHERE slug > \(afterSlug ?? "") ORDER BY slug LIMIT \(limit)"
        ).map(Tenant.init(row:))
    }

    /// Every tenant id (for maintenance jobs and audit verification).
    public func allIDs() async throws -> [TenantID] {
        try await db.query("SELECT id FROM tenants ORDER BY id").map { TenantID(try $0.string("id")) }
    }

    /// Replaces name and settings.
    public func update(_ tenant: Tenant) async throws {
        let rows = try await db.query(
            "UPDATE tenants SET name = \(tenant.name), settings = \(tenant.settings) WHERE id = \(tenant.id.rawValue) RETURNING id"
        )
        if rows.isEmpty { throw StoreError.notFound("tenant") }
    }
}

/// Platform-admin tokens (not tenant-owned).
public struct PlatformTokenRepository: Sendable {
    let db: any SQLExecutor

    public init(_ db: any SQLExecutor) { self.db = db }

    /// Stores a new token record.
    public func create(_ token: APITokenRecord) async throws {
        try await db.execute(
            """
            INSERT INTO platform_tokens (id, name, token_hash, created_at, expires_at, revoked_at)
            VALUES (\(token.id), \(token.name), \(token.tokenHash), \(token.createdAt), \(token.expiresAt), \(token.revokedAt))
            """
        )
    }

    /// The token with this hash, revoked or not.
    public func find(hash: String) async throws -> APITokenRecord? {
        try await db.first("SELECT * FROM platform_tokens WHERE token_hash = \(hash)").map { try APITokenRecord(row: $0, platform: true) }
    }

    /// How many platform tokens exist (bootstrap creates the first).
    public func count() async throws -> Int64 {
        try await db.first("SELECT COUNT(*) AS n FROM platform_tokens")?.int("n") ?? 0
    }
}
