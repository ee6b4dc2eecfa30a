import FlowgateTesting
import Foundation
import Gateway
import JSON
import Logging
import Store
import Testing

/// The real binary over real HTTP: two tenants, roles, a workflow run, isolation on every
/// route in both directions, and tamper detection by `flowgate audit verify`.
@Suite(.serialized) struct EndToEndTests {
    struct Tenant {
        var slug: String
        var owner: APIClient
        var ids: [String: String] = [:]
    }

    static let definition: JSONValue = [
        "nodes": [
            ["id": "a", "type": "core.set", "config": ["fields": ["k": "v", "n": 2]]],
            ["id": "b", "type": "core.noop", "config": [:]],
        ],
        "edges": [["from": "a.out", "to": "b.in"]],
    ]

    /// Creates a tenant with an owner token and one of everything, remembering the ids.
    static func populate(_ admin: APIClient, slug: String) async throws -> Tenant {
        let created = try await admin.post("/api/v1/tenants", ["slug": .string(slug), "name": .string(slug.capitalized)])
        #expect(created.status == 201)
        #expect(created.json["slug"] == .string(slug))
        let ownerToken = try await admin.post("/api/v1/tenants/\(slug)/tokens", ["name": "owner", "role": "owner"])
        #expect(ownerToken.status == 201)
        let owner = admin.with(token: ownerToken.json["token"]?.stringValue)
        var tenant = Tenant(slug: slug, owner: owner)
        tenant.ids["token"] = ownerToken.json["id"]?.stringValue
        let p = "/api/v1/tenants/\(slug)"
        let user = try await owner.post("\(p)/users", ["user_name": "ann", "email": .string("ann@\(slug).example")])
        #expect(user.status == 201)
        tenant.ids["user"] = user.json["id"]?.stringValue
        let group = try await owner.post("\(p)/groups", ["name": "ops", "members": [.string(tenant.ids["user"] ?? "")]])
        #expect(group.status == 201)
        tenant.ids["group"] = group.json["id"]?.stringValue
        let binding = try await owner.post("\(p)/role-bindings", ["subject_type": "group", "subject_id": .string(tenant.ids["group"] ?? ""), "role": "operator"])
        #expect(binding.status == 201)
        tenant.ids["binding"] = binding.json["id"]?.stringValue
        let workflow = try await owner.post("\(p)/workflows", ["name": "pipeline", "definition": definition])
        #expect(workflow.status == 201)
        #expect(workflow.json["version"] == 1)
        tenant.ids["workflow"] = workflow.json["id"]?.stringValue
        let run = try await owner.post("\(p)/workflows/\(tenant.ids["workflow"] ?? "")/runs", ["input": ["x": 1]])
        #expect(run.status == 201)
        tenant.ids["run"] = run.json["id"]?.stringValue
        let secret = try await owner.post("\(p)/secrets", ["name": "db_password", "value": .string("pw-\(slug)-0123456789")])
        #expect(secret.status == 201)
        tenant.ids["secret"] = secret.json["id"]?.stringValue
        // Policy ids are names chosen by the tenant; each tenant uses its own here so that one's
        // path with the other's id names nothing.
        let policy = try await owner.post("\(p)/policies", ["id": .string("quiet-policy-\(slug)"), "text": "forbid (principal, action == Action::\"secret.rotate\", resource) when { context.source_ip.isMulticast() };"])
        #expect(policy.status == 201)
        tenant.ids["policy"] = "quiet-policy-\(slug)"
        let scimToken = try await owner.post("\(p)/scim-tokens", ["name": "idp"])
        #expect(scimToken.status == 201)
        tenant.ids["scimtoken"] = scimToken.json["id"]?.stringValue
        return tenant
    }

