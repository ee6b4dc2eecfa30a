import JSON
import Testing

@testable import Identity

@Suite struct SCIMFilterParserTests {
    private func path(_ name: String, _ sub: String? = nil, uri: String? = nil) -> SCIMAttributePath {
        SCIMAttributePath(uri: uri, name: name, subAttribute: sub)
    }

    @Test(arguments: SCIMFilter.Operator.allCases)
    func everyComparisonOperator(op: SCIMFilter.Operator) throws {
        let f = try SCIMFilter.parse("userName \(op.rawValue) \"bjensen\"")
        #expect(f == .compare(path("userName"), op, "bjensen"))
        // Operators are case-insensitive.
        #expect(try SCIMFilter.parse("userName \(op.rawValue.uppercased()) \"bjensen\"") == f)
    }

    @Test func presentAndLiterals() throws {
        #expect(try SCIMFilter.parse("title pr") == .present(path("title")))
        #expect(try SCIMFilter.parse("title PR") == .present(path("title")))
        #expect(try SCIMFilter.parse("active eq true") == .compare(path("active"), .eq, true))
        #expect(try SCIMFilter.parse("active eq False") == .compare(path("active"), .eq, false))
        #expect(try SCIMFilter.parse("title eq NULL") == .compare(path("title"), .eq, .null))
        #expect(try SCIMFilter.parse("x eq 42") == .compare(path("x"), .eq, .int(42)))
        #expect(try SCIMFilter.parse("x gt -2.5") == .compare(path("x"), .gt, .double(-2.5)))
        #expect(try SCIMFilter.parse("x lt 1e3") == .compare(path("x"), .lt, .double(1000)))
        #expect(try SCIMFilter.parse("x le 0") == .compare(path("x"), .le, .int(0)))
    }

