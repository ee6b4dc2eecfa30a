import FlowgateTesting
import Foundation
import JSON
import Testing

/// Issue 3 over the real binary: a tenant admin's forbid refuses runs from outside an address
/// range (403, audited with the policy's id), the simulator explains the same decision, bad
/// policies are refused with their position and change nothing, and quotas answer 429.
@Suite(.serialized) struct PolicyEndToEndTests {
    @Test func tenantPoliciesDecideRunsAndAreExplained() async throws {
        let dir = try TestEnvironment.temporaryDirectory("flowgate-policy-e2e")
        defer { try? FileManager.default.removeItem(at: dir) }
        let server = try await ServerProcess.start(dataDirectory: dir.path, environment: ["FLOWGATE_BOOTSTRAP_TOKEN": "fgp_policy_e2e_bootstrap_token_0123456789"])
        defer { server.process.terminate() }
        let admin = APIClient(baseURL: server.baseURL, token: "fgp_policy_e2e_bootstrap_token_0123456789")
        #expect(try await admin.post("/api/v1/tenants", ["slug": "acme", "name": "Acme"]).status == 201)
        let tenantAdminToken = try await admin.post("/api/v1/tenants/acme/tokens", ["name": "ta", "role": "admin"]).json
        let tenantAdmin = admin.with(token: tenantAdminToken["token"]?.stringValue)
        let operatorToken = try await tenantAdmin.post("/api/v1/tenants/acme/tokens", ["name": "op", "role": "operator"]).json
        let op = admin.with(token: operatorToken["token"]?.stringValue)
        let workflow = try await tenantAdmin.post("/api/v1/tenants/acme/workflows", [
            "name": "w", "definition": ["nodes": [["id": "a", "type": "core.noop"]], "edges": []],
        ]).json
        let runs = "/api/v1/tenants/acme/workflows/\(workflow["id"]?.stringValue ?? "")/runs"
        #expect(try await op.post(runs, ["input": [:]]).status == 201)

        // A policy that does not validate is refused with its position; nothing changes.
        let bad = try await tenantAdmin.post("/api/v1/tenants/acme/policies", [
            "id": "broken", "text": "forbid (principal, action == Action::\"workflow.run\", resource)\nunless { context.source_ip.isInRange(ip(\"10.0.0.0/8\")) && principal.shoe_size > 3 };",
        ])
        #expect(bad.status == 422)
        #expect(bad.json["errors"]?[0]?["line"] == 1)
        #expect(bad.json["errors"]?[0]?["column"] == 1)
        let unparsable = try await tenantAdmin.post("/api/v1/tenants/acme/policies", ["id": "broken", "text": "forbid (principal,\n action resource);"])
        #expect(unparsable.status == 422)
        #expect(unparsable.json["errors"]?[0]?["line"] == 2)
        #expect(try await tenantAdmin.get("/api/v1/tenants/acme/policies").json["items"] == [])
        #expect(try await op.post(runs, ["input": [:]]).status == 201)

        // The forbid: runs only from 10.0.0.0/8. The test talks over loopback, so it is outside.
        let vpn = "@id(\"no-runs-outside-vpn\")\nforbid (principal, action == Action::\"workflow.run\", resource)\nunless { context.source_ip.isInRange(ip(\"10.0.0.0/8\")) };"
        let created = try await tenantAdmin.post("/api/v1/tenants/acme/policies", ["id": "no-runs-outside-vpn", "text": .string(vpn)])
        #expect(created.status == 201)
        #expect(created.json["version"] == 1)
        // Operators cannot change policies.
        #expect(try await op.post("/api/v1/tenants/acme/policies", ["id": "x", "text": "permit(principal, action, resource);"]).status == 403)

        let refused = try await op.post(runs, ["input": [:]])
        #expect(refused.status == 403)
        let audit = try await tenantAdmin.get("/api/v1/tenants/acme/audit?action=workflow.run&outcome=denied").json["items"]?.arrayValue ?? []
        #expect(audit.count == 1)
        #expect(audit.first?["reasons"] == ["no-runs-outside-vpn"])
        #expect(audit.first?["decision"] == "deny")

        // The simulator explains the same decision, and the one from inside the range.
        let simulated = try await tenantAdmin.post("/api/v1/tenants/acme/authorize", [
            "principal": ["type": "ApiToken", "id": operatorToken["id"] ?? .null], "action": "workflow.run",
            "resource": ["type": "Workflow", "id": workflow["id"] ?? .null], "context": ["source_ip": "192.0.2.7"],
        ]).json
        #expect(simulated["decision"] == "deny")
        #expect(simulated["determining"] == ["no-runs-outside-vpn"])
        #expect(simulated["errors"] == [])
        #expect(simulated["not_applicable"]?.arrayValue?.contains("role-viewer") == true)
        let inside = try await tenantAdmin.post("/api/v1/tenants/acme/authorize", [
            "principal": ["type": "ApiToken", "id": operatorToken["id"] ?? .null], "action": "workflow.run",
            "resource": ["type": "Workflow", "id": workflow["id"] ?? .null], "context": ["source_ip": "10.20.30.40"],
        ]).json
        #expect(inside["decision"] == "allow")
        #expect(inside["determining"] == ["role-operator"])

        // A new version that also admits loopback lets runs through again; versions are kept.
        let widened = try await tenantAdmin.put("/api/v1/tenants/acme/policies/no-runs-outside-vpn", [
            "text": .string(vpn.replacingOccurrences(of: "ip(\"10.0.0.0/8\")) }", with: "ip(\"10.0.0.0/8\")) || context.source_ip.isLoopback() }")),
        ])
        #expect(widened.json["version"] == 2)
        #expect(try await op.post(runs, ["input": [:]]).status == 201)
        #expect(try await tenantAdmin.get("/api/v1/tenants/acme/policies/no-runs-outside-vpn").json["versions"]?.arrayValue?.count == 2)
        #expect(try await tenantAdmin.delete("/api/v1/tenants/acme/policies/no-runs-outside-vpn").status == 204)
        #expect(try await tenantAdmin.get("/api/v1/tenants/acme/policies/no-runs-outside-vpn").status == 404)

        // Quotas: a tight per-principal limit gives 429 with the headers, for the operator only.
        #expect(try await admin.put("/api/v1/tenants/acme/quotas", ["principal_requests_per_second": 1, "principal_burst": 1]).status == 200)
        // Sent at once, so that a slow machine cannot refill the bucket between them.
        let answers = try await withThrowingTaskGroup(of: APIResponse.self) { group in
            for _ in 0..<8 { group.addTask { try await op.get("/api/v1/tenants/acme/workflows") } }
            var all: [APIResponse] = []
            for try await answer in group { all.append(answer) }
            return all
        }
        let throttled = try #require(answers.first { $0.status == 429 })
        #expect(answers.allSatisfy { $0.status == 200 || $0.status == 429 })
        #expect(throttled.header("retry-after") != nil)
        #expect(throttled.header("ratelimit-limit") == "1")
        #expect(throttled.header("ratelimit-remaining") == "0")
        #expect(throttled.header("ratelimit-reset") != nil)
        #expect(await server.stop() == 0)
    }

