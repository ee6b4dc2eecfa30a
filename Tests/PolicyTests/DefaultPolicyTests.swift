import Foundation
import JSON
import Policy
import Testing

/// The built-in schema and policies: they validate, and they decide as the README's role
/// table says.
@Suite struct DefaultPolicyTests {
    let authorizer: FlowgateAuthorizer

    init() throws { authorizer = try FlowgateAuthorizer() }

    func principal(_ roles: Set<String>, tenant: String? = "t1", admin: Bool = false, groups: Set<String> = []) -> PrincipalInfo {
        PrincipalInfo(entity: EntityRef(admin ? "PlatformAdmin" : "ApiToken", "x"), tenant: admin ? nil : tenant, roles: roles,
                      groups: groups, isPlatformAdmin: admin)
    }

    func decide(_ p: PrincipalInfo, _ action: String, _ resource: EntityRef = EntityRef("Workflow", "w"), tenant: String? = "t1",
                attributes: [String: JSONValue] = [:], context: [String: JSONValue] = [:]) -> Decision {
        var ctx: [String: JSONValue] = ["source_ip": "127.0.0.1", "time": "2026-11-27T12:00:00.000Z"]
        ctx.merge(context) { _, new in new }
        return authorizer.authorize(AuthorizationRequest(
            principal: p, action: action, resource: ResourceInfo(entity: resource, tenant: tenant, attributes: attributes), context: ctx
        ))
    }

