import JSON

/// A tenant's identity provider (OIDC or SAML) as stored: its settings as a JSON document.
/// The OIDC client secret is not in `config`; it is a tenant secret named there.
public struct IdentityProviderRecord: Sendable, Equatable {
    public var tenantID: TenantID
    public var id: String
    /// `oidc` or `saml`.
    public var type: String
    public var name: String
    /// The settings, a JSON object (issuer, client id, certificates, mappings...).
    public var config: String
    public var createdAt: Int64
    public var updatedAt: Int64

    public init(tenantID: TenantID, id: String, type: String, name: String, config: String, createdAt: Int64, updatedAt: Int64) {
        self.tenantID = tenantID
        self.id = id
        self.type = type
        self.name = name
        self.config = config
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    init(row: Row) throws {
        tenantID = TenantID(try row.string("tenant_id"))
        id = try row.string("id")
        type = try row.string("type")
        name = try row.string("name")
        config = try row.string("config")
        createdAt = try row.int("created_at")
        updatedAt = try row.int("updated_at")
    }
}

/// Identity providers of one tenant.
public struct IdentityProviderRepository: Sendable {
    let db: any SQLExecutor
    /// The tenant every statement is confined to.
    public let tenant: TenantID

    public init(_ db: any SQLExecutor, tenant: TenantID) {
        self.db = db
        self.tenant = tenant
    }

    public func create(_ p: IdentityProviderRecord) async throws {
        try await db.execute(
            """
            INSERT INTO identity_providers (tenant_id, id, type, name, config, created_at, updated_at)
            VALUES (\(tenant.rawValue), \(p.id), \(p.type), \(p.name), \(p.config), \(p.createdAt), \(p.updatedAt))
            """
        )
    }

    public func get(_ id: String) async throws -> IdentityProviderRecord? {
        try await db.first("SELECT * FROM identity_providers WHERE tenant_id = \(tenant.rawValue) AND id = \(id)")
            .map(IdentityProviderRecord.init(row:))
    }

    public func list() async throws -> [IdentityProviderRecord] {
        try await db.query("SELECT * FROM identity_providers WHERE tenant_id = \(tenant.rawValue) ORDER BY created_at, id")
            .map(IdentityProviderRecord.init(row:))
    }

    public func update(_ p: IdentityProviderRecord) async throws {
        let rows = try await db.query(
            """
            UPDATE identity_providers SET name = \(p.name), config = \(p.config), updated_at = \(p.updatedAt)
            WHERE tenant_id = \(tenant.rawValue) AND id = \(p.id) RETURNING id
            """
        )
        if rows.isEmpty { throw StoreError.notFound("identity provider") }
    }

    /// Deletes a provider with its linked identities and the sessions it started.
    public func delete(_ id: String, at now: Int64) async throws {
        let rows = try await db.query("DELETE FROM identity_providers WHERE tenant_id = \(tenant.rawValue) AND id = \(id) RETURNING id")
        if rows.isEmpty { throw StoreError.notFound("identity provider") }
        try await db.execute("DELETE FROM user_identities WHERE tenant_id = \(tenant.rawValue) AND provider_id = \(id)")
        try await db.execute(
            "UPDATE sessions SET revoked_at = \(now) WHERE tenant_id = \(tenant.rawValue) AND provider_id = \(id) AND revoked_at IS NULL"
        )
    }
}

/// The link between a user and an identity at a provider: (issuer, subject) for OIDC,
/// (IdP entity id, NameID) for SAML. Users are found by this link only, never by e-mail.
public struct UserIdentityRepository: Sendable {
    let db: any SQLExecutor
    /// The tenant every statement is confined to.
    public let tenant: TenantID

    public init(_ db: any SQLExecutor, tenant: TenantID) {
        self.db = db
        self.tenant = tenant
    }

    /// The linked user's id.
    public func user(issuer: String, subject: String) async throws -> String? {
        try await db.first(
            "SELECT user_id FROM user_identities WHERE tenant_id = \(tenant.rawValue) AND issuer = \(issuer) AND subject = \(subject)"
        ).map { try $0.string("user_id") }
    }