    @Test func theCLIMirrorsTheReferenceCedarCLI() async throws {
        let dir = try TestEnvironment.temporaryDirectory("flowgate-policy-cli")
        defer { try? FileManager.default.removeItem(at: dir) }
        func write(_ name: String, _ text: String) throws -> String {
            let path = dir.appendingPathComponent(name).path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let schema = try write("s.cedarschema", "entity User; entity Doc { owner: User }; action view appliesTo { principal: [User], resource: [Doc] };")
        let good = try write("good.cedar", "permit (principal, action == Action::\"view\", resource) when { resource.owner == principal };")
        let bad = try write("bad.cedar", "permit (principal, action == Action::\"view\", resource) when { resource.title == \"x\" };")
        let ok = try await ServerProcess.run(["policy", "validate", "--schema", schema, "--policies", good])
        #expect(ok.status == 0, "\(ok.output)")
        let invalid = try await ServerProcess.run(["policy", "validate", "--schema", schema, "--policies", bad])
        #expect(invalid.status == 1)
        #expect(invalid.output.contains("title"))

        let entities = try write("e.json", #"[{"uid":{"type":"User","id":"ann"},"attrs":{},"parents":[]},{"uid":{"type":"Doc","id":"d1"},"attrs":{"owner":{"__entity":{"type":"User","id":"ann"}}},"parents":[]}]"#)
        let requests = try write("r.json", #"[{"principal":{"type":"User","id":"ann"},"action":{"type":"Action","id":"view"},"resource":{"type":"Doc","id":"d1"},"context":{}},{"principal":{"type":"User","id":"bob"},"action":{"type":"Action","id":"view"},"resource":{"type":"Doc","id":"d1"},"context":{}}]"#)
        let decided = try await ServerProcess.run(["policy", "authorize", "--policies", good, "--entities", entities, "--schema", schema, "--request-json", requests])
        #expect(decided.status == 0, "\(decided.output)")
        let lines = decided.output.split(separator: "\n").compactMap { try? JSONValue.parse(String($0)) }
        #expect(lines == [["decision": "allow", "reason": ["policy0"], "errors": []], ["decision": "deny", "reason": [], "errors": []]])

        let folder = dir.appendingPathComponent("tenant-policies")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try "forbid (principal, action == Action::\"workflow.run\", resource) unless { context.source_ip.isLoopback() };"
            .write(to: folder.appendingPathComponent("loopback-only.cedar"), atomically: true, encoding: .utf8)
        #expect(try await ServerProcess.run(["policy", "check", folder.path]).status == 0)
        try "permit (principal, action == Action::\"workflow.run\", resource) when { principal.favourite_colour == \"red\" };"
            .write(to: folder.appendingPathComponent("colour.cedar"), atomically: true, encoding: .utf8)
        let check = try await ServerProcess.run(["policy", "check", folder.path])
        #expect(check.status == 1)
        #expect(check.output.contains("FAIL  colour.cedar:1:1"))
    }
}
