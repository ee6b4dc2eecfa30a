import JSON

/// An entity reference in Cedar's sense: a type and an id, e.g. `Workflow::"0b1c..."`.
public struct EntityRef: Sendable, Hashable, CustomStringConvertible {
    public var type: String
    public var id: String

    public init(_ type: String, _ id: String) {
        self.type = type
        self.id = id
    }

    /// Cedar's textual form, `Type::"id"`, used in audit entries.
    public var description: String {
        // Ids are mostly plain (UUIDs, slugs): only quotes and backslashes need escaping.
        if !id.utf8.contains(where: { $0 == 0x22 || $0 == 0x5C }) { return "\(type)::\"\(id)\"" }
        var escaped = ""
        for ch in id.unicodeScalars {
            switch ch {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            default: escaped.unicodeScalars.append(ch)
            }
        }
        return "\(type)::\"\(escaped)\""
    }
}

/// Who is asking: the authenticated identity with what it carries into a decision.
public struct PrincipalInfo: Sendable, Hashable {
    /// The entity: `ApiToken::"<id>"`, `User::"<id>"`, `ScimClient::"<id>"`.
    public var entity: EntityRef
    /// The tenant the principal belongs to; `nil` for platform administrators.
    public var tenant: String?
    /// Tenant roles held (directly, through groups, or the token's role).
    public var roles: Set<String>
    /// Group ids the principal is a member of.
    public var groups: Set<String>
    /// Whether this is a platform administrator.
    public var isPlatformAdmin: Bool

    public init(entity: EntityRef, tenant: String?, roles: Set<String>, groups: Set<String> = [], isPlatformAdmin: Bool = false) {
        self.entity = entity
        self.tenant = tenant
        self.roles = roles
        self.groups = groups
        self.isPlatformAdmin = isPlatformAdmin
    }
}

/// What is being acted on.
public struct ResourceInfo: Sendable, Hashable {
    public var entity: EntityRef
    /// The owning tenant; `nil` for platform-level resources (the tenant list).
    public var tenant: String?
    /// Attributes a policy may look at.
    public var attributes: [String: JSONValue]

    public init(entity: EntityRef, tenant: String?, attributes: [String: JSONValue] = [:]) {
        self.entity = entity
        self.tenant = tenant
        self.attributes = attributes
    }
}

/// One authorization question: may `principal` do `action` on `resource` in `context`?
public struct AuthorizationRequest: Sendable, Hashable {
    public var principal: PrincipalInfo
    /// `<resource>.<verb>`, e.g. `workflow.run`.
    public var action: String
    public var resource: ResourceInfo
    /// Request facts: `source_ip`, `time` (epoch milliseconds, or RFC 3339 text), and
    /// action-specific values such as `grant_role`.
    public var context: [String: JSONValue]

    public init(principal: PrincipalInfo, action: String, resource: ResourceInfo, context: [String: JSONValue] = [:]) {
        self.principal = principal
        self.action = action
        self.resource = resource
        self.context = context
    }
}

/// The answer, with why.
public struct Decision: Sendable, Hashable {
    /// Whether the request is allowed.
    public var isAllowed: Bool
    /// The policies (or rules) that determined the answer.
    public var reasons: [String]
    /// Policies that could not be evaluated, with their messages.
    public var errors: [String]

    public init(isAllowed: Bool, reasons: [String], errors: [String] = []) {
        self.isAllowed = isAllowed
        self.reasons = reasons
        self.errors = errors
    }

    /// `allow` or `deny`, as written to the audit log.
    public var label: String { isAllowed ? "allow" : "deny" }
}

/// The one interface every authorization decision goes through.
public protocol Authorizer: Sendable {
    /// Decides a request.
    func authorize(_ request: AuthorizationRequest) -> Decision
}
