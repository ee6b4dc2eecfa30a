import JSON
import Policy

/// A realistic multi-tenant RBAC workload: tenants, groups, roles, users, folders and workflows
/// (about 10,000 entities) with a mix of permit and forbid policies.
struct RBACScenario {
    let policies: String
    let entities: JSONValue
    let requests: [JSONValue]

    static let policyText = #"""
    // Platform operators can do anything, anywhere.
    permit(principal in Group::"platform-admins", action, resource);

    // Tenant roles, resolved through the role hierarchy.
    permit(principal, action in Action::"read", resource is Workflow)
    when { principal.tenant == resource.tenant && principal in resource.viewers };
    permit(principal, action in Action::"write", resource is Workflow)
    when { principal.tenant == resource.tenant && principal in resource.editors };
    permit(principal is User, action == Action::"run", resource is Workflow)
    when { principal.tenant == resource.tenant && principal in resource.operators && context.mfa };
    permit(principal is User, action == Action::"delete", resource is Workflow)
    when { resource.owner == principal };
    permit(principal is User, action in Action::"read", resource is Folder)
    when { principal.tenant == resource.tenant };
    permit(principal is User, action == Action::"view", resource is Workflow)
    when { resource.public && resource has tenant };
    permit(principal is User, action == Action::"export", resource is Workflow)
    when { principal.clearance >= resource.classification && principal.roles.contains("auditor") };
    permit(principal is User, action == Action::"share", resource)
    when { principal.roles.containsAny(["owner", "admin"]) && resource in principal.tenant };

