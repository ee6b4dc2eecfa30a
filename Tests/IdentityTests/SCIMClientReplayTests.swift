import FlowgateTesting
import JSON
import Store
import Testing

@testable import Identity

/// The request sequences Okta and Microsoft Entra ID send, replayed as the JSON bodies and
/// query strings they use, with the resulting resources checked after each step.
@Suite struct SCIMClientReplayTests {
    /// `{{name}}` placeholders in a recorded body replaced by ids known at run time.
    static func body(_ text: String, _ values: [String: String] = [:]) throws -> JSONValue {
        var text = text
        for (key, value) in values { text = text.replacingOccurrences(of: "{{\(key)}}", with: value) }
        return try json(text)
    }

    static func query(_ items: [(String, String)]) throws -> SCIMListQuery { try SCIMListQuery(parameters: items) }

    @Test(arguments: TestBackend.all)
    func okta(backend: TestBackend) async throws {
        try await backend.withStore { store in
            let tenant = try await makeTenant(store, "okta-tenant")
            // 1. Does the user exist?
            let lookup = try Self.query([("filter", #"userName eq "test.user@okta.local""#), ("startIndex", "1"), ("count", "100")])
            #expect(try await store.scim(tenant) { try await $0.list(.users, lookup) }.totalResults == 0)
            // 2. Create.
            let created = try await store.scim(tenant) {
                try await $0.create(.users, try Self.body(#"""
                {"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"test.user@okta.local",
                 "name":{"givenName":"Test","familyName":"User"},
                 "emails":[{"primary":true,"value":"test.user@okta.local","type":"work"}],
                 "displayName":"Test User","locale":"en-US","externalId":"00ujl29u0le5T6Aj10h7","groups":[],
                 "password":"1mz050nq","active":true}
                """#))
            }
            let uid = created.resource.id
            #expect(created.resource.json["externalId"] == "00ujl29u0le5T6Aj10h7")
            #expect(created.resource.json["password"] == nil)
            let found = try await store.scim(tenant) { try await $0.list(.users, lookup) }
            #expect(found.totalResults == 1 && found.resources.first?["id"] == .string(uid))
            // 3. Profile push: a full PUT, echoing id and meta.
            let put = try await store.scim(tenant) {
                try await $0.replace(.users, id: uid, with: try Self.body(#"""
                {"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"{{uid}}","userName":"test.user@okta.local",
                 "name":{"givenName":"Another","familyName":"User"},
                 "emails":[{"primary":true,"value":"test.user@okta.local","type":"work"}],
                 "displayName":"Another User","locale":"en-US","externalId":"00ujl29u0le5T6Aj10h7","groups":[],
                 "active":true,"meta":{"resourceType":"User"}}
                """#, ["uid": uid]))
            }
            #expect(put.changed && put.resource.json["name"]?["givenName"] == "Another")
            // 4. Deactivate, then reactivate (path-less replace).
            let deactivate = try Self.body(#"""
            {"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}
            """#)
            let off = try await store.scim(tenant) { try await $0.patch(.users, id: uid, with: deactivate) }
            #expect(off.resource.json["active"] == false && off.changes.deactivatedUserIDs == [uid])
            let offAgain = try await store.scim(tenant) { try await $0.patch(.users, id: uid, with: deactivate) }
            #expect(!offAgain.changed && offAgain.changes.usersToRevoke.isEmpty, "a repeat is idempotent")
            // Okta also deactivates by PUT.
            let putReactivate = try await store.scim(tenant) {
                try await $0.replace(.users, id: uid, with: try Self.body(#"""
                {"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"{{uid}}","userName":"test.user@okta.local","active":true}
                """#, ["uid": uid]))
            }
            #expect(putReactivate.changes.reactivatedUserIDs == [uid])
            let putDeactivate = try await store.scim(tenant) {
                try await $0.replace(.users, id: uid, with: try Self.body(#"""
                {"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"{{uid}}","userName":"test.user@okta.local","active":false}
                """#, ["uid": uid]))
            }
            #expect(putDeactivate.changes.deactivatedUserIDs == [uid])
            let second = try await store.scim(tenant) {
                try await $0.create(.users, try Self.body(#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"second@okta.local","active":true}"#))
            }.resource.id

            // Groups: look up, create, rename, add and remove members.
            let groupLookup = try Self.query([("filter", #"displayName eq "Test SCIMv2""#), ("startIndex", "1"), ("count", "100")])
            #expect(try await store.scim(tenant) { try await $0.list(.groups, groupLookup) }.totalResults == 0)
            let group = try await store.scim(tenant) {
                try await $0.create(.groups, try Self.body(#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Test SCIMv2","members":[]}"#))
            }
            let gid = group.resource.id
            #expect(group.resource.json["members"] == nil)
            let renamed = try await store.scim(tenant) {
                try await $0.patch(.groups, id: gid, with: try Self.body(#"""
                {"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                 "Operations":[{"op":"replace","value":{"id":"{{gid}}","displayName":"Test SCIMv2 renamed"}}]}
                """#, ["gid": gid]))
            }
            #expect(renamed.resource.json["displayName"] == "Test SCIMv2 renamed")
            let added = try await store.scim(tenant) {
                try await $0.patch(.groups, id: gid, with: try Self.body(#"""
                {"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                 "Operations":[{"op":"add","path":"members","value":[{"value":"{{uid}}","display":"test.user@okta.local"},{"value":"{{second}}","display":"second@okta.local"}]}]}
                """#, ["uid": uid, "second": second]))
            }
            #expect(Set(added.resource.json["members"]?.arrayValue?.compactMap { $0["value"]?.stringValue } ?? []) == [uid, second])
            #expect(try await store.scim(tenant) { try await $0.groupIDs(ofUser: uid) } == [gid])
            let removed = try await store.scim(tenant) {
                try await $0.patch(.groups, id: gid, with: try Self.body(#"""
                {"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"{{uid}}\"]"}]}
                """#, ["uid": uid]))
            }
            #expect(removed.resource.json["members"]?.arrayValue?.map { $0["value"] } == [.string(second)])
            #expect(removed.changes.membershipChanges == [SCIMMembershipChange(groupID: gid, addedUserIDs: [], removedUserIDs: [uid])])
            // Okta's "push now" sends the full member list as a replace.
            let replaced = try await store.scim(tenant) {
                try await $0.patch(.groups, id: gid, with: try Self.body(#"""
                {"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"members","value":[{"value":"{{uid}}"}]}]}
                """#, ["uid": uid]))
            }
            #expect(replaced.changes.membershipChanges == [SCIMMembershipChange(groupID: gid, addedUserIDs: [uid], removedUserIDs: [second])])
            // Okta reads a group without its members.
            let slim = try await store.scim(tenant) {
                try await $0.get(.groups, id: gid, projection: try SCIMProjection(attributes: [], excludedAttributes: ["members"], for: .group))
            }
            #expect(slim.projected(try SCIMProjection(attributes: [], excludedAttributes: ["members"], for: .group))["members"] == nil)
            let deleted = try await store.scim(tenant) { try await $0.delete(.groups, id: gid) }
            #expect(deleted.usersWithChangedGroups == [uid])
        }
    }

    @Test(arguments: TestBackend.all)
    func entra(backend: TestBackend) async throws {
        try await backend.withStore { store in
            let tenant = try await makeTenant(store, "entra-tenant")
            // 1. Matching: by userName, then by externalId.
            for filter in [#"userName eq "Test_User_dfeef4c5-5681-4387-b016-bdf221e82081""#, #"externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef""#] {
                #expect(try await store.scim(tenant) { try await $0.list(.users, try Self.query([("filter", filter)])) }.totalResults == 0)
            }
            let manager = try await store.scim(tenant) {
                try await $0.create(.users, try Self.body(#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"Boss@contoso.com","displayName":"Boss"}"#))
            }.resource.id
            // 2. Create.
            let created = try await store.scim(tenant) {
                try await $0.create(.users, try Self.body(#"""
                {"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
                 "externalId":"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef","userName":"Test_User_dfeef4c5-5681-4387-b016-bdf221e82081",
                 "active":true,
                 "addresses":[{"primary":true,"type":"work","country":"US","formatted":"1 Main St","locality":"Redmond","postalCode":"98052","region":"WA","streetAddress":"1 Main St"}],
                 "displayName":"Test User","emails":[{"primary":true,"type":"work","value":"Test_User_11bb6a2a@testuser.com"}],
                 "meta":{"resourceType":"User"},"name":{"formatted":"Test User","familyName":"User","givenName":"Test"},
                 "phoneNumbers":[{"type":"work","value":"+1 555 0100"},{"type":"mobile","value":"+1 555 0101"}],
                 "roles":[],"title":"Engineer",
                 "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"1234","department":"R&D","manager":{"value":"{{manager}}"}},
                 "urn:ietf:params:scim:schemas:extension:custom:2.0:User":{"worksiteId":"180"}}
                """#, ["manager": manager]))
            }
            let uid = created.resource.id
            #expect(created.resource.json["roles"] == nil, "an empty array is unassigned")
            #expect(created.resource.json["meta"]?["resourceType"] == "User")
            #expect(created.resource.json["urn:ietf:params:scim:schemas:extension:custom:2.0:User"] == ["worksiteId": "180"])
            let byExternal = try await store.scim(tenant) {
                try await $0.list(.users, try Self.query([("filter", #"externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef""#)]))
            }
            #expect(byExternal.resources.first?["id"] == .string(uid))
            // 3. Update: Replace for a single value, Add with a filtered path for the e-mail.
            let updated = try await store.scim(tenant) {
                try await $0.patch(.users, id: uid, with: try Self.body(#"""
                {"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                 "Operations":[{"op":"Replace","path":"title","value":"tester"},
                               {"op":"Add","path":"emails[type eq \"work\"].value","value":"new@contoso.com"},
                               {"op":"Add","path":"phoneNumbers[type eq \"fax\"].value","value":"+1 555 0199"}]}
                """#))
            }
            #expect(updated.resource.json["title"] == "tester")
            #expect(updated.resource.json["emails"] == [["primary": true, "type": "work", "value": "new@contoso.com"]])
            #expect(updated.resource.json["phoneNumbers"]?.arrayValue?.count == 3)
            // 4. Disable, with the Boolean as a string.
            let disabled = try await store.scim(tenant) {
                try await $0.patch(.users, id: uid, with: try Self.body(#"""
                {"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}
                """#))
            }
            #expect(disabled.resource.json["active"] == false && disabled.changes.deactivatedUserIDs == [uid])
            // 5. Several attributes in one path-less replace, with dotted and URN-prefixed keys.
            let multi = try await store.scim(tenant) {
                try await $0.patch(.users, id: uid, with: try Self.body(#"""
                {"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                 "Operations":[{"op":"replace","value":{"displayName":"Pvlo","emails[type eq \"work\"].value":"pvlo@contoso.com",
                   "name.givenName":"Ulia","name.familyName":"Ewjwdk",
                   "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department":"Sales",
                   "active":"True"}}]}
                """#))
            }
            let m = multi.resource.json
            #expect(m["displayName"] == "Pvlo" && m["emails"]?[0]?["value"] == "pvlo@contoso.com")
            #expect(m["name"] == ["formatted": "Test User", "familyName": "Ewjwdk", "givenName": "Ulia"])
            #expect(m[enterprise]?["department"] == "Sales" && m[enterprise]?["employeeNumber"] == "1234")
            #expect(multi.changes.reactivatedUserIDs == [uid])
            // 6. Manager as a bare id, then removed.
            let newManager = try await store.scim(tenant) {
                try await $0.patch(.users, id: uid, with: try Self.body(#"""
                {"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                 "Operations":[{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"{{manager}}"}]}
                """#, ["manager": manager]))
            }
            #expect(newManager.resource.json[enterprise]?["manager"] == ["value": .string(manager)])
            let noManager = try await store.scim(tenant) {
                try await $0.patch(.users, id: uid, with: try Self.body(#"""
                {"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                 "Operations":[{"op":"Remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"{{manager}}"}]}
                """#, ["manager": manager]))
            }
            #expect(noManager.resource.json[enterprise]?["manager"] == nil)
            let byManager = try await store.scim(tenant) {
                try await $0.list(.users, SCIMListQuery(filter: #"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value pr"#))
            }
            #expect(byManager.totalResults == 0)

            // Groups: an extra Microsoft schema URN on create.
            let group = try await store.scim(tenant) {
                try await $0.create(.groups, try Self.body(#"""
                {"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group","http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
                 "externalId":"8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159","displayName":"Group1DisplayName","meta":{"resourceType":"Group"}}
                """#))
            }
            let gid = group.resource.id
            #expect(group.resource.json["schemas"] == ["urn:ietf:params:scim:schemas:core:2.0:Group"])
            let groupLookup = try Self.query([("excludedAttributes", "members"), ("filter", #"displayName eq "Group1DisplayName""#)])
            let looked = try await store.scim(tenant) { try await $0.list(.groups, groupLookup) }
            #expect(looked.resources.first?["id"] == .string(gid) && looked.resources.first?["members"] == nil)
            let added = try await store.scim(tenant) {
                try await $0.patch(.groups, id: gid, with: try Self.body(#"""
                {"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                 "Operations":[{"op":"Add","path":"members","value":[{"value":"{{uid}}"},{"value":"{{manager}}"}]}]}
                """#, ["uid": uid, "manager": manager]))
            }
            #expect(Set(added.changes.usersWithChangedGroups) == [uid, manager])
            // Entra's membership probe.
            let probe = try Self.query([("filter", "id eq \"\(gid)\" and members[value eq \"\(uid)\"]"), ("excludedAttributes", "members")])
            let probed = try await store.scim(tenant) { try await $0.list(.groups, probe) }
            #expect(probed.totalResults == 1 && probed.resources.first?["members"] == nil)
            // Member removal with a value list and a path of "members".
            let removed = try await store.scim(tenant) {
                try await $0.patch(.groups, id: gid, with: try Self.body(#"""
                {"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                 "Operations":[{"op":"Remove","path":"members","value":[{"value":"{{uid}}"}]}]}
                """#, ["uid": uid]))
            }
            #expect(removed.resource.json["members"]?.arrayValue?.map { $0["value"] } == [.string(manager)])
            #expect(try await store.scim(tenant) { try await $0.list(.groups, probe) }.totalResults == 0)
            let renamed = try await store.scim(tenant) {
                try await $0.patch(.groups, id: gid, with: try Self.body(#"""
                {"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"displayName","value":"1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"}]}
                """#))
            }
            #expect(renamed.resource.json["displayName"] == "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName")
            // Deprovisioning deletes the user.
            let deleted = try await store.scim(tenant) { try await $0.delete(.users, id: manager) }
            #expect(deleted.usersToRevoke == [manager] && deleted.membershipChanges.map(\.groupID) == [gid])
            #expect(try await store.scim(tenant) { try await $0.get(.groups, id: gid) }.json["members"] == nil)
        }
    }
}
