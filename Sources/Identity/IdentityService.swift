import Foundation
import JSON
import Policy
import Store
import Synchronization

/// Tenants, users, groups, role bindings and API tokens, and turning a presented bearer token
/// into a ``Principal``.
public final class IdentityService: Sendable {
    /// Settings for ``IdentityService``.
    public struct Configuration: Sendable {
        /// How long a successful token lookup is reused before the database is asked again.
        /// Revocations through this service take effect at once; the TTL bounds how long a
        /// revocation made by another process takes. Default: 2 seconds.
        public var authenticationCacheTTL: Duration

        /// - Parameter authenticationCacheTTL: reuse of token lookups (default 2 s).
        public init(authenticationCacheTTL: Duration = .seconds(2)) {
            self.authenticationCacheTTL = authenticationCacheTTL
        }
    }

    public let store: Store
    let configuration: Configuration
    private let cache = BoundedCache<String, (principal: Principal, until: ContinuousClock.Instant)>(limit: 10_000)
    private let tenantCache = BoundedCache<String, Tenant>(limit: 10_000)
    /// Browser-session lookups (``SSOService``), cleared with the token cache so that
    /// deactivations and revocations take effect at once.
    let sessionCache = BoundedCache<String, (session: SessionRecord, principal: Principal, until: ContinuousClock.Instant)>(limit: 10_000)

    public init(store: Store, configuration: Configuration = .init()) {
        self.store = store
        self.configuration = configuration
    }

    // MARK: Bootstrap and authentication

    /// Creates the first platform-admin token if none exists. Returns the token when one was
    /// created (to be shown once), `nil` when a platform token already existed.
    public func bootstrap(token presetToken: String?) async throws -> String? {
        if let presetToken, presetToken.utf8.count < 16 {
            throw IdentityError.invalid("FLOWGATE_BOOTSTRAP_TOKEN", "must be at least 16 characters")
        }
        let token = presetToken ?? BearerToken.generate(prefix: BearerToken.platformPrefix)
        let now = store.clock.nowMillis()
        return try await store.write { db in
            let tokens = PlatformTokenRepository(db)
            guard try await tokens.count() == 0 else { return nil }
            try await tokens.create(
                APITokenRecord(tenantID: nil, id: UUID().uuidString.lowercased(), name: "bootstrap", role: "platform-admin",
                               tokenHash: BearerToken.hash(token), createdAt: now)
            )
            return token
        }
    }

    /// The principal a bearer token stands for, or `nil` when it is unknown, expired or revoked.
    public func authenticate(bearer token: String) async throws -> Principal? {
        let hash = BearerToken.hash(token)
        let now = ContinuousClock.now
        if let hit = cache[hash], hit.until > now {
            return hit.principal
        }
        let nowMillis = store.clock.nowMillis()
        if token.hasPrefix(BearerToken.scimPrefix) {
            return try await authenticateSCIM(hash: hash, now: nowMillis, cachedUntil: now.advanced(by: configuration.authenticationCacheTTL))
        }
        let principal: Principal? = try await store.read { db in
            let record: APITokenRecord?
            if token.hasPrefix(BearerToken.tenantPrefix) {
                record = try await TokenLookup(db).tenantToken(hash: hash)
            } else {
                // Platform tokens may be preset by the operator, so any other shape is looked up there.
                record = try await PlatformTokenRepository(db).find(hash: hash)
            }
            guard let record, BearerToken.constantTimeEquals(record.tokenHash, hash), record.revokedAt == nil else { return nil }
            if let expiry = record.expiresAt, expiry <= nowMillis { return nil }
            guard let tenant = record.tenantID else {
                return Principal(kind: .platformAdmin, id: record.id, tenant: nil, roles: [], displayName: record.name)
            }
            var groups: Set<String> = []
            var roles: Set<String> = [record.role]
            if let userID = record.userID {
                guard let user = try await UserRepository(db, tenant: tenant).get(userID), user.active else { return nil }
                groups = Set(try await GroupRepository(db, tenant: tenant).groupIDs(ofUser: userID))
                // A user's token acts with no more than the user holds.
                roles = roles.intersection(try await Self.roles(ofUser: userID, in: tenant, db))
            }
            return Principal(kind: .apiToken, id: record.id, tenant: tenant, roles: roles, groups: groups, displayName: record.name)
        }
        if let principal {
            let until = now.advanced(by: configuration.authenticationCacheTTL)
            cache.set((principal, until), for: hash)
        }
        return principal
    }