    public func link(issuer: String, subject: String, providerID: String, userID: String, at now: Int64) async throws {
        try await db.execute(
            """
            INSERT INTO user_identities (tenant_id, issuer, subject, provider_id, user_id, created_at)
            VALUES (\(tenant.rawValue), \(issuer), \(subject), \(providerID), \(userID), \(now))
            """
        )
    }

    /// The identities linked to a user: (provider id, issuer, subject).
    public func identities(ofUser userID: String) async throws -> [(providerID: String, issuer: String, subject: String)] {
        try await db.query(
            "SELECT * FROM user_identities WHERE tenant_id = \(tenant.rawValue) AND user_id = \(userID) ORDER BY created_at, issuer, subject"
        ).map { (try $0.string("provider_id"), try $0.string("issuer"), try $0.string("subject")) }
    }

    public func unlinkAll(ofUser userID: String) async throws {
        try await db.execute("DELETE FROM user_identities WHERE tenant_id = \(tenant.rawValue) AND user_id = \(userID)")
    }
}

/// A browser session as stored: the hash of its cookie value, never the value.
public struct SessionRecord: Sendable, Equatable {
    public var tenantID: TenantID
    public var id: String
    public var tokenHash: String
    public var userID: String
    /// The identity provider that signed the user in (`nil` for a one-time sign-in link).
    public var providerID: String?
    /// Group names the provider asserted at sign-in (a JSON array).
    public var groups: [String]
    public var createdAt: Int64
    public var lastSeenAt: Int64
    public var idleTimeoutMillis: Int64
    /// The absolute end of the session.
    public var expiresAt: Int64
    public var revokedAt: Int64?

    public init(
        tenantID: TenantID, id: String, tokenHash: String, userID: String, providerID: String?, groups: [String], createdAt: Int64,
        lastSeenAt: Int64, idleTimeoutMillis: Int64, expiresAt: Int64, revokedAt: Int64? = nil
    ) {
        self.tenantID = tenantID
        self.id = id
        self.tokenHash = tokenHash
        self.userID = userID
        self.providerID = providerID
        self.groups = groups
        self.createdAt = createdAt
        self.lastSeenAt = lastSeenAt
        self.idleTimeoutMillis = idleTimeoutMillis
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
    }

    init(row: Row) throws {
        tenantID = TenantID(try row.string("tenant_id"))
        id = try row.string("id")
        tokenHash = try row.string("token_hash")
        userID = try row.string("user_id")
        providerID = row.optionalString("provider_id")
        groups = (try? JSONValue.parse(try row.string("groups")))?.arrayValue?.compactMap(\.stringValue) ?? []
        createdAt = try row.int("created_at")
        lastSeenAt = try row.int("last_seen_at")
        idleTimeoutMillis = try row.int("idle_timeout_ms")
        expiresAt = try row.int("expires_at")
        revokedAt = row.optionalInt("revoked_at")
    }

    /// Whether the session may be used at `now`: not revoked, not past its absolute end, and
    /// used within its idle timeout.
    public func isLive(at now: Int64) -> Bool {
        revokedAt == nil && now < expiresAt && now - lastSeenAt < idleTimeoutMillis
    }
}

/// Browser sessions of one tenant.
public struct SessionRepository: Sendable {
    let db: any SQLExecutor
    /// The tenant every statement is confined to.
    public let tenant: TenantID

    public init(_ db: any SQLExecutor, tenant: TenantID) {
        self.db = db
        self.tenant = tenant
    }

    public func create(_ s: SessionRecord) async throws {
        let groups = JSONValue.array(s.groups.map(JSONValue.string)).serialized()
        try await db.execute(
            """
            INSERT INTO sessions (tenant_id, id, token_hash, user_id, provider_id, groups, created_at, last_seen_at, idle_timeout_ms, expires_at)
            VALUES (\(tenant.rawValue), \(s.id), \(s.tokenHash), \(s.userID), \(s.providerID), \(groups), \(s.createdAt), \(s.lastSeenAt),
                    \(s.idleTimeoutMillis), \(s.expiresAt))
            """
        )
    }

