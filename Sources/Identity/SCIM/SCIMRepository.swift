import JSON
import Store

/// SCIM Users and Groups of one tenant, over the `users`, `groups` and `group_members` tables.
///
/// Like the other tenant-scoped repositories it is built from the caller's executor, so each
/// call runs inside the caller's transaction: a request commits whole or changes nothing, and
/// the host can revoke tokens of deactivated users (``SCIMChanges``) in the same transaction.
/// Replace, patch and delete lock the row first (`FOR UPDATE` on PostgreSQL; SQLite has one
/// writer), so concurrent PATCHes of one group, which Okta sends, apply one after the other.
///
/// Every method takes already-parsed JSON and throws ``SCIMError`` for anything the client
/// did wrong; other errors (`StoreError`) are the server's.
public struct SCIMRepository: Sendable {
    let db: any SQLExecutor
    /// The tenant every statement is confined to.
    public let tenant: TenantID
    /// Schemas, limits and the `meta.location` base.
    public let configuration: SCIMConfiguration
    let clock: any WallClock

    /// - Parameters:
    ///   - db: the caller's transaction (or read snapshot, for reads).
    ///   - tenant: the tenant the SCIM client is provisioning.
    ///   - configuration: schemas, limits, `meta.location` base.
    ///   - clock: stamps `meta.created` and `meta.lastModified` (pass `Store.clock`).
    public init(_ db: any SQLExecutor, tenant: TenantID, configuration: SCIMConfiguration = .init(), clock: any WallClock = SystemWallClock()) {
        self.db = db
        self.tenant = tenant
        self.configuration = configuration
        self.clock = clock
    }

    /// A resource as stored: its working document (see ``SCIMNormalizer``) and server data.
    struct Record {
        var id: String
        var doc: [String: JSONValue]
        var version: Int64
        var created: Int64
        var lastModified: Int64
    }

    private func type(_ kind: SCIMResourceKind) -> SCIMResourceType { configuration.resourceType(kind.storage) }
    private func normalizer(_ kind: SCIMResourceKind) -> SCIMNormalizer { SCIMNormalizer(type: type(kind), configuration: configuration) }

    // MARK: Create

    /// Creates a User or Group from a POST body (RFC 7644 §3.3).
    ///
    /// Read-only attributes in the body (`id`, `meta`, `groups`) are ignored, `password` is
    /// accepted and discarded, `active` defaults to true. Group members must be users of this
    /// tenant.
    ///
    /// - Parameter projection: which computed attributes the response needs (`groups`,
    ///   `members`); the default loads all.
    /// - Throws: `invalidSyntax`/`invalidValue` for bad input, `uniqueness` (409) for a taken
    ///   `userName` or group `displayName`.
    public func create(_ kind: SCIMResourceKind, _ body: JSONValue, projection: SCIMProjection = .default) async throws -> SCIMWriteResult {
        let normalizer = normalizer(kind)
        var doc = try normalizer.resource(from: body)
        if kind == .users, doc["active"] == nil { doc["active"] = .bool(true) }
        Self.sortMembers(&doc)
        try normalizer.validate(doc)
        let id = SCIMIdentifier.make()
        let now = clock.nowMillis()
        var changes = SCIMChanges()
        if kind == .users {
            let columns = UserColumns(doc)
            try await checkUserNameFree(columns.userName, except: nil)
            try await mapUniqueViolation("userName \"\(columns.userName)\" is already taken") {
                try await db.execute(
                    """
                    INSERT INTO users (tenant_id, id, user_name, display_name, email, active, external_id, scim, version, created_at, updated_at)
                    VALUES (\(tenant.rawValue), \(id), \(columns.userName), \(columns.displayName.sqlValue), \(columns.email.sqlValue), \(columns.active),
                            \(columns.externalID.sqlValue), \(columns.scim), \(Int64(1)), \(now), \(now))
                    """
                )
            }
        } else {
            let columns = GroupColumns(doc)
            try await checkGroupNameFree(columns.name, except: nil)
            let ignored = try await unknownMembers(columns.memberIDs)
            let memberIDs = columns.memberIDs.filter { !ignored.contains($0) }
            changes.ignoredMemberIDs = ignored
            try await mapUniqueViolation("a group named \"\(columns.name)\" already exists") {
                try await db.execute(
                    """
                    INSERT INTO groups (tenant_id, id, name, external_id, scim, version, created_at, updated_at)
                    VALUES (\(tenant.rawValue), \(id), \(columns.name), \(columns.externalID.sqlValue), \(columns.scim), \(Int64(1)), \(now), \(now))
                    """
                )
            }
            try await insertMembers(group: id, memberIDs)
            if !memberIDs.isEmpty {
                changes.membershipChanges = [SCIMMembershipChange(groupID: id, addedUserIDs: memberIDs, removedUserIDs: [])]
            }
        }
        let record = Record(id: id, doc: doc, version: 1, created: now, lastModified: now)
        return SCIMWriteResult(resource: try await resource(kind, record, projection: projection), changed: true, changes: changes)
    }

