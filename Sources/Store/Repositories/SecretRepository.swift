/// A secret's metadata. Its value lives, encrypted, in its versions; nothing here is secret.
public struct SecretRecord: Sendable, Equatable {
    public var tenantID: TenantID
    public var id: String
    /// The name node configs refer to: `{{ secrets.<name> }}`.
    public var name: String
    /// `value` (stored encrypted here) or `vault` (a reference to Vault/OpenBao KV v2).
    public var kind: String
    public var currentVersion: Int64
    /// Workflows allowed to use the secret; `nil` for every workflow of the tenant.
    public var workflowIDs: [String]?
    /// Rotate when the current version is older than this.
    public var rotationIntervalSeconds: Int64?
    /// Whether Flowgate generates the value itself (and may rotate it unattended).
    public var generated: Bool
    public var lastRotatedAt: Int64
    public var createdAt: Int64
    public var updatedAt: Int64

    public init(
        tenantID: TenantID, id: String, name: String, kind: String, currentVersion: Int64, workflowIDs: [String]?,
        rotationIntervalSeconds: Int64?, generated: Bool, lastRotatedAt: Int64, createdAt: Int64, updatedAt: Int64
    ) {
        self.tenantID = tenantID
        self.id = id
        self.name = name
        self.kind = kind
        self.currentVersion = currentVersion
        self.workflowIDs = workflowIDs
        self.rotationIntervalSeconds = rotationIntervalSeconds
        self.generated = generated
        self.lastRotatedAt = lastRotatedAt
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    init(row: Row) throws {
        tenantID = TenantID(try row.string("tenant_id"))
        id = try row.string("id")
        name = try row.string("name")
        kind = try row.string("kind")
        currentVersion = try row.int("current_version")
        workflowIDs = row.optionalString("workflow_ids").map { text in
            text.split(separator: "\n").map(String.init)
        }
        rotationIntervalSeconds = row.optionalInt("rotation_interval_seconds")
        generated = (row.optionalInt("generated") ?? 0) != 0
        lastRotatedAt = try row.int("last_rotated_at")
        createdAt = try row.int("created_at")
        updatedAt = try row.int("updated_at")
    }
}

/// One version of a secret: the value encrypted under its own data key (wrapped by the
/// key-encryption key), or a reference to an external store.
public struct SecretVersionRecord: Sendable, Equatable {
    public var secretID: String
    public var version: Int64
    /// AES-256-GCM sealed box (nonce, ciphertext, tag), base64.
    public var ciphertext: String?
    /// The data key as wrapped by the key provider (self-describing, e.g. `local:k1:...`).
    public var wrappedKey: String?
    /// For external secrets: the reference as JSON (`{"path", "field", "version"}`).
    public var vaultRef: String?
    public var createdAt: Int64
    /// After a rotation, the old version stays acceptable until this time (overlap window).
    public var validUntil: Int64?

    public init(secretID: String, version: Int64, ciphertext: String?, wrappedKey: String?, vaultRef: String?, createdAt: Int64, validUntil: Int64? = nil) {
        self.secretID = secretID
        self.version = version
        self.ciphertext = ciphertext
        self.wrappedKey = wrappedKey
        self.vaultRef = vaultRef
        self.createdAt = createdAt
        self.validUntil = validUntil
    }

    init(row: Row) throws {
        secretID = try row.string("secret_id")
        version = try row.int("version")
        ciphertext = row.optionalString("ciphertext")
        wrappedKey = row.optionalString("wrapped_key")
        vaultRef = row.optionalString("vault_ref")
        createdAt = try row.int("created_at")
        validUntil = row.optionalInt("valid_until")
    }
}

/// Secrets of one tenant and their versions.
public struct SecretRepository: Sendable {
    let db: any SQLExecutor
    /// The tenant every statement is confined to.
    public let tenant: TenantID

    public init(_ db: any SQLExecutor, tenant: TenantID) {
        self.db = db
        self.tenant = tenant
    }

    static func encode(_ ids: [String]?) -> String? { ids.map { $0.joined(separator: "\n") } }

    public func create(_ secret: SecretRecord, firstVersion: SecretVersionRecord) async throws {
        try await db.execute(
            """
            INSERT INTO secrets (tenant_id, id, name, kind, current_version, workflow_ids, rotation_interval_seconds, generated,
                                 last_rotated_at, created_at, updated_at)
            VALUES (\(tenant.rawValue), \(secret.id), \(secret.name), \(secret.kind), \(secret.currentVersion),
                    \(Self.encode(secret.workflowIDs)), \(secret.rotationIntervalSeconds), \(secret.generated), \(secret.lastRotatedAt),
                    \(secret.createdAt), \(secret.updatedAt))
            """
        )
        try await insert(firstVersion)
    }

    private func insert(_ v: SecretVersionRecord) async throws {
        try await db.execute(
            """
            INSERT INTO secret_versions (tenant_id, secret_id, version, ciphertext, wrapped_key, vault_ref, created_at, valid_until)
            VALUES (\(tenant.rawValue), \(v.secretID), \(v.version), \(v.ciphertext), \(v.wrappedKey), \(v.vaultRef), \(v.createdAt), \(v.validUntil))
            """
        )
    }

    public func get(_ id: String) async throws -> SecretRecord? {
        try await db.first("SELECT * FROM secrets WHERE tenant_id = \(tenant.rawValue) AND id = \(id)").map(SecretRecord.init(row:))
    }

    public func find(name: String) async throws -> SecretRecord? {
        try await db.first("SELECT * FROM secrets WHERE tenant_id = \(tenant.rawValue) AND name = \(name)").map(SecretRecord.init(row:))
    }