    private func authenticateSCIM(hash: String, now: Int64, cachedUntil: ContinuousClock.Instant) async throws -> Principal? {
        let record = try await store.read { try await TokenLookup($0).scimToken(hash: hash) }
        guard let record, BearerToken.constantTimeEquals(record.tokenHash, hash), record.revokedAt == nil else { return nil }
        if let expiry = record.expiresAt, expiry <= now { return nil }
        let principal = Principal(kind: .scimClient, id: record.id, tenant: record.tenantID, roles: [], displayName: record.name)
        cache.set((principal, cachedUntil), for: hash)
        return principal
    }

    /// The roles a user holds: bound directly, bound to one of their groups, or given to one of
    /// their groups by name through the tenant's group-to-role mapping (`group_roles` in its
    /// settings, which SCIM and single sign-on groups use).
    /// `assertedGroups` are group names an identity provider vouched for at sign-in (a
    /// session's), mapped like the user's own groups.
    static func roles(ofUser userID: String, in tenant: TenantID, assertedGroups: [String] = [], _ db: any SQLExecutor) async throws -> Set<String> {
        var roles = try await RoleBindingRepository(db, tenant: tenant).roles(ofUser: userID)
        let settings = try await TenantRepository(db).get(tenant).flatMap { try? JSONValue.parse($0.settings) }
        if let mapping = settings?["group_roles"]?.objectValue, !mapping.isEmpty {
            for name in try await GroupRepository(db, tenant: tenant).groupNames(ofUser: userID) + assertedGroups {
                if let role = mapping[name]?.stringValue, DefaultPolicies.rank(of: role) != nil { roles.insert(role) }
            }
        }
        return roles
    }

    /// The roles and group ids a user has now (for sessions and the simulator).
    public func rolesAndGroups(ofUser userID: String, in tenant: TenantID) async throws -> (roles: Set<String>, groups: Set<String>) {
        try await store.read { db in
            (try await Self.roles(ofUser: userID, in: tenant, db), Set(try await GroupRepository(db, tenant: tenant).groupIDs(ofUser: userID)))
        }
    }

    // MARK: SCIM tokens

    /// Issues a SCIM provisioning token; returns the record and the token, which is not stored.
    public func createSCIMToken(in tenant: TenantID, name: String) async throws -> (SCIMTokenRecord, String) {
        try Validation.name(name, field: "name")
        let token = BearerToken.generate(prefix: BearerToken.scimPrefix)
        let record = SCIMTokenRecord(tenantID: tenant, id: UUID().uuidString.lowercased(), name: name, tokenHash: BearerToken.hash(token),
                                     createdAt: store.clock.nowMillis())
        try await store.write { try await SCIMTokenRepository($0, tenant: tenant).create(record) }
        return (record, token)
    }

    /// Revokes a SCIM token at once.
    public func revokeSCIMToken(in tenant: TenantID, id: String) async throws {
        let now = store.clock.nowMillis()
        try await mapNotFound("SCIM token") { try await self.store.write { try await SCIMTokenRepository($0, tenant: tenant).revoke(id, at: now) } }
        invalidateAuthenticationCache()
    }

