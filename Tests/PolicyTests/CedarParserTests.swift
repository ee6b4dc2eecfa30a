import Testing

@testable import Policy

@Suite("CedarLexer and parser")
struct CedarParserTests {
    @Test("tokens: identifiers, integers, strings, punctuation and comments")
    func lexer() throws {
        let tokens = try CedarLexer(bytes: Array("foo_1 42 \"a\\\"b\" == != <= >= && || :: // comment\n@".utf8)).tokenize()
        #expect(tokens.map(\.kind) == [.identifier, .integer, .string, .punct, .punct, .punct, .punct, .punct, .punct, .punct, .punct, .end])
        #expect(throws: CedarParseError.self) { _ = try CedarLexer(bytes: Array("\"open".utf8)).tokenize() }
        #expect(throws: CedarParseError.self) { _ = try CedarLexer(bytes: Array("a # b".utf8)).tokenize() }
    }

    @Test("string escapes")
    func escapes() {
        #expect(unescapeCedarString(Array(#"a\n\t\r\\\0\'\"\x41\u{1F600}"#.utf8)) == "a\n\t\r\\\0'\"A😀")
        #expect(unescapeCedarString(Array(#"\q"#.utf8)) == nil)
        #expect(unescapeCedarString(Array(#"\x80"#.utf8)) == nil)
        #expect(unescapeCedarString(Array(#"\u{110000}"#.utf8)) == nil)
        #expect(unescapeCedarString(Array(#"\*"#.utf8)) == nil)
        #expect(unescapeCedarString(Array(#"a\*"#.utf8), pattern: true) == [.char("a"), .char("*")])
    }

    @Test("policies are numbered in source order unless they carry @id")
    func ids() throws {
        let set = try CedarPolicySet(text: """
            permit(principal, action, resource);
            @id("custom") @doc("x") forbid(principal, action, resource);
            @flag permit(principal, action, resource);
            """)
        #expect(set.policies.map(\.id) == ["policy0", "custom", "policy2"])
        #expect(set.policies[1].effect == .forbid)
        #expect(set.policies[1].annotations.map(\.key) == ["id", "doc"])
        #expect(set.policies[2].annotations.first?.value == "")
        #expect(set.policies[1].line == 2 && set.policies[1].column == 1)
    }

    @Test("scope forms")
    func scopes() throws {
        let p = try CedarPolicySet(text: """
            permit(principal == User::"a", action == Action::"v", resource in Folder::"f");
            permit(principal in Group::"g", action in [Action::"a", NS::Action::"b"], resource is Doc);
            permit(principal is User in Group::"g", action in Action::"grp", resource == Doc::"d",);
            """).policies
        #expect(p[0].principal == .eq(EntityUID(type: "User", id: "a")))
        #expect(p[0].action == .eq(EntityUID(type: "Action", id: "v")))
        #expect(p[0].resource == .in(EntityUID(type: "Folder", id: "f")))
        #expect(p[1].action == .in([EntityUID(type: "Action", id: "a"), EntityUID(type: "NS::Action", id: "b")]))
        #expect(p[1].resource == .is("Doc"))
        #expect(p[2].principal == .isIn("User", EntityUID(type: "Group", id: "g")))
    }

    @Test("parse errors carry line and column")
    func errorPositions() {
        do {
            _ = try CedarPolicySet(text: "permit(principal, action, resource)\n  when { 1 + };")
            Issue.record("expected an error")
        } catch {
            #expect(error.line == 2)
            #expect(error.column == 14)
        }
        do {
            _ = try CedarPolicySet(text: "permit(principal, action, resource) when { \"é\" == \"\\q\" };")
            Issue.record("expected an error")
        } catch {
            #expect(error.line == 1)
            #expect(error.column == 51)  // the opening quote of the bad literal, counting "é" as one column
        }
    }

    @Test("syntax the reference parser rejects", arguments: [
        "permit(principal, action, resource) when { 1 < 2 < 3 };",
        "permit(principal, action, resource) when { principal has x == true };",
        "permit(principal, action, resource) when { !!!!!true };",
        "permit(principal, action, resource) when { -----1 < 0 };",
        "permit(principal, action, resource) when { !-1 };",
        "permit(principal, action, resource) when { {a: 1, a: 2} has a };",
        "permit(principal, action, resource) when { principal.if };",
        "permit(principal, action, resource) when { foo };",
        "permit(principal, action, resource) when { principal.contains() };",
        "permit(principal, action, resource) when { isIpv4(ip(\"1.1.1.1\")) };",
        "permit(principal, action, resource) when { ip(\"1.1.1.1\").ip() };",
        "permit(principal, action, resource) when { nope(1) };",
        "permit(principal, action, resource) when { principal[context] };",
        "permit(principal, action, resource) when { 1 / 2 };",
        "permit(principal, action, resource) when { 1 % 2 };",
        "permit(principal, action, resource) when { 1 + if true then 1 else 2 };",
        "permit(principal, action, resource) when { __cedar::ip(\"1.1.1.1\") };",
        "permit(principal, action, resource) when { };",
        "permit(principal, action, resource) when { principal = 1 };",
        "permit(principal, action == User::\"x\", resource);",
        "permit(principal, action is Action, resource);",
        "permit(principal in [User::\"a\"], action, resource);",
        "permit(principal == ?principal, action, resource);",
        "permit(action, principal, resource);",
        "@id(\"a\") @id(\"b\") permit(principal, action, resource);",
        "@id(\"a\") permit(principal, action, resource); @id(\"a\") permit(principal, action, resource);",
        "allow(principal, action, resource);",
        "permit(principal, action, resource)",
    ])
    func rejected(_ text: String) {
        #expect(throws: CedarParseError.self) { _ = try CedarPolicySet(text: text) }
    }

    @Test("syntax the reference parser accepts", arguments: [
        "permit(principal, action, resource) when { -9223372036854775808 < 0 };",
        "permit(principal, action, resource) when { [1, 2,] == [1, 2] && {a: 1,} has a };",
        "permit(principal, action, resource) when { principal has \"a b\" || principal has a.b.c };",
        "permit(principal, action, resource) when { principal[\"x y\"] == 1 };",
        "permit(principal, action, resource) when { !!!!true && ----1 == 1 };",
        "permit(principal, action, resource) when { A::B::C::\"id\" in [principal] };",
        "permit(principal, action, resource) when { if true then 1 else 2 } unless { false };",
        "permit(principal, action, resource) when { \"a\" like \"\\*a*\" };",
        "permit(principal, action, resource) when { decimal(\"1.0\").lessThan(decimal(\"2.0\")) };",
        "// only a comment\npermit(principal, action, resource);",
        "",
    ])
    func accepted(_ text: String) throws {
        _ = try CedarPolicySet(text: text)
    }

    @Test("desugaring: != is not ==, has a.b is a chain of has")
    func desugaring() throws {
        guard case .not(.binary(.eq, _, _)) = try PolicyParser.expression("1 != 2") else {
            Issue.record("!= should desugar to !(==)")
            return
        }
        guard case .and(.hasAttr(.variable(.principal), "a"), .hasAttr(.getAttr(.variable(.principal), "a"), "b")) = try PolicyParser.expression("principal has a.b") else {
            Issue.record("has a.b should desugar")
            return
        }
        guard case .and(.isType(_, "User"), .binary(.in, _, _)) = try PolicyParser.expression("principal is User in Group::\"g\"") else {
            Issue.record("is-in should desugar")
            return
        }
    }
}