    // MARK: Read

    /// The resource with this id.
    ///
    /// - Throws: `notFound` (404) when it does not exist in this tenant, which is also what
    ///   another tenant's id gives.
    public func get(_ kind: SCIMResourceKind, id: String, projection: SCIMProjection = .default) async throws -> SCIMResource {
        // The working document's members are not needed to render; `resource` loads them (with
        // display names) only when the projection shows them.
        guard let record = try await record(kind, id: id, lock: false, members: false) else {
            throw SCIMError.notFound("\(type(kind).name) \"\(id)\" not found")
        }
        return try await resource(kind, record, projection: projection)
    }

    /// The ids of the groups a user belongs to, for group-to-role mapping.
    public func groupIDs(ofUser userID: String) async throws -> [String] {
        try await db.query(
            "SELECT group_id FROM group_members WHERE tenant_id = \(tenant.rawValue) AND user_id = \(userID) ORDER BY group_id"
        ).map { try $0.string("group_id") }
    }

    // MARK: Replace

    /// Replaces a resource with a PUT body (RFC 7644 §3.5.1).
    ///
    /// Attributes missing from the body are cleared, except `active`, which keeps its value:
    /// a PUT that forgets `active` must not reactivate a deactivated user.
    ///
    /// - Parameter ifMatch: the `If-Match` header, if sent.
    /// - Throws: `notFound`, `preconditionFailed` (412) when `ifMatch` names another version,
    ///   `mutability`, `uniqueness` and input errors as for ``create(_:_:projection:)``.
    public func replace(_ kind: SCIMResourceKind, id: String, with body: JSONValue, ifMatch: String? = nil,
                        projection: SCIMProjection = .default) async throws -> SCIMWriteResult {
        let old = try await lockedRecord(kind, id: id, ifMatch: ifMatch)
        let normalizer = normalizer(kind)
        var doc = try normalizer.resource(from: body)
        if kind == .users, doc["active"] == nil { doc["active"] = old.doc["active"] }
        Self.sortMembers(&doc)
        try normalizer.validate(doc)
        return try await store(kind, old: old, new: doc, projection: projection)
    }

    // MARK: Patch

    /// Applies a PATCH body (RFC 7644 §3.5.2) to a copy of the resource, validates the result
    /// and writes it only if every operation succeeded.
    ///
    /// - Throws: `invalidSyntax`, `invalidPath`, `noTarget`, `invalidValue`, `mutability`,
    ///   `tooMany`, `uniqueness`, `notFound`, `preconditionFailed`.
    public func patch(_ kind: SCIMResourceKind, id: String, with body: JSONValue, ifMatch: String? = nil,
                      projection: SCIMProjection = .default) async throws -> SCIMWriteResult {
        let request = try SCIMPatchRequest.parse(body, configuration: configuration)
        let old = try await lockedRecord(kind, id: id, ifMatch: ifMatch)
        var doc = try SCIMPatchEngine(type: type(kind), configuration: configuration).apply(request, to: old.doc, id: id)
        // A PATCH that removes `active` leaves it unassigned (the user still counts as active).
        Self.sortMembers(&doc)
        return try await store(kind, old: old, new: doc, projection: projection)
    }

    // MARK: Delete

