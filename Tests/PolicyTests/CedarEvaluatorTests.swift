import Testing

@testable import Policy

@Suite("CedarEvaluator")
struct CedarEvaluatorTests {
    @Test("equality is structural and never a type error", arguments: [
        ("1 == 1", true), ("1 == \"1\"", false), ("[1, 2] == [2, 1, 1]", true), ("{a: 1, b: [true]} == {b: [true], a: 1}", true),
        ("principal == User::\"alice\"", true), ("User::\"alice\" == Group::\"alice\"", false), ("1 != 2", true),
        ("decimal(\"1.50\") == decimal(\"1.5\")", true), ("ip(\"10.0.0.1/24\") == ip(\"10.0.0.0/24\")", false),
    ])
    func equality(_ text: String, _ expected: Bool) throws {
        #expect(try CedarFixture.eval(text) == .bool(expected))
    }

    @Test("arithmetic and comparison on Long")
    func arithmetic() throws {
        #expect(try CedarFixture.eval("1 + 2 * 3 - -4") == .long(11))
        #expect(try CedarFixture.eval("context.n * context.n >= 25") == .bool(true))
        #expect(try CedarFixture.eval("-9223372036854775808 < 9223372036854775807") == .bool(true))
        #expect(CedarFixture.fails("9223372036854775807 + 1"))
        #expect(CedarFixture.fails("-9223372036854775808 - 1"))
        #expect(CedarFixture.fails("4611686018427387904 * 2"))
        #expect(CedarFixture.fails("--9223372036854775808"))
        #expect(CedarFixture.fails("1 + \"a\""))
        #expect(CedarFixture.fails("\"a\" < \"b\""))
        #expect(CedarFixture.fails("decimal(\"1.0\") < decimal(\"2.0\")"))
        #expect(try CedarFixture.eval("duration(\"1h\") < duration(\"2h\")") == .bool(true))
        #expect(try CedarFixture.eval("datetime(\"2024-01-01\") >= datetime(\"2023-12-31T23:59:59Z\")") == .bool(true))
        #expect(CedarFixture.fails("duration(\"1h\") < datetime(\"2024-01-01\")"))
    }

    @Test("&& and || short-circuit; non-Boolean operands are errors")
    func logic() throws {
        #expect(try CedarFixture.eval("false && 1") == .bool(false))
        #expect(try CedarFixture.eval("true || 1") == .bool(true))
        #expect(CedarFixture.fails("true && 1"))
        #expect(CedarFixture.fails("false || \"x\""))
        #expect(CedarFixture.fails("!1"))
        #expect(try CedarFixture.eval("if context.n > 3 then \"big\" else 1") == .string("big"))
        #expect(CedarFixture.fails("if 1 then true else false"))
        #expect(try CedarFixture.eval("if false then 1 + \"a\" else 2") == .long(2))
    }

    @Test("attributes and has, on entities and records")
    func attributes() throws {
        #expect(try CedarFixture.eval("principal.age") == .long(30))
        #expect(try CedarFixture.eval("principal[\"profile\"].dept") == .string("Eng"))
        #expect(try CedarFixture.eval("principal has age && !(principal has nope)") == .bool(true))
        #expect(try CedarFixture.eval("principal has profile.level && !(principal has profile.nope)") == .bool(true))
        #expect(try CedarFixture.eval("User::\"ghost\" has age") == .bool(false))
        #expect(CedarFixture.fails("User::\"ghost\".age"))
        #expect(CedarFixture.fails("principal.nope"))
        #expect(CedarFixture.fails("context.nope"))
        #expect(CedarFixture.fails("1 has a"))
        #expect(CedarFixture.fails("principal.age has a"))
        #expect(try CedarFixture.eval("resource.owner.name") == .string("alice"))
    }

    @Test("like with wildcards and escapes")
    func like() throws {
        #expect(try CedarFixture.eval("\"hello world\" like \"hello*\"") == .bool(true))
        #expect(try CedarFixture.eval("\"hello world\" like \"*world\"") == .bool(true))
        #expect(try CedarFixture.eval("\"hello world\" like \"*lo w*\"") == .bool(true))
        #expect(try CedarFixture.eval("\"hello world\" like \"h*o*d\"") == .bool(true))
        #expect(try CedarFixture.eval("\"hello\" like \"h*x\"") == .bool(false))
        #expect(try CedarFixture.eval("\"a*b\" like \"a\\*b\"") == .bool(true))
        #expect(try CedarFixture.eval("\"axb\" like \"a\\*b\"") == .bool(false))
        #expect(try CedarFixture.eval("\"\" like \"*\"") == .bool(true))
        #expect(try CedarFixture.eval("\"ünïcode\" like \"ü*e\"") == .bool(true))
        #expect(try CedarFixture.eval("\"abc\" like \"abc\"") == .bool(true))
        #expect(try CedarFixture.eval("\"abc\" like \"ab\"") == .bool(false))
        #expect(CedarFixture.fails("1 like \"*\""))
    }

