/// The id of a tenant. Every tenant-owned repository takes one at construction.
public struct TenantID: Sendable, Hashable, Codable, CustomStringConvertible {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    /// The chain that audits platform-level requests (tenant management), which belong to no
    /// tenant. Tenant ids are UUIDs, so this cannot collide with one.
    public static let platform = TenantID("platform")
}

/// A tenant: the unit of isolation.
public struct Tenant: Sendable, Equatable {
    public var id: TenantID
    public var slug: String
    public var name: String
    /// Per-tenant settings as a JSON object (quotas and options added by later features).
    public var settings: String
    public var createdAt: Int64

    public init(id: TenantID, slug: String, name: String, settings: String = "{}", createdAt: Int64) {
        self.id = id
        self.slug = slug
        self.name = name
        self.settings = settings
        self.createdAt = createdAt
    }

    init(row: Row) throws {
        id = TenantID(try row.string("id"))
        slug = try row.string("slug")
        name = try row.string("name")
        settings = try row.string("settings")
        createdAt = try row.int("created_at")
    }
}

/// A person (or service identity) in a tenant.
public struct User: Sendable, Equatable {
    public var tenantID: TenantID
    public var id: String
    public var userName: String
    public var displayName: String?
    public var email: String?
    public var active: Bool
    public var createdAt: Int64
    public var updatedAt: Int64

    public init(tenantID: TenantID, id: String, userName: String, displayName: String? = nil, email: String? = nil, active: Bool = true, createdAt: Int64, updatedAt: Int64) {
        self.tenantID = tenantID
        self.id = id
        self.userName = userName
        self.displayName = displayName
        self.email = email
        self.active = active
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    init(row: Row) throws {
        tenantID = TenantID(try row.string("tenant_id"))
        id = try row.string("id")
        userName = try row.string("user_name")
        displayName = row.optionalString("display_name")
        email = row.optionalString("email")
        active = try row.bool("active")
        createdAt = try row.int("created_at")
        updatedAt = try row.int("updated_at")
    }
}

/// A named set of users in a tenant.
public struct Group: Sendable, Equatable {
    public var tenantID: TenantID
    public var id: String
    public var name: String
    public var memberIDs: [String]
    public var createdAt: Int64
    public var updatedAt: Int64

