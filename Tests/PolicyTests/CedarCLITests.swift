import JSON
import Testing

@testable import Policy

@Suite("CLI commands")
struct CedarCLITests {
    static let schema = """
        entity User in [Group] = { age: Long };
        entity Group;
        entity Doc = { owner: User };
        action view appliesTo { principal: User, resource: Doc, context: { mfa: Bool } };
        """
    static let policies = """
        permit(principal, action == Action::"view", resource) when { resource.owner == principal && context.mfa };
        forbid(principal, action, resource) when { principal.age < 18 };
        """
    static let entities = """
        [{"uid": {"type": "User", "id": "alice"}, "attrs": {"age": 30}, "parents": []},
         {"uid": {"type": "User", "id": "kid"}, "attrs": {"age": 9}, "parents": []},
         {"uid": {"type": "Doc", "id": "d"}, "attrs": {"owner": {"type": "User", "id": "alice"}}, "parents": []}]
        """

    @Test("validate: ok, validation errors, parse errors")
    func validate() {
        #expect(CedarEngine.validate(schema: Self.schema, policies: Self.policies) == (true, []))
        let bad = CedarEngine.validate(schema: Self.schema, policies: "permit(principal, action, resource) when { principal.nope };")
        #expect(!bad.ok && !bad.messages.isEmpty)
        let unparsable = CedarEngine.validate(schema: Self.schema, policies: "permit(")
        #expect(!unparsable.ok && unparsable.messages.first?.contains("line 1") == true)
        #expect(!CedarEngine.validate(schema: "entity", policies: Self.policies).ok)
    }

    @Test("authorize: one JSON line per request")
    func authorize() throws {
        let requests = """
            [{"principal": {"type": "User", "id": "alice"}, "action": {"type": "Action", "id": "view"}, "resource": {"type": "Doc", "id": "d"}, "context": {"mfa": true}},
             {"principal": "User::\\"kid\\"", "action": "Action::\\"view\\"", "resource": "Doc::\\"d\\"", "context": {"mfa": true}},
             {"principal": {"type": "Group", "id": "g"}, "action": {"type": "Action", "id": "view"}, "resource": {"type": "Doc", "id": "d"}, "context": {"mfa": true}}]
            """
        let lines = CedarEngine.authorize(policies: Self.policies, entities: Self.entities, schema: Self.schema, requestJSON: requests)
        #expect(lines.count == 3)
        let first = try JSONValue.parse(lines[0])
        #expect(first["decision"] == "allow")
        #expect(first["reason"] == ["policy0"])
        #expect(first["errors"] == [])
        let second = try JSONValue.parse(lines[1])
        #expect(second["decision"] == "deny")
        #expect(second["reason"] == ["policy1"])
        #expect(try JSONValue.parse(lines[2])["error"] != nil)
        let single = CedarEngine.authorize(policies: Self.policies, entities: Self.entities, schema: nil,
                                           requestJSON: #"{"principal": "User::\"alice\"", "action": "Action::\"view\"", "resource": "Doc::\"d\"", "context": {"mfa": false}}"#)
        #expect(single == [#"{"decision":"deny","errors":[],"reason":[]}"#])
    }

    @Test("facade: parse, build a request, authorize, validate")
    func facade() throws {
        let schema = try CedarEngine.parseSchema(Self.schema)
        let policies = try CedarEngine.parsePolicies(Self.policies)
        let entities = try CedarEngine.parseEntities(Self.entities, schema: schema)
        let request = try CedarEngine.request(json: try JSONValue.parse(#"{"principal": {"type": "User", "id": "alice"}, "action": {"type": "Action", "id": "view"}, "resource": {"type": "Doc", "id": "d"}, "context": {"mfa": true}}"#), schema: schema)
        try CedarEngine.validate(request, schema: schema)
        #expect(CedarEngine.authorize(request, policies: policies, entities: entities).decision == .allow)
        #expect(CedarEngine.validate(policies, schema: schema).isEmpty)
        #expect(try CedarEngine.entityUID(text: #"A::B::"x\"y""#) == EntityUID(type: "A::B", id: "x\"y"))
        #expect(throws: EntitiesError.self) { try CedarEngine.entityUID(text: "A::") }
    }
}