    /// Deletes a resource, its memberships and role bindings.
    ///
    /// - Returns: what the host must act on (a deleted user's tokens; changed memberships).
    /// - Throws: `notFound`, `preconditionFailed`.
    public func delete(_ kind: SCIMResourceKind, id: String, ifMatch: String? = nil) async throws -> SCIMChanges {
        let record = try await lockedRecord(kind, id: id, ifMatch: ifMatch)
        var changes = SCIMChanges()
        let t = tenant.rawValue
        if kind == .users {
            let groups = try await groupIDs(ofUser: id)
            if !groups.isEmpty {
                // The groups' member lists change, so their versions (ETags) do too.
                try await db.execute(
                    """
                    UPDATE groups SET version = version + 1, updated_at = \(clock.nowMillis())
                    WHERE tenant_id = \(t) AND id IN (SELECT group_id FROM group_members WHERE tenant_id = \(t) AND user_id = \(id))
                    """
                )
            }
            try await db.execute("DELETE FROM group_members WHERE tenant_id = \(t) AND user_id = \(id)")
            try await db.execute("DELETE FROM role_bindings WHERE tenant_id = \(t) AND subject_type = 'user' AND subject_id = \(id)")
            try await db.execute("DELETE FROM users WHERE tenant_id = \(t) AND id = \(id)")
            changes.deletedUserIDs = [id]
            changes.membershipChanges = groups.map { SCIMMembershipChange(groupID: $0, addedUserIDs: [], removedUserIDs: [id]) }
        } else {
            let members = GroupColumns(record.doc).memberIDs
            try await db.execute("DELETE FROM group_members WHERE tenant_id = \(t) AND group_id = \(id)")
            try await db.execute("DELETE FROM role_bindings WHERE tenant_id = \(t) AND subject_type = 'group' AND subject_id = \(id)")
            try await db.execute("DELETE FROM groups WHERE tenant_id = \(t) AND id = \(id)")
            if !members.isEmpty {
                changes.membershipChanges = [SCIMMembershipChange(groupID: id, addedUserIDs: [], removedUserIDs: members)]
            }
        }
        return changes
    }

    // MARK: List

    /// One page of the resources matching a query (GET on the collection, or `POST .search`).
    ///
    /// The filter runs in SQL; no resource is loaded to be filtered. Pages are ordered by
    /// `sortBy` (or creation time) with the id as tiebreak, so paging is stable.
    /// `count` 0 returns only `totalResults`.
    ///
    /// - Throws: `invalidFilter` for a bad filter, `invalidValue` for a bad `sortBy` or
    ///   `attributes`.
    public func list(_ kind: SCIMResourceKind, _ query: SCIMListQuery = .init()) async throws -> SCIMListResponse {
        let type = type(kind)
        let projection = try SCIMProjection(attributes: query.attributes, excludedAttributes: query.excludedAttributes, for: type)
        var compiler = SCIMSQLCompiler(dialect: db.dialect, type: type)
        var condition: SQLQuery = ""
        var isEquality = false
        if let text = query.filter, !text.trimmingSpaces.isEmpty {
            let filter = try SCIMFilter.parse(text, limits: configuration.filterLimits)
            if case .compare(_, .eq, _) = filter { isEquality = true }
            let sql = try compiler.condition(try filter.checked(for: type))
            condition = "AND \(sql)"
        }
        var sortPath: SCIMResolvedPath?
        if let sortBy = query.sortBy, !sortBy.trimmingSpaces.isEmpty {
            guard let path = SCIMAttributePath.parse(sortBy.trimmingSpaces), let resolved = type.resolve(path) else {
                throw SCIMError.invalidValue("\"sortBy\": \"\(sortBy)\" is not an attribute of \(type.name)")
            }
            sortPath = resolved
        }
        let order = try compiler.orderBy(sortPath, descending: query.sortOrder == .descending)
        let table = kind == .users ? "users u" : "groups g"
        let alias = kind == .users ? "u" : "g"
        let startIndex = max(1, query.startIndex ?? 1)
        let count = min(max(0, query.count ?? configuration.defaultPageSize), configuration.maxResults)
        // Identity providers look a resource up (`userName eq`, `externalId eq`, `displayName
        // eq`) before every change they push. Such a lookup is one statement, kept prepared
        // on PostgreSQL, with the groups or members folded in. Other pages load those in a
        // second query, so that rows skipped by an offset never have theirs computed.
        let lookup = isEquality && sortPath == nil && startIndex == 1
        let computedKey = kind == .users ? "groups" : "members"
        let folded = lookup && projection.includes(computedKey)
        var columns = kind == .users ? Self.userColumns : Self.groupColumns
        if folded { columns += ", " + Self.computedColumn(kind, dialect: db.dialect) }
        var rows: [Row] = []
        if count > 0 {
            let page: SQLQuery = """
                SELECT \(unsafeSQL: columns) FROM \(unsafeSQL: table)
                WHERE \(unsafeSQL: alias).tenant_id = \(tenant.rawValue) \(condition)
                ORDER BY \(order) LIMIT \(count) OFFSET \(startIndex - 1)
                """
            rows = try await db.query(lookup ? page.prepared() : page)
        }
        var total = Int64(rows.count)
        // A first page that is not full is the whole result: the lookups identity providers make
        // (`userName eq`, `externalId eq`) then cost one query, not two.
        if startIndex > 1 || rows.count == count {
            total = try await db.first(
                "SELECT COUNT(*) AS n FROM \(unsafeSQL: table) WHERE \(unsafeSQL: alias).tenant_id = \(tenant.rawValue) \(condition)"
            )?.int("n") ?? 0
        }
        let records = try rows.map { try kind == .users ? userRecord($0) : groupRecord($0) }
        var computed: [String: [JSONValue]] = [:]
        if folded {
            for (row, record) in zip(rows, records) { computed[record.id] = try foldedAttribute(kind, row) }
        } else if !records.isEmpty {
            computed = try await computedAttributes(kind, records.map(\.id), projection: projection)
        }
        let resources = records.map { projection.apply(to: render(kind, $0, computed: computed[$0.id] ?? []).json) }
        return SCIMListResponse(totalResults: Int(total), startIndex: startIndex, resources: resources)
    }

