import FlowgateTesting
import JSON
import Store
import Testing

@testable import Identity

/// Filters, sorting and paging run as SQL against real rows, on SQLite and PostgreSQL.
@Suite struct SCIMFilterSQLTests {
    /// Four users with the cases that matter: case-insensitive names, a case-exact
    /// `externalId`, multi-valued e-mails, an empty title, the enterprise extension, non-ASCII.
    static func seed(_ store: Store, _ clock: ManualClock, _ tenant: TenantID) async throws -> [String: SCIMResource] {
        let bodies = [
            ("u1", #"""
            {"schemas":["\#(coreUser)","\#(enterprise)"],"userName":"bjensen@example.com","displayName":"Babs Jensen",
             "title":"Tour Guide","externalId":"ext-1","name":{"givenName":"Barbara","familyName":"Jensen"},
             "emails":[{"value":"bjensen@example.com","type":"work","primary":true},{"value":"babs@jensen.org","type":"home"}],
             "\#(enterprise)":{"department":"Sales","employeeNumber":"701984","manager":{"value":"m1"}}}
            """#),
            ("u2", #"""
            {"schemas":["\#(coreUser)"],"userName":"JSmith","displayName":"John Smith","active":false,"externalId":"EXT-1",
             "name":{"familyName":"O'Malley"},"emails":[{"value":"john@Example.org","type":"work"}]}
            """#),
            ("u3", #"""
            {"schemas":["\#(coreUser)"],"userName":"alice","title":"","emails":[],
             "\#(enterprise)":{"department":"sales"}}
            """#),
            ("u4", #"""
            {"schemas":["\#(coreUser)"],"userName":"Zoë","displayName":"zoë","userType":"Intern","emails":[{"value":"z@x.io"}]}
            """#),
        ]
        var out: [String: SCIMResource] = [:]
        for (key, body) in bodies {
            clock.advance(millis: 1000)
            let parsed = try json(body)
            out[key] = try await store.scim(tenant) { try await $0.create(.users, parsed).resource }
        }
        return out
    }

    private static func names(_ store: Store, _ tenant: TenantID, _ filter: String, kind: SCIMResourceKind = .users) async throws -> Set<String> {
        let page = try await store.scim(tenant) { try await $0.list(kind, SCIMListQuery(filter: filter, count: 200)) }
        #expect(page.totalResults == page.itemsPerPage)
        return Set(page.resources.compactMap { ($0["userName"] ?? $0["displayName"])?.stringValue })
    }

    @Test(arguments: TestBackend.all)
    func semantics(backend: TestBackend) async throws {
        let clock = ManualClock()
        try await backend.withStore(clock: clock) { store in
            let tenant = try await makeTenant(store, "acme")
            let users = try await Self.seed(store, clock, tenant)
            let (u1, u2, u3, u4) = ("bjensen@example.com", "JSmith", "alice", "Zoë")
            let created2 = users["u2"]?.json["meta"]?["created"]?.stringValue ?? ""
            let created1 = users["u1"]?.json["meta"]?["created"]?.stringValue ?? ""
            let u2Millis = users["u2"]?.created ?? 0
            // The same instant as u2's creation, written with an offset.
            let created2Offset = SCIMDateTime.format(millis: u2Millis + 3_600_000).replacingOccurrences(of: "Z", with: "+01:00")
            let cases: [(String, Set<String>)] = [
                (#"userName eq "BJENSEN@example.com""#, [u1]),
                (#"USERNAME EQ "jsmith""#, [u2]),
                (#"externalId eq "ext-1""#, [u1]),
                (#"externalId eq "EXT-1""#, [u2]),
                (#"displayName co "SMITH""#, [u2]),
                (#"displayName eq "ZOË""#, []),
                (#"displayName eq "zoë""#, [u4]),
                (#"userName eq "ZOë""#, [u4]),
                (#"title pr"#, [u1]),
                (#"title eq """#, [u3]),
                (#"not (title pr)"#, [u2, u3, u4]),
                (#"title eq null"#, [u2, u3, u4]),
                (#"title ne null"#, [u1]),
                (#"emails pr"#, [u1, u2, u4]),
                (#"emails co "EXAMPLE""#, [u1, u2]),
                (#"emails.value ew ".org""#, [u1, u2]),
                (#"emails[type eq "work" and value co "@example.com"]"#, [u1]),
                (#"emails[type eq "work"] and not (emails[primary eq true])"#, [u2]),
                (#"emails.type eq "home""#, [u1]),
                (#"emails.type ne "work""#, [u1]),
                (#"emails[not (type pr)]"#, [u4]),
                (#"active eq false"#, [u2]),
                (#"active ne false"#, [u1, u3, u4]),
                (#"active eq "False""#, [u2]),
                (#"name.familyName co "o'malley""#, [u2]),
                (#"name pr"#, [u1, u2]),
                (#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "SALES""#, [u1, u3]),
                (#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "m1""#, [u1]),
                (#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber pr"#, [u1]),
                (#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#, [u2]),
                ("meta.created gt \"\(created2)\"", [u3, u4]),
                ("meta.created ge \"\(created2)\"", [u2, u3, u4]),
                ("meta.created lt \"\(created2)\"", [u1]),
                ("meta.created eq \"\(created2Offset)\"", [u2]),
                ("meta.lastModified le \"\(created1)\"", [u1]),
                (#"userName gt "j""#, [u2, u4]),
                (#"userName lt "b""#, [u3]),
                (#"(userName sw "b" or userName sw "j") and active eq true"#, [u1]),
                (#"userType eq "intern" or title co "GUIDE""#, [u1, u4]),
                (#"not (userName sw "a" or userName sw "b")"#, [u2, u4]),
                (#"userName sw "a" or userName sw "b" and active eq false"#, [u3]),
                ("id eq \"\(users["u3"]?.id ?? "")\"", [u3]),
                ("id eq \"\(users["u3"]?.id.uppercased() ?? "")\"", []),
                (#"meta.resourceType eq "User""#, [u1, u2, u3, u4]),
                (#"meta.resourceType eq "user""#, []),
                (#"userName co """#, [u1, u2, u3, u4]),
            ]
            for (filter, expected) in cases {
                let got = try await Self.names(store, tenant, filter)
                #expect(got == expected, "\(backend): \(filter)")
            }
        }
    }

    @Test(arguments: TestBackend.all)
    func membershipFilters(backend: TestBackend) async throws {
        let clock = ManualClock()
        try await backend.withStore(clock: clock) { store in
            let tenant = try await makeTenant(store, "acme")
            let users = try await Self.seed(store, clock, tenant)
            let u1 = users["u1"]?.id ?? "", u2 = users["u2"]?.id ?? ""
            let body = try json(#"{"schemas":["\#(coreGroup)"],"displayName":"Admins","members":[{"value":"\#(u1)"},{"value":"\#(u2)"}]}"#)
            let group = try await store.scim(tenant) { try await $0.create(.groups, body).resource }
            _ = try await store.scim(tenant) { try await $0.create(.groups, try json(#"{"schemas":["\#(coreGroup)"],"displayName":"Empty"}"#)) }
            #expect(try await Self.names(store, tenant, "groups pr") == ["bjensen@example.com", "JSmith"])
            #expect(try await Self.names(store, tenant, "groups.value eq \"\(group.id)\"") == ["bjensen@example.com", "JSmith"])
            #expect(try await Self.names(store, tenant, #"groups.display eq "ADMINS""#) == ["bjensen@example.com", "JSmith"])
            #expect(try await Self.names(store, tenant, #"groups[display sw "adm"] and active eq true"#) == ["bjensen@example.com"])
            #expect(try await Self.names(store, tenant, "not (groups pr)") == ["alice", "Zoë"])
            #expect(try await Self.names(store, tenant, "members[value eq \"\(u1)\"]", kind: .groups) == ["Admins"])
            // Entra's membership probe.
            #expect(try await Self.names(store, tenant, "id eq \"\(group.id)\" and members[value eq \"\(u2)\"]", kind: .groups) == ["Admins"])
            #expect(try await Self.names(store, tenant, "members pr", kind: .groups) == ["Admins"])
            #expect(try await Self.names(store, tenant, "not (members pr)", kind: .groups) == ["Empty"])
            #expect(try await Self.names(store, tenant, #"displayName eq "admins""#, kind: .groups) == ["Admins"])
            #expect(try await Self.names(store, tenant, #"members.display co "babs""#, kind: .groups) == ["Admins"])
            #expect(try await Self.names(store, tenant, #"members.type eq "User""#, kind: .groups) == ["Admins"])
            await expectSCIMError("invalidFilter") { _ = try await Self.names(store, tenant, #"members.$ref pr"#, kind: .groups) }
            await expectSCIMError("invalidFilter") { _ = try await Self.names(store, tenant, #"userName eq "x""#, kind: .groups) }
        }
    }

    @Test(arguments: TestBackend.all)
    func sorting(backend: TestBackend) async throws {
        let clock = ManualClock()
        try await backend.withStore(clock: clock) { store in
            let tenant = try await makeTenant(store, "acme")
            let users = try await Self.seed(store, clock, tenant)
            let idOf = { (key: String) in users[key]?.id ?? "" }
            func order(_ sortBy: String, _ sortOrder: SCIMListQuery.SortOrder? = nil) async throws -> [String] {
                let page = try await store.scim(tenant) { try await $0.list(.users, SCIMListQuery(sortBy: sortBy, sortOrder: sortOrder)) }
                return page.resources.compactMap { $0["id"]?.stringValue }
            }
            // Missing values last when ascending, first when descending; ties by id.
            let byID = { (keys: [String]) in keys.map(idOf).sorted() }
            #expect(try await order("userName") == ["u3", "u1", "u2", "u4"].map(idOf))
            #expect(try await order("userName", .descending) == ["u4", "u2", "u1", "u3"].map(idOf))
            #expect(try await order("title") == [idOf("u3"), idOf("u1")] + byID(["u2", "u4"]))
            #expect(try await order("emails.value") == ["u1", "u2", "u4", "u3"].map(idOf))
            #expect(try await order("emails") == ["u1", "u2", "u4", "u3"].map(idOf))
            #expect(try await order("name.familyName", .descending) == byID(["u3", "u4"]) + [idOf("u2"), idOf("u1")])
            #expect(try await order("meta.created", .descending) == ["u4", "u3", "u2", "u1"].map(idOf))
            #expect(try await order("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department") == byID(["u1", "u3"]) + byID(["u2", "u4"]))
            #expect(try await order("active") == [idOf("u2")] + byID(["u1", "u3", "u4"]))
            await expectSCIMError("invalidValue") { _ = try await order("nosuch") }
            await expectSCIMError("invalidValue") { _ = try await order("groups") }
        }
    }

    @Test(arguments: TestBackend.all)
    func pagination(backend: TestBackend) async throws {
        let clock = ManualClock()
        try await backend.withStore(clock: clock) { store in
            let tenant = try await makeTenant(store, "acme")
            try await store.scim(tenant) { repo in
                for i in 0..<25 {
                    // Same creation millisecond for many rows: the id tiebreak keeps pages stable.
                    if i % 5 == 0 { clock.advance(millis: 1) }
                    _ = try await repo.create(.users, try json(#"{"schemas":["\#(coreUser)"],"userName":"user\#(i)"}"#))
                }
            }
            func page(_ startIndex: Int?, _ count: Int?, sortBy: String? = nil) async throws -> SCIMListResponse {
                try await store.scim(tenant) { try await $0.list(.users, SCIMListQuery(sortBy: sortBy, startIndex: startIndex, count: count)) }
            }
            let all = try await page(1, 200).resources.compactMap { $0["id"]?.stringValue }
            #expect(all.count == 25)
            var seen: [String] = []
            for start in [1, 11, 21] {
                let p = try await page(start, 10)
                #expect(p.totalResults == 25)
                #expect(p.startIndex == start)
                #expect(p.itemsPerPage == (start == 21 ? 5 : 10))
                seen += p.resources.compactMap { $0["id"]?.stringValue }
            }
            #expect(seen == all)
            let sorted = try await page(1, 200, sortBy: "userName").resources.compactMap { $0["userName"]?.stringValue }
            #expect(sorted == sorted.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) })

            let totalsOnly = try await page(1, 0)
            #expect(totalsOnly.totalResults == 25 && totalsOnly.resources.isEmpty)
            #expect(try await page(1, -5).resources.isEmpty)
            #expect(try await page(0, 3).startIndex == 1)
            let past = try await page(30, 10)
            #expect(past.totalResults == 25 && past.resources.isEmpty)
            let body = try await page(nil, nil).json
            #expect(body["totalResults"] == .int(25))
            #expect(body["itemsPerPage"] == .int(25))
            #expect(body["startIndex"] == .int(1))
            #expect(body["schemas"] == [.string(SCIMSchema.listResponseURN)])
        }
        // The maximum page is 200 whatever the client asks for.
        try await backend.withStore { store in
            let tenant = try await makeTenant(store, "big")
            try await store.scim(tenant) { repo in
                for i in 0..<205 { _ = try await repo.create(.users, try json(#"{"schemas":["\#(coreUser)"],"userName":"u\#(i)"}"#)) }
            }
            let p = try await store.scim(tenant) { try await $0.list(.users, SCIMListQuery(count: 1000)) }
            #expect(p.totalResults == 205 && p.itemsPerPage == 200)
        }
    }

    /// A typed custom extension: numbers compare as numbers, date-times in time order.
    @Test(arguments: TestBackend.all)
    func customExtensionNumbersAndDates(backend: TestBackend) async throws {
        let urn = "urn:example:params:scim:schemas:extension:acme:2.0:User"
        let custom = SCIMSchema(id: urn, name: "AcmeUser", description: "Acme", attributes: [
            SCIMAttribute("badgeNumber", type: .integer),
            SCIMAttribute("rating", type: .decimal),
            SCIMAttribute("hiredAt", type: .dateTime),
            SCIMAttribute("remote", type: .boolean),
        ])
        let configuration = SCIMConfiguration(userType: SCIMResourceType.user.adding(.init(schema: custom)))
        try await backend.withStore { store in
            let tenant = try await makeTenant(store, "acme")
            let rows: [(String, String)] = [
                ("nine", #"{"badgeNumber":9,"rating":4.5,"hiredAt":"2019-12-31T23:00:00-02:00","remote":"true"}"#),
                ("ten", #"{"badgeNumber":10,"rating":-1,"hiredAt":"2020-01-01T00:30:00Z","remote":false}"#),
                ("hundred", #"{"badgeNumber":100,"rating":4.25,"hiredAt":"2021-06-01T12:00:00.5+00:00"}"#),
                ("none", #"{}"#),
            ]
            try await store.scim(tenant, configuration: configuration) { repo in
                for (name, ext) in rows {
                    _ = try await repo.create(.users, try json(#"{"schemas":["\#(coreUser)","\#(urn)"],"userName":"\#(name)","\#(urn)":\#(ext)}"#))
                }
            }
            func names(_ filter: String? = nil, sortBy: String? = nil, _ order: SCIMListQuery.SortOrder? = nil) async throws -> [String] {
                try await store.scim(tenant, configuration: configuration) {
                    try await $0.list(.users, SCIMListQuery(filter: filter, sortBy: sortBy, sortOrder: order))
                }.resources.compactMap { $0["userName"]?.stringValue }
            }
            let stored = try await store.scim(tenant, configuration: configuration) { try await $0.list(.users, SCIMListQuery(filter: #"userName eq "nine""#)) }
            #expect(stored.resources.first?[urn]?["hiredAt"] == "2020-01-01T01:00:00.000Z", "date-times are stored in UTC")
            #expect(Set(try await names("\(urn):badgeNumber gt 9")) == ["ten", "hundred"])
            #expect(Set(try await names("\(urn):badgeNumber le 10.0")) == ["nine", "ten"])
            #expect(try await names("\(urn):badgeNumber eq 100") == ["hundred"])
            #expect(Set(try await names("\(urn):rating lt 4.5")) == ["ten", "hundred"])
            #expect(Set(try await names("\(urn):hiredAt lt \"2020-01-01T01:00:00.001Z\"")) == ["nine", "ten"])
            #expect(Set(try await names("\(urn):hiredAt gt \"2020-01-01T00:45:00+00:00\"")) == ["nine", "hundred"])
            #expect(try await names("\(urn):hiredAt eq \"2020-01-01T01:00:00Z\"") == ["nine"])
            #expect(try await names("\(urn):remote eq true") == ["nine"])
            #expect(Set(try await names("not (\(urn):badgeNumber pr)")) == ["none"])
            #expect(try await names(sortBy: "\(urn):badgeNumber") == ["nine", "ten", "hundred", "none"])
            #expect(try await names(sortBy: "\(urn):rating", .descending) == ["none", "nine", "hundred", "ten"])
            await expectSCIMError("invalidFilter") { _ = try await names("\(urn):badgeNumber eq \"9\"") }
            await expectSCIMError("invalidValue") {
                _ = try await store.scim(tenant, configuration: configuration) {
                    try await $0.create(.users, try json(#"{"schemas":["\#(coreUser)"],"userName":"bad","\#(urn)":{"badgeNumber":"x"}}"#))
                }
            }
        }
    }

    // MARK: Randomized comparison with the reference evaluator

    /// A small deterministic generator, so a failing seed can be replayed.
    struct SplitMix64: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let strings = ["Ann Lee", "ann lee", "BOB smith", "Bob", "zoë", "ZOË", "", "R&D", "r&d", "Sales", "a@example.com",
                          "A@Example.COM", "b@test.org", "c@x.io", "001", "010", "100", "x1", "X1", "work", "Work", "home"]

    static func randomUser(_ i: Int, _ rng: inout SplitMix64) -> JSONValue {
        func maybe(_ pool: [String]) -> JSONValue? { Bool.random(using: &rng) ? .string(pool.randomElement(using: &rng) ?? "") : nil }
        var o: [String: JSONValue] = [
            "schemas": [.string(coreUser), .string(enterprise)],
            "userName": .string((["alice", "Bob", "CAROL", "dave", "Zoë", "émile"].randomElement(using: &rng) ?? "x") + "\(i)"),
            "active": .bool(Bool.random(using: &rng)),
        ]
        o["displayName"] = maybe(["Ann Lee", "ann lee", "BOB smith", "Bob Smith", "zoë", "ZOË", ""])
        o["title"] = maybe(["Engineer", "engineer", "Sales Lead", ""])
        o["externalId"] = maybe(["x1", "X1", "x2"])
        if let given = maybe(["Ann", "ann", "Bob", "Zoë"]) { o["name"] = ["givenName": given] }
        var emails: [JSONValue] = []
        let primaryAt = Int.random(in: -1..<3, using: &rng)
        for j in 0..<Int.random(in: 0..<4, using: &rng) {
            var e: [String: JSONValue] = [:]
            e["value"] = Int.random(in: 0..<5, using: &rng) == 0 ? nil : maybe(["a@example.com", "A@Example.COM", "b@test.org", "c@x.io", "Ann@corp.example"]) ?? "d@d.de"
            e["type"] = maybe(["work", "home", "other"])
            if j == primaryAt { e["primary"] = true }
            if !e.isEmpty { emails.append(.object(e)) }
        }
        if !emails.isEmpty { o["emails"] = .array(emails) }
        var ext: [String: JSONValue] = [:]
        ext["department"] = maybe(["R&D", "r&d", "Sales", "sales"])
        ext["employeeNumber"] = maybe(["001", "010", "100"])
        if Bool.random(using: &rng) { ext["manager"] = ["value": .string(["m1", "M1", "m2"].randomElement(using: &rng) ?? "m1")] }
        if !ext.isEmpty { o[enterprise] = .object(ext) }
        return .object(o)
    }

    static func randomFilter(_ rng: inout SplitMix64, depth: Int, times: [String]) -> String {
        func pick<T>(_ a: [T]) -> T { a[Int.random(in: 0..<a.count, using: &rng)] }
        func literal() -> String {
            var s = pick(strings)
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: s = String(s.prefix(Int.random(in: 0...max(0, s.count), using: &rng)))
            case 1: s = String(s.suffix(Int.random(in: 0...max(0, s.count), using: &rng)))
            case 2: s = s.uppercased()
            default: break
            }
            return JSONValue.string(s).serialized()
        }
        let stringPaths = ["userName", "displayName", "title", "externalId", "name.givenName", "emails.value", "emails.type", "emails",
                           "\(enterprise):department", "\(enterprise):employeeNumber", "\(enterprise):manager.value", "id"]
        let ops = SCIMFilter.Operator.allCases.map(\.rawValue)
        func term() -> String {
            switch Int.random(in: 0..<10, using: &rng) {
            case 0: return "\(pick(stringPaths + ["name", "\(enterprise):manager", "emails.primary"])) pr"
            case 1: return "\(pick(stringPaths)) \(pick(["eq", "ne"])) null"
            case 2: return "active \(pick(["eq", "ne"])) \(pick(["true", "false"]))"
            case 3: return "emails.primary \(pick(["eq", "ne"])) \(pick(["true", "false"]))"
            case 4: return "\(pick(["meta.created", "meta.lastModified"])) \(pick(["eq", "ne", "gt", "ge", "lt", "le"])) \"\(pick(times))\""
            case 5:
                let inner = [
                    "type eq \(literal())", "value \(pick(ops)) \(literal())", "primary eq true", "not (type pr)", "value pr",
                ]
                let a = pick(inner), b = pick(inner)
                return "emails[\(Bool.random(using: &rng) ? "\(a) \(pick(["and", "or"])) \(b)" : a)]"
            default: return "\(pick(stringPaths)) \(pick(ops)) \(literal())"
            }
        }
        guard depth > 0, Int.random(in: 0..<3, using: &rng) != 0 else { return term() }
        switch Int.random(in: 0..<3, using: &rng) {
        case 0: return "not (\(randomFilter(&rng, depth: depth - 1, times: times)))"
        case 1: return "(\(randomFilter(&rng, depth: depth - 1, times: times)) and \(randomFilter(&rng, depth: depth - 1, times: times)))"
        default: return "\(randomFilter(&rng, depth: depth - 1, times: times)) or \(randomFilter(&rng, depth: depth - 1, times: times))"
        }
    }

    @Test(arguments: TestBackend.all)
    func randomizedAgainstReference(backend: TestBackend) async throws {
        let seed = UInt64.random(in: 0...UInt64.max)
        var rng = SplitMix64(state: seed)
        let clock = ManualClock()
        let bodies = (0..<60).map { Self.randomUser($0, &rng) }
        let steps = (0..<60).map { _ in Int64.random(in: 0..<3000, using: &rng) }
        // Filters are drawn up front (the store's closure may not mutate captured state); their
        // times are the creation times the clock will produce, and one before and after.
        let start = clock.nowMillis()
        var created: [Int64] = []
        for step in steps { created.append((created.last ?? start) + step) }
        let times = (created + [created[0] - 1, (created.last ?? start) + 20 * 777 + 1]).map { SCIMDateTime.format(millis: $0) }
        let filters = (0..<300).map { _ in Self.randomFilter(&rng, depth: 3, times: times) }
        try await backend.withStore(clock: clock) { store in
            let tenant = try await makeTenant(store, "acme")
            for (body, step) in zip(bodies, steps) {
                clock.advance(millis: step)
                _ = try await store.scim(tenant) { try await $0.create(.users, body) }
            }
            // Some lastModified values move on.
            let all = try await store.scim(tenant) { try await $0.list(.users, SCIMListQuery(count: 200)) }.resources
            for resource in all.prefix(20) {
                clock.advance(millis: 777)
                let id = resource["id"]?.stringValue ?? ""
                let patch = try json(#"{"schemas":["\#(SCIMSchema.patchOpURN)"],"Operations":[{"op":"replace","path":"nickName","value":"n"}]}"#)
                _ = try await store.scim(tenant) { try await $0.patch(.users, id: id, with: patch) }
            }
            let resources = try await store.scim(tenant) { try await $0.list(.users, SCIMListQuery(count: 200)) }.resources
            #expect(resources.count == 60)
            let reference = SCIMReferenceEvaluator()
            var nonEmpty = 0
            for text in filters {
                let filter = try SCIMFilter.parse(text)
                let expected = Set(resources.filter { reference.matches(filter, $0) }.compactMap { $0["id"]?.stringValue })
                let page = try await store.scim(tenant) { try await $0.list(.users, SCIMListQuery(filter: text, count: 200)) }
                let got = Set(page.resources.compactMap { $0["id"]?.stringValue })
                if got != expected {
                    let name = { (id: String) in resources.first { $0["id"]?.stringValue == id }?["userName"]?.stringValue ?? id }
                    Issue.record("""
                        seed \(seed) \(backend): \(text)
                        missing: \(expected.subtracting(got).map(name).sorted().prefix(5)), extra: \(got.subtracting(expected).map(name).sorted().prefix(5))
                        """)
                }
                #expect(page.totalResults == expected.count, "seed \(seed): \(text)")
                if !expected.isEmpty && expected.count < 60 { nonEmpty += 1 }
            }
            // The generator must produce discriminating filters, not only all-or-nothing ones.
            print("[random \(backend)] seed \(seed): \(nonEmpty) of \(filters.count) filters matched some but not all users")
            #expect(nonEmpty > 100, "seed \(seed)")
        }
    }

    @Test(arguments: TestBackend.all)
    func tenantIsolation(backend: TestBackend) async throws {
        let clock = ManualClock()
        try await backend.withStore(clock: clock) { store in
            let a = try await makeTenant(store, "a")
            let b = try await makeTenant(store, "b")
            let usersA = try await Self.seed(store, clock, a)
            let u1 = usersA["u1"]?.id ?? ""
            _ = try await store.scim(a) { try await $0.create(.groups, try json(#"{"schemas":["\#(coreGroup)"],"displayName":"A team","members":[{"value":"\#(u1)"}]}"#)) }
            // Tenant B sees nothing of A, by list, filter, id or membership.
            for filter in [nil, #"userName eq "bjensen@example.com""#, "id eq \"\(u1)\"", "userName pr", "not (userName pr)", "groups pr"] {
                let page = try await store.scim(b) { try await $0.list(.users, SCIMListQuery(filter: filter)) }
                #expect(page.totalResults == 0 && page.resources.isEmpty, "\(filter ?? "no filter")")
            }
            #expect(try await store.scim(b) { try await $0.list(.groups) }.totalResults == 0)
            await expectSCIMError(nil, status: 404) { _ = try await store.scim(b) { try await $0.get(.users, id: u1) } }
            let patch = try json(#"{"schemas":["\#(SCIMSchema.patchOpURN)"],"Operations":[{"op":"replace","value":{"active":false}}]}"#)
            await expectSCIMError(nil, status: 404) { _ = try await store.scim(b) { try await $0.patch(.users, id: u1, with: patch) } }
            await expectSCIMError(nil, status: 404) {
                _ = try await store.scim(b) { try await $0.replace(.users, id: u1, with: try json(#"{"schemas":["\#(coreUser)"],"userName":"x"}"#)) }
            }
            await expectSCIMError(nil, status: 404) { _ = try await store.scim(b) { try await $0.delete(.users, id: u1) } }
            // B cannot make A's user a member of its group.
            await expectSCIMError("invalidValue") {
                _ = try await store.scim(b) { try await $0.create(.groups, try json(#"{"schemas":["\#(coreGroup)"],"displayName":"B","members":[{"value":"\#(u1)"}]}"#)) }
            }
            // The same userName is free in another tenant.
            _ = try await store.scim(b) { try await $0.create(.users, try json(#"{"schemas":["\#(coreUser)"],"userName":"BJENSEN@example.com"}"#)) }
            // And A is unchanged.
            let stillA = try await store.scim(a) { try await $0.get(.users, id: u1) }
            #expect(stillA.json["active"] == true && stillA.version == 1)
            #expect(try await store.scim(a) { try await $0.list(.users) }.totalResults == 4)
        }
    }
}