    @Test("is and in over the transitive hierarchy and sets")
    func hierarchy() throws {
        #expect(try CedarFixture.eval("principal is User") == .bool(true))
        #expect(try CedarFixture.eval("principal is Group") == .bool(false))
        #expect(CedarFixture.fails("1 is User"))
        #expect(try CedarFixture.eval("principal in Group::\"all\"") == .bool(true))
        #expect(try CedarFixture.eval("principal in principal") == .bool(true))
        #expect(try CedarFixture.eval("User::\"bob\" in Group::\"all\"") == .bool(false))
        #expect(try CedarFixture.eval("User::\"ghost\" in User::\"ghost\"") == .bool(true))
        #expect(try CedarFixture.eval("principal in [User::\"bob\", Group::\"staff\"]") == .bool(true))
        #expect(try CedarFixture.eval("principal is User in Group::\"staff\"") == .bool(true))
        #expect(try CedarFixture.eval("resource in Folder::\"f1\"") == .bool(true))
        #expect(CedarFixture.fails("principal in [principal, 1]"))
        #expect(CedarFixture.fails("1 in [principal]"))
        #expect(CedarFixture.fails("principal in 1"))
    }

    @Test("set methods")
    func sets() throws {
        #expect(try CedarFixture.eval("[1, 2, 3].contains(2)") == .bool(true))
        #expect(try CedarFixture.eval("principal.tags.containsAll([\"a\"])") == .bool(true))
        #expect(try CedarFixture.eval("principal.tags.containsAny([\"z\", \"b\"])") == .bool(true))
        #expect(try CedarFixture.eval("[].isEmpty() && ![1].isEmpty()") == .bool(true))
        #expect(try CedarFixture.eval("[[1], {a: 1}].contains({a: 1})") == .bool(true))
        #expect(CedarFixture.fails("1.contains(1)"))
        #expect(CedarFixture.fails("[1].containsAll(1)"))
        #expect(CedarFixture.fails("\"a\".isEmpty()"))
    }

    @Test("entity tags")
    func tags() throws {
        #expect(try CedarFixture.eval("principal.hasTag(\"team\") && principal.getTag(\"team\") == \"red\"") == .bool(true))
        #expect(try CedarFixture.eval("principal.hasTag(\"nope\")") == .bool(false))
        #expect(try CedarFixture.eval("User::\"ghost\".hasTag(\"team\")") == .bool(false))
        #expect(CedarFixture.fails("principal.getTag(\"nope\")"))
        #expect(CedarFixture.fails("User::\"ghost\".getTag(\"team\")"))
        #expect(CedarFixture.fails("principal.hasTag(1)"))
        #expect(CedarFixture.fails("context.hasTag(\"a\")"))
    }

    @Test("records and sets are built from expressions")
    func literals() throws {
        #expect(try CedarFixture.eval("{a: 1 + 1, \"b c\": [context.s]}") == .record(["a": .long(2), "b c": .set([.string("hello")])]))
        #expect(try CedarFixture.eval("[1, 1, 2]") == .set([.long(1), .long(2)]))
        #expect(CedarFixture.fails("[1, 1 + \"a\"]"))
    }
}

@Suite("Authorizer")
struct CedarAuthorizerTests {
    @Test("forbid overrides permit; errors skip the policy and are reported")
    func decisions() throws {
        let set = try CedarPolicySet(text: """
            permit(principal, action == Action::"view", resource) when { principal.age >= 18 };
            forbid(principal, action, resource) when { resource.public };
            permit(principal, action, resource) when { principal.nope };
            permit(principal in Group::"all", action, resource is Doc);
            """)
        let authorizer = CedarAuthorizer(policies: set)
        let allowed = authorizer.isAuthorized(CedarFixture.request(), entities: CedarFixture.entities)
        #expect(allowed.decision == .allow)
        #expect(Set(allowed.reason) == ["policy0", "policy3"])
        #expect(allowed.errors.map(\.policyID) == ["policy2"])
        let bob = authorizer.isAuthorized(CedarFixture.request(principal: CedarFixture.bob), entities: CedarFixture.entities)
        #expect(bob.decision == .deny)
        #expect(bob.reason.isEmpty)
        let (response, trace) = authorizer.explain(CedarFixture.request(principal: CedarFixture.bob), entities: CedarFixture.entities)
        #expect(response.decision == .deny)
        #expect(trace.map(\.outcome) == [.conditionFalse, .conditionFalse, .error, .scopeMismatch])
    }

    @Test("a satisfied forbid denies and is the reason")
    func forbidReason() throws {
        let set = try CedarPolicySet(text: """
            permit(principal, action, resource);
            forbid(principal == User::"alice", action, resource) unless { context.ok };
            """)
        let r = CedarAuthorizer(policies: set).isAuthorized(CedarFixture.request(context: ["ok": .bool(false)]), entities: CedarFixture.entities)
        #expect(r.decision == .deny)
        #expect(r.reason == ["policy1"])
        let ok = CedarAuthorizer(policies: set).isAuthorized(CedarFixture.request(context: ["ok": .bool(true)]), entities: CedarFixture.entities)
        #expect(ok.decision == .allow)
        #expect(ok.reason == ["policy0"])
    }

    @Test("no policies means deny")
    func empty() throws {
        let r = CedarAuthorizer(policies: try CedarPolicySet(text: "")).isAuthorized(CedarFixture.request(), entities: Entities())
        #expect(r.decision == .deny && r.reason.isEmpty && r.errors.isEmpty)
    }
}