    // MARK: Writing

    /// Writes `new` over `old` if they differ; reports the transitions the host must act on.
    private func store(_ kind: SCIMResourceKind, old: Record, new proposed: [String: JSONValue], projection: SCIMProjection) async throws -> SCIMWriteResult {
        try checkImmutable(kind, old: old.doc, new: proposed)
        var changes = SCIMChanges()
        var new = proposed
        if kind == .groups {
            // New members must be users of this tenant; under the `ignore` policy unknown ones
            // are dropped before anything is compared or written.
            let kept = Set(GroupColumns(old.doc).memberIDs)
            let ignored = try await unknownMembers(GroupColumns(new).memberIDs.filter { !kept.contains($0) })
            if !ignored.isEmpty {
                let members = (new["members"]?.arrayValue ?? []).filter { !ignored.contains($0["value"]?.stringValue ?? "") }
                new["members"] = members.isEmpty ? nil : .array(members)
                changes.ignoredMemberIDs = ignored
            }
        }
        guard new != old.doc else {
            return SCIMWriteResult(resource: try await resource(kind, old, projection: projection), changed: false, changes: changes)
        }
        let now = max(clock.nowMillis(), old.created)
        let t = tenant.rawValue
        if kind == .users {
            let columns = UserColumns(new)
            if SCIMText.fold(columns.userName) != SCIMText.fold(old.doc["userName"]?.stringValue ?? "") {
                try await checkUserNameFree(columns.userName, except: old.id)
            }
            try await mapUniqueViolation("userName \"\(columns.userName)\" is already taken") {
                try await db.execute(
                    """
                    UPDATE users SET user_name = \(columns.userName), display_name = \(columns.displayName.sqlValue), email = \(columns.email.sqlValue),
                        active = \(columns.active), external_id = \(columns.externalID.sqlValue), scim = \(columns.scim),
                        version = version + 1, updated_at = \(now)
                    WHERE tenant_id = \(t) AND id = \(old.id)
                    """
                )
            }
            let wasActive = old.doc["active"]?.boolValue ?? true
            if wasActive, !columns.active { changes.deactivatedUserIDs = [old.id] }
            if !wasActive, columns.active { changes.reactivatedUserIDs = [old.id] }
        } else {
            let columns = GroupColumns(new)
            let before = GroupColumns(old.doc).memberIDs
            if columns.name != old.doc["displayName"]?.stringValue {
                try await checkGroupNameFree(columns.name, except: old.id)
            }
            let kept = Set(before)
            let wanted = Set(columns.memberIDs)
            let added = columns.memberIDs.filter { !kept.contains($0) }
            let removed = before.filter { !wanted.contains($0) }
            try await mapUniqueViolation("a group named \"\(columns.name)\" already exists") {
                try await db.execute(
                    """
                    UPDATE groups SET name = \(columns.name), external_id = \(columns.externalID.sqlValue), scim = \(columns.scim),
                        version = version + 1, updated_at = \(now)
                    WHERE tenant_id = \(t) AND id = \(old.id)
                    """
                )
            }
            try await deleteMembers(group: old.id, removed)
            try await insertMembers(group: old.id, added)
            if !added.isEmpty || !removed.isEmpty {
                changes.membershipChanges = [SCIMMembershipChange(groupID: old.id, addedUserIDs: added, removedUserIDs: removed)]
            }
        }
        let record = Record(id: old.id, doc: new, version: old.version + 1, created: old.created, lastModified: now)
        return SCIMWriteResult(resource: try await resource(kind, record, projection: projection), changed: true, changes: changes)
    }