    @Test func theFilesInPoliciesAreTheEmbeddedOnes() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("policies")
        #expect(try String(contentsOf: folder.appendingPathComponent("flowgate.cedarschema"), encoding: .utf8) == DefaultPolicies.schemaText)
        for file in DefaultPolicies.policyFiles {
            #expect(try String(contentsOf: folder.appendingPathComponent(file.name), encoding: .utf8) == file.text, "\(file.name)")
        }
        let onDisk = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".cedar") }
        #expect(Set(onDisk) == Set(DefaultPolicies.policyFiles.map(\.name)), "run scripts/embed-policies.py after editing policies/")
    }

    @Test func defaultsAndExamplesValidateAgainstTheSchema() throws {
        let schema = try CedarEngine.parseSchema(DefaultPolicies.schemaText)
        #expect(CedarEngine.validate(try CedarEngine.parsePolicies(DefaultPolicies.policyText), schema: schema).isEmpty)
        for example in DefaultPolicies.exampleFiles {
            let issues = CedarEngine.validate(try CedarEngine.parsePolicies(example.text), schema: schema)
            #expect(issues.isEmpty, "\(example.name): \(issues)")
        }
    }

    @Test func repeatedRequestsFollowPolicyChanges() throws {
        // Requests without a time (a run's steps) are decided once per installation: a new
        // installation of the tenant's policies or attributes must decide them anew.
        let request = AuthorizationRequest(
            principal: principal(["editor"]), action: "node.execute",
            resource: ResourceInfo(entity: EntityRef("NodeType", "core.noop"), tenant: "t1", attributes: ["name": "core.noop", "category": "Flow"]),
            context: ["workflow": "w", "run": "r"]
        )
        try authorizer.setTenant("t1", policies: [], attributes: [:], version: 1)
        #expect(authorizer.authorize(request).isAllowed)
        #expect(authorizer.authorize(request).isAllowed)
        let forbid = #"forbid (principal, action == Action::"node.execute", resource is NodeType) when { resource.name == "core.noop" };"#
        try authorizer.check(forbid, id: "no-noop")
        try authorizer.setTenant("t1", policies: [(id: "no-noop", text: forbid)], attributes: [:], version: 2)
        #expect(!authorizer.authorize(request).isAllowed)
        try authorizer.setTenant("t1", policies: [], attributes: [:], version: 3)
        #expect(authorizer.authorize(request).isAllowed)
        try authorizer.setTenant("t1", policies: [], attributes: ["allowed_node_types": ["core.set"]], version: 3)
        #expect(!authorizer.authorize(request).isAllowed, "same revision, new attributes")
        authorizer.forget("t1")
        #expect(authorizer.authorize(request).isAllowed)
    }

    @Test func decisionsDependOnTheTimeWhenAPolicyReadsIt() throws {
        func at(_ time: String) -> Decision { decide(principal(["viewer"]), "workflow.read", context: ["time": .string(time)]) }
        try authorizer.setTenant("t1", policies: [], attributes: [:], version: 1)
        #expect(at("2026-11-27T12:00:00Z").isAllowed)
        #expect(at("2027-01-01T00:00:00Z").isAllowed)
        let freeze = #"forbid (principal, action, resource) when { context.time > datetime("2026-12-31T00:00:00Z") };"#
        try authorizer.setTenant("t1", policies: [(id: "freeze", text: freeze)], attributes: [:], version: 2)
        #expect(at("2026-11-27T12:00:00Z").isAllowed)
        #expect(!at("2027-01-01T00:00:00Z").isAllowed)
        #expect(at("2026-11-27T12:00:01Z").isAllowed)
    }

    @Test func contextReadsAreFoundInConditions() throws {
        func reads(_ condition: String) throws -> Bool {
            try CedarEngine.parsePolicies("permit (principal, action, resource) when { \(condition) };").mayRead(contextAttribute: "time")
        }
        #expect(try reads("context.time > datetime(\"2026-01-01\")"))
        #expect(try reads("context has time"))
        #expect(try reads("principal has tenant && (if true then context else {}) == {}"))
        #expect(try reads("[context].contains({})"))
        #expect(try !reads("context.source_ip.isLoopback()"))
        #expect(try !reads("context has workflow && resource has time"))
        #expect(!(try CedarEngine.parsePolicies(DefaultPolicies.policyText).mayRead(contextAttribute: "time")))
    }

    @Test func rolesGrantWhatTheREADMESays() {
        #expect(decide(principal(["viewer"]), "workflow.read").isAllowed)
        #expect(!decide(principal(["viewer"]), "workflow.create", EntityRef("Tenant", "t1")).isAllowed)
        #expect(!decide(principal(["viewer"]), "workflow.run").isAllowed)
        #expect(decide(principal(["operator"]), "workflow.run").isAllowed)
        #expect(!decide(principal(["operator"]), "workflow.update").isAllowed)
        #expect(decide(principal(["editor"]), "workflow.create", EntityRef("Tenant", "t1")).isAllowed)
        #expect(!decide(principal(["editor"]), "audit.read", EntityRef("Tenant", "t1")).isAllowed)
        #expect(decide(principal(["auditor"]), "audit.read", EntityRef("Tenant", "t1")).isAllowed)
        #expect(!decide(principal(["auditor"]), "token.create", EntityRef("Tenant", "t1")).isAllowed)
        #expect(decide(principal(["admin"]), "token.create", EntityRef("Tenant", "t1")).isAllowed)
        #expect(!decide(principal(["admin"]), "tenant.update", EntityRef("Tenant", "t1")).isAllowed)
        #expect(decide(principal(["owner"]), "tenant.update", EntityRef("Tenant", "t1")).isAllowed)
        #expect(!decide(principal([]), "workflow.read").isAllowed)
        #expect(decide(principal(["viewer"]), "node_type.list", EntityRef("Platform", "flowgate"), tenant: nil).isAllowed)
    }

    @Test func reasonsNameTheDeterminingPolicies() {
        #expect(decide(principal(["editor"]), "workflow.read").reasons == ["role-editor"])
        let denied = decide(principal(["owner"]), "workflow.read", tenant: "t2")
        #expect(!denied.isAllowed)
        #expect(denied.reasons == ["tenant-isolation"])
    }

    @Test func otherTenantsAndThePlatformAreOffLimits() {
        #expect(!decide(principal(["owner"]), "workflow.read", tenant: "t2").isAllowed)
        #expect(!decide(principal(["owner"]), "tenant.read", EntityRef("Tenant", "t2"), tenant: "t2").isAllowed)
        #expect(!decide(principal(["owner"]), "tenant.create", EntityRef("Platform", "flowgate"), tenant: nil).isAllowed)
        #expect(!decide(principal(["owner"]), "quota.update", EntityRef("Tenant", "t1")).isAllowed)
        #expect(!decide(principal(["owner"]), "audit.read", EntityRef("Platform", "flowgate"), tenant: nil).isAllowed)
    }

    @Test func platformAdminsMayDoAnything() {
        let admin = principal([], admin: true)
        #expect(decide(admin, "tenant.create", EntityRef("Platform", "flowgate"), tenant: nil).reasons == ["platform-admin"])
        #expect(decide(admin, "quota.update", EntityRef("Tenant", "t1")).isAllowed)
        #expect(decide(admin, "workflow.run", tenant: "t9").isAllowed)
    }

    @Test func nobodyGrantsAboveTheirOwnRank() {
        #expect(decide(principal(["admin"]), "role.grant", EntityRef("Role", "editor")).isAllowed)
        #expect(decide(principal(["admin"]), "role.grant", EntityRef("Role", "admin")).isAllowed)
        let escalation = decide(principal(["admin"]), "role.grant", EntityRef("Role", "owner"))
        #expect(!escalation.isAllowed && escalation.reasons == ["no-privilege-escalation"])
        #expect(decide(principal(["owner"]), "role.grant", EntityRef("Role", "owner")).isAllowed)
        #expect(!decide(principal(["editor"]), "role.grant", EntityRef("Role", "viewer")).isAllowed)
        #expect(!decide(principal(["admin"]), "role.grant", EntityRef("Role", "superuser")).isAllowed)
    }

    @Test func secretsScopedToWorkflowsStayThere() {
        let scoped: [String: JSONValue] = ["name": "k", "workflows": ["w1"]]
        #expect(decide(principal(["operator"]), "secret.use", EntityRef("Secret", "s"), attributes: scoped, context: ["workflow": "w1"]).isAllowed)
        let other = decide(principal(["operator"]), "secret.use", EntityRef("Secret", "s"), attributes: scoped, context: ["workflow": "w2"])
        #expect(!other.isAllowed && other.reasons == ["secret-workflow-scope"])
        #expect(decide(principal(["operator"]), "secret.use", EntityRef("Secret", "s"), attributes: ["name": "k"], context: ["workflow": "w2"]).isAllowed)
        #expect(!decide(principal(["viewer"]), "secret.use", EntityRef("Secret", "s"), attributes: ["name": "k"]).isAllowed)
    }

    @Test func tenantsCanListTheirConnectorsAndSwitchOffScripts() throws {
        try authorizer.setTenant("t1", policies: [], attributes: ["allowed_node_types": ["http.request", "core.set"], "scripts_allowed": false], version: 1)
        let node = { (name: String, category: String) in
            self.decide(self.principal(["operator"]), "node.execute", EntityRef("NodeType", name), attributes: ["name": .string(name), "category": .string(category)])
        }
        #expect(node("http.request", "Sources").isAllowed)
        #expect(node("sink.influx", "Sinks").reasons == ["connector-allow-list"])
        try authorizer.setTenant("t1", policies: [], attributes: ["scripts_allowed": false], version: 2)
        #expect(node("jq", "Scripts").reasons == ["scripts-can-be-disabled"])
        #expect(node("sink.influx", "Sinks").isAllowed)
    }

    @Test func tenantPoliciesAddToTheDefaultsButCannotOverrideForbids() throws {
        let vpn = try #require(DefaultPolicies.exampleFiles.first { $0.name == "no-runs-outside-vpn.cedar" }?.text)
        try authorizer.check(vpn, id: "no-runs-outside-vpn")
        try authorizer.setTenant("t1", policies: [("no-runs-outside-vpn", vpn), ("everyone-everything", "permit(principal, action, resource);")], attributes: [:], version: 3)
        let outside = decide(principal(["operator"]), "workflow.run", context: ["source_ip": "203.0.113.9"])
        #expect(!outside.isAllowed && outside.reasons == ["no-runs-outside-vpn"])
        #expect(decide(principal(["operator"]), "workflow.run", context: ["source_ip": "10.1.2.3"]).isAllowed)
        // A tenant's own permit-everything still cannot reach another tenant or the platform.
        #expect(decide(principal([]), "workflow.update").reasons == ["everyone-everything"])
        #expect(!decide(principal([]), "workflow.read", tenant: "t2").isAllowed)
        #expect(!decide(principal([]), "quota.update", EntityRef("Tenant", "t1")).isAllowed)
        #expect(!decide(principal(["viewer"]), "role.grant", EntityRef("Role", "owner")).isAllowed)
    }

    @Test func badTenantPoliciesAreRefusedWithTheirPosition() {
        do {
            try authorizer.check("permit(principal, action, resource)\nwhen { principal.nope == 1 };", id: "p1")
            Issue.record("accepted")
        } catch {
            #expect(error.line == 1 && error.column == 1, "\(error)")
        }
        do {
            try authorizer.check("permit(principal,\n  action == Action::\"workflow.run\" resource);", id: "p2")
            Issue.record("accepted")
        } catch {
            #expect(error.line == 2, "\(error)")
        }
        #expect(throws: PolicyError.self) { try authorizer.check("permit(principal, action, resource);", id: "tenant-isolation") }
        #expect(throws: PolicyError.self) { try authorizer.check("permit(principal, action, resource); permit(principal, action, resource);", id: "two") }
        #expect(throws: PolicyError.self) { try authorizer.check("@id(\"other\") permit(principal, action, resource);", id: "mine") }
    }
}
