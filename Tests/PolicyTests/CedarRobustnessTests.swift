import Foundation
import JSON
import Testing

@testable import Policy

/// Hostile and random input: everything must end in an error or a result, quickly, never a
/// crash, a stack overflow or a hang.
@Suite("Robustness")
struct CedarRobustnessTests {
    /// Runs `body` and checks it finished within `limit` seconds. The limits are generous on
    /// purpose: each case takes milliseconds, and the check is for hangs and exponential blowup,
    /// not speed on a loaded CI machine.
    func timed(_ what: String, limit: Double = 30, _ body: () -> Void) {
        let start = ContinuousClock.now
        body()
        let elapsed = ContinuousClock.now - start
        print("robustness: \(what): \(elapsed)")
        #expect(elapsed < .milliseconds(Int(limit * 1000)), "\(what) took \(elapsed)")
    }

    func expectLimitError(_ text: String, _ what: String) {
        timed(what) {
            do {
                _ = try CedarPolicySet(text: text)
                Issue.record("\(what): expected an error")
            } catch {
                // Either the nesting limit or a syntax error is fine; what matters is no crash.
            }
        }
    }

    @Test("100,000 nested parentheses, negations, minus signs, sets, records and ifs")
    func deepNesting() {
        let n = 100_000
        let wrap = { (open: String, inner: String, close: String) in
            "permit(principal, action, resource) when { " + String(repeating: open, count: n) + inner + String(repeating: close, count: n) + " };"
        }
        expectLimitError(wrap("(", "true", ")"), "parentheses")
        expectLimitError(wrap("!", "true", ""), "negations")
        expectLimitError(wrap("-", "1 == 1", ""), "minus signs")
        expectLimitError(wrap("!(", "true", ")"), "parenthesised negations")
        expectLimitError(wrap("[", "1", "]") , "sets")
        expectLimitError(wrap("{a: ", "1", "}"), "records")
        expectLimitError(wrap("if true then ", "true", " else false"), "if chains")
        expectLimitError(wrap("ip(", "\"1.1.1.1\"", ")"), "nested calls")
        expectLimitError("permit(principal, action, resource) when { 1" + String(repeating: " + 1", count: n) + " == 2 };", "long sum")
        expectLimitError("permit(principal, action, resource) when { principal" + String(repeating: ".a", count: n) + " };", "attribute chain")
        expectLimitError("permit(principal, action, resource) when { true" + String(repeating: " && true", count: n) + " };", "long conjunction")
        expectLimitError("permit(principal, action, resource) when { principal has a" + String(repeating: ".a", count: n) + " };", "has chain")
    }

