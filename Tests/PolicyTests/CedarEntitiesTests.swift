import JSON
import Testing

@testable import Policy

@Suite("Entities and context JSON")
struct CedarEntitiesTests {
    @Test("layers: ancestors reach through every layer below, a uid may live in one layer only")
    func layered() throws {
        func uid(_ t: String, _ id: String) -> EntityUID { EntityUID(type: t, id: id) }
        let shared = try Entities([Entity(uid: uid("Role", "viewer"), parents: [uid("Role", "any")]), Entity(uid: uid("Role", "any"))])
        let principal = try Entities([Entity(uid: uid("User", "u"), parents: [uid("Group", "g"), uid("Role", "viewer")]),
                                      Entity(uid: uid("Group", "g"), parents: [uid("Tenant", "t")]), Entity(uid: uid("Tenant", "t"))], over: shared)
        let request = try Entities([Entity(uid: uid("Doc", "d"), attributes: ["owner": .entity(uid("User", "u"))], parents: [uid("User", "u")])],
                                   over: principal)
        #expect(request.ancestors(of: uid("Doc", "d")) == [uid("User", "u"), uid("Group", "g"), uid("Tenant", "t"), uid("Role", "viewer"), uid("Role", "any")])
        #expect(request.isDescendant(uid("User", "u"), of: uid("Role", "any")))
        #expect(request.entity(uid("Role", "any")) != nil)
        #expect(request.count == 6)
        #expect(request.all.map(\.uid) == [uid("Role", "viewer"), uid("Role", "any"), uid("User", "u"), uid("Group", "g"), uid("Tenant", "t"), uid("Doc", "d")])
        // The lower layers are unchanged by what was built over them.
        #expect(principal.entity(uid("Doc", "d")) == nil)
        #expect(throws: EntitiesError.self) { try Entities([Entity(uid: uid("Role", "any"))], over: principal) }
        #expect(throws: EntitiesError.self) { try Entities([Entity(uid: uid("Group", "g"))], over: request) }
    }

    @Test("plain JSON with __entity and __extn escapes; ancestors are transitive")
    func plain() throws {
        let entities = try Entities.parse("""
            [
              {"uid": {"type": "User", "id": "a"}, "attrs": {"m": {"__entity": {"type": "User", "id": "b"}},
                "ip": {"__extn": {"fn": "ip", "arg": "10.0.0.1"}},
                "when": {"__extn": {"fn": "offset", "args": [{"__extn": {"fn": "datetime", "arg": "1970-01-01"}}, {"__extn": {"fn": "duration", "arg": "1s"}}]}},
                "r": {"type": "User", "id": "c"}, "s": [1, 1, 2]},
               "parents": [{"type": "Group", "id": "g"}], "tags": {"t": 1}},
              {"uid": {"__entity": {"type": "Group", "id": "g"}}, "attrs": {}, "parents": [{"type": "Group", "id": "h"}]},
              {"uid": {"type": "Group", "id": "h"}}
            ]
            """)
        let a = try #require(entities.entity(EntityUID(type: "User", id: "a")))
        #expect(a.attributes["m"] == .entity(EntityUID(type: "User", id: "b")))
        #expect(a.attributes["ip"] == .ext(.ipaddr(try CedarIPAddress.parse("10.0.0.1").get())))
        #expect(a.attributes["when"] == .ext(.datetime(CedarDatetime(milliseconds: 1000))))
        #expect(a.attributes["r"] == .record(["type": .string("User"), "id": .string("c")]))
        #expect(a.attributes["s"] == .set([.long(1), .long(2)]))
        #expect(a.tags["t"] == .long(1))
        #expect(entities.ancestors(of: a.uid) == [EntityUID(type: "Group", id: "g"), EntityUID(type: "Group", id: "h")])
        #expect(entities.isDescendant(a.uid, of: EntityUID(type: "Group", id: "h")))
        #expect(entities.count == 3)
    }

    @Test("malformed entity JSON is refused", arguments: [
        "{}", "[1]", "[{\"attrs\": {}}]", "[{\"uid\": {\"type\": \"A\"}}]",
        "[{\"uid\": {\"type\": \"A\", \"id\": \"a\"}, \"attrs\": {\"x\": 1.5}}]",
        "[{\"uid\": {\"type\": \"A\", \"id\": \"a\"}, \"attrs\": {\"x\": null}}]",
        "[{\"uid\": {\"type\": \"A\", \"id\": \"a\"}}, {\"uid\": {\"type\": \"A\", \"id\": \"a\"}}]",
        "[{\"uid\": {\"type\": \"A\", \"id\": \"a\"}, \"attrs\": {\"x\": {\"__extn\": {\"fn\": \"ip\", \"arg\": \"bad\"}}}}]",
        "[{\"uid\": {\"type\": \"A\", \"id\": \"a\"}, \"parents\": {}}]",
        "[{\"uid\": {\"type\": \"A\", \"id\": \"a\"}, \"attrs\": {\"a\": 1, \"a\": 2}}]",
    ])
    func malformed(_ text: String) {
        #expect(throws: EntitiesError.self) { _ = try Entities.parse(text) }
    }