    /// Rotates a SCIM token: a new token under the same name, the old one accepted for
    /// `overlap` more (so the identity provider can be reconfigured without a gap).
    public func rotateSCIMToken(in tenant: TenantID, id: String, overlap: Duration) async throws -> (SCIMTokenRecord, String) {
        let now = store.clock.nowMillis()
        let (s, a) = overlap.components
        let until = now + s * 1000 + a / 1_000_000_000_000_000
        let token = BearerToken.generate(prefix: BearerToken.scimPrefix)
        let record: SCIMTokenRecord = try await mapNotFound("SCIM token") {
            try await self.store.write { db in
                let tokens = SCIMTokenRepository(db, tenant: tenant)
                guard let old = try await tokens.get(id), old.revokedAt == nil else { throw StoreError.notFound("SCIM token") }
                try await tokens.expire(id, at: until)
                let fresh = SCIMTokenRecord(tenantID: tenant, id: UUID().uuidString.lowercased(), name: old.name,
                                            tokenHash: BearerToken.hash(token), createdAt: now)
                try await tokens.create(fresh)
                return fresh
            }
        }
        invalidateAuthenticationCache()
        return (record, token)
    }

    /// Revokes every API token of users that were deactivated or deleted (SCIM), in the
    /// caller's transaction; the caller invalidates the cache after commit.
    public static func revokeCredentials(ofUsers userIDs: [String], in tenant: TenantID, at now: Int64, _ db: any SQLExecutor) async throws {
        for userID in userIDs {
            _ = try await APITokenRepository(db, tenant: tenant).revokeAll(ofUser: userID, at: now)
            try await SessionRepository(db, tenant: tenant).revokeAll(ofUser: userID, at: now)
        }
    }

    /// Forgets cached lookups, so that revocations take effect at once.
    public func invalidateAuthenticationCache() {
        cache.removeAll()
        sessionCache.removeAll()
    }

    // MARK: Tenants

    /// The tenant with this slug or id (cached; tenants are rarely renamed).
    public func resolveTenant(_ idOrSlug: String) async throws -> Tenant? {
        if let hit = tenantCache[idOrSlug] { return hit }
        let tenant = try await store.read { try await TenantRepository($0).resolve(idOrSlug) }
        if let tenant { tenantCache.set(tenant, for: idOrSlug) }
        return tenant
    }

    /// Validates and creates a tenant.
    public func createTenant(slug: String, name: String) async throws -> Tenant {
        try Validation.slug(slug)
        try Validation.name(name, field: "name")
        let tenant = Tenant(id: TenantID(UUID().uuidString.lowercased()), slug: slug, name: name, createdAt: store.clock.nowMillis())
        do {
            try await store.write { try await TenantRepository($0).create(tenant) }
        } catch let error as StoreError where error.isUniqueViolation {
            throw IdentityError.conflict("a tenant with slug \"\(slug)\" already exists")
        }
        return tenant
    }

    /// Replaces a tenant's display name.
    public func renameTenant(_ tenant: Tenant, to name: String) async throws -> Tenant {
        try Validation.name(name, field: "name")
        var renamed = tenant
        renamed.name = name
        let updated = renamed
        try await store.write { try await TenantRepository($0).update(updated) }
        tenantCache.removeAll()
        return updated
    }

    /// Changes a tenant's settings object and forgets cached tenants.
    public func updateSettings(of tenant: Tenant, _ mutate: @Sendable (inout [String: JSONValue]) -> Void) async throws -> Tenant {
        let updated: Tenant = try await store.write { db in
            let tenants = TenantRepository(db)
            guard var current = try await tenants.get(tenant.id) else { throw IdentityError.notFound("tenant") }
            var settings = (try? JSONValue.parse(current.settings))?.objectValue ?? [:]
            mutate(&settings)
            current.settings = JSONValue.object(settings).serialized()
            try await tenants.update(current)
            return current
        }
        tenantCache.removeAll()
        return updated
    }

    // MARK: Tokens

    /// Issues a tenant API token. Returns the record and the token, which is not stored.
    public func createToken(in tenant: TenantID, name: String, role: String, expiresAt: Int64?, userID: String? = nil) async throws -> (APITokenRecord, String) {
        try Validation.name(name, field: "name")
        try Validation.role(role)
        let now = store.clock.nowMillis()
        if let expiresAt, expiresAt <= now { throw IdentityError.invalid("expires_at", "must be in the future") }
        let token = BearerToken.generate(prefix: BearerToken.tenantPrefix)
        let record = APITokenRecord(
            tenantID: tenant, id: UUID().uuidString.lowercased(), name: name, role: role,
            tokenHash: BearerToken.hash(token), userID: userID, createdAt: now, expiresAt: expiresAt
        )
        try await store.write { db in
            if let userID, try await UserRepository(db, tenant: tenant).get(userID) == nil {
                throw IdentityError.invalid("user_id", "no such user in this tenant")
            }
            try await APITokenRepository(db, tenant: tenant).create(record)
        }
        return (record, token)
    }

