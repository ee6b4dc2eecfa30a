import JSON
import Policy

/// Flowgate's own default policies against 10,000 entities shaped by its schema: tenants with
/// tokens, users in groups, workflows, runs, secrets and the node catalog, and a request mix
/// like the gateway's (reads, runs, steps, grants, some cross-tenant).
enum DefaultsScenario {
    struct Generated {
        var entities: JSONValue
        var requests: [JSONValue]
    }

    static func make(seed: UInt64, entityTarget: Int = 10_000, requestCount: Int = 10_000) -> Generated {
        var rng = BenchRandom(seed: seed)
        var entities: [JSONValue] = []
        func uid(_ type: String, _ id: String) -> JSONValue { ["type": .string(type), "id": .string(id)] }
        func ref(_ type: String, _ id: String) -> JSONValue { ["__entity": uid(type, id)] }
        for (rank, role) in DefaultPolicies.roles.enumerated() {
            entities.append(["uid": uid("Role", role), "attrs": ["rank": .int(Int64(rank))], "parents": []])
        }
        let nodeTypes = [("http.request", "Sources"), ("jq", "Scripts"), ("sql", "Scripts"), ("core.set", "Transform"), ("sink.prometheus", "Sinks")]
        for (name, category) in nodeTypes {
            entities.append(["uid": uid("NodeType", name), "attrs": ["name": .string(name), "category": .string(category)], "parents": []])
        }
        entities.append(["uid": uid("PlatformAdmin", "root"), "attrs": [:], "parents": []])
        let tenants = 20
        let perTenant = (entityTarget - entities.count) / tenants
        var principals: [(String, String, String)] = []  // type, id, tenant
        var resources: [(String, String, String)] = []
        for t in 0..<tenants {
            let tenant = "t\(t)"
            entities.append(["uid": uid("Tenant", tenant), "attrs": ["slug": .string("tenant-\(t)")], "parents": []])
            let groups = 8
            for g in 0..<groups {
                entities.append(["uid": uid("Group", "\(tenant)-g\(g)"), "attrs": ["tenant": ref("Tenant", tenant)], "parents": [uid("Tenant", tenant)]])
            }
            let people = perTenant * 6 / 10
            for u in 0..<people {
                let role = DefaultPolicies.roles[Int(rng.next() % UInt64(DefaultPolicies.roles.count))]
                let isToken = u % 2 == 0
                let id = "\(tenant)-\(isToken ? "k" : "u")\(u)"
                var attrs: [String: JSONValue] = ["tenant": ref("Tenant", tenant), "role_rank": .int(Int64(DefaultPolicies.rank(of: role) ?? 9))]
                if isToken { attrs["name"] = .string(id) }
                entities.append([
                    "uid": uid(isToken ? "ApiToken" : "User", id), "attrs": .object(attrs),
                    "parents": [uid("Role", role), uid("Group", "\(tenant)-g\(Int(rng.next() % UInt64(groups)))")],
                ])
                principals.append((isToken ? "ApiToken" : "User", id, tenant))
            }
            for w in 0..<(perTenant - people - groups - 1) {
                let kind = w % 3 == 0 ? "Run" : (w % 3 == 1 ? "Workflow" : "Secret")
                let id = "\(tenant)-\(kind.lowercased())\(w)"
                var attrs: [String: JSONValue] = ["tenant": ref("Tenant", tenant)]
                if kind == "Secret" { attrs["name"] = .string("s\(w)") }
                entities.append(["uid": uid(kind, id), "attrs": .object(attrs), "parents": []])
                resources.append((kind, id, tenant))
            }
        }
        let actionsFor: [String: [String]] = [
            "Workflow": ["workflow.read", "workflow.update", "workflow.run", "workflow.delete"],
            "Run": ["run.read"], "Secret": ["secret.use", "secret.read", "secret.rotate"],
        ]
        var requests: [JSONValue] = []
        let context: JSONValue = ["source_ip": ["__extn": ["fn": "ip", "arg": "10.1.2.3"]], "time": ["__extn": ["fn": "datetime", "arg": "2026-11-27T10:00:00Z"]]]
        for i in 0..<requestCount {
            let p = principals[Int(rng.next() % UInt64(principals.count))]
            let choice = rng.next() % 10
            let principal = uid(p.0, p.1)
            if choice == 0 {
                let node = nodeTypes[Int(rng.next() % UInt64(nodeTypes.count))].0
                requests.append(["principal": principal, "action": uid("Action", "node.execute"), "resource": uid("NodeType", node), "context": context])
            } else if choice == 1 {
                let role = DefaultPolicies.roles[i % DefaultPolicies.roles.count]
                requests.append(["principal": principal, "action": uid("Action", "role.grant"), "resource": uid("Role", role), "context": context])
            } else if choice == 2 {
                requests.append(["principal": principal, "action": uid("Action", "workflow.create"), "resource": uid("Tenant", p.2), "context": context])
            } else {
                // Mostly the principal's own tenant; one in ten crosses tenants (denied by the forbid).
                let crossTenant = rng.next() % 10 == 0
                let candidates = resources.filter { crossTenant ? $0.2 != p.2 : $0.2 == p.2 }
                let r = candidates[Int(rng.next() % UInt64(max(1, candidates.count)))]
                let actions = actionsFor[r.0] ?? ["workflow.read"]
                let action = actions[Int(rng.next() % UInt64(actions.count))]
                requests.append(["principal": principal, "action": uid("Action", action), "resource": uid(r.0, r.1), "context": context])
            }
        }
        return Generated(entities: .array(entities), requests: requests)
    }
}

