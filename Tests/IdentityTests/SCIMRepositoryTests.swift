import FlowgateTesting
import JSON
import Store
import Testing

@testable import Identity

/// Create, read, replace, patch and delete through the repository, on SQLite and PostgreSQL.
@Suite struct SCIMRepositoryTests {
    static let patchOp = SCIMSchema.patchOpURN

    static func patchBody(_ operations: String) throws -> JSONValue {
        try json(#"{"schemas":["\#(patchOp)"],"Operations":\#(operations)}"#)
    }

    @Test(arguments: TestBackend.all)
    func createAndGetUser(backend: TestBackend) async throws {
        let clock = ManualClock(1_800_000_000_123)
        try await backend.withStore(clock: clock) { store in
            let tenant = try await makeTenant(store, "acme")
            let body = try json(#"""
            {"schemas":["\#(coreUser)","\#(enterprise)"],"id":"client-chosen","meta":{"resourceType":"User","created":"2000-01-01T00:00:00Z"},
             "userName":"bjensen@example.com","password":"t1meMa$heen","groups":[{"value":"g"}],"nosuch":"dropped",
             "name":{"givenName":"Barbara","familyName":"Jensen","bogus":1},"emails":[{"value":"bjensen@example.com","type":"work","primary":true}],
             "\#(enterprise)":{"employeeNumber":701984,"manager":{"value":"m1","displayName":"read-only"}},
             "urn:example:custom:2.0:User":{"badge":"B-7"}}
            """#)
            let result = try await store.scim(tenant) { try await $0.create(.users, body) }
            let r = result.resource
            #expect(r.id != "client-chosen" && r.id.count == 36)
            #expect(r.version == 1 && r.etag == #"W/"1""#)
            #expect(r.json["active"] == true, "active defaults to true")
            #expect(r.json["password"] == nil && r.json["nosuch"] == nil && r.json["groups"] == nil)
            #expect(r.json["name"] == ["givenName": "Barbara", "familyName": "Jensen"])
            #expect(r.json[enterprise] == ["employeeNumber": "701984", "manager": ["value": "m1"]])
            #expect(r.json["urn:example:custom:2.0:User"] == ["badge": "B-7"])
            #expect(r.json["schemas"] == [.string(coreUser), .string(enterprise), "urn:example:custom:2.0:User"])
            #expect(r.json["meta"] == [
                "resourceType": "User", "created": "2027-01-15T08:00:00.123Z", "lastModified": "2027-01-15T08:00:00.123Z",
                "location": .string("Users/\(r.id)"), "version": #"W/"1""#,
            ])
            let fetched = try await store.scim(tenant) { try await $0.get(.users, id: r.id) }
            #expect(fetched == r)
            // The columns the rest of the platform reads are kept in step.
            let row = try await store.read { try await UserRepository($0, tenant: tenant).get(r.id) }
            #expect(row?.userName == "bjensen@example.com" && row?.email == "bjensen@example.com" && row?.active == true)

            let absolute = SCIMConfiguration(baseLocation: "https://id.example/scim/v2/acme/")
            let viaAbsolute = try await store.scim(tenant, configuration: absolute) { try await $0.get(.users, id: r.id) }
            #expect(viaAbsolute.location == "https://id.example/scim/v2/acme/Users/\(r.id)")
            await expectSCIMError(nil, status: 404) { _ = try await store.scim(tenant) { try await $0.get(.users, id: "nope") } }
        }
    }

    @Test(arguments: TestBackend.all)
    func inputErrors(backend: TestBackend) async throws {
        try await backend.withStore { store in
            let tenant = try await makeTenant(store, "acme")
            let cases: [(String, String)] = [
                (#"{"userName":"x"}"#, "invalidSyntax"),
                (#"{"schemas":["\#(coreGroup)"],"userName":"x"}"#, "invalidSyntax"),
                (#"{"schemas":"\#(coreUser)","userName":"x"}"#, "invalidSyntax"),
                (#"["x"]"#, "invalidSyntax"),
                (#"{"schemas":["\#(coreUser)"]}"#, "invalidValue"),
                (#"{"schemas":["\#(coreUser)"],"userName":"  "}"#, "invalidValue"),
                (#"{"schemas":["\#(coreUser)"],"userName":"a\u0007b"}"#, "invalidValue"),
                (#"{"schemas":["\#(coreUser)"],"userName":5.5}"#, "invalidValue"),
                (#"{"schemas":["\#(coreUser)"],"userName":"x","active":"sometimes"}"#, "invalidValue"),
                (#"{"schemas":["\#(coreUser)"],"userName":"x","emails":"a@b.c"}"#, "invalidValue"),
                (#"{"schemas":["\#(coreUser)"],"userName":"x","name":["a"]}"#, "invalidValue"),
                (#"{"schemas":["\#(coreUser)"],"userName":"x","emails":[{"value":"a","primary":true},{"value":"b","primary":true}]}"#, "invalidValue"),
                (#"{"schemas":["\#(coreUser)"],"userName":"x","UserName":"y"}"#, "invalidSyntax"),
                (#"{"schemas":["\#(coreUser)"],"userName":"x","\#(enterprise)":"Sales"}"#, "invalidValue"),
            ]
            for (body, scimType) in cases {
                let parsed = try json(body)
                await expectSCIMError(scimType) { _ = try await store.scim(tenant) { try await $0.create(.users, parsed) } }
            }
            let big = String(repeating: "x", count: 5000)
            await expectSCIMError("invalidValue") {
                _ = try await store.scim(tenant) { try await $0.create(.users, try json(#"{"schemas":["\#(coreUser)"],"userName":"x","title":"\#(big)"}"#)) }
            }
            let many = (0..<101).map { #"{"value":"e\#($0)@x.io"}"# }.joined(separator: ",")
            await expectSCIMError("invalidValue") {
                _ = try await store.scim(tenant) { try await $0.create(.users, try json(#"{"schemas":["\#(coreUser)"],"userName":"x","emails":[\#(many)]}"#)) }
            }
            #expect(try await store.scim(tenant) { try await $0.list(.users) }.totalResults == 0)
        }
    }

    @Test(arguments: TestBackend.all)
    func uniqueness(backend: TestBackend) async throws {
        try await backend.withStore { store in
            let tenant = try await makeTenant(store, "acme")
            let first = try await store.scim(tenant) { try await $0.create(.users, try json(#"{"schemas":["\#(coreUser)"],"userName":"BJensen"}"#)) }
            let second = try await store.scim(tenant) { try await $0.create(.users, try json(#"{"schemas":["\#(coreUser)"],"userName":"other"}"#)) }
            for name in ["bjensen", "BJENSEN", "BJensen"] {
                await expectSCIMError("uniqueness", status: 409) {
                    _ = try await store.scim(tenant) { try await $0.create(.users, try json(#"{"schemas":["\#(coreUser)"],"userName":"\#(name)"}"#)) }
                }
            }
            await expectSCIMError("uniqueness", status: 409) {
                _ = try await store.scim(tenant) {
                    try await $0.replace(.users, id: second.resource.id, with: try json(#"{"schemas":["\#(coreUser)"],"userName":"bjensen"}"#))
                }
            }
            await expectSCIMError("uniqueness", status: 409) {
                _ = try await store.scim(tenant) {
                    try await $0.patch(.users, id: second.resource.id, with: try Self.patchBody(#"[{"op":"replace","path":"userName","value":"BJENSEN"}]"#))
                }
            }
            // Changing only the case of one's own name is fine.
            let renamed = try await store.scim(tenant) {
                try await $0.patch(.users, id: first.resource.id, with: try Self.patchBody(#"[{"op":"replace","path":"userName","value":"bjensen"}]"#))
            }
            #expect(renamed.resource.json["userName"] == "bjensen")

            _ = try await store.scim(tenant) { try await $0.create(.groups, try json(#"{"schemas":["\#(coreGroup)"],"displayName":"Admins"}"#)) }
            await expectSCIMError("uniqueness", status: 409) {
                _ = try await store.scim(tenant) { try await $0.create(.groups, try json(#"{"schemas":["\#(coreGroup)"],"displayName":"Admins"}"#)) }
            }
            await expectSCIMError("invalidValue") {
                _ = try await store.scim(tenant) { try await $0.create(.groups, try json(#"{"schemas":["\#(coreGroup)"],"members":[]}"#)) }
            }
        }
    }

    @Test(arguments: TestBackend.all)
    func replaceSemantics(backend: TestBackend) async throws {
        let clock = ManualClock()
        try await backend.withStore(clock: clock) { store in
            let tenant = try await makeTenant(store, "acme")
            let created = try await store.scim(tenant) {
                try await $0.create(.users, try json(#"{"schemas":["\#(coreUser)"],"userName":"u","title":"T","active":false,"nickName":"n"}"#))
            }
            let id = created.resource.id
            clock.advance(millis: 5000)
            let put = try json(#"{"schemas":["\#(coreUser)"],"id":"ignored","userName":"u","displayName":"U","meta":{"version":"W/\"99\""}}"#)
            let replaced = try await store.scim(tenant) { try await $0.replace(.users, id: id, with: put, ifMatch: #"W/"1""#) }
            #expect(replaced.changed && replaced.resource.version == 2)
            #expect(replaced.resource.json["title"] == nil && replaced.resource.json["nickName"] == nil, "PUT clears what it omits")
            #expect(replaced.resource.json["active"] == false, "PUT without active keeps it")
            #expect(replaced.resource.json["displayName"] == "U")
            #expect(replaced.resource.lastModified == created.resource.created + 5000)
            #expect(replaced.changes == SCIMChanges())
            // Repeating the same state changes nothing, not even the version.
            let again = try await store.scim(tenant) { try await $0.replace(.users, id: id, with: put) }
            #expect(!again.changed && again.resource.version == 2)
            // ETags.
            await expectSCIMError(nil, status: 412) { _ = try await store.scim(tenant) { try await $0.replace(.users, id: id, with: put, ifMatch: #"W/"1""#) } }
            await expectSCIMError(nil, status: 412) { _ = try await store.scim(tenant) { try await $0.delete(.users, id: id, ifMatch: "garbage") } }
            _ = try await store.scim(tenant) { try await $0.replace(.users, id: id, with: put, ifMatch: "*") }
            _ = try await store.scim(tenant) { try await $0.replace(.users, id: id, with: put, ifMatch: #""1", "2""#) }
            #expect(SCIMETag.matches(ifMatch: #"W/"7""#, version: 7) && !SCIMETag.matches(ifMatch: #"W/"7""#, version: 70))
            // Active changes are reported for the host to act on.
            let reactivate = try json(#"{"schemas":["\#(coreUser)"],"userName":"u","active":true}"#)
            #expect(try await store.scim(tenant) { try await $0.replace(.users, id: id, with: reactivate) }.changes.reactivatedUserIDs == [id])
            let deactivate = try json(#"{"schemas":["\#(coreUser)"],"userName":"u","active":false}"#)
            let off = try await store.scim(tenant) { try await $0.replace(.users, id: id, with: deactivate) }
            #expect(off.changes.deactivatedUserIDs == [id] && off.changes.usersToRevoke == [id])
        }
    }

    @Test(arguments: TestBackend.all)
    func patchIsAllOrNothing(backend: TestBackend) async throws {
        try await backend.withStore { store in
            let tenant = try await makeTenant(store, "acme")
            let user = try await store.scim(tenant) {
                try await $0.create(.users, try json(#"{"schemas":["\#(coreUser)"],"userName":"u","displayName":"Before","emails":[{"value":"a@x.io","type":"work"}]}"#))
            }.resource
            let failing = try Self.patchBody(#"""
            [{"op":"replace","path":"displayName","value":"After"},
             {"op":"add","path":"emails","value":[{"value":"b@x.io","type":"home"}]},
             {"op":"replace","path":"emails[type eq \"work\"].display","value":"x"},
             {"op":"remove","path":"id"}]
            """#)
            await expectSCIMError("mutability") { _ = try await store.scim(tenant) { try await $0.patch(.users, id: user.id, with: failing) } }
            // A failing third operation in its own transaction, then a failing uniqueness check
            // after the writes of the same request: the stored user is unchanged both times.
            let third = try Self.patchBody(#"""
            [{"op":"replace","path":"displayName","value":"After"},{"op":"add","path":"nickName","value":"n"},
             {"op":"replace","path":"emails[value eq \"missing\" or type eq \"none\"].value","value":"x"}]
            """#)
            await expectSCIMError("noTarget") { _ = try await store.scim(tenant) { try await $0.patch(.users, id: user.id, with: third) } }
            let after = try await store.scim(tenant) { try await $0.get(.users, id: user.id) }
            #expect(after == user)

            // A group whose third operation names a user of no tenant: no member is added.
            let u2 = try await store.scim(tenant) { try await $0.create(.users, try json(#"{"schemas":["\#(coreUser)"],"userName":"u2"}"#)) }.resource
            let group = try await store.scim(tenant) { try await $0.create(.groups, try json(#"{"schemas":["\#(coreGroup)"],"displayName":"G"}"#)) }.resource
            let members = try Self.patchBody(#"""
            [{"op":"add","path":"members","value":[{"value":"\#(user.id)"}]},{"op":"replace","path":"displayName","value":"G2"},
             {"op":"add","path":"members","value":[{"value":"\#(u2.id)"},{"value":"ghost"}]}]
            """#)
            await expectSCIMError("invalidValue") { _ = try await store.scim(tenant) { try await $0.patch(.groups, id: group.id, with: members) } }
            #expect(try await store.scim(tenant) { try await $0.get(.groups, id: group.id) } == group)
            #expect(try await store.scim(tenant) { try await $0.groupIDs(ofUser: user.id) }.isEmpty)
        }
    }

    /// An `eq` lookup folds groups (of a user) or members (of a group) into its one statement;
    /// what it returns must be what a read of the resource returns, memberships and all.
    @Test(arguments: TestBackend.all)
    func equalityLookupsCarryTheSameGroupsAndMembers(backend: TestBackend) async throws {
        try await backend.withStore { store in
            let tenant = try await makeTenant(store, "acme")
            var collected: [String] = []
            for name in ["ann", "bob", "cy"] {
                collected.append(try await store.scim(tenant) { try await $0.create(.users, try json(#"{"schemas":["\#(coreUser)"],"userName":"\#(name)"}"#)) }.resource.id)
            }
            let ids = collected
            var groupIDs: [String] = []
            for (name, members) in [("Eng", [ids[0], ids[1]]), ("Ops", [ids[0]]), ("Empty", [])] {
                let list = members.map { #"{"value":"\#($0)"}"# }.joined(separator: ",")
                let body = try json(#"{"schemas":["\#(coreGroup)"],"displayName":"\#(name)","members":[\#(list)]}"#)
                groupIDs.append(try await store.scim(tenant) { try await $0.create(.groups, body) }.resource.id)
            }
            let gids = groupIDs
            for (index, name) in ["ANN", "bob", "Cy"].enumerated() {
                let found = try await store.scim(tenant) { try await $0.list(.users, SCIMListQuery(filter: #"userName eq "\#(name)""#)) }
                let read = try await store.scim(tenant) { try await $0.get(.users, id: ids[index]) }
                #expect(found.totalResults == 1 && found.resources == [read.json], "\(name)")
            }
            let ann = try await store.scim(tenant) { try await $0.list(.users, SCIMListQuery(filter: #"userName eq "ann""#)) }
            #expect(ann.resources.first?["groups"]?.arrayValue?.compactMap { $0["value"]?.stringValue } == [gids[0], gids[1]].sorted())
            #expect(ann.resources.first?["groups"]?.arrayValue?.compactMap { $0["display"]?.stringValue }.sorted() == ["Eng", "Ops"])
            for (index, name) in ["Eng", "ops", "Empty"].enumerated() {
                let found = try await store.scim(tenant) { try await $0.list(.groups, SCIMListQuery(filter: #"displayName eq "\#(name)""#)) }
                let read = try await store.scim(tenant) { try await $0.get(.groups, id: gids[index]) }
                #expect(found.totalResults == 1 && found.resources == [read.json], "\(name)")
            }
            // Left out when not asked for, and a lookup that finds nothing is empty.
            let bare = try await store.scim(tenant) { try await $0.list(.users, SCIMListQuery(filter: #"userName eq "ann""#, attributes: ["userName"])) }
            #expect(bare.resources.first?["groups"] == nil && bare.resources.first?["userName"] == "ann")
            let none = try await store.scim(tenant) { try await $0.list(.users, SCIMListQuery(filter: #"userName eq "nobody""#)) }
            #expect(none.totalResults == 0 && none.resources.isEmpty)
        }
    }

    @Test(arguments: TestBackend.all)
    func groupsMembershipAndHooks(backend: TestBackend) async throws {
        try await backend.withStore { store in
            let tenant = try await makeTenant(store, "acme")
            var collected: [String] = []
            for name in ["ann", "bob", "cy"] {
                let body = try json(#"{"schemas":["\#(coreUser)"],"userName":"\#(name)","displayName":"\#(name.uppercased())"}"#)
                collected.append(try await store.scim(tenant) { try await $0.create(.users, body) }.resource.id)
            }
            let ids = collected
            let created = try await store.scim(tenant) {
                try await $0.create(.groups, try json(#"{"schemas":["\#(coreGroup)"],"displayName":"Eng","externalId":"e-1","members":[{"value":"\#(ids[1])"},{"value":"\#(ids[0])","type":"User"}]}"#))
            }
            let gid = created.resource.id
            #expect(created.changes.membershipChanges == [SCIMMembershipChange(groupID: gid, addedUserIDs: [ids[0], ids[1]].sorted(), removedUserIDs: [])])
            let members = created.resource.json["members"]?.arrayValue ?? []
            #expect(members.count == 2)
            let ann = members.first { $0["value"]?.stringValue == ids[0] }
            // Members come without `display`: clients compare them with what they sent.
            #expect(ann == ["value": .string(ids[0]), "type": "User", "$ref": .string("Users/\(ids[0])")])
            #expect(created.resource.json["externalId"] == "e-1")
            // The user's read-only groups and the hook for role mapping.
            let annUser = try await store.scim(tenant) { try await $0.get(.users, id: ids[0]) }
            #expect(annUser.json["groups"] == [["value": .string(gid), "display": "Eng", "type": "direct", "$ref": .string("Groups/\(gid)")]])
            #expect(try await store.scim(tenant) { try await $0.groupIDs(ofUser: ids[0]) } == [gid])

            let patched = try await store.scim(tenant) {
                try await $0.patch(.groups, id: gid, with: try Self.patchBody(#"[{"op":"add","path":"members","value":[{"value":"\#(ids[2])"}]},{"op":"remove","path":"members[value eq \"\#(ids[1])\"]"}]"#))
            }
            #expect(patched.changes.membershipChanges == [SCIMMembershipChange(groupID: gid, addedUserIDs: [ids[2]], removedUserIDs: [ids[1]])])
            #expect(Set(patched.changes.usersWithChangedGroups) == [ids[1], ids[2]])
            #expect(patched.resource.version == 2)
            // A member no user is: refused, nothing changes.
            await expectSCIMError("invalidValue") {
                _ = try await store.scim(tenant) { try await $0.patch(.groups, id: gid, with: try Self.patchBody(#"[{"op":"add","path":"members","value":[{"value":"ghost"}]}]"#)) }
            }
            // Deleting a user takes them out of groups and bumps those groups' versions.
            let deleted = try await store.scim(tenant) { try await $0.delete(.users, id: ids[2]) }
            #expect(deleted.deletedUserIDs == [ids[2]] && deleted.usersToRevoke == [ids[2]])
            #expect(deleted.membershipChanges == [SCIMMembershipChange(groupID: gid, addedUserIDs: [], removedUserIDs: [ids[2]])])
            let group = try await store.scim(tenant) { try await $0.get(.groups, id: gid) }
            #expect(group.version == 3 && group.json["members"]?.arrayValue?.count == 1)
            await expectSCIMError(nil, status: 404) { _ = try await store.scim(tenant) { try await $0.get(.users, id: ids[2]) } }
            // Deleting the group reports its last members.
            let gone = try await store.scim(tenant) { try await $0.delete(.groups, id: gid) }
            #expect(gone.membershipChanges == [SCIMMembershipChange(groupID: gid, addedUserIDs: [], removedUserIDs: [ids[0]])])
            #expect(try await store.scim(tenant) { try await $0.groupIDs(ofUser: ids[0]) }.isEmpty)
            await expectSCIMError(nil, status: 404) { _ = try await store.scim(tenant) { try await $0.delete(.groups, id: gid) } }
        }
    }

    @Test(arguments: TestBackend.all)
    func unknownMembersCanBeIgnored(backend: TestBackend) async throws {
        try await backend.withStore { store in
            let tenant = try await makeTenant(store, "acme")
            let lenient = SCIMConfiguration(unknownMembers: .ignore)
            let user = try await store.scim(tenant) { try await $0.create(.users, try json(#"{"schemas":["\#(coreUser)"],"userName":"u"}"#)) }.resource.id
            let created = try await store.scim(tenant, configuration: lenient) {
                try await $0.create(.groups, try json(#"{"schemas":["\#(coreGroup)"],"displayName":"G","members":[{"value":"\#(user)"},{"value":"ghost"}]}"#))
            }
            #expect(created.resource.json["members"]?.arrayValue?.map { $0["value"] } == [.string(user)])
            #expect(created.changes.ignoredMemberIDs == ["ghost"])
            #expect(created.changes.membershipChanges.first?.addedUserIDs == [user])
            let gid = created.resource.id
            let again = try await store.scim(tenant, configuration: lenient) {
                try await $0.patch(.groups, id: gid, with: try Self.patchBody(#"[{"op":"add","path":"members","value":[{"value":"ghost2"}]}]"#))
            }
            #expect(!again.changed && again.resource.version == 1 && again.changes.ignoredMemberIDs == ["ghost2"])
            // Removing a member that is not there is never an error.
            let removed = try await store.scim(tenant) {
                try await $0.patch(.groups, id: gid, with: try Self.patchBody(#"[{"op":"remove","path":"members[value eq \"ghost\"]"}]"#))
            }
            #expect(!removed.changed)
        }
    }

    @Test(arguments: TestBackend.all)
    func projection(backend: TestBackend) async throws {
        try await backend.withStore { store in
            let tenant = try await makeTenant(store, "acme")
            let user = try await store.scim(tenant) {
                try await $0.create(.users, try json(#"""
                {"schemas":["\#(coreUser)","\#(enterprise)"],"userName":"u","displayName":"U","name":{"givenName":"G","familyName":"F"},
                 "emails":[{"value":"a@x.io","type":"work"},{"value":"b@x.io","type":"home"}],
                 "\#(enterprise)":{"department":"D","costCenter":"C"},"urn:example:ext:1.0:User":{"k":"v"}}
                """#))
            }.resource
            func project(_ attributes: [String] = [], excluded: [String] = []) throws -> JSONValue {
                user.projected(try SCIMProjection(attributes: attributes, excludedAttributes: excluded, for: .user))
            }
            let schemas = user.json["schemas"] ?? .null
            #expect(try project(["userName"]) == ["schemas": schemas, "id": .string(user.id), "userName": "u"])
            #expect(try project(["USERNAME,name.givenName", "emails.value"]) == [
                "schemas": schemas, "id": .string(user.id), "userName": "u", "name": ["givenName": "G"],
                "emails": [["value": "a@x.io"], ["value": "b@x.io"]],
            ])
            #expect(try project(["\(enterprise):department"]) == ["schemas": schemas, "id": .string(user.id), enterprise: ["department": "D"]])
            #expect(try project([enterprise, "meta.version"]) == [
                "schemas": schemas, "id": .string(user.id), enterprise: ["department": "D", "costCenter": "C"],
                "meta": ["version": #"W/"1""#],
            ])
            let excluded = try project(excluded: ["emails", "meta", "id", "name.familyName", "\(enterprise):costCenter", "urn:example:ext:1.0:User"])
            #expect(excluded["emails"] == nil && excluded["meta"] == nil && excluded["urn:example:ext:1.0:User"] == nil)
            #expect(excluded["id"] == .string(user.id), "id is always returned")
            #expect(excluded["name"] == ["givenName": "G"] && excluded[enterprise] == ["department": "D"])
            #expect(try project() == user.json)
            #expect(try project(["nosuch"]) == ["schemas": schemas, "id": .string(user.id)])
            #expect(throws: SCIMError.self) { try project(["emails["]) }

            // Lists apply the projection and skip loading members when they are excluded.
            _ = try await store.scim(tenant) {
                try await $0.create(.groups, try json(#"{"schemas":["\#(coreGroup)"],"displayName":"G","members":[{"value":"\#(user.id)"}]}"#))
            }
            let groups = try await store.scim(tenant) { try await $0.list(.groups, SCIMListQuery(excludedAttributes: ["members"])) }
            #expect(groups.resources.first?["members"] == nil && groups.resources.first?["displayName"] == "G")
            let withMembers = try await store.scim(tenant) { try await $0.list(.groups, SCIMListQuery(attributes: ["members.value"])) }
            #expect(withMembers.resources.first?["members"] == [["value": .string(user.id)]])
            let users = try await store.scim(tenant) { try await $0.list(.users, SCIMListQuery(attributes: ["groups.display"])) }
            #expect(users.resources.first?["groups"] == [["display": "G"]])
        }
    }

    /// Rows written before the migration, and by code that knows nothing of SCIM, are SCIM
    /// users too: the migration gives them their e-mail, the generated column their
    /// case-insensitive name.
    @Test(arguments: TestBackend.all)
    func legacyAndNonSCIMUsers(backend: TestBackend) async throws {
        try await backend.withStore(migratingUpTo: 3) { store in
            let tenant = try await makeTenant(store, "acme")
            try await store.write {
                try await UserRepository($0, tenant: tenant).create(User(tenantID: tenant, id: "legacy-1", userName: "Legacy@Example.com",
                                                                          displayName: "Old", email: "legacy@example.com", createdAt: 1000, updatedAt: 1000))
            }
            try await store.migrate()
            try await store.migrate()
            let legacy = try await store.scim(tenant) { try await $0.get(.users, id: "legacy-1") }
            #expect(legacy.json["userName"] == "Legacy@Example.com" && legacy.json["displayName"] == "Old" && legacy.version == 1)
            #expect(legacy.json["emails"] == [["value": "legacy@example.com", "primary": true]])
            #expect(legacy.json["meta"]?["created"] == "1970-01-01T00:00:01.000Z")
            // A user the admin API creates after the migration.
            try await store.write {
                try await UserRepository($0, tenant: tenant).create(User(tenantID: tenant, id: "admin-1", userName: "Admin", createdAt: 2000, updatedAt: 2000))
            }
            let found = try await store.scim(tenant) { try await $0.list(.users, SCIMListQuery(filter: #"userName eq "admin" or userName eq "LEGACY@example.COM""#)) }
            #expect(Set(found.resources.compactMap { $0["id"]?.stringValue }) == ["legacy-1", "admin-1"])
            await expectSCIMError("uniqueness") {
                _ = try await store.scim(tenant) { try await $0.create(.users, try json(#"{"schemas":["\#(coreUser)"],"userName":"ADMIN"}"#)) }
            }
            let patched = try await store.scim(tenant) {
                try await $0.patch(.users, id: "admin-1", with: try Self.patchBody(#"[{"op":"replace","value":{"active":false}}]"#))
            }
            #expect(patched.changes.deactivatedUserIDs == ["admin-1"])
            #expect(try await store.read { try await UserRepository($0, tenant: tenant).get("admin-1") }?.active == false)
        }
    }

    @Test func errorDocument() {
        let error = SCIMError.uniqueness("userName \"x\" is already taken")
        #expect(error.responseBody() == [
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "409", "scimType": "uniqueness",
            "detail": "userName \"x\" is already taken",
        ])
        #expect(SCIMError.notFound("User \"x\" not found").responseBody() == [
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "404", "detail": "User \"x\" not found",
        ])
        let filter = SCIMError.invalidFilter("unknown operator", at: 9)
        #expect(filter.status == 400 && filter.position == 9 && filter.detail == "unknown operator (at position 9)")
    }

    @Test func listQueryParsing() throws {
        let q = try SCIMListQuery(parameters: [
            ("filter", #"userName eq "x""#), ("StartIndex", "3"), ("count", " 7 "), ("sortBy", "userName"), ("sortOrder", "Descending"),
            ("attributes", "userName,emails"), ("excludedAttributes", "meta"), ("other", "ignored"),
        ])
        #expect(q == SCIMListQuery(filter: #"userName eq "x""#, sortBy: "userName", sortOrder: .descending, startIndex: 3, count: 7,
                                   attributes: ["userName,emails"], excludedAttributes: ["meta"]))
        expectSCIMErrorSync("invalidValue") { _ = try SCIMListQuery(parameters: [("count", "ten")]) }
        expectSCIMErrorSync("invalidValue") { _ = try SCIMListQuery(parameters: [("sortOrder", "up")]) }
        let search = try SCIMListQuery(searchRequest: try json(#"""
        {"schemas":["\#(SCIMSchema.searchRequestURN)"],"attributes":["displayName","userName"],"filter":"displayName sw \"smith\"","startIndex":1,"count":10}
        """#))
        #expect(search == SCIMListQuery(filter: #"displayName sw "smith""#, startIndex: 1, count: 10, attributes: ["displayName", "userName"]))
        expectSCIMErrorSync("invalidValue") { _ = try SCIMListQuery(searchRequest: try json(#"{"count":"x"}"#)) }
    }
}
