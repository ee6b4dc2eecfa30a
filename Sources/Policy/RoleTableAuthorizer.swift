/// The built-in roles and what each may do, as a table. It backs ``Authorizer`` until tenant
/// policies in Cedar replace it; handlers never consult it directly.
public struct RoleTableAuthorizer: Authorizer {
    /// Tenant roles from most to least powerful. A principal may grant only roles at or below
    /// its own highest rank.
    public static let roles: [String] = ["owner", "admin", "editor", "operator", "viewer", "auditor"]

    static let readActions: Set<String> = [
        "tenant.read", "workflow.read", "workflow.list", "run.read", "run.list", "node_type.list",
    ]

    /// Actions each role may perform.
    public static let permissions: [String: Set<String>] = {
        let identity: Set<String> = [
            "user.create", "user.read", "user.list", "user.update", "user.delete",
            "group.create", "group.read", "group.list", "group.update", "group.delete",
            "role_binding.create", "role_binding.read", "role_binding.list", "role_binding.delete",
            "token.create", "token.read", "token.list", "token.revoke",
        ]
        let authoring: Set<String> = ["workflow.create", "workflow.update", "workflow.delete", "workflow.run", "node.execute", "secret.use"]
        let secrets: Set<String> = ["secret.create", "secret.read", "secret.list", "secret.update", "secret.delete", "secret.rotate"]
        let admin = readActions.union(identity).union(authoring).union(secrets).union(["audit.read", "quota.read"])
        return [
            "owner": admin.union(["tenant.update"]),
            "admin": admin,
            "editor": readActions.union(authoring).union(["secret.list", "secret.read"]),
            "operator": readActions.union(["workflow.run", "node.execute", "secret.use"]),
            "viewer": readActions,
            "auditor": readActions.union(["audit.read", "quota.read"]),
        ]
    }()

    public init() {}

    /// The rank of a role (0 is highest); `nil` for an unknown role.
    public static func rank(of role: String) -> Int? { roles.firstIndex(of: role) }

    public func authorize(_ request: AuthorizationRequest) -> Decision {
        let principal = request.principal
        if principal.isPlatformAdmin {
            return Decision(isAllowed: true, reasons: ["platform-admin"])
        }
        // The node catalog is the same for everyone signed in.
        if request.action == "node_type.list" {
            return Decision(isAllowed: true, reasons: ["catalog"])
        }
        guard let tenant = principal.tenant, request.resource.tenant == tenant else {
            return Decision(isAllowed: false, reasons: ["tenant-isolation"])
        }
        if request.action == "role.grant" {
            // Granting a role (to a token or a binding) is limited to roles at or below one's
            // own, and to those who may manage tokens at all.
            let own = principal.roles.compactMap(Self.rank(of:)).min() ?? Int.max
            guard request.resource.entity.type == "Role", let wanted = Self.rank(of: request.resource.entity.id),
                  wanted >= own, own <= Self.rank(of: "admin") ?? 0
            else {
                return Decision(isAllowed: false, reasons: ["no-privilege-escalation"])
            }
            return Decision(isAllowed: true, reasons: ["role-rank"])
        }
        // A secret scoped to some workflows may be used by those only.
        if request.action == "secret.use", case .array(let allowed)? = request.resource.attributes["workflows"],
           let workflow = request.context["workflow"], !allowed.contains(workflow) {
            return Decision(isAllowed: false, reasons: ["secret-workflow-scope"])
        }
        let granting = principal.roles.sorted().filter { Self.permissions[$0]?.contains(request.action) == true }
        guard let role = granting.first else {
            return Decision(isAllowed: false, reasons: [])
        }
        return Decision(isAllowed: true, reasons: ["role:\(role)"])
    }
}