    /// RFC 7643 §2.2: an `immutable` attribute, once it has a value, keeps it.
    private func checkImmutable(_ kind: SCIMResourceKind, old: [String: JSONValue], new: [String: JSONValue]) throws(SCIMError) {
        let type = type(kind)
        var containers: [(String?, SCIMSchema)] = [(nil, type.schema)]
        containers += type.extensions.map { ($0.schema.id, $0.schema) }
        for (key, schema) in containers {
            for attribute in schema.attributes where attribute.mutability == .immutable {
                let before = key.map { old[$0]?[attribute.name] } ?? old[attribute.name]
                let after = key.map { new[$0]?[attribute.name] } ?? new[attribute.name]
                if let before, before != after { throw SCIMError.mutability("\"\(attribute.name)\" is immutable") }
            }
        }
    }

    private func checkUserNameFree(_ userName: String, except id: String?) async throws {
        let row = try await db.first(
            "SELECT id FROM users WHERE tenant_id = \(tenant.rawValue) AND user_name_ci = \(SCIMText.fold(userName))"
        )
        if let row, try row.string("id") != id { throw SCIMError.uniqueness("userName \"\(userName)\" is already taken") }
    }

    private func checkGroupNameFree(_ name: String, except id: String?) async throws {
        let row = try await db.first("SELECT id FROM groups WHERE tenant_id = \(tenant.rawValue) AND name = \(name)")
        if let row, try row.string("id") != id { throw SCIMError.uniqueness("a group named \"\(name)\" already exists") }
    }

    /// The ids among `ids` that are no user of this tenant, to be skipped; or, under the
    /// default policy, the client's error: `invalidValue` rather than 404, since the group
    /// exists. Checking before writing keeps a PostgreSQL transaction usable and the message
    /// precise.
    private func unknownMembers(_ ids: [String]) async throws -> [String] {
        var missing: [String] = []
        for chunk in Self.chunks(ids) {
            let found = Set(try await db.query(
                "SELECT id FROM users WHERE tenant_id = \(tenant.rawValue) AND id IN (\(Self.list(chunk)))"
            ).map { try $0.string("id") })
            missing += chunk.filter { !found.contains($0) }
        }
        if !missing.isEmpty, !configuration.unknownMembers.ignores {
            let shown = missing.prefix(3).map { "\"\($0)\"" }.joined(separator: ", ")
            throw SCIMError.invalidValue("members must be users of this tenant; unknown: \(shown)\(missing.count > 3 ? " and \(missing.count - 3) more" : "")")
        }
        return missing
    }

    private func insertMembers(group: String, _ ids: [String]) async throws {
        for chunk in Self.chunks(ids, size: 200) {
            var values: SQLQuery = ""
            for (i, id) in chunk.enumerated() {
                values.append(i == 0 ? "(\(tenant.rawValue), \(group), \(id))" : ", (\(tenant.rawValue), \(group), \(id))")
            }
            try await db.execute("INSERT INTO group_members (tenant_id, group_id, user_id) VALUES \(values)")
        }
    }

    private func deleteMembers(group: String, _ ids: [String]) async throws {
        for chunk in Self.chunks(ids) {
            try await db.execute(
                "DELETE FROM group_members WHERE tenant_id = \(tenant.rawValue) AND group_id = \(group) AND user_id IN (\(Self.list(chunk)))"
            )
        }
    }

    /// Turns a unique-constraint violation (a concurrent writer won the race after the
    /// pre-check) into the client's 409.
    private func mapUniqueViolation(_ detail: String, _ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as StoreError where error.isUniqueViolation {
            throw SCIMError.uniqueness(detail)
        }
    }

