import JSON
import Testing

@testable import Identity

/// The PATCH engine on working documents: no database, every operation and path form.
@Suite struct SCIMPatchTests {
    let users = SCIMPatchEngine(type: .user, configuration: .init())
    let groups = SCIMPatchEngine(type: .group, configuration: .init())

    /// A user's working document, as the repository would load it.
    func bjensen() throws -> [String: JSONValue] {
        try json(#"""
        {"userName":"bjensen","active":true,"displayName":"Babs","name":{"givenName":"Barbara","familyName":"Jensen"},
         "emails":[{"value":"b@work.example","type":"work","primary":true},{"value":"b@home.example","type":"home"}],
         "\#(enterprise)":{"department":"Sales"}}
        """#).objectValue ?? [:]
    }

    func patch(_ operations: String, _ doc: [String: JSONValue], engine: SCIMPatchEngine? = nil, id: String = "u1") throws -> [String: JSONValue] {
        let body = try json(#"{"schemas":["\#(SCIMSchema.patchOpURN)"],"Operations":\#(operations)}"#)
        let request = try SCIMPatchRequest.parse(body)
        return try (engine ?? users).apply(request, to: doc, id: id)
    }

    func expectPatchError(_ scimType: String, _ operations: String, _ doc: [String: JSONValue], engine: SCIMPatchEngine? = nil,
                          sourceLocation: SourceLocation = #_sourceLocation) {
        expectSCIMErrorSync(scimType, sourceLocation: sourceLocation) { _ = try patch(operations, doc, engine: engine) }
    }

    @Test func pathlessReplaceDeactivates() throws {
        // Okta's deactivation.
        let out = try patch(#"[{"op":"replace","value":{"active":false}}]"#, try bjensen())
        #expect(out["active"] == false)
        #expect(out["userName"] == "bjensen")
    }

    @Test func capitalisedOpsAndStringBooleans() throws {
        // Entra's forms.
        var out = try patch(#"[{"op":"Replace","path":"active","value":"False"}]"#, try bjensen())
        #expect(out["active"] == false)
        out = try patch(#"[{"op":"Replace","path":"active","value":"True"}]"#, out)
        #expect(out["active"] == true)
        out = try patch(#"[{"op":"Add","path":"emails[type eq \"work\"].primary","value":"True"}]"#, out)
        #expect(out["emails"]?[0]?["primary"] == true)
        expectPatchError("invalidValue", #"[{"op":"Replace","path":"active","value":"maybe"}]"#, try bjensen())
        expectPatchError("invalidValue", #"[{"op":"Replace","path":"active","value":5}]"#, try bjensen())
    }

    @Test func pathlessValueWithDottedAndURNKeys() throws {
        // Entra's multi-attribute replace.
        let out = try patch(#"""
        [{"op":"replace","value":{"displayName":"Pvlo","name.givenName":"Ulia","name.familyName":"Ewjwdk",
          "emails[type eq \"work\"].value":"ulia@work.example",
          "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department":"R&D",
          "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"42",
          "nickName":"U","unknownCore":"dropped"}}]
        """#, try bjensen())
        #expect(out["displayName"] == "Pvlo")
        #expect(out["name"] == ["givenName": "Ulia", "familyName": "Ewjwdk"])
        #expect(out["emails"]?[0]?["value"] == "ulia@work.example")
        #expect(out["emails"]?[1]?["value"] == "b@home.example")
        #expect(out[enterprise] == ["department": "R&D", "employeeNumber": "42"])
        #expect(out["nickName"] == "U")
        #expect(out["unknownCore"] == nil)
    }

    @Test func addSingleValuedAndComplex() throws {
        var out = try patch(#"[{"op":"add","path":"nickName","value":"Babs"}]"#, try bjensen())
        #expect(out["nickName"] == "Babs")
        out = try patch(#"[{"op":"add","value":{"title":"Tour Guide"}}]"#, out)
        #expect(out["title"] == "Tour Guide")
        // Complex values merge (RFC 7644 §3.5.2.3).
        out = try patch(#"[{"op":"replace","path":"name","value":{"givenName":"B"}}]"#, out)
        #expect(out["name"] == ["givenName": "B", "familyName": "Jensen"])
        out = try patch(#"[{"op":"replace","path":"name.familyName","value":"J"}]"#, out)
        #expect(out["name"] == ["givenName": "B", "familyName": "J"])
        out = try patch(#"[{"op":"remove","path":"name.givenName"},{"op":"remove","path":"name.familyName"}]"#, out)
        #expect(out["name"] == nil)
        // Attribute names are case-insensitive; the document keeps the schema's spelling.
        out = try patch(#"[{"op":"replace","path":"NICKNAME","value":"b"},{"op":"replace","path":"Name.GivenName","value":"x"}]"#, out)
        #expect(out["nickName"] == "b" && out["name"] == ["givenName": "x"])
    }

    @Test func multiValuedAddReplaceRemove() throws {
        var out = try patch(#"[{"op":"add","path":"emails","value":[{"value":"x@other.example","type":"other"},{"value":"b@home.example","type":"home"}]}]"#, try bjensen())
        #expect(out["emails"]?.arrayValue?.count == 3, "duplicates are not added twice")
        out = try patch(#"[{"op":"add","path":"phoneNumbers","value":{"value":"555","type":"work"}}]"#, out)
        #expect(out["phoneNumbers"] == [["value": "555", "type": "work"]], "a lone value is taken as one element")
        out = try patch(#"[{"op":"remove","path":"emails[type eq \"home\"]"}]"#, out)
        #expect(out["emails"]?.arrayValue?.map { $0["type"] } == ["work", "other"])
        out = try patch(#"[{"op":"remove","path":"emails[type eq \"other\"].type"}]"#, out)
        #expect(out["emails"]?[1] == ["value": "x@other.example"])
        out = try patch(#"[{"op":"replace","path":"emails","value":[{"value":"only@example.com"}]}]"#, out)
        #expect(out["emails"] == [["value": "only@example.com"]])
        out = try patch(#"[{"op":"remove","path":"emails"}]"#, out)
        #expect(out["emails"] == nil)
        // Removing what is not there is not an error.
        out = try patch(#"[{"op":"remove","path":"emails[type eq \"home\"]"},{"op":"remove","path":"title"}]"#, out)
        #expect(out["emails"] == nil)
    }

    @Test func filteredPathsSetOrCreate() throws {
        var out = try patch(#"[{"op":"replace","path":"emails[type eq \"work\"].value","value":"new@work.example"}]"#, try bjensen())
        #expect(out["emails"]?[0] == ["value": "new@work.example", "type": "work", "primary": true])
        // No element matches: an eq-only filter says what to create (Entra's "Add").
        out = try patch(#"[{"op":"add","path":"phoneNumbers[type eq \"mobile\"].value","value":"+1 555"}]"#, out)
        #expect(out["phoneNumbers"] == [["type": "mobile", "value": "+1 555"]])
        out = try patch(#"[{"op":"replace","path":"addresses[type eq \"work\" and primary eq true].locality","value":"Hollywood"}]"#, out)
        #expect(out["addresses"] == [["type": "work", "primary": true, "locality": "Hollywood"]])
        // A filter that does not pin an element down cannot create one.
        expectPatchError("noTarget", #"[{"op":"replace","path":"emails[value co \"nomatch\"].value","value":"x"}]"#, out)
        expectPatchError("noTarget", #"[{"op":"replace","path":"ims[type eq \"xmpp\" or type eq \"aim\"].value","value":"x"}]"#, out)
        // Replacing matched elements whole.
        out = try patch(#"[{"op":"replace","path":"emails[type eq \"home\"]","value":{"value":"h2@home.example","type":"home"}}]"#, out)
        #expect(out["emails"]?[1] == ["value": "h2@home.example", "type": "home"])
        expectPatchError("invalidPath", #"[{"op":"replace","path":"emails[type eq \"home\"].nosuch","value":"x"}]"#, out)
        expectPatchError("invalidPath", #"[{"op":"replace","path":"title[value eq \"x\"]","value":"x"}]"#, out)
        expectPatchError("invalidPath", #"[{"op":"replace","path":"emails[nosuch eq \"x\"].value","value":"x"}]"#, out)
    }

    @Test func settingPrimaryDemotesTheOthers() throws {
        let out = try patch(#"[{"op":"add","path":"emails","value":[{"value":"new@example.com","type":"other","primary":true}]}]"#, try bjensen())
        let primaries = out["emails"]?.arrayValue?.filter { $0["primary"] == true }.map { $0["value"] }
        #expect(primaries == ["new@example.com"])
        #expect(out["emails"]?[0]?["primary"] == false)
        let again = try patch(#"[{"op":"replace","path":"emails[type eq \"home\"].primary","value":true}]"#, out)
        #expect(again["emails"]?.arrayValue?.filter { $0["primary"] == true }.map { $0["value"] } == ["b@home.example"])
    }

    @Test func enterpriseExtension() throws {
        // Entra sends the manager as a bare id.
        var out = try patch(#"[{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"mgr-1"}]"#, try bjensen())
        #expect(out[enterprise]?["manager"] == ["value": "mgr-1"])
        out = try patch(#"[{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value","value":"mgr-2"}]"#, out)
        #expect(out[enterprise]?["manager"] == ["value": "mgr-2"])
        out = try patch(#"[{"op":"Remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"}]"#, out)
        #expect(out[enterprise] == ["department": "Sales"])
        // The whole extension as the path, and as a path-less key.
        out = try patch(#"[{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User","value":{"costCenter":"4130"}}]"#, out)
        #expect(out[enterprise] == ["department": "Sales", "costCenter": "4130"])
        out = try patch(#"[{"op":"add","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"division":"Theme Park"}}}]"#, out)
        #expect(out[enterprise]?["division"] == "Theme Park")
        out = try patch(#"[{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"}]"#, out)
        #expect(out[enterprise] == nil)
        expectPatchError("mutability", #"[{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.displayName","value":"x"}]"#, out)
    }

    @Test func unknownExtensionsAreKeptAsSent() throws {
        var out = try patch(#"[{"op":"add","value":{"urn:example:custom:2.0:User:costCode":"A1"}}]"#, try bjensen())
        #expect(out["urn:example:custom:2.0:User"] == ["costCode": "A1"])
        out = try patch(#"[{"op":"Add","path":"urn:example:custom:2.0:User:tags","value":["a","b"]}]"#, out)
        out = try patch(#"[{"op":"Add","path":"urn:example:custom:2.0:User:tags","value":["b","c"]}]"#, out)
        #expect(out["urn:example:custom:2.0:User"]?["tags"] == ["a", "b", "c"])
        out = try patch(#"[{"op":"remove","path":"urn:example:custom:2.0:User:costCode"}]"#, out)
        #expect(out["urn:example:custom:2.0:User"] == ["tags": ["a", "b", "c"]])
        out = try patch(#"[{"op":"replace","value":{"urn:example:custom:2.0:User":{"x":1}}}]"#, out)
        #expect(out["urn:example:custom:2.0:User"] == ["x": 1])
        let dropping = SCIMPatchEngine(type: .user, configuration: .init(keepUnknownExtensions: false))
        #expect(try patch(#"[{"op":"add","value":{"urn:example:custom:2.0:User:costCode":"A1"}}]"#, try bjensen(), engine: dropping) == (try bjensen()))
    }

    @Test func readOnlyAndImmutable() throws {
        for path in ["id", "groups", "meta.created", "meta", "groups[value eq \\\"g\\\"].display"] {
            expectPatchError("mutability", #"[{"op":"replace","path":"\#(path)","value":"x"}]"#, try bjensen())
        }
        expectPatchError("mutability", #"[{"op":"remove","path":"id"}]"#, try bjensen())
        // A path-less value may repeat the id (Okta's group rename) but not change it.
        #expect(try patch(#"[{"op":"replace","value":{"id":"u1","displayName":"B","meta":{"x":1},"schemas":["x"]}}]"#, try bjensen())["displayName"] == "B")
        expectPatchError("mutability", #"[{"op":"replace","value":{"id":"other"}}]"#, try bjensen())
        // Read-only members of a path-less value are skipped, not refused.
        #expect(try patch(#"[{"op":"add","value":{"groups":[{"value":"g"}],"nickName":"n"}}]"#, try bjensen())["groups"] == nil)

        let group: [String: JSONValue] = ["displayName": "G", "members": [["value": "a"], ["value": "b"]]]
        for ops in [
            #"[{"op":"replace","path":"members[value eq \"a\"].value","value":"c"}]"#,
            #"[{"op":"remove","path":"members[value eq \"a\"].value"}]"#,
            #"[{"op":"replace","path":"members[value eq \"a\"]","value":{"value":"c"}}]"#,
            #"[{"op":"replace","path":"members.value","value":"c"}]"#,
        ] {
            expectPatchError("mutability", ops, group, engine: groups)
        }
        // The password is accepted and discarded.
        #expect(try patch(#"[{"op":"replace","path":"password","value":"hunter2"}]"#, try bjensen()) == (try bjensen()))
    }

    @Test func groupMembers() throws {
        var g: [String: JSONValue] = ["displayName": "G"]
        // Okta: add by path, remove by filter.
        g = try patch(#"[{"op":"add","path":"members","value":[{"value":"u1","display":"one"},{"value":"u2"}]}]"#, g, engine: groups)
        #expect(g["members"] == [["value": "u1"], ["value": "u2"]])
        g = try patch(#"[{"op":"add","path":"members","value":[{"value":"u2"},{"value":"u3","type":"User"}]}]"#, g, engine: groups)
        #expect(g["members"] == [["value": "u1"], ["value": "u2"], ["value": "u3"]])
        g = try patch(#"[{"op":"remove","path":"members[value eq \"u2\"]"}]"#, g, engine: groups)
        #expect(g["members"] == [["value": "u1"], ["value": "u3"]])
        // Entra: remove with a value list.
        g = try patch(#"[{"op":"Remove","path":"members","value":[{"value":"u1"},{"value":"nope"}]}]"#, g, engine: groups)
        #expect(g["members"] == [["value": "u3"]])
        g = try patch(#"[{"op":"replace","path":"members","value":[{"value":"u4"}]}]"#, g, engine: groups)
        #expect(g["members"] == [["value": "u4"]])
        g = try patch(#"[{"op":"remove","path":"members"}]"#, g, engine: groups)
        #expect(g["members"] == nil)
        // Okta's rename repeats the id.
        g = try patch(#"[{"op":"replace","value":{"id":"g1","displayName":"Renamed"}}]"#, g, engine: groups, id: "g1")
        #expect(g["displayName"] == "Renamed")
        expectPatchError("invalidValue", #"[{"op":"add","path":"members","value":[{"value":"g2","type":"Group"}]}]"#, g, engine: groups)
        expectPatchError("invalidValue", #"[{"op":"add","path":"members","value":[{"display":"no value"}]}]"#, g, engine: groups)
        expectPatchError("invalidValue", #"[{"op":"remove","path":"displayName"}]"#, g, engine: groups)
    }

    @Test func requestShapeErrors() throws {
        let doc = try bjensen()
        let cases: [(String, String)] = [
            (#"[1, 2]"#, "invalidSyntax"),
            (#"[{"op":"move","path":"title"}]"#, "invalidSyntax"),
            (#"[{"path":"title","value":"x"}]"#, "invalidSyntax"),
            (#"[{"op":"add","path":"title"}]"#, "invalidSyntax"),
            (#"[{"op":"add","value":"not an object"}]"#, "invalidSyntax"),
            (#"[]"#, "invalidSyntax"),
            (#"[{"op":"remove"}]"#, "noTarget"),
            (#"[{"op":"add","path":"emails[type eq","value":"x"}]"#, "invalidPath"),
            (#"[{"op":"add","path":"nosuch","value":"x"}]"#, "invalidPath"),
            (#"[{"op":"add","path":5,"value":"x"}]"#, "invalidPath"),
            (#"[{"op":"remove","path":"userName"}]"#, "invalidValue"),
            (#"[{"op":"replace","path":"userName","value":""}]"#, "invalidValue"),
            (#"[{"op":"replace","path":"emails","value":[{"value":"a","primary":true},{"value":"b","primary":true}]}]"#, "invalidValue"),
            (#"[{"op":"replace","path":"name","value":"x"}]"#, "invalidValue"),
        ]
        for (ops, type) in cases {
            expectPatchError(type, ops, doc)
        }
        for body in [#"[]"#, #"{"Operations":[{"op":"add","value":{"title":"x"}}]}"#, #"{"schemas":["x"],"Operations":[]}"#] {
            expectSCIMErrorSync("invalidSyntax") { _ = try SCIMPatchRequest.parse(try json(body)) }
        }
        // Member names of the message match case-insensitively.
        let lower = try json(#"{"SCHEMAS":["\#(SCIMSchema.patchOpURN)"],"operations":[{"OP":"ADD","PATH":"title","VALUE":"x"}]}"#)
        #expect(try SCIMPatchRequest.parse(lower).operations == [SCIMPatchOperation(.add, path: try SCIMPatchPath.parse("title"), value: "x")])
    }

    @Test func limits() throws {
        let configuration = SCIMConfiguration(maxOperations: 3, maxMembersPerRequest: 4)
        let ops = Array(repeating: #"{"op":"add","path":"title","value":"x"}"#, count: 4).joined(separator: ",")
        expectSCIMErrorSync("tooMany") {
            _ = try SCIMPatchRequest.parse(try json(#"{"schemas":["\#(SCIMSchema.patchOpURN)"],"Operations":[\#(ops)]}"#), configuration: configuration)
        }
        let members = (0..<5).map { #"{"value":"u\#($0)"}"# }.joined(separator: ",")
        expectSCIMErrorSync("tooMany") {
            _ = try SCIMPatchRequest.parse(
                try json(#"{"schemas":["\#(SCIMSchema.patchOpURN)"],"Operations":[{"op":"add","path":"members","value":[\#(members)]}]}"#),
                configuration: configuration
            )
        }
    }

    @Test func aFailingOperationLeavesNoPartialResult() throws {
        let doc = try bjensen()
        // The engine is pure: the caller's document is untouched and nothing is returned.
        expectPatchError("noTarget", #"""
        [{"op":"replace","path":"displayName","value":"changed"},
         {"op":"add","path":"nickName","value":"n"},
         {"op":"replace","path":"emails[value eq \"missing\" or type eq \"x\"].value","value":"x"}]
        """#, doc)
        #expect(doc == (try bjensen()))
    }
}
