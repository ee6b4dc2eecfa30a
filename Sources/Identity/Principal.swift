import Policy
import Store

/// An authenticated caller.
public struct Principal: Sendable, Hashable {
    /// What kind of credential authenticated it.
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        let name: String
        /// A platform-administrator token.
        public static let platformAdmin = Kind(name: "platform-admin")
        /// A tenant API token.
        public static let apiToken = Kind(name: "api-token")
        /// A signed-in user (browser session).
        public static let user = Kind(name: "user")
        /// A SCIM provisioning client.
        public static let scimClient = Kind(name: "scim-client")
        public var description: String { name }
    }

    public var kind: Kind { didSet { name = entity.description } }
    /// The id of the token, user or client.
    public var id: String { didSet { name = entity.description } }
    /// The entity in Cedar's textual form (`ApiToken::"<id>"`), as audit entries and logs name
    /// the principal. Kept with `kind` and `id`, since several steps of every request use it.
    public private(set) var name: String
    /// The tenant it belongs to; `nil` for platform administrators.
    public var tenant: TenantID?
    /// Tenant roles it acts with.
    public var roles: Set<String>
    /// Groups it is a member of.
    public var groups: Set<String>
    /// A human-readable name (token name or user name), never a secret.
    public var displayName: String

    public init(kind: Kind, id: String, tenant: TenantID?, roles: Set<String>, groups: Set<String> = [], displayName: String) {
        self.kind = kind
        self.id = id
        self.tenant = tenant
        self.roles = roles
        self.groups = groups
        self.displayName = displayName
        name = ""
        name = entity.description
    }

    /// The principal's entity as policies and the audit log name it.
    public var entity: EntityRef {
        switch kind {
        case .platformAdmin: return EntityRef("PlatformAdmin", id)
        case .user: return EntityRef("User", id)
        case .scimClient: return EntityRef("ScimClient", id)
        default: return EntityRef("ApiToken", id)
        }
    }

    /// What the authorizer needs to know about this principal.
    public var policyInfo: PrincipalInfo {
        PrincipalInfo(entity: entity, tenant: tenant?.rawValue, roles: roles, groups: groups, isPlatformAdmin: kind == .platformAdmin)
    }
}