    // MARK: Reading rows

    static let userColumns = "u.id, u.user_name, u.display_name, u.active, u.external_id, u.scim, u.version, u.created_at, u.updated_at"
    static let groupColumns = "g.id, g.name, g.external_id, g.scim, g.version, g.created_at, g.updated_at"

    /// The stored resource; for a group, `members` adds the member ids to the working document
    /// (needed to patch, replace or diff it).
    private func record(_ kind: SCIMResourceKind, id: String, lock: Bool, members: Bool = true) async throws -> Record? {
        // Row locks serialize concurrent writers of one resource on PostgreSQL; SQLite's
        // single writer connection already does.
        let suffix = lock && db.dialect == .postgres ? " FOR UPDATE" : ""
        if kind == .users {
            return try await db.first(
                "SELECT \(unsafeSQL: Self.userColumns) FROM users u WHERE u.tenant_id = \(tenant.rawValue) AND u.id = \(id)\(unsafeSQL: suffix)"
            ).map(userRecord)
        }
        guard var record = try await db.first(
            "SELECT \(unsafeSQL: Self.groupColumns) FROM groups g WHERE g.tenant_id = \(tenant.rawValue) AND g.id = \(id)\(unsafeSQL: suffix)"
        ).map(groupRecord) else { return nil }
        guard members else { return record }
        let ids = try await memberIDs(ofGroup: id)
        if !ids.isEmpty { record.doc["members"] = .array(ids.map { ["value": .string($0)] }) }
        return record
    }

    private func lockedRecord(_ kind: SCIMResourceKind, id: String, ifMatch: String?) async throws -> Record {
        guard let record = try await record(kind, id: id, lock: true) else { throw SCIMError.notFound("\(type(kind).name) \"\(id)\" not found") }
        if let ifMatch, !SCIMETag.matches(ifMatch: ifMatch, version: record.version) {
            throw SCIMError.preconditionFailed("the \(type(kind).name) has changed: its version is \(SCIMETag.make(record.version))")
        }
        return record
    }

    private func storedDocument(_ row: Row) throws -> [String: JSONValue] {
        guard let text = row.optionalString("scim"), let value = try? JSONValue.parse(text), case .object(let doc) = value else {
            throw StoreError.corruptRow("scim")
        }
        return doc
    }

    private func userRecord(_ row: Row) throws -> Record {
        var doc = try storedDocument(row)
        doc["userName"] = .string(try row.string("user_name"))
        doc["displayName"] = row.optionalString("display_name").map { .string($0) }
        // `active` removed by a PATCH stays unassigned in SCIM; the column still says active.
        if doc.removeValue(forKey: UserColumns.activeUnassigned) == nil { doc["active"] = .bool(try row.bool("active")) }
        doc["externalId"] = row.optionalString("external_id").map { .string($0) }
        return Record(id: try row.string("id"), doc: doc, version: try row.int("version"),
                      created: try row.int("created_at"), lastModified: try row.int("updated_at"))
    }

    private func groupRecord(_ row: Row) throws -> Record {
        var doc = try storedDocument(row)
        doc["displayName"] = .string(try row.string("name"))
        doc["externalId"] = row.optionalString("external_id").map { .string($0) }
        return Record(id: try row.string("id"), doc: doc, version: try row.int("version"),
                      created: try row.int("created_at"), lastModified: try row.int("updated_at"))
    }

    private func memberIDs(ofGroup id: String) async throws -> [String] {
        try await db.query(
            "SELECT user_id FROM group_members WHERE tenant_id = \(tenant.rawValue) AND group_id = \(id) ORDER BY user_id"
        ).map { try $0.string("user_id") }
    }

    // MARK: Rendering

    private func resource(_ kind: SCIMResourceKind, _ record: Record, projection: SCIMProjection) async throws -> SCIMResource {
        let computed = try await computedAttributes(kind, [record.id], projection: projection)
        return render(kind, record, computed: computed[record.id] ?? [])
    }