    public func list(limit: Int, afterName: String? = nil) async throws -> [SecretRecord] {
        try await db.query(
            "SELECT * FROM secrets WHERE tenant_id = \(tenant.rawValue) AND name > \(afterName ?? "") ORDER BY name LIMIT \(limit)"
        ).map(SecretRecord.init(row:))
    }

    /// Metadata changes (scope, rotation interval).
    public func update(_ secret: SecretRecord) async throws {
        let rows = try await db.query(
            """
            UPDATE secrets SET workflow_ids = \(Self.encode(secret.workflowIDs)), rotation_interval_seconds = \(secret.rotationIntervalSeconds),
                updated_at = \(secret.updatedAt)
            WHERE tenant_id = \(tenant.rawValue) AND id = \(secret.id) RETURNING id
            """
        )
        if rows.isEmpty { throw StoreError.notFound("secret") }
    }

    /// Adds a version and makes it current; earlier versions stay valid until `overlapUntil`
    /// (or lose validity at once when `nil`).
    public func addVersion(_ version: SecretVersionRecord, overlapUntil: Int64?, at now: Int64) async throws {
        try await db.execute(
            """
            UPDATE secret_versions SET valid_until = \(overlapUntil ?? now)
            WHERE tenant_id = \(tenant.rawValue) AND secret_id = \(version.secretID) AND valid_until IS NULL
            """
        )
        try await insert(version)
        let rows = try await db.query(
            """
            UPDATE secrets SET current_version = \(version.version), last_rotated_at = \(now), updated_at = \(now)
            WHERE tenant_id = \(tenant.rawValue) AND id = \(version.secretID) RETURNING id
            """
        )
        if rows.isEmpty { throw StoreError.notFound("secret") }
    }

    public func version(_ id: String, _ version: Int64) async throws -> SecretVersionRecord? {
        try await db.first(
            "SELECT * FROM secret_versions WHERE tenant_id = \(tenant.rawValue) AND secret_id = \(id) AND version = \(version)"
        ).map(SecretVersionRecord.init(row:))
    }

    /// Versions still acceptable at `now` (the current one and those in their overlap window), newest first.
    public func validVersions(_ id: String, at now: Int64) async throws -> [SecretVersionRecord] {
        try await db.query(
            """
            SELECT * FROM secret_versions WHERE tenant_id = \(tenant.rawValue) AND secret_id = \(id)
                AND (valid_until IS NULL OR valid_until > \(now)) ORDER BY version DESC
            """
        ).map(SecretVersionRecord.init(row:))
    }

    public func versions(_ id: String) async throws -> [SecretVersionRecord] {
        try await db.query(
            "SELECT * FROM secret_versions WHERE tenant_id = \(tenant.rawValue) AND secret_id = \(id) ORDER BY version"
        ).map(SecretVersionRecord.init(row:))
    }

    public func delete(_ id: String) async throws {
        try await db.execute("DELETE FROM secret_versions WHERE tenant_id = \(tenant.rawValue) AND secret_id = \(id)")
        let rows = try await db.query("DELETE FROM secrets WHERE tenant_id = \(tenant.rawValue) AND id = \(id) RETURNING id")
        if rows.isEmpty { throw StoreError.notFound("secret") }
    }

    /// Replaces a version's wrapped data key (key-encryption-key rotation); the ciphertext is untouched.
    public func setWrappedKey(_ id: String, _ version: Int64, _ wrapped: String) async throws {
        try await db.execute(
            """
            UPDATE secret_versions SET wrapped_key = \(wrapped)
            WHERE tenant_id = \(tenant.rawValue) AND secret_id = \(id) AND version = \(version)
            """
        )
    }

    /// Secrets whose rotation interval has passed.
    public func dueForRotation(at now: Int64) async throws -> [SecretRecord] {
        try await db.query(
            """
            SELECT * FROM secrets WHERE tenant_id = \(tenant.rawValue) AND rotation_interval_seconds IS NOT NULL
                AND last_rotated_at + rotation_interval_seconds * 1000 <= \(now)
            """
        ).map(SecretRecord.init(row:))
    }
}

/// Key-encryption-key rotation walks every wrapped data key of every tenant; this is that
/// one cross-tenant read, named as such.
public struct WrappedKeyScan: Sendable {
    let db: any SQLExecutor
    public init(_ db: any SQLExecutor) { self.db = db }

    /// A page of (tenant, secret, version, wrapped key) after the given position.
    public func page(after: (tenant: String, secret: String, version: Int64)?, limit: Int) async throws -> [(tenant: TenantID, secret: String, version: Int64, wrapped: String)] {
        let a = after ?? ("", "", 0)
        return try await db.query(
            """
            SELECT tenant_id, secret_id, version, wrapped_key FROM secret_versions
            WHERE wrapped_key IS NOT NULL AND (tenant_id > \(a.tenant) OR (tenant_id = \(a.tenant) AND (secret_id > \(a.secret)
                OR (secret_id = \(a.secret) AND version > \(a.version)))))
            ORDER BY tenant_id, secret_id, version LIMIT \(limit)
            """
        ).map { (TenantID(try $0.string("tenant_id")), try $0.string("secret_id"), try $0.int("version"), try $0.string("wrapped_key")) }
    }

    /// Every tenant with secrets whose rotation interval has passed.
    public func tenantsWithRotationDue(at now: Int64) async throws -> [TenantID] {
        try await db.query(
            """
            SELECT DISTINCT tenant_id FROM secrets WHERE rotation_interval_seconds IS NOT NULL
                AND last_rotated_at + rotation_interval_seconds * 1000 <= \(now)
            """
        ).map { TenantID(try $0.string("tenant_id")) }
    }
}
