import JSON
import Testing

@testable import Policy

@Suite("Schema")
struct CedarSchemaTests {
    static let text = """
        // A namespaced schema with every construct.
        type Name = String;
        namespace App {
            type Profile = { level: Long, dept?: String };
            @doc("users") entity User in [Group] = {
                name: Name,
                profile: Profile,
                "quoted key": Bool,
                manager?: User,
                score: decimal,
                emails: Set<String>,
            } tags String;
            entity Group in [Group];
            entity Status enum ["active", "retired"];
            entity Doc { owner: User, status: Status };
            action read, write appliesTo { principal: [User], resource: Doc, context: { ip: ipaddr, now?: datetime } };
            action "delete doc" in [write] appliesTo { principal: User, resource: [Doc] };
            action admin in [read, "delete doc"];
        }
        """

    @Test("human-readable form")
    func textForm() throws {
        let schema = try Schema.parse(text: Self.text)
        let user = try #require(schema.entityTypes["App::User"])
        #expect(user.memberOfTypes == ["App::Group"])
        #expect(user.shape.attributes["name"]?.type == .string)
        #expect(user.shape.attributes["manager"]?.required == false)
        #expect(user.shape.attributes["manager"]?.type == .entity("App::User"))
        #expect(user.shape.attributes["profile"]?.type == .record(RecordType(attributes: [
            "level": AttributeType(type: .long, required: true), "dept": AttributeType(type: .string, required: false),
        ])))
        #expect(user.shape.attributes["score"]?.type == .ext("decimal"))
        #expect(user.shape.attributes["quoted key"]?.type == .bool)
        #expect(user.tags == .string)
        #expect(schema.entityTypes["App::Status"]?.enumValues == ["active", "retired"])
        let read = try #require(schema.actions[EntityUID(type: "App::Action", id: "read")])
        #expect(read.principalTypes == ["App::User"])
        #expect(read.context.attributes["now"]?.required == false)
        let delete = try #require(schema.actions[EntityUID(type: "App::Action", id: "delete doc")])
        #expect(delete.memberOf == [EntityUID(type: "App::Action", id: "write")])
        #expect(schema.actions[EntityUID(type: "App::Action", id: "admin")]?.principalTypes.isEmpty == true)
        #expect(schema.canBeDescendant("App::User", of: "App::Group"))
        #expect(schema.canBeDescendant("App::Group", of: "App::Group"))
        #expect(!schema.canBeDescendant("App::Doc", of: "App::Group"))
    }

    @Test("JSON form describes the same schema")
    func jsonForm() throws {
        let json = """
            {"App": {
              "commonTypes": {"Profile": {"type": "Record", "attributes": {"level": {"type": "Long"}, "dept": {"type": "String", "required": false}}}},
              "entityTypes": {
                "User": {"memberOfTypes": ["Group"], "shape": {"type": "Record", "attributes": {
                  "profile": {"type": "Profile"}, "manager": {"type": "Entity", "name": "User", "required": false},
                  "score": {"type": "Extension", "name": "decimal"}, "emails": {"type": "Set", "element": {"type": "String"}},
                  "ok": {"type": "Boolean"}, "boss": {"type": "EntityOrCommon", "name": "User"}}},
                  "tags": {"type": "String"}},
                "Group": {"memberOfTypes": ["Group"]},
                "Status": {"enum": ["active"]}
              },
              "actions": {
                "read": {"appliesTo": {"principalTypes": ["User"], "resourceTypes": ["Group"], "context": {"type": "Record", "attributes": {"ip": {"type": "Extension", "name": "ipaddr"}}}}},
                "all": {},
                "write": {"memberOf": [{"id": "all"}], "appliesTo": {"principalTypes": ["User"], "resourceTypes": ["Group"]}}
              }
            }}
            """
        let schema = try Schema.parse(json)
        let user = try #require(schema.entityTypes["App::User"])
        #expect(user.shape.attributes["profile"]?.type == .record(RecordType(attributes: [
            "level": AttributeType(type: .long, required: true), "dept": AttributeType(type: .string, required: false),
        ])))
        #expect(user.shape.attributes["boss"]?.type == .entity("App::User"))
        #expect(user.shape.attributes["ok"]?.type == .bool)
        #expect(schema.actions[EntityUID(type: "App::Action", id: "write")]?.memberOf == [EntityUID(type: "App::Action", id: "all")])
        #expect(schema.actions[EntityUID(type: "App::Action", id: "read")]?.context.attributes["ip"]?.type == .ext("ipaddr"))
        #expect(schema.entityTypes["App::Status"]?.enumValues == ["active"])
    }

    @Test("name resolution prefers common types, then entity types, then builtins")
    func resolution() throws {
        let schema = try Schema.parse(text: """
            type ipaddr = String;
            entity A = { x: ipaddr, y: __cedar::ipaddr, z: __cedar::Long };
            namespace N { entity A = { a: A, top: B }; }
            entity B;
            """)
        #expect(schema.entityTypes["A"]?.shape.attributes["x"]?.type == .string)
        #expect(schema.entityTypes["A"]?.shape.attributes["y"]?.type == .ext("ipaddr"))
        #expect(schema.entityTypes["A"]?.shape.attributes["z"]?.type == .long)
        #expect(schema.entityTypes["N::A"]?.shape.attributes["a"]?.type == .entity("N::A"))
        #expect(schema.entityTypes["N::A"]?.shape.attributes["top"]?.type == .entity("B"))
    }

    @Test("invalid schemas are refused", arguments: [
        "entity A in [Missing];",
        "entity A = { x: Missing };",
        "entity A; entity A;",
        "action a in [b];",
        "action a in [b]; action b in [a];",
        "type T = T2; type T2 = T; entity A = { t: T };",
        "entity A = { x: Long, x: String };",
        "entity A enum [];",
        "type Long = String; entity A;",
        "entity A",
        "namespace { entity A; }",
        "action a appliesTo { principal: [A], bogus: B };",
        "{\"\": {\"entityTypes\": {\"A\": {\"shape\": {\"type\": \"Nope\"}}}, \"actions\": {}}}",
        "{\"\": {\"entityTypes\": [], \"actions\": {}}}",
    ])
    func invalid(_ text: String) {
        #expect(throws: SchemaError.self) { _ = try Schema.parse(text) }
    }

    @Test("syntax errors in the text form carry a position")
    func position() {
        do {
            _ = try Schema.parse(text: "entity A;\nentity B = { x: Long ");
            Issue.record("expected an error")
        } catch {
            #expect(error.parseError?.line == 2)
        }
    }
}