    @Test("deep schema types are refused, not overflowed")
    func deepSchema() {
        let n = 100_000
        timed("schema sets") {
            #expect(throws: SchemaError.self) {
                _ = try Schema.parse(text: "entity A = { a: " + String(repeating: "Set<", count: n) + "Long" + String(repeating: ">", count: n) + " };")
            }
        }
        timed("schema records") {
            #expect(throws: SchemaError.self) {
                _ = try Schema.parse(text: "entity A = " + String(repeating: "{ a: ", count: n) + "Long" + String(repeating: " }", count: n) + ";")
            }
        }
        timed("JSON schema") {
            let json = String(repeating: "{\"type\":\"Set\",\"element\":", count: n) + "{\"type\":\"Long\"}" + String(repeating: "}", count: n)
            #expect(throws: SchemaError.self) { _ = try Schema.parse("{\"\": {\"entityTypes\": {\"A\": {\"shape\": " + json + "}}, \"actions\": {}}}") }
        }
    }

    @Test("nesting just under the limit still parses, evaluates and validates")
    func nestingUnderLimit() throws {
        let depth = 120
        let text = "permit(principal, action, resource) when { " + String(repeating: "(", count: depth) + "1 + context.n" + String(repeating: ")", count: depth) + " == 2 };"
        let policies = try CedarPolicySet(text: text)
        let request = CedarRequest(principal: EntityUID(type: "User", id: "a"), action: EntityUID(type: "Action", id: "go"), resource: EntityUID(type: "User", id: "a"), context: ["n": .long(1)])
        #expect(CedarAuthorizer(policies: policies).isAuthorized(request, entities: Entities()).decision == .allow)
        let chain = "permit(principal, action, resource) when { " + (0..<120).map { _ in "context.n" }.joined(separator: " + ") + " > 0 };"
        let chained = try CedarPolicySet(text: chain)
        #expect(CedarAuthorizer(policies: chained).isAuthorized(request, entities: Entities()).decision == .allow)
        let schema = try Schema.parse(text: "entity User; action go appliesTo { principal: User, resource: User, context: { n: Long } };")
        #expect(Validator(schema: schema).validate(chained).isEmpty)
    }

    @Test("huge integer literals are errors")
    func hugeIntegers() {
        for literal in ["9223372036854775808", "99999999999999999999999999999", String(repeating: "9", count: 100_000)] {
            #expect(throws: CedarParseError.self) { _ = try CedarPolicySet(text: "permit(principal, action, resource) when { \(literal) > 0 };") }
        }
        #expect(throws: CedarParseError.self) { _ = try CedarPolicySet(text: "permit(principal, action, resource) when { -9223372036854775809 < 0 };") }
        #expect((try? CedarPolicySet(text: "permit(principal, action, resource) when { -9223372036854775808 < 0 };")) != nil)
    }

    @Test("invalid UTF-8 is rejected")
    func invalidUTF8() {
        let bad: [[UInt8]] = [
            Array("permit(principal, action, resource) when { \"".utf8) + [0xFF, 0xFE] + Array("\" == \"\" };".utf8),
            [0xC0, 0x80],
            Array("permit(principal, action, resource);".utf8) + [0xED, 0xA0, 0x80],
            [0xF8, 0x88, 0x80, 0x80, 0x80],
        ]
        for bytes in bad {
            #expect(throws: CedarParseError.self) { _ = try CedarPolicySet(bytes: bytes) }
        }
    }

    @Test("oversized input is refused")
    func oversized() {
        let limits = CedarParserLimits(maxInputBytes: 1024)
        let text = String(repeating: "permit(principal, action, resource);\n", count: 100)
        #expect(throws: CedarParseError.self) { _ = try CedarPolicySet(text: text, limits: limits) }
    }

    @Test("pathological like patterns finish quickly")
    func pathologicalLike() throws {
        let long = String(repeating: "a", count: 100_000)
        let patterns = [
            String(repeating: "*a", count: 200) + "b",
            String(repeating: "a*", count: 500) + "b",
            String(repeating: "*", count: 10_000) + "b",
            "*" + String(repeating: "a", count: 1000) + "*b",
        ]
        for p in patterns {
            timed("like \(p.prefix(20))...") {
                #expect(wildcardMatch(long, unescapeCedarString(Array(p.utf8), pattern: true) ?? []) == false)
            }
        }
        let text = "permit(principal, action, resource) when { context.s like \"" + String(repeating: "*a", count: 300) + "*b\" };"
        let policies = try CedarPolicySet(text: text)
        let request = CedarRequest(principal: EntityUID(type: "U", id: ""), action: EntityUID(type: "Action", id: "a"), resource: EntityUID(type: "U", id: ""), context: ["s": .string(long)])
        timed("like through the authorizer") {
            #expect(CedarAuthorizer(policies: policies).isAuthorized(request, entities: Entities()).decision == .deny)
        }
    }

    static let seeds: [String] = [
        #"permit(principal == User::"alice", action in [Action::"view", Action::"edit"], resource in Folder::"f") when { principal.age >= 18 && resource.tags.contains("x") } unless { context.ip.isInRange(ip("10.0.0.0/8")) };"#,
        #"@id("p1") forbid(principal is User in Group::"g", action, resource is Doc) when { if principal has nick then principal.nick like "*a\*b*" else false };"#,
        #"permit(principal, action, resource) when { [1, -2, 3].containsAll([1]) || {a: "x", "b c": [true]}["b c"].isEmpty() || decimal("1.5").lessThan(decimal("2.0")) };"#,
        #"permit(principal, action, resource) when { datetime("2024-01-01").offset(duration("1d2h")) > context.now && principal.getTag("t") == 9223372036854775807 * 2 };"#,
    ]

    @Test("random mutations of policy text never crash or hang")
    func mutationFuzz() throws {
        var rng = CedarSeededRandom(seed: 0xF022)
        let alphabet = Array("()[]{}<>=!&|+-*/%.,;:@?\"\\ \n\tabcxyz019_principalactionresourcecontextwhenunlessifthenelseinishaslike*".utf8)
        let schema = try Schema.parse(text: "entity User in [Group] = { age: Long, nick?: String, tags: Set<String> }; entity Group, Doc, Folder; action view, edit appliesTo { principal: User, resource: [Doc, Folder], context: { now: datetime, ip: ipaddr } };")
        let request = CedarRequest(principal: EntityUID(type: "User", id: "alice"), action: EntityUID(type: "Action", id: "view"), resource: EntityUID(type: "Doc", id: "d"), context: [:])
        let entities = try Entities([Entity(uid: EntityUID(type: "User", id: "alice"), attributes: ["age": .long(30), "tags": .set([])])])
        var parsed = 0
        let iterations = 5000
        let start = ContinuousClock.now
        for _ in 0..<iterations {
            var bytes = Array(rng.pick(Self.seeds).utf8)
            for _ in 0..<rng.int(1...6) {
                let at = rng.int(0...bytes.count)
                switch rng.int(0...4) {
                case 0: bytes.insert(rng.pick(alphabet), at: at)
                case 1: if at < bytes.count { bytes.remove(at: at) }
                case 2: if at < bytes.count { bytes[at] = rng.pick(alphabet) }
                case 3: if at < bytes.count { bytes[at] = UInt8(rng.int(0...255)) }
                default:
                    let from = rng.int(0...bytes.count)
                    let to = min(bytes.count, from + rng.int(0...20))
                    bytes.insert(contentsOf: bytes[from..<to], at: min(at, bytes.count))
                }
            }
            guard let policies = try? CedarPolicySet(bytes: bytes) else { continue }
            parsed += 1
            _ = CedarAuthorizer(policies: policies).isAuthorized(request, entities: entities)
            _ = Validator(schema: schema).validate(policies)
        }
        print("mutation fuzz: \(iterations) mutants, \(parsed) parsed, \(ContinuousClock.now - start)")
        #expect(ContinuousClock.now - start < .seconds(120))
    }

    @Test("random JSON for entities and context never crashes")
    func entityJSONFuzz() throws {
        var rng = CedarSeededRandom(seed: 0xE7717)
        func value(_ d: Int) -> JSONValue {
            switch rng.int(0...(d > 0 ? 9 : 4)) {
            case 0: return .null
            case 1: return .bool(rng.chance(0.5))
            case 2: return .int(Int64(rng.int(-5...5)))
            case 3: return .double(1.5)
            case 4: return .string(rng.pick(["", "x", "1.2", "10.0.0.1", "2024-01-01", "1h"]))
            case 5: return .array((0..<rng.int(0...3)).map { _ in value(d - 1) })
            case 6: return .object(["__entity": value(d - 1)])
            case 7: return .object(["__extn": .object(["fn": .string(rng.pick(["ip", "decimal", "datetime", "duration", "offset", "nope"])), "arg": value(d - 1)])])
            case 8: return .object(["type": .string("User"), "id": value(d - 1)])
            default: return .object(["uid": value(d - 1), "attrs": value(d - 1), "parents": value(d - 1), "tags": value(d - 1)])
            }
        }
        let schema = try Schema.parse(text: "entity User = { a: Long, b?: decimal, c: Set<User> } tags String; action go appliesTo { principal: User, resource: User, context: { x: ipaddr } };")
        for _ in 0..<5000 {
            let doc = JSONValue.array((0..<rng.int(0...3)).map { _ in value(4) })
            _ = try? Entities.parse(json: doc)
            _ = try? Entities.parse(json: doc, schema: schema)
            _ = try? JSONValueReader.context(value(4), action: EntityUID(type: "Action", id: "go"), schema: rng.chance(0.5) ? schema : nil)
        }
    }
}