    /// A request body each route accepts, so that a 404 cannot come from a bad body.
    static func body(for method: String, path: String) -> JSONValue? {
        if method == "PUT", path.contains("/policies/") { return ["text": "permit (principal, action, resource);"] }
        if method == "PUT", path.contains("/secrets/") { return ["value": "overwritten-value"] }
        if method == "POST", path.contains("/scim-tokens/") { return ["overlap_seconds": 0] }
        switch (method, path.split(separator: "/").last.map(String.init) ?? "") {
        case ("POST", "users"): return ["user_name": "mallory"]
        case ("PATCH", "{id}") where path.contains("/users/"): return ["display_name": "pwned"]
        case ("POST", "groups"): return ["name": "evil"]
        case ("PATCH", "{id}") where path.contains("/groups/"): return ["name": "evil"]
        case ("POST", "role-bindings"): return ["subject_type": "user", "subject_id": "x", "role": "viewer"]
        case ("POST", "tokens"): return ["name": "stolen", "role": "viewer"]
        case ("POST", "workflows"), ("PUT", "{id}"): return ["name": "evil", "definition": definition]
        case ("POST", "runs"): return ["input": [:]]
        case ("PATCH", "{tenant}"): return ["name": "evil"]
        case ("POST", "rotate"): return ["value": "rotated-value"]
        case ("POST", "policies"): return ["id": "evil", "text": "permit (principal, action, resource);"]
        case ("POST", "secrets"): return ["name": "evil", "value": "evil-value"]
        case ("POST", "authorize"): return ["principal": ["type": "ApiToken", "id": "x"], "action": "workflow.read", "resource": ["type": "Workflow", "id": "x"]]
        case ("PUT", "quotas"): return ["max_queued_runs": 1]
        case ("PUT", "group-roles"): return ["mappings": ["Admins": "viewer"]]
        case ("POST", "scim-tokens"): return ["name": "stolen"]
        default: return method == "GET" || method == "DELETE" ? nil : [:]
        }
    }

    /// Every tenant route of the OpenAPI document (which a gateway test proves equal to the
    /// routes served), with its parameters filled from `target`'s real ids.
    static func tenantRoutes(target: Tenant, pathTenant: String, onlyWithIDs: Bool = false) throws -> [(method: String, path: String, body: JSONValue?)] {
        let document = try JSONValue.parse(OpenAPIDocument.bytes)
        var routes: [(String, String, JSONValue?)] = []
        for (template, item) in document["paths"]?.objectValue ?? [:] where template.hasPrefix("/api/v1/tenants/{tenant}") {
            if onlyWithIDs, !template.contains("{id}"), !template.contains("{run}") { continue }
            for method in (item.objectValue ?? [:]).keys where method != "parameters" {
                var path = template.replacingOccurrences(of: "{tenant}", with: pathTenant)
                let kind: String
                if template.contains("/users/") { kind = "user" }
                else if template.contains("/groups/") { kind = "group" }
                else if template.contains("/role-bindings/") { kind = "binding" }
                else if template.contains("/tokens/") { kind = "token" }
                else if template.contains("/policies/") { kind = "policy" }
                else if template.contains("/secrets/") { kind = "secret" }
                else if template.contains("/scim-tokens/") { kind = "scimtoken" }
                else { kind = "workflow" }
                path = path.replacingOccurrences(of: "{id}", with: target.ids[kind] ?? "")
                path = path.replacingOccurrences(of: "{run}", with: target.ids["run"] ?? "")
                path = path.replacingOccurrences(of: "{version}", with: "1")
                routes.append((method.uppercased(), path, body(for: method.uppercased(), path: template)))
            }
        }
        return routes.sorted { ($0.1, $0.0) < ($1.1, $1.0) }
    }