    /// Records use of a session (the idle clock restarts).
    public func touch(_ id: String, at now: Int64) async throws {
        try await db.execute("UPDATE sessions SET last_seen_at = \(now) WHERE tenant_id = \(tenant.rawValue) AND id = \(id)")
    }

    /// Ends one session; returns whether it was live.
    @discardableResult
    public func revoke(_ id: String, at now: Int64) async throws -> Bool {
        !(try await db.query(
            "UPDATE sessions SET revoked_at = \(now) WHERE tenant_id = \(tenant.rawValue) AND id = \(id) AND revoked_at IS NULL RETURNING id"
        )).isEmpty
    }

    /// Ends every session of a user (deactivation, deletion); returns their ids.
    @discardableResult
    public func revokeAll(ofUser userID: String, at now: Int64) async throws -> [String] {
        try await db.query(
            """
            UPDATE sessions SET revoked_at = \(now)
            WHERE tenant_id = \(tenant.rawValue) AND user_id = \(userID) AND revoked_at IS NULL RETURNING id
            """
        ).map { try $0.string("id") }
    }
}

extension TokenLookup {
    /// The session with this cookie hash, live or not (authentication, before the tenant is known).
    public func session(hash: String) async throws -> SessionRecord? {
        try await db.first("SELECT * FROM sessions WHERE token_hash = \(hash)").map(SessionRecord.init(row:))
    }
}

/// Short-lived single-sign-on state of one tenant, by kind: logins in progress (keyed by OIDC
/// `state` or SAML request id) and used SAML assertion ids (the replay cache).
public struct SSOTransientRepository: Sendable {
    let db: any SQLExecutor
    /// The tenant every statement is confined to.
    public let tenant: TenantID

    public init(_ db: any SQLExecutor, tenant: TenantID) {
        self.db = db
        self.tenant = tenant
    }

    /// Stores `record` under (kind, key) until `expiresAt`; an expired entry under the same key
    /// is replaced. Returns false when a live entry already holds the key.
    public func insert(kind: String, key: String, record: String, expiresAt: Int64, now: Int64) async throws -> Bool {
        try await db.execute(
            "DELETE FROM sso_transients WHERE tenant_id = \(tenant.rawValue) AND kind = \(kind) AND key = \(key) AND expires_at <= \(now)"
        )
        let rows = try await db.query(
            """
            INSERT INTO sso_transients (tenant_id, kind, key, record, expires_at)
            VALUES (\(tenant.rawValue), \(kind), \(key), \(record), \(expiresAt))
            ON CONFLICT (tenant_id, kind, key) DO NOTHING RETURNING key
            """
        )
        return !rows.isEmpty
    }

    /// How many live entries of `kind` the tenant has.
    public func count(kind: String, now: Int64) async throws -> Int {
        Int(try await db.first(
            "SELECT COUNT(*) AS n FROM sso_transients WHERE tenant_id = \(tenant.rawValue) AND kind = \(kind) AND expires_at > \(now)"
        )?.int("n") ?? 0)
    }

    /// Removes and returns the record under (kind, key) when it has not expired: each can be
    /// taken once.
    public func take(kind: String, key: String, now: Int64) async throws -> String? {
        let row = try await db.first(
            "DELETE FROM sso_transients WHERE tenant_id = \(tenant.rawValue) AND kind = \(kind) AND key = \(key) RETURNING record, expires_at"
        )
        guard let row, try row.int("expires_at") > now else { return nil }
        return try row.string("record")
    }

    /// Drops expired entries of every tenant (housekeeping); returns how many.
    public static func purgeExpired(_ db: any SQLExecutor, now: Int64) async throws -> Int {
        try await db.query("DELETE FROM sso_transients WHERE expires_at <= \(now) RETURNING key").count
    }
}

extension GroupRepository {
    /// Ids of the tenant's groups with these names (the groups a provider asserted that exist here).
    public func ids(named names: [String]) async throws -> Set<String> {
        var ids = Set<String>()
        for name in Set(names.prefix(200)) {
            if let row = try await db.first("SELECT id FROM groups WHERE tenant_id = \(tenant.rawValue) AND name = \(name)") {
                ids.insert(try row.string("id"))
            }
        }
        return ids
    }
}
