/// Users of one tenant.
public struct UserRepository: Sendable {
    let db: any SQLExecutor
    /// The tenant every statement is confined to.
    public let tenant: TenantID

    public init(_ db: any SQLExecutor, tenant: TenantID) {
        self.db = db
        self.tenant = tenant
    }

    public func create(_ user: User) async throws {
        try await db.execute(
            """
            INSERT INTO users (tenant_id, id, user_name, display_name, email, active, created_at, updated_at)
            VALUES (\(tenant.rawValue), \(user.id), \(user.userName), \(user.displayName), \(user.email), \(user.active), \(user.createdAt), \(user.updatedAt))
            """
        )
    }

    public func get(_ id: String) async throws -> User? {
        try await db.first("SELECT * FROM users WHERE tenant_id = \(tenant.rawValue) AND id = \(id)").map(User.init(row:))
    }

    public func list(limit: Int, afterID: String? = nil) async throws -> [User] {
        try await db.query(
            "SELECT * FROM users WHERE tenant_id = \(tenant.rawValue) AND id > \(afterID ?? "") ORDER BY id LIMIT \(limit)"
        ).map(User.init(row:))
    }

    public func update(_ user: User) async throws {
        let rows = try await db.query(
            """
            UPDATE users SET user_name = \(user.userName), display_name = \(user.displayName), email = \(user.email),
                active = \(user.active), updated_at = \(user.updatedAt)
            WHERE tenant_id = \(tenant.rawValue) AND id = \(user.id) RETURNING id
            """
        )
        if rows.isEmpty { throw StoreError.notFound("user") }
    }

    /// Deletes the user, their memberships and role bindings.
    public func delete(_ id: String) async throws {
        try await db.execute("DELETE FROM group_members WHERE tenant_id = \(tenant.rawValue) AND user_id = \(id)")
        try await db.execute("DELETE FROM role_bindings WHERE tenant_id = \(tenant.rawValue) AND subject_type = 'user' AND subject_id = \(id)")
        let rows = try await db.query("DELETE FROM users WHERE tenant_id = \(tenant.rawValue) AND id = \(id) RETURNING id")
        if rows.isEmpty { throw StoreError.notFound("user") }
    }
}

/// Groups of one tenant, with their members.
public struct GroupRepository: Sendable {
    let db: any SQLExecutor
    /// The tenant every statement is confined to.
    public let tenant: TenantID

    public init(_ db: any SQLExecutor, tenant: TenantID) {
        self.db = db
        self.tenant = tenant
    }

    public func create(_ group: Group) async throws {
        try await db.execute(
            """
            INSERT INTO groups (tenant_id, id, name, created_at, updated_at)
            VALUES (\(tenant.rawValue), \(group.id), \(group.name), \(group.createdAt), \(group.updatedAt))
            """
        )
        try await setMembers(group.id, group.memberIDs)
    }

    public func get(_ id: String) async throws -> Group? {
        guard let row = try await db.first("SELECT * FROM groups WHERE tenant_id = \(tenant.rawValue) AND id = \(id)") else { return nil }
        return try await group(from: row)
    }

    public func list(limit: Int, afterID: String? = nil) async throws -> [Group] {
        let rows = try await db.query(
            "SELECT * FROM groups WHERE tenant_id = \(tenant.rawValue) AND id > \(afterID ?? "") ORDER BY id LIMIT \(limit)"
        )
        var groups: [Group] = []
        for row in rows { groups.append(try await group(from: row)) }
        return groups
    }

    private func group(from row: Row) async throws -> Group {
        let id = try row.string("id")
        let members = try await db.query(
            "SELECT user_id FROM group_members WHERE tenant_id = \(tenant.rawValue) AND group_id = \(id) ORDER BY user_id"
        ).map { try $0.string("user_id") }
        return Group(
            tenantID: tenant, id: id, name: try row.string("name"), memberIDs: members,
            createdAt: try row.int("created_at"), updatedAt: try row.int("updated_at")
        )
    }