    @Test func stringEscapes() throws {
        let f = try SCIMFilter.parse(#"displayName eq "a\"b\\c\/d\u00e9\n\t\ud83d\ude00""#)
        #expect(f == .compare(path("displayName"), .eq, .string("a\"b\\c/dé\n\t😀")))
        // Non-ASCII text passes through unescaped too.
        #expect(try SCIMFilter.parse("displayName eq \"Zoë Ünal\"") == .compare(path("displayName"), .eq, "Zoë Ünal"))
    }

    @Test func attributeNamesAndURNs() throws {
        #expect(try SCIMFilter.parse("name.familyName co \"O'Malley\"") == .compare(path("name", "familyName"), .co, "O'Malley"))
        #expect(try SCIMFilter.parse("USERNAME eq \"x\"") == .compare(path("USERNAME"), .eq, "x"))
        #expect(try SCIMFilter.parse("urn:ietf:params:scim:schemas:core:2.0:User:userName sw \"J\"")
            == .compare(path("userName", uri: coreUser), .sw, "J"))
        #expect(try SCIMFilter.parse("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq \"m1\"")
            == .compare(path("manager", "value", uri: enterprise), .eq, "m1"))
        #expect(try SCIMFilter.parse("meta.lastModified gt \"2011-05-13T04:42:34Z\"")
            == .compare(path("meta", "lastModified"), .gt, "2011-05-13T04:42:34Z"))
        #expect(try SCIMFilter.parse("members.$ref pr") == .present(path("members", "$ref")))
    }

    @Test func precedenceNotOverAndOverOr() throws {
        let a = SCIMFilter.present(path("a")), b = SCIMFilter.present(path("b")), c = SCIMFilter.present(path("c"))
        #expect(try SCIMFilter.parse("a pr or b pr and c pr") == .or(a, .and(b, c)))
        #expect(try SCIMFilter.parse("a pr and b pr or c pr") == .or(.and(a, b), c))
        #expect(try SCIMFilter.parse("not (a pr) and b pr") == .and(.not(a), b))
        #expect(try SCIMFilter.parse("a pr and not (b pr or c pr)") == .and(a, .not(.or(b, c))))
        // and/or chain left to right.
        #expect(try SCIMFilter.parse("a pr or b pr or c pr") == .or(.or(a, b), c))
        #expect(try SCIMFilter.parse("a pr AND b pr And c pr") == .and(.and(a, b), c))
        // Grouping overrides precedence.
        #expect(try SCIMFilter.parse("(a pr or b pr) and c pr") == .and(.or(a, b), c))
        #expect(try SCIMFilter.parse("((a pr))") == a)
        // `not(` without a space, as RFC 7644's grammar literally has it.
        #expect(try SCIMFilter.parse("not(a pr)") == .not(a))
    }

    @Test func rfcExamples() throws {
        // The examples of RFC 7644 §3.4.2.2 all parse.
        let examples = [
            #"userName eq "bjensen""#,
            #"name.familyName co "O'Malley""#,
            #"userName sw "J""#,
            #"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#,
            #"title pr"#,
            #"meta.lastModified gt "2011-05-13T04:42:34Z""#,
            #"meta.lastModified ge "2011-05-13T04:42:34Z""#,
            #"meta.lastModified lt "2011-05-13T04:42:34Z""#,
            #"meta.lastModified le "2011-05-13T04:42:34Z""#,
            #"title pr and userType eq "Employee""#,
            #"title pr or userType eq "Intern""#,
            #"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
            #"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
            #"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
            #"userType eq "Employee" and (emails.type eq "work")"#,
            #"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
            #"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
        ]
        for text in examples {
            let f = try SCIMFilter.parse(text)
            // The canonical text parses back to the same tree.
            #expect(try SCIMFilter.parse(f.description) == f, "\(text)")
        }
    }

    @Test func valuePaths() throws {
        let f = try SCIMFilter.parse(#"emails[type eq "work" and value co "@x"] and userName pr"#)
        #expect(f == .and(
            .valuePath(path("emails"), .and(.compare(path("type"), .eq, "work"), .compare(path("value"), .co, "@x"))),
            .present(path("userName"))
        ))
        #expect(try SCIMFilter.parse(#"members[value eq "u1"]"#) == .valuePath(path("members"), .compare(path("value"), .eq, "u1")))
        #expect(try SCIMFilter.parse(#"emails[not (type eq "work")]"#) == .valuePath(path("emails"), .not(.compare(path("type"), .eq, "work"))))
        #expect(try SCIMFilter.parse(#"not (emails[primary eq true])"#) == .not(.valuePath(path("emails"), .compare(path("primary"), .eq, true))))
    }

    @Test func errorsSayWhere() {
        let cases: [(String, Int)] = [
            ("userName eq", 11),
            ("userName xx \"a\"", 9),
            ("userName eq \"a\" and", 19),
            ("(userName eq \"a\"", 16),
            ("userName eq \"abc", 12),
            ("userName eq \"a\" )", 16),
            ("\"a\" eq \"b\"", 0),
            ("userName eq bob", 12),
            ("userName eq \"a\\x\"", 14),
            ("emails[type eq \"work\"", 21),
            ("emails[type[value eq \"x\"]]", 11),
            ("emails.value[type eq \"x\"]", 12),
            ("emails[urn:x:y:type eq \"x\"]", 7),
            ("user name eq \"x\"", 5),
            ("", 0),
            ("   ", 3),
            ("userName eq \"a\" or or", 21),
            ("userName eq \"\u{01}\"", 13),
            ("1abc eq \"x\"", 0),
            ("userName eq 01", 12),
        ]
        for (text, position) in cases {
            let error = expectSCIMErrorSync("invalidFilter") { _ = try SCIMFilter.parse(text) }
            #expect(error?.position == position, "\(text): \(String(describing: error))")
            #expect(error?.status == 400)
        }
    }

    @Test func hostileInputIsRefusedCheaply() throws {
        // Deep nesting: refused at the limit, without recursing 100,000 levels.
        let deep = String(repeating: "(", count: 100_000) + "a pr" + String(repeating: ")", count: 100_000)
        let deepError = expectSCIMErrorSync("invalidFilter") { _ = try SCIMFilter.parse(deep, limits: .init(maxLength: 1_000_000)) }
        #expect(deepError?.detail.contains("nested deeper") == true)
        let notChain = String(repeating: "not (", count: 17) + "a pr" + String(repeating: ")", count: 17)
        expectSCIMErrorSync("invalidFilter") { _ = try SCIMFilter.parse(notChain) }
        let ok = String(repeating: "(", count: 16) + "a pr" + String(repeating: ")", count: 16)
        #expect(try SCIMFilter.parse(ok) == .present(path("a")))

        // Length: a megabyte string literal is refused before it is lexed.
        let huge = "userName eq \"" + String(repeating: "x", count: 1_000_000) + "\""
        let hugeError = expectSCIMErrorSync("invalidFilter") { _ = try SCIMFilter.parse(huge) }
        #expect(hugeError?.detail.contains("longer than") == true)

        // Breadth: too many comparisons.
        let wide = (0..<101).map { "a\($0) pr" }.joined(separator: " or ")
        expectSCIMErrorSync("invalidFilter") { _ = try SCIMFilter.parse(wide) }
        let fine = (0..<100).map { "a\($0) eq \"\($0)\"" }.joined(separator: " and ")
        #expect(throws: Never.self) { try SCIMFilter.parse(fine) }
    }

    @Test func patchPaths() throws {
        #expect(try SCIMPatchPath.parse("name.givenName") == SCIMPatchPath(attribute: path("name", "givenName")))
        #expect(try SCIMPatchPath.parse(#"emails[type eq "work"].value"#)
            == SCIMPatchPath(attribute: path("emails"), valueFilter: .compare(path("type"), .eq, "work"), subAttribute: "value"))
        #expect(try SCIMPatchPath.parse(#"members[value eq "2819c223"]"#)
            == SCIMPatchPath(attribute: path("members"), valueFilter: .compare(path("value"), .eq, "2819c223")))
        #expect(try SCIMPatchPath.parse("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager")
            == SCIMPatchPath(attribute: path("manager", uri: enterprise)))
        #expect(try SCIMPatchPath.parse("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
            == SCIMPatchPath(attribute: path("User", uri: "urn:ietf:params:scim:schemas:extension:enterprise:2.0")))
        for bad in [#"emails[type eq "work"]value"#, "emails[", #"emails[type eq "work"]."#, ".foo", "", "a b", #"emails.value[type eq "w"]"#] {
            expectSCIMErrorSync("invalidPath") { _ = try SCIMPatchPath.parse(bad) }
        }
    }

    @Test func checkingAgainstTheUserSchema() throws {
        let user = SCIMResourceType.user
        for ok in [
            #"emails co "x""#, #"emails pr"#, #"active eq "True""#, #"meta.created gt "2024-01-01T00:00:00+02:00""#,
            #"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "R&D""#, #"groups.value eq "g""#,
            #"title eq null"#, #"EMAILS[TYPE EQ "work"]"#,
        ] {
            #expect(throws: Never.self, "\(ok)") { _ = try SCIMFilter.parse(ok).checked(for: user) }
        }
        for bad in [
            #"nosuch eq "x""#, #"active gt true"#, #"active eq "yes""#, #"meta.created co "2024""#, #"password eq "x""#,
            #"name eq "x""#, #"userName eq 5"#, #"meta.created gt "yesterday""#, #"userName[value eq "x"]"#,
            #"emails[nosuch eq "x"]"#, #"title gt null"#, #"urn:foo:bar:x eq "y""#, #"name.nosuch eq "x""#,
        ] {
            expectSCIMErrorSync("invalidFilter") { _ = try SCIMFilter.parse(bad).checked(for: user) }
        }
    }
}
