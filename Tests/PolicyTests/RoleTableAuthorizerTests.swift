import Policy
import Testing

@Suite struct RoleTableAuthorizerTests {
    let authorizer = RoleTableAuthorizer()

    func principal(_ roles: Set<String>, tenant: String? = "t1", admin: Bool = false) -> PrincipalInfo {
        PrincipalInfo(entity: EntityRef("ApiToken", "x"), tenant: tenant, roles: roles, isPlatformAdmin: admin)
    }

    func decide(_ p: PrincipalInfo, _ action: String, _ resource: EntityRef = EntityRef("Workflow", "w"), tenant: String? = "t1") -> Decision {
        authorizer.authorize(AuthorizationRequest(principal: p, action: action, resource: ResourceInfo(entity: resource, tenant: tenant)))
    }

    @Test func rolesGrantWhatTheTableSays() {
        #expect(decide(principal(["viewer"]), "workflow.read").isAllowed)
        #expect(!decide(principal(["viewer"]), "workflow.create").isAllowed)
        #expect(!decide(principal(["viewer"]), "workflow.run").isAllowed)
        #expect(decide(principal(["operator"]), "workflow.run").isAllowed)
        #expect(!decide(principal(["operator"]), "workflow.update").isAllowed)
        #expect(decide(principal(["editor"]), "workflow.create").isAllowed)
        #expect(!decide(principal(["editor"]), "audit.read").isAllowed)
        #expect(decide(principal(["auditor"]), "audit.read").isAllowed)
        #expect(!decide(principal(["auditor"]), "token.create").isAllowed)
        #expect(decide(principal(["admin"]), "token.create").isAllowed)
        #expect(!decide(principal(["admin"]), "tenant.update").isAllowed)
        #expect(decide(principal(["owner"]), "tenant.update").isAllowed)
        #expect(!decide(principal([]), "workflow.read").isAllowed)
    }

    @Test func reasonsNameTheGrantingRole() {
        #expect(decide(principal(["editor"]), "workflow.read").reasons == ["role:editor"])
    }

    @Test func otherTenantsAreDeniedWhateverTheRole() {
        let d = decide(principal(["owner"]), "workflow.read", tenant: "t2")
        #expect(!d.isAllowed)
        #expect(d.reasons == ["tenant-isolation"])
        #expect(!decide(principal(["owner"]), "tenant.create", EntityRef("Platform", "flowgate"), tenant: nil).isAllowed)
    }

    @Test func platformAdminsMayDoAnything() {
        #expect(decide(principal([], tenant: nil, admin: true), "tenant.create", EntityRef("Platform", "flowgate"), tenant: nil).isAllowed)
    }

    @Test func nobodyGrantsAboveTheirOwnRank() {
        #expect(decide(principal(["admin"]), "role.grant", EntityRef("Role", "editor")).isAllowed)
        #expect(decide(principal(["admin"]), "role.grant", EntityRef("Role", "admin")).isAllowed)
        #expect(!decide(principal(["admin"]), "role.grant", EntityRef("Role", "owner")).isAllowed)
        #expect(decide(principal(["owner"]), "role.grant", EntityRef("Role", "owner")).isAllowed)
        #expect(!decide(principal(["editor"]), "role.grant", EntityRef("Role", "viewer")).isAllowed)
        #expect(!decide(principal(["admin"]), "role.grant", EntityRef("Role", "superuser")).isAllowed)
    }
}