    /// Revokes a tenant token; effective at once in this process.
    public func revokeToken(in tenant: TenantID, id: String) async throws -> APITokenRecord {
        let now = store.clock.nowMillis()
        let record = try await mapNotFound("token") {
            try await self.store.write { try await APITokenRepository($0, tenant: tenant).revoke(id, at: now) }
        }
        invalidateAuthenticationCache()
        return record
    }

    // MARK: Users, groups, bindings

    /// Validates and creates a user.
    public func createUser(in tenant: TenantID, userName: String, displayName: String?, email: String?) async throws -> User {
        try Validation.name(userName, field: "user_name")
        if let email { try Validation.email(email) }
        let now = store.clock.nowMillis()
        let user = User(tenantID: tenant, id: UUID().uuidString.lowercased(), userName: userName, displayName: displayName,
                        email: email, createdAt: now, updatedAt: now)
        do {
            try await store.write { try await UserRepository($0, tenant: tenant).create(user) }
        } catch let error as StoreError where error.isUniqueViolation {
            throw IdentityError.conflict("a user named \"\(userName)\" already exists")
        }
        return user
    }

    /// Sets a user's active flag; deactivation revokes their tokens in the same transaction.
    public func setActive(in tenant: TenantID, userID: String, active: Bool) async throws -> User {
        try await updateUser(in: tenant, userID: userID, displayName: nil, email: nil, active: active)
    }

    /// Deletes a user and revokes their tokens.
    public func deleteUser(in tenant: TenantID, userID: String) async throws {
        let now = store.clock.nowMillis()
        try await mapNotFound("user") {
            try await self.store.write { db in
                try await Self.revokeCredentials(ofUsers: [userID], in: tenant, at: now, db)
                try await UserIdentityRepository(db, tenant: tenant).unlinkAll(ofUser: userID)
                try await UserRepository(db, tenant: tenant).delete(userID)
            }
        }
        invalidateAuthenticationCache()
    }

    /// Replaces the given fields of a user; a field that is `nil` is left as it is (to clear
    /// display name or e-mail, pass `.some(nil)`). Deactivation revokes the user's tokens.
    public func updateUser(in tenant: TenantID, userID: String, displayName: String??, email: String??, active: Bool?) async throws -> User {
        if case .some(.some(let email)) = email { try Validation.email(email) }
        if case .some(.some(let name)) = displayName { try Validation.name(name, field: "display_name") }
        let now = store.clock.nowMillis()
        let user: User = try await store.write { db in
            let users = UserRepository(db, tenant: tenant)
            guard var user = try await users.get(userID) else { throw IdentityError.notFound("user") }
            if let displayName { user.displayName = displayName }
            if let email { user.email = email }
            if let active { user.active = active }
            user.updatedAt = now
            try await users.update(user)
            if active == false { try await Self.revokeCredentials(ofUsers: [userID], in: tenant, at: now, db) }
            return user
        }
        invalidateAuthenticationCache()
        return user
    }

    /// Validates and creates a group with members.
    public func createGroup(in tenant: TenantID, name: String, memberIDs: [String]) async throws -> Group {
        try Validation.name(name, field: "name")
        let now = store.clock.nowMillis()
        let group = Group(tenantID: tenant, id: UUID().uuidString.lowercased(), name: name, memberIDs: Array(Set(memberIDs)).sorted(),
                          createdAt: now, updatedAt: now)
        do {
            try await store.write { db in
                try await Self.checkMembers(memberIDs, in: tenant, db)
                try await GroupRepository(db, tenant: tenant).create(group)
            }
        } catch let error as StoreError where error.isUniqueViolation {
            throw IdentityError.conflict("a group named \"\(name)\" already exists")
        }
        return group
    }