    // Guard rails: forbids always win.
    forbid(principal, action, resource)
    when { principal has tenant && resource has tenant && principal.tenant != resource.tenant }
    unless { principal in Group::"platform-admins" };
    forbid(principal is User, action, resource) when { principal.suspended };
    forbid(principal, action in Action::"write", resource is Workflow) when { resource.locked };
    forbid(principal, action == Action::"run", resource)
    unless { context.ip.isInRange(ip("10.0.0.0/8")) || context.ip.isInRange(ip("192.168.0.0/16")) };
    forbid(principal, action == Action::"export", resource)
    when { context.now > datetime("2030-01-01T00:00:00Z") };
    forbid(principal is User, action, resource) when { principal.email like "*@blocked.example" };
    """#

    static func uid(_ type: String, _ id: String) -> JSONValue { .object(["type": .string(type), "id": .string(id)]) }
    static func ref(_ type: String, _ id: String) -> JSONValue { .object(["__entity": uid(type, id)]) }

    static func make(seed: UInt64, requestCount: Int) -> RBACScenario {
        var rng = BenchRandom(seed: seed)
        var entities: [JSONValue] = []
        let tenants = 40
        let usersPerTenant = 185
        let workflowsPerTenant = 50
        let foldersPerTenant = 5
        let roles = ["owner", "admin", "editor", "operator", "viewer", "auditor"]
        entities.append(.object(["uid": uid("Group", "platform-admins"), "attrs": [:], "parents": []]))
        // Action hierarchy: read < write groups.
        entities.append(.object(["uid": uid("Action", "read"), "attrs": [:], "parents": []]))
        entities.append(.object(["uid": uid("Action", "write"), "attrs": [:], "parents": []]))
        for a in ["view", "list"] { entities.append(.object(["uid": uid("Action", a), "attrs": [:], "parents": [uid("Action", "read")]])) }
        for a in ["edit", "rename"] { entities.append(.object(["uid": uid("Action", a), "attrs": [:], "parents": [uid("Action", "write")]])) }
        for a in ["run", "delete", "export", "share"] { entities.append(.object(["uid": uid("Action", a), "attrs": [:], "parents": []])) }
        var userIDs: [String] = []
        var workflowIDs: [String] = []
        var workflowsByTenant: [String: [String]] = [:]
        for t in 0..<tenants {
            let tenant = "t\(t)"
            entities.append(.object(["uid": uid("Tenant", tenant), "attrs": ["name": .string(tenant)], "parents": []]))
            // Role groups form a hierarchy: owner ⊂ admin ⊂ editor ⊂ operator ⊂ viewer.
            for (i, r) in roles.enumerated() {
                var parents: [JSONValue] = [uid("Tenant", tenant)]
                if i + 1 < roles.count - 1 { parents.append(uid("Role", "\(tenant)-\(roles[i + 1])")) }
                entities.append(.object(["uid": uid("Role", "\(tenant)-\(r)"), "attrs": [:], "parents": .array(parents)]))
            }
            for g in 0..<4 {
                entities.append(.object(["uid": uid("Group", "\(tenant)-team\(g)"), "attrs": [:], "parents": [uid("Tenant", tenant)]]))
            }
            for f in 0..<foldersPerTenant {
                entities.append(.object(["uid": uid("Folder", "\(tenant)-f\(f)"), "attrs": ["tenant": ref("Tenant", tenant)], "parents": [uid("Tenant", tenant)]]))
            }
            for u in 0..<usersPerTenant {
                let id = "\(tenant)-u\(u)"
                userIDs.append(id)
                let role = roles[rng.int(roles.count)]
                var parents: [JSONValue] = [uid("Role", "\(tenant)-\(role)"), uid("Group", "\(tenant)-team\(rng.int(4))")]
                if rng.int(500) == 0 { parents.append(uid("Group", "platform-admins")) }
                entities.append(.object([
                    "uid": uid("User", id),
                    "attrs": [
                        "tenant": ref("Tenant", tenant),
                        "email": .string("\(id)@\(rng.int(100) == 0 ? "blocked" : "corp").example"),
                        "suspended": .bool(rng.int(50) == 0),
                        "clearance": .int(Int64(rng.int(5))),
                        "roles": .array([.string(role)]),
                    ],
                    "parents": .array(parents),
                ]))
            }
            for w in 0..<workflowsPerTenant {
                let id = "\(tenant)-w\(w)"
                workflowIDs.append(id)
                workflowsByTenant[tenant, default: []].append(id)
                entities.append(.object([
                    "uid": uid("Workflow", id),
                    "attrs": [
                        "tenant": ref("Tenant", tenant),
                        "owner": ref("User", "\(tenant)-u\(rng.int(usersPerTenant))"),
                        "viewers": ref("Role", "\(tenant)-viewer"),
                        "editors": ref("Role", "\(tenant)-editor"),
                        "operators": ref("Role", "\(tenant)-operator"),
                        "public": .bool(rng.int(10) == 0),
                        "locked": .bool(rng.int(20) == 0),
                        "classification": .int(Int64(rng.int(5))),
                    ],
                    "parents": [uid("Folder", "\(tenant)-f\(rng.int(foldersPerTenant))")],
                ]))
            }
        }
        let actions = ["view", "list", "edit", "rename", "run", "delete", "export", "share"]
        var requests: [JSONValue] = []
        for _ in 0..<requestCount {
            let user = userIDs[rng.int(userIDs.count)]
            // Mostly same-tenant requests, as in real traffic.
            let sameTenant = rng.int(10) != 0
            let tenantPrefix = String(user.split(separator: "-")[0])
            let candidates = sameTenant ? (workflowsByTenant[tenantPrefix] ?? workflowIDs) : workflowIDs
            let workflow = candidates[rng.int(candidates.count)]
            requests.append([
                "principal": uid("User", user),
                "action": uid("Action", actions[rng.int(actions.count)]),
                "resource": uid("Workflow", workflow),
                "context": [
                    "mfa": .bool(rng.int(4) != 0),
                    "ip": ["__extn": ["fn": "ip", "arg": .string(rng.int(5) == 0 ? "203.0.113.9" : "10.1.2.3")]],
                    "now": ["__extn": ["fn": "datetime", "arg": "2026-11-27T10:00:00Z"]],
                ],
            ])
        }
        return RBACScenario(policies: policyText, entities: .array(entities), requests: requests)
    }
}

/// SplitMix64, for a reproducible workload.
struct BenchRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func int(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}