    static let schema: Schema = {
        (try? Schema.parse(text: """
            entity Group;
            entity User in [Group] = { score: decimal, boss?: User, addrs: Set<ipaddr>, info: { since: datetime } } tags Long;
            entity Color enum ["red", "blue"];
            action view appliesTo { principal: User, resource: [User, Color], context: { ttl: duration, who: User } };
            action all;
            action edit in [all] appliesTo { principal: User, resource: User };
            """)) ?? Schema(entityTypes: [:], actions: [:])
    }()

    @Test("schema-directed parsing: implicit extension values and entity references; actions from the schema")
    func schemaDirected() throws {
        let entities = try Entities.parse("""
            [{"uid": {"type": "User", "id": "a"}, "attrs": {"score": "1.25", "boss": {"type": "User", "id": "b"},
              "addrs": ["10.0.0.1", {"__extn": {"fn": "ip", "arg": "::1"}}], "info": {"since": "2024-01-01"}},
              "parents": [{"type": "Group", "id": "g"}], "tags": {"x": 3}}]
            """, schema: Self.schema)
        let a = try #require(entities.entity(EntityUID(type: "User", id: "a")))
        #expect(a.attributes["score"] == .ext(.decimal(CedarDecimal(scaled: 12_500))))
        #expect(a.attributes["boss"] == .entity(EntityUID(type: "User", id: "b")))
        #expect(a.attributes["info"] == .record(["since": .ext(.datetime(try CedarDatetime.parse("2024-01-01").get()))]))
        let edit = EntityUID(type: "Action", id: "edit")
        #expect(entities.isDescendant(edit, of: EntityUID(type: "Action", id: "all")))
        let context = try JSONValueReader.context(try JSONValue.parse("{\"ttl\": \"1h\", \"who\": {\"type\": \"User\", \"id\": \"a\"}}"), action: EntityUID(type: "Action", id: "view"), schema: Self.schema)
        #expect(context["ttl"] == .ext(.duration(CedarDuration(milliseconds: 3_600_000))))
        #expect(context["who"] == .entity(EntityUID(type: "User", id: "a")))
    }

    @Test("values that break the schema are refused", arguments: [
        "[{\"uid\": {\"type\": \"User\", \"id\": \"a\"}, \"attrs\": {\"score\": 1, \"addrs\": [], \"info\": {\"since\": \"2024-01-01\"}}}]",
        "[{\"uid\": {\"type\": \"User\", \"id\": \"a\"}, \"attrs\": {\"score\": \"1.0\", \"addrs\": []}}]",
        "[{\"uid\": {\"type\": \"User\", \"id\": \"a\"}, \"attrs\": {\"score\": \"1.0\", \"addrs\": [], \"info\": {\"since\": \"2024-01-01\"}, \"extra\": 1}}]",
        "[{\"uid\": {\"type\": \"User\", \"id\": \"a\"}, \"attrs\": {\"score\": \"1.0\", \"addrs\": [], \"info\": {\"since\": \"2024-01-01\"}, \"boss\": {\"type\": \"Group\", \"id\": \"g\"}}}]",
        "[{\"uid\": {\"type\": \"Nope\", \"id\": \"a\"}}]",
        "[{\"uid\": {\"type\": \"Color\", \"id\": \"green\"}}]",
        "[{\"uid\": {\"type\": \"Group\", \"id\": \"g\"}, \"parents\": [{\"type\": \"User\", \"id\": \"a\"}]}]",
        "[{\"uid\": {\"type\": \"Group\", \"id\": \"g\"}, \"tags\": {\"t\": 1}}]",
        "[{\"uid\": {\"type\": \"User\", \"id\": \"a\"}, \"attrs\": {\"score\": \"1.0\", \"addrs\": [], \"info\": {\"since\": \"2024-01-01\"}}, \"tags\": {\"t\": \"x\"}}]",
    ])
    func schemaViolations(_ text: String) {
        #expect(throws: EntitiesError.self) { _ = try Entities.parse(text, schema: Self.schema) }
    }

    @Test("request validation against the schema")
    func requestValidation() throws {
        let schema = Self.schema
        let ok = CedarRequest(principal: EntityUID(type: "User", id: "a"), action: EntityUID(type: "Action", id: "view"), resource: EntityUID(type: "Color", id: "red"),
                              context: ["ttl": .ext(.duration(CedarDuration(milliseconds: 1))), "who": .entity(EntityUID(type: "User", id: "b"))])
        try schema.validate(ok)
        var bad = ok
        bad.resource = EntityUID(type: "Color", id: "green")
        #expect(throws: RequestValidationError.self) { try schema.validate(bad) }
        bad = ok
        bad.principal = EntityUID(type: "Group", id: "g")
        #expect(throws: RequestValidationError.self) { try schema.validate(bad) }
        bad = ok
        bad.action = EntityUID(type: "Action", id: "nope")
        #expect(throws: RequestValidationError.self) { try schema.validate(bad) }
        bad = ok
        bad.context = ["ttl": .long(1), "who": .entity(EntityUID(type: "User", id: "b"))]
        #expect(throws: RequestValidationError.self) { try schema.validate(bad) }
        bad = ok
        bad.context = [:]
        #expect(throws: RequestValidationError.self) { try schema.validate(bad) }
    }
}