    /// `groups` of users or `members` (with display names) of groups, by resource id, loaded
    /// in batches and only when the projection shows them.
    private func computedAttributes(_ kind: SCIMResourceKind, _ ids: [String], projection: SCIMProjection) async throws -> [String: [JSONValue]] {
        var out: [String: [JSONValue]] = [:]
        guard projection.includes(kind == .users ? "groups" : "members") else { return out }
        for chunk in Self.chunks(ids) {
            if kind == .users {
                let rows = try await db.query(
                    """
                    SELECT gm.user_id AS owner, g.id AS id, g.name AS name FROM group_members gm
                    JOIN groups g ON g.tenant_id = gm.tenant_id AND g.id = gm.group_id
                    WHERE gm.tenant_id = \(tenant.rawValue) AND gm.user_id IN (\(Self.list(chunk))) ORDER BY g.id
                    """
                )
                for row in rows {
                    out[try row.string("owner"), default: []].append(groupEntry(id: try row.string("id"), name: try row.string("name")))
                }
            } else {
                let rows = try await db.query(
                    """
                    SELECT gm.group_id AS owner, u.id AS id FROM group_members gm
                    JOIN users u ON u.tenant_id = gm.tenant_id AND u.id = gm.user_id
                    WHERE gm.tenant_id = \(tenant.rawValue) AND gm.group_id IN (\(Self.list(chunk))) ORDER BY u.id
                    """
                )
                for row in rows {
                    out[try row.string("owner"), default: []].append(memberEntry(id: try row.string("id")))
                }
            }
        }
        return out
    }

    /// A user's `groups` entry.
    private func groupEntry(id: String, name: String) -> JSONValue {
        ["value": .string(id), "$ref": .string(configuration.baseLocation + "Groups/" + id), "display": .string(name), "type": "direct"]
    }

    /// A group's `members` entry. `display` is left out: clients compare members with what
    /// they sent, and Okta and Entra send none.
    private func memberEntry(id: String) -> JSONValue {
        ["value": .string(id), "$ref": .string(configuration.baseLocation + "Users/" + id), "type": "User"]
    }

    /// The `computed` column of a row (see ``computedColumn(_:dialect:)``) as entries.
    private func foldedAttribute(_ kind: SCIMResourceKind, _ row: Row) throws -> [JSONValue] {
        // PostgreSQL's json_agg gives NULL over no rows, SQLite's json_group_array `[]`.
        guard let text = row.optionalString("computed") else { return [] }
        guard case .array(let items)? = try? JSONValue.parse(text) else { throw StoreError.corruptRow("computed") }
        return try items.map { item in
            if kind == .users {
                guard case .array(let pair) = item, pair.count == 2, let id = pair[0].stringValue, let name = pair[1].stringValue else {
                    throw StoreError.corruptRow("computed")
                }
                return groupEntry(id: id, name: name)
            }
            guard let id = item.stringValue else { throw StoreError.corruptRow("computed") }
            return memberEntry(id: id)
        }
    }

    /// A column holding, as a JSON array ordered by id, a user's groups (`[id, name]` pairs)
    /// or a group's member ids: the same rows ``computedAttributes(_:_:projection:)`` reads.
    static func computedColumn(_ kind: SCIMResourceKind, dialect: SQLDialect) -> String {
        let postgres = dialect == .postgres
        if kind == .users {
            let aggregate = postgres ? "json_agg(json_build_array(cg.id, cg.name) ORDER BY cg.id)::text" : "json_group_array(json_array(cg.id, cg.name) ORDER BY cg.id)"
            return """
                (SELECT \(aggregate) FROM group_members gm JOIN groups cg ON cg.tenant_id = gm.tenant_id AND cg.id = gm.group_id
                 WHERE gm.tenant_id = u.tenant_id AND gm.user_id = u.id) AS computed
                """
        }
        let aggregate = postgres ? "json_agg(cu.id ORDER BY cu.id)::text" : "json_group_array(cu.id ORDER BY cu.id)"
        return """
            (SELECT \(aggregate) FROM group_members gm JOIN users cu ON cu.tenant_id = gm.tenant_id AND cu.id = gm.user_id
             WHERE gm.tenant_id = g.tenant_id AND gm.group_id = g.id) AS computed
            """
    }