    public init(tenantID: TenantID, id: String, name: String, memberIDs: [String] = [], createdAt: Int64, updatedAt: Int64) {
        self.tenantID = tenantID
        self.id = id
        self.name = name
        self.memberIDs = memberIDs
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// Grants a role in a tenant to a user or a group.
public struct RoleBinding: Sendable, Equatable {
    public var tenantID: TenantID
    public var id: String
    /// `user` or `group`.
    public var subjectType: String
    public var subjectID: String
    public var role: String
    public var createdAt: Int64

    public init(tenantID: TenantID, id: String, subjectType: String, subjectID: String, role: String, createdAt: Int64) {
        self.tenantID = tenantID
        self.id = id
        self.subjectType = subjectType
        self.subjectID = subjectID
        self.role = role
        self.createdAt = createdAt
    }

    init(row: Row) throws {
        tenantID = TenantID(try row.string("tenant_id"))
        id = try row.string("id")
        subjectType = try row.string("subject_type")
        subjectID = try row.string("subject_id")
        role = try row.string("role")
        createdAt = try row.int("created_at")
    }
}

/// An API token as stored: only the hash of the secret part, never the token.
public struct APITokenRecord: Sendable, Equatable {
    /// `nil` for a platform token.
    public var tenantID: TenantID?
    public var id: String
    public var name: String
    /// The tenant role the token acts with (`platform-admin` for platform tokens).
    public var role: String
    public var tokenHash: String
    public var userID: String?
    public var createdAt: Int64
    public var expiresAt: Int64?
    public var revokedAt: Int64?

    public init(tenantID: TenantID?, id: String, name: String, role: String, tokenHash: String, userID: String? = nil, createdAt: Int64, expiresAt: Int64? = nil, revokedAt: Int64? = nil) {
        self.tenantID = tenantID
        self.id = id
        self.name = name
        self.role = role
        self.tokenHash = tokenHash
        self.userID = userID
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
    }

    init(row: Row, platform: Bool) throws {
        tenantID = platform ? nil : TenantID(try row.string("tenant_id"))
        id = try row.string("id")
        name = try row.string("name")
        role = platform ? "platform-admin" : try row.string("role")
        tokenHash = try row.string("token_hash")
        userID = platform ? nil : row.optionalString("user_id")
        createdAt = try row.int("created_at")
        expiresAt = row.optionalInt("expires_at")
        revokedAt = row.optionalInt("revoked_at")
    }
}

/// A workflow: a name and a pointer to its current version.
public struct WorkflowRecord: Sendable, Equatable {
    public var tenantID: TenantID
    public var id: String
    public var name: String
    public var description: String
    public var currentVersion: Int64
    public var createdAt: Int64
    public var updatedAt: Int64

    public init(tenantID: TenantID, id: String, name: String, description: String, currentVersion: Int64, createdAt: Int64, updatedAt: Int64) {
        self.tenantID = tenantID
        self.id = id
        self.name = name
        self.description = description
        self.currentVersion = currentVersion
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    init(row: Row) throws {
        tenantID = TenantID(try row.string("tenant_id"))
        id = try row.string("id")
        name = try row.string("name")
        description = try row.string("description")
        currentVersion = try row.int("current_version")
        createdAt = try row.int("created_at")
        updatedAt = try row.int("updated_at")
    }
}

/// One immutable version of a workflow's definition (JSON text).
public struct WorkflowVersionRecord: Sendable, Equatable {
    public var workflowID: String
    public var version: Int64
    public var definition: String
    public var createdAt: Int64
    public var createdBy: String

    public init(workflowID: String, version: Int64, definition: String, createdAt: Int64, createdBy: String) {
        self.workflowID = workflowID
        self.version = version
        self.definition = definition
        self.createdAt = createdAt
        self.createdBy = createdBy
    }

    init(row: Row) throws {
        workflowID = try row.string("workflow_id")
        version = try row.int("version")
        definition = try row.string("definition")
        createdAt = try row.int("created_at")
        createdBy = try row.string("created_by")
    }
}

/// A run's header row. Its detailed state is the fold of its events; `status` is kept here
/// too, updated in the same transaction as the event that changes it, for listing and resume.
public struct RunRecord: Sendable, Equatable {
    public var tenantID: TenantID
    public var id: String
    public var workflowID: String
    public var workflowVersion: Int64
    public var status: String
    public var idempotencyKey: String?
    public var traceID: String
    public var createdBy: String
    public var createdAt: Int64
    public var updatedAt: Int64
    /// The run whose step started this one (sub-workflows); such runs are driven by their parent.
    public var parentRunID: String?

    public init(tenantID: TenantID, id: String, workflowID: String, workflowVersion: Int64, status: String, idempotencyKey: String?, traceID: String, createdBy: String, createdAt: Int64, updatedAt: Int64, parentRunID: String? = nil) {
        self.parentRunID = parentRunID
        self.tenantID = tenantID
        self.id = id
        self.workflowID = workflowID
        self.workflowVersion = workflowVersion
        self.status = status
        self.idempotencyKey = idempotencyKey
        self.traceID = traceID
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    init(row: Row) throws {
        tenantID = TenantID(try row.string("tenant_id"))
        id = try row.string("id")
        workflowID = try row.string("workflow_id")
        workflowVersion = try row.int("workflow_version")
        status = try row.string("status")
        idempotencyKey = row.optionalString("idempotency_key")
        traceID = try row.string("trace_id")
        createdBy = try row.string("created_by")
        createdAt = try row.int("created_at")
        updatedAt = try row.int("updated_at")
        parentRunID = row.optionalString("parent_run_id")
    }
}

/// One entry of a run's event log.
public struct RunEventRecord: Sendable, Equatable {
    public var runID: String
    public var seq: Int64
    public var type: String
    public var nodeID: String?
    public var at: Int64
    /// Event payload, a JSON object as text.
    public var data: String

    public init(runID: String, seq: Int64, type: String, nodeID: String?, at: Int64, data: String) {
        self.runID = runID
        self.seq = seq
        self.type = type
        self.nodeID = nodeID
        self.at = at
        self.data = data
    }

    init(row: Row) throws {
        runID = try row.string("run_id")
        seq = try row.int("seq")
        type = try row.string("type")
        nodeID = row.optionalString("node_id")
        at = try row.int("at")
        data = try row.string("data")
    }
}