    /// Renames a group and/or replaces its members.
    public func updateGroup(in tenant: TenantID, groupID: String, name: String?, memberIDs: [String]?) async throws -> Group {
        if let name { try Validation.name(name, field: "name") }
        let now = store.clock.nowMillis()
        let group: Group
        do {
            group = try await store.write { db in
                let groups = GroupRepository(db, tenant: tenant)
                guard try await groups.get(groupID) != nil else { throw IdentityError.notFound("group") }
                if let name { try await groups.rename(groupID, to: name, at: now) }
                if let memberIDs {
                    try await Self.checkMembers(memberIDs, in: tenant, db)
                    try await groups.setMembers(groupID, memberIDs)
                }
                guard let group = try await groups.get(groupID) else { throw IdentityError.notFound("group") }
                return group
            }
        } catch let error as StoreError where error.isUniqueViolation {
            throw IdentityError.conflict("a group named \"\(name ?? "")\" already exists")
        }
        invalidateAuthenticationCache()
        return group
    }

    /// Every member must be a user of this tenant; a missing one is invalid input (422), not a
    /// missing resource (404), since the group itself exists.
    private static func checkMembers(_ memberIDs: [String], in tenant: TenantID, _ db: any SQLExecutor) async throws {
        if memberIDs.count > 10_000 { throw IdentityError.invalid("members", "at most 10,000 members") }
        let users = UserRepository(db, tenant: tenant)
        for id in Set(memberIDs).sorted() where try await users.get(id) == nil {
            throw IdentityError.invalid("members", "user \"\(id)\" does not exist in this tenant")
        }
    }

    /// Binds a role to a user or group.
    public func bindRole(in tenant: TenantID, subjectType: String, subjectID: String, role: String) async throws -> RoleBinding {
        guard subjectType == "user" || subjectType == "group" else {
            throw IdentityError.invalid("subject_type", "must be \"user\" or \"group\"")
        }
        try Validation.role(role)
        let binding = RoleBinding(tenantID: tenant, id: UUID().uuidString.lowercased(), subjectType: subjectType,
                                  subjectID: subjectID, role: role, createdAt: store.clock.nowMillis())
        do {
            try await store.write { try await RoleBindingRepository($0, tenant: tenant).create(binding) }
        } catch let error as StoreError where error.isUniqueViolation {
            throw IdentityError.conflict("this role is already bound to that \(subjectType)")
        } catch let error as StoreError where error.isNotFound {
            throw IdentityError.invalid("subject_id", "no \(subjectType) with this id exists in this tenant")
        }
        invalidateAuthenticationCache()
        return binding
    }

    private func mapNotFound<R>(_ what: String, _ body: () async throws -> R) async throws -> R {
        do {
            return try await body()
        } catch let error as StoreError where error.isNotFound {
            throw IdentityError.notFound(error.message.replacingOccurrences(of: " not found", with: ""))
        }
    }
}

/// Input rules shared by the identity operations.
enum Validation {
    static func slug(_ slug: String) throws {
        let ok = (2...63).contains(slug.utf8.count)
            && slug.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
            && slug.first != "-" && slug.last != "-"
        if !ok {
            throw IdentityError.invalid("slug", "must be 2-63 characters of a-z, 0-9 and '-', not starting or ending with '-'")
        }
    }

    static func name(_ name: String, field: String) throws {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { throw IdentityError.invalid(field, "must not be empty") }
        if name.utf8.count > 200 { throw IdentityError.invalid(field, "must be at most 200 bytes") }
        if name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            throw IdentityError.invalid(field, "must not contain control characters")
        }
    }

    static func role(_ role: String) throws {
        if DefaultPolicies.rank(of: role) == nil {
            throw IdentityError.invalid("role", "must be one of \(DefaultPolicies.roles.joined(separator: ", "))")
        }
    }

    static func email(_ email: String) throws {
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        if parts.count != 2 || parts[0].isEmpty || parts[1].isEmpty || email.utf8.count > 254 {
            throw IdentityError.invalid("email", "must be an e-mail address")
        }
    }
}