    /// The full representation: the working document plus `id`, `schemas`, `meta` and the
    /// computed attribute.
    private func render(_ kind: SCIMResourceKind, _ record: Record, computed: [JSONValue]) -> SCIMResource {
        let type = type(kind)
        var o = record.doc
        o["id"] = .string(record.id)
        var schemas: [JSONValue] = [.string(type.schema.id)]
        schemas += type.extensions.map(\.schema.id).filter { o[$0] != nil }.map { .string($0) }
        schemas += o.keys.filter { $0.hasPrefix("urn:") && type.extensionSchema($0) == nil }.sorted().map { .string($0) }
        o["schemas"] = .array(schemas)
        let location = configuration.baseLocation + type.pathSegment + "/" + record.id
        o["meta"] = [
            "resourceType": .string(type.id),
            "created": .string(SCIMDateTime.format(millis: record.created)),
            "lastModified": .string(SCIMDateTime.format(millis: record.lastModified)),
            "location": .string(location),
            "version": .string(SCIMETag.make(record.version)),
        ]
        let computedKey = kind == .users ? "groups" : "members"
        o[computedKey] = computed.isEmpty ? nil : .array(computed)
        return SCIMResource(resourceType: type.id, id: record.id, version: record.version, created: record.created,
                            lastModified: record.lastModified, json: .object(o))
    }

    // MARK: Helpers

    /// Group members in id order, so that documents compare equal whatever order a client
    /// sent them in (stored membership has no order).
    private static func sortMembers(_ doc: inout [String: JSONValue]) {
        guard let members = doc["members"]?.arrayValue else { return }
        doc["members"] = .array(members.sorted { SCIMValues.compareText($0["value"]?.stringValue ?? "", $1["value"]?.stringValue ?? "") < 0 })
    }

    static func chunks(_ ids: [String], size: Int = 500) -> [ArraySlice<String>] {
        stride(from: 0, to: ids.count, by: size).map { ids[$0..<min($0 + size, ids.count)] }
    }

    /// `?, ?, ?` with each id bound.
    static func list(_ ids: ArraySlice<String>) -> SQLQuery {
        var q: SQLQuery = ""
        for (i, id) in ids.enumerated() { q.append(i == 0 ? "\(id)" : ", \(id)") }
        return q
    }
}

/// The columns of a user row, split from a working document.
private struct UserColumns {
    /// Marks a stored document whose `active` was removed. Clients cannot send it: attributes
    /// unknown to the core schema are dropped on input.
    static let activeUnassigned = "_activeUnassigned"

    let userName: String
    let displayName: String?
    let active: Bool
    let externalID: String?
    /// The primary (else first) e-mail, kept in `users.email` for the rest of the platform.
    let email: String?
    /// The stored document: the working document without what has a column.
    let scim: String

    init(_ doc: [String: JSONValue]) {
        var stored = doc
        userName = stored.removeValue(forKey: "userName")?.stringValue ?? ""
        displayName = stored.removeValue(forKey: "displayName")?.stringValue
        let given = stored.removeValue(forKey: "active")
        active = given?.boolValue ?? true
        stored[UserColumns.activeUnassigned] = given == nil ? .bool(true) : nil
        externalID = stored.removeValue(forKey: "externalId")?.stringValue
        let emails = doc["emails"]?.arrayValue ?? []
        email = (emails.first { $0["primary"]?.boolValue == true } ?? emails.first)?["value"]?.stringValue
        scim = JSONValue.object(stored).serialized()
    }
}

/// The columns and members of a group row, split from a working document.
private struct GroupColumns {
    let name: String
    let externalID: String?
    let memberIDs: [String]
    let scim: String

    init(_ doc: [String: JSONValue]) {
        var stored = doc
        name = stored.removeValue(forKey: "displayName")?.stringValue ?? ""
        externalID = stored.removeValue(forKey: "externalId")?.stringValue
        memberIDs = (stored.removeValue(forKey: "members")?.arrayValue ?? []).compactMap { $0["value"]?.stringValue }
        scim = JSONValue.object(stored).serialized()
    }
}

/// Resource ids: random (version 4) UUIDs in lowercase, like the rest of the platform's ids.
enum SCIMIdentifier {
    static func make() -> String {
        var rng = SystemRandomNumberGenerator()
        var bytes = (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &rng) }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = Array("0123456789abcdef")
        var s = ""
        for (i, b) in bytes.enumerated() {
            if i == 4 || i == 6 || i == 8 || i == 10 { s.append("-") }
            s.append(hex[Int(b >> 4)])
            s.append(hex[Int(b & 0x0F)])
        }
        return s
    }
}