    /// Renames the group.
    public func rename(_ id: String, to name: String, at now: Int64) async throws {
        let rows = try await db.query(
            "UPDATE groups SET name = \(name), updated_at = \(now) WHERE tenant_id = \(tenant.rawValue) AND id = \(id) RETURNING id"
        )
        if rows.isEmpty { throw StoreError.notFound("group") }
    }

    /// Replaces the member list. Every member must be a user of this tenant.
    public func setMembers(_ id: String, _ userIDs: [String]) async throws {
        try await db.execute("DELETE FROM group_members WHERE tenant_id = \(tenant.rawValue) AND group_id = \(id)")
        for userID in Set(userIDs).sorted() {
            guard try await db.first("SELECT id FROM users WHERE tenant_id = \(tenant.rawValue) AND id = \(userID)") != nil else {
                throw StoreError.notFound("user \(userID)")
            }
            try await db.execute(
                "INSERT INTO group_members (tenant_id, group_id, user_id) VALUES (\(tenant.rawValue), \(id), \(userID))"
            )
        }
    }

    /// Deletes the group, its memberships and role bindings.
    public func delete(_ id: String) async throws {
        try await db.execute("DELETE FROM group_members WHERE tenant_id = \(tenant.rawValue) AND group_id = \(id)")
        try await db.execute("DELETE FROM role_bindings WHERE tenant_id = \(tenant.rawValue) AND subject_type = 'group' AND subject_id = \(id)")
        let rows = try await db.query("DELETE FROM groups WHERE tenant_id = \(tenant.rawValue) AND id = \(id) RETURNING id")
        if rows.isEmpty { throw StoreError.notFound("group") }
    }

    /// Names of the groups a user belongs to.
    public func groupNames(ofUser userID: String) async throws -> [String] {
        try await db.query(
            """
            SELECT g.name FROM groups g JOIN group_members m ON m.tenant_id = g.tenant_id AND m.group_id = g.id
            WHERE g.tenant_id = \(tenant.rawValue) AND m.user_id = \(userID) ORDER BY g.name
            """
        ).map { try $0.string("name") }
    }

    /// Ids of the groups a user belongs to.
    public func groupIDs(ofUser userID: String) async throws -> [String] {
        try await db.query(
            "SELECT group_id FROM group_members WHERE tenant_id = \(tenant.rawValue) AND user_id = \(userID) ORDER BY group_id"
        ).map { try $0.string("group_id") }
    }
}

/// Role bindings of one tenant.
public struct RoleBindingRepository: Sendable {
    let db: any SQLExecutor
    /// The tenant every statement is confined to.
    public let tenant: TenantID

    public init(_ db: any SQLExecutor, tenant: TenantID) {
        self.db = db
        self.tenant = tenant
    }

    public func create(_ binding: RoleBinding) async throws {
        let table = binding.subjectType == "group" ? "groups" : "users"
        guard try await db.first(
            "SELECT id FROM \(unsafeSQL: table) WHERE tenant_id = \(tenant.rawValue) AND id = \(binding.subjectID)"
        ) != nil else {
            throw StoreError.notFound(binding.subjectType)
        }
        try await db.execute(
            """
            INSERT INTO role_bindings (tenant_id, id, subject_type, subject_id, role, created_at)
            VALUES (\(tenant.rawValue), \(binding.id), \(binding.subjectType), \(binding.subjectID), \(binding.role), \(binding.createdAt))
            """
        )
    }

    public func get(_ id: String) async throws -> RoleBinding? {
        try await db.first("SELECT * FROM role_bindings WHERE tenant_id = \(tenant.rawValue) AND id = \(id)").map(RoleBinding.init(row:))
    }

    public func list(limit: Int, afterID: String? = nil) async throws -> [RoleBinding] {
        try await db.query(
            "SELECT * FROM role_bindings WHERE tenant_id = \(tenant.rawValue) AND id > \(afterID ?? "") ORDER BY id LIMIT \(limit)"
        ).map(RoleBinding.init(row:))
    }