    @Test(arguments: TestBackend.all)
    func tenantsRolesRunsIsolationAndAudit(backend: TestBackend) async throws {
        let dir = try TestEnvironment.temporaryDirectory("flowgate-e2e")
        defer { try? FileManager.default.removeItem(at: dir) }
        var logger = Logger(label: "e2e")
        logger.logLevel = .warning
        var databaseURL: String?
        if backend.isPostgres {
            guard let admin = ProcessInfo.processInfo.environment["FLOWGATE_TEST_POSTGRES_URL"] else {
                throw TestSetupError("PostgreSQL is required but FLOWGATE_TEST_POSTGRES_URL is not set")
            }
            databaseURL = try await backend.createPostgresDatabase(adminURL: admin, logger: logger).url
        }
        let server = try await ServerProcess.start(dataDirectory: dir.path, databaseURL: databaseURL)
        var stopped = false
        defer { if !stopped { server.process.terminate() } }

        // The generated bootstrap token is written once, mode 0600, and works.
        let tokenFile = dir.appendingPathComponent("bootstrap-token").path
        let attributes = try FileManager.default.attributesOfItem(atPath: tokenFile)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let bootstrap = try String(contentsOfFile: tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(bootstrap.hasPrefix("fgp_"))
        #expect(server.outputText.contains(bootstrap))
        let admin = APIClient(baseURL: server.baseURL, token: bootstrap)

        let a = try await Self.populate(admin, slug: "alpha")
        let b = try await Self.populate(admin, slug: "beta")

        // The run finishes with the outputs and events the contract names.
        let run = try await a.owner.waitForRun("/api/v1/tenants/alpha/runs/\(a.ids["run"] ?? "")")
        #expect(run["status"] == "succeeded")
        #expect(run["nodes"]?["a"]?["output"] == ["x": 1, "k": "v", "n": 2])
        #expect(run["nodes"]?["b"]?["status"] == "succeeded")
        #expect(run["nodes"]?["b"]?["output"] == ["x": 1, "k": "v", "n": 2])
        let events = try await a.owner.get("/api/v1/tenants/alpha/runs/\(a.ids["run"] ?? "")/events").json["events"]?.arrayValue ?? []
        #expect(events.compactMap { $0["type"]?.stringValue } == [
            "RunCreated", "RunStarted", "StepStarted", "StepSucceeded", "StepStarted", "StepSucceeded", "RunSucceeded",
        ])
        #expect(events.compactMap { $0["seq"]?.intValue } == Array(1...7))

        // Idempotency-Key: the same key gives the same run.
        let wf = "/api/v1/tenants/alpha/workflows/\(a.ids["workflow"] ?? "")"
        let first = try await a.owner.post("\(wf)/runs", ["input": [:]], headers: [("Idempotency-Key", "nightly-1")])
        let second = try await a.owner.post("\(wf)/runs", ["input": [:]], headers: [("Idempotency-Key", "nightly-1")])
        #expect(first.status == 201)
        #expect(second.status == 200)
        #expect(first.json["id"] == second.json["id"])

        // A new version on PUT; versions are listed.
        let put = try await a.owner.put(wf, ["definition": Self.definition, "name": "pipeline v2"])
        #expect(put.json["version"] == 2)
        #expect(try await a.owner.get("\(wf)/versions").json["items"]?.arrayValue?.count == 2)

        // Roles: a viewer reads but cannot create or run; an operator runs but cannot edit.
        let viewerToken = try await a.owner.post("/api/v1/tenants/alpha/tokens", ["name": "v", "role": "viewer"]).json["token"]?.stringValue
        let viewer = a.owner.with(token: viewerToken)
        #expect(try await viewer.get(wf).status == 200)
        #expect(try await viewer.post("/api/v1/tenants/alpha/workflows", ["name": "x", "definition": Self.definition]).status == 403)
        #expect(try await viewer.post("\(wf)/runs", ["input": [:]]).status == 403)
        #expect(try await viewer.put(wf, ["definition": Self.definition]).status == 403)
        #expect(try await viewer.post("/api/v1/tenants/alpha/tokens", ["name": "x", "role": "viewer"]).status == 403)
        let operatorToken = try await a.owner.post("/api/v1/tenants/alpha/tokens", ["name": "o", "role": "operator"]).json["token"]?.stringValue
        let op = a.owner.with(token: operatorToken)
        #expect(try await op.post("\(wf)/runs", ["input": [:]]).status == 201)
        #expect(try await op.delete(wf).status == 403)
        // Tenant owners are not platform admins.
        #expect(try await a.owner.post("/api/v1/tenants", ["slug": "gamma", "name": "G"]).status == 403)
        #expect(try await a.owner.get("/api/v1/tenants").status == 403)
        // An admin cannot mint an owner token.
        let adminToken = try await a.owner.post("/api/v1/tenants/alpha/tokens", ["name": "ad", "role": "admin"]).json["token"]?.stringValue
        #expect(try await a.owner.with(token: adminToken).post("/api/v1/tenants/alpha/tokens", ["name": "x", "role": "owner"]).status == 403)

