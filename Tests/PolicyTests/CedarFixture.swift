@testable import Policy

/// Shared fixtures for the unit tests.
enum CedarFixture {
    static func uid(_ type: String, _ id: String) -> EntityUID { EntityUID(type: type, id: id) }

    static let alice = uid("User", "alice")
    static let bob = uid("User", "bob")
    static let view = uid("Action", "view")
    static let doc = uid("Doc", "d1")

    /// alice ∈ staff ∈ all; bob has no parents; doc d1 in folder f1 owned by alice.
    static let entities: Entities = {
        do {
            return try Entities([
                Entity(uid: alice, attributes: [
                    "age": .long(30), "name": .string("alice"), "tags": .set([.string("a"), .string("b")]),
                    "profile": .record(["level": .long(3), "dept": .string("Eng")]),
                ], parents: [uid("Group", "staff")], tags: ["team": .string("red"), "level": .long(2)]),
                Entity(uid: bob, attributes: ["age": .long(17)]),
                Entity(uid: uid("Group", "staff"), parents: [uid("Group", "all")]),
                Entity(uid: uid("Group", "all")),
                Entity(uid: doc, attributes: ["owner": .entity(alice), "public": .bool(false)], parents: [uid("Folder", "f1")]),
                Entity(uid: uid("Folder", "f1")),
            ])
        } catch {
            return Entities()
        }
    }()

    static func request(principal: EntityUID = alice, action: EntityUID = view, resource: EntityUID = doc, context: [String: CedarValue] = [:]) -> CedarRequest {
        CedarRequest(principal: principal, action: action, resource: resource, context: context)
    }

    /// Evaluates one expression against the fixture entities.
    static func eval(_ text: String, context: [String: CedarValue] = ["n": .long(5), "s": .string("hello")], principal: EntityUID = alice) throws -> CedarValue {
        let expr = try PolicyParser.expression(text)
        return try CedarEvaluator(request: request(principal: principal, context: context), entities: entities).eval(expr)
    }

    /// `true` when evaluation fails.
    static func fails(_ text: String) -> Bool {
        do {
            _ = try eval(text)
            return false
        } catch is CedarEvaluationError {
            return true
        } catch {
            return false
        }
    }
}