    public func delete(_ id: String) async throws {
        let rows = try await db.query("DELETE FROM role_bindings WHERE tenant_id = \(tenant.rawValue) AND id = \(id) RETURNING id")
        if rows.isEmpty { throw StoreError.notFound("role binding") }
    }

    /// The roles a user holds directly or through a group.
    public func roles(ofUser userID: String) async throws -> Set<String> {
        let rows = try await db.query(
            """
            SELECT role FROM role_bindings WHERE tenant_id = \(tenant.rawValue) AND subject_type = 'user' AND subject_id = \(userID)
            UNION
            SELECT rb.role FROM role_bindings rb JOIN group_members gm
                ON gm.tenant_id = rb.tenant_id AND gm.group_id = rb.subject_id
            WHERE rb.tenant_id = \(tenant.rawValue) AND rb.subject_type = 'group' AND gm.user_id = \(userID)
            """
        )
        return Set(try rows.map { try $0.string("role") })
    }
}

/// API tokens of one tenant.
public struct APITokenRepository: Sendable {
    let db: any SQLExecutor
    /// The tenant every statement is confined to.
    public let tenant: TenantID

    public init(_ db: any SQLExecutor, tenant: TenantID) {
        self.db = db
        self.tenant = tenant
    }

    public func create(_ token: APITokenRecord) async throws {
        try await db.execute(
            """
            INSERT INTO api_tokens (tenant_id, id, name, role, token_hash, user_id, created_at, expires_at, revoked_at)
            VALUES (\(tenant.rawValue), \(token.id), \(token.name), \(token.role), \(token.tokenHash), \(token.userID),
                    \(token.createdAt), \(token.expiresAt), \(token.revokedAt))
            """
        )
    }

    public func get(_ id: String) async throws -> APITokenRecord? {
        try await db.first("SELECT * FROM api_tokens WHERE tenant_id = \(tenant.rawValue) AND id = \(id)").map { try APITokenRecord(row: $0, platform: false) }
    }

    public func list(limit: Int, afterID: String? = nil) async throws -> [APITokenRecord] {
        try await db.query(
            "SELECT * FROM api_tokens WHERE tenant_id = \(tenant.rawValue) AND id > \(afterID ?? "") ORDER BY id LIMIT \(limit)"
        ).map { try APITokenRecord(row: $0, platform: false) }
    }

    /// Marks the token revoked; returns the record. Revoking twice keeps the first time.
    @discardableResult
    public func revoke(_ id: String, at now: Int64) async throws -> APITokenRecord {
        let rows = try await db.query(
            """
            UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, \(now))
            WHERE tenant_id = \(tenant.rawValue) AND id = \(id) RETURNING *
            """
        )
        guard let row = rows.first else { throw StoreError.notFound("token") }
        return try APITokenRecord(row: row, platform: false)
    }

    /// Revokes every token bound to a user (deactivation); returns the ids revoked.
    public func revokeAll(ofUser userID: String, at now: Int64) async throws -> [String] {
        try await db.query(
            """
            UPDATE api_tokens SET revoked_at = \(now)
            WHERE tenant_id = \(tenant.rawValue) AND user_id = \(userID) AND revoked_at IS NULL RETURNING id
            """
        ).map { try $0.string("id") }
    }
}

/// Authentication's one cross-tenant read: finding a token by the hash of what was presented,
/// before the tenant is known. It returns the record with its tenant; everything after it is
/// confined to that tenant.
public struct TokenLookup: Sendable {
    let db: any SQLExecutor

    public init(_ db: any SQLExecutor) { self.db = db }

    /// The tenant token with this hash, revoked or not.
    public func tenantToken(hash: String) async throws -> APITokenRecord? {
        try await db.first("SELECT * FROM api_tokens WHERE token_hash = \(hash)").map { try APITokenRecord(row: $0, platform: false) }
    }
}