        // Isolation: every tenant route, both directions, answers 404 - by the other tenant's
        // path, and by one's own path with the other tenant's ids.
        var checked = 0
        for (actor, victim) in [(a, b), (b, a)] {
            // By the other tenant's path (every route), and by one's own path with the other
            // tenant's ids (every route that takes an id).
            for route in try Self.tenantRoutes(target: victim, pathTenant: victim.slug)
                + Self.tenantRoutes(target: victim, pathTenant: actor.slug, onlyWithIDs: true) {
                let response = try await actor.owner.send(.init(rawValue: route.method), route.path, json: route.body)
                #expect(response.status == 404, "\(actor.slug) \(route.method) \(route.path) -> \(response.status) \(response.text)")
                checked += 1
            }
        }
        #expect(checked > 60)
        // Nothing of the victim changed.
        #expect(try await b.owner.get("/api/v1/tenants/beta/users/\(b.ids["user"] ?? "")").json["display_name"] == .null)
        #expect(try await b.owner.get("/api/v1/tenants/beta/workflows/\(b.ids["workflow"] ?? "")").json["version"] == 1)
        #expect(try await b.owner.get("/api/v1/tenants/beta").json["name"] == "Beta")
        #expect(try await b.owner.get("/api/v1/tenants/beta/groups/\(b.ids["group"] ?? "")").status == 200)
        #expect(try await b.owner.get("/api/v1/tenants/beta/secrets/\(b.ids["secret"] ?? "")").json["version"] == 1)
        #expect(try await b.owner.get("/api/v1/tenants/beta/policies/quiet-policy-beta").json["version"] == 1)
        // The attempts are in the actor's own audit chain, refused for tenant isolation.
        let auditA = try await a.owner.get("/api/v1/tenants/alpha/audit?outcome=not_found&limit=1000").json["items"]?.arrayValue ?? []
        #expect(auditA.contains { $0["reasons"] == ["tenant-isolation"] && $0["resource"] == #"Tenant::"beta""# })
        let allA = try await a.owner.get("/api/v1/tenants/alpha/audit?limit=1000").json["items"]?.arrayValue ?? []
        #expect(allA.contains { $0["action"] == "workflow.run" && $0["decision"] == "deny" && $0["outcome"] == "denied" })
        #expect(allA.contains { $0["action"] == "run.complete" && $0["outcome"] == "succeeded" })
        #expect(!allA.contains { $0.serialized().contains(viewerToken ?? "never") })

        // Clean shutdown on SIGTERM.
        #expect(await server.stop() == 0)
        stopped = true

        // Tamper detection.
        let dbArgs = databaseURL.map { ["--database-url", $0] } ?? ["--data-dir", dir.path]
        let intact = try await ServerProcess.run(["audit", "verify"] + dbArgs)
        #expect(intact.status == 0, "\(intact.output)")
        #expect(intact.output.contains("intact"))
        let configuration: StoreConfiguration = databaseURL.map { .postgres(url: $0) } ?? .sqlite(path: dir.appendingPathComponent("flowgate.sqlite").path)
        let tenantA = try #require(try await Store.withOpened(configuration, logger: logger) { store in
            try await store.read { try await TenantRepository($0).resolve("alpha") }
        })
        try await Store.withOpened(configuration, logger: logger) { store in
            try await store.write { db in
                try await db.execute("UPDATE audit_log SET action = 'nothing.happened' WHERE tenant_id = \(tenantA.id.rawValue) AND seq = 5")
            }
        }
        let broken = try await ServerProcess.run(["audit", "verify"] + dbArgs)
        #expect(broken.status != 0)
        #expect(broken.output.contains("tenant \(tenantA.id.rawValue) entry 5"), "\(broken.output)")
    }
}
