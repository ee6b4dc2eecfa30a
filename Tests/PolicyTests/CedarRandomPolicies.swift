import JSON

/// A small deterministic PRNG (SplitMix64), so every generated case is reproducible from a seed.
struct CedarSeededRandom: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &self) < p }
    mutating func pick<T>(_ items: [T]) -> T { items[int(0...(items.count - 1))] }
}

/// Generates random but mostly well-formed Cedar scenarios (entities, policies, requests) that
/// exercise operators, hierarchy, `has`/`like`/`is`/`in`, sets, records, tags, extension
/// functions and errors such as overflow and missing attributes.
struct CedarScenarioGenerator {
    var rng: CedarSeededRandom

    let users = ["alice", "bob", "carol", "dave", "erin", "zed"]
    let groups = ["admins", "staff", "all", "ops"]
    let docs = ["d1", "d2", "d3", "d4"]
    let folders = ["f1", "f2"]
    let actions = ["view", "edit", "delete", "share"]
    let strings = ["", "a", "abc", "alice", "hello world", "a*b", "ünï", "x\\y", "Sales"]

    init(seed: UInt64) { rng = CedarSeededRandom(seed: seed) }

    // MARK: - Entities

    func uid(_ type: String, _ id: String) -> JSONValue { .object(["type": .string(type), "id": .string(id)]) }

    mutating func entities() -> [JSONValue] {
        var out: [JSONValue] = []
        for g in groups {
            var parents: [JSONValue] = []
            if g != "all" && rng.chance(0.7) { parents.append(uid("Group", "all")) }
            if g == "ops" && rng.chance(0.5) { parents.append(uid("Group", "staff")) }
            out.append(.object(["uid": uid("Group", g), "attrs": .object(["name": .string(g)]), "parents": .array(parents)]))
        }
        for u in users where u != "zed" {
            var attrs: [String: JSONValue] = [
                "name": .string(u),
                "age": .int(Int64(rng.int(0...90))),
                "tags": .array((0..<rng.int(0...3)).map { _ in .string(rng.pick(strings)) }),
                "profile": .object(["level": .int(Int64(rng.int(0...5))), "dept": .string(rng.pick(["Sales", "Eng", "HR"])), "active": .bool(rng.chance(0.5))]),
                "manager": .object(["__entity": uid("User", rng.pick(users))]),
                "addr": .object(["__extn": .object(["fn": "ip", "arg": .string(rng.pick(["10.0.0.1", "192.168.1.7", "127.0.0.1", "::1", "10.1.0.0/16"]))])]),
                "score": .object(["__extn": .object(["fn": "decimal", "arg": .string(rng.pick(["1.5", "-0.25", "10.0", "3.1416"]))])]),
                "big": .int(rng.pick([Int64.max, Int64.min, 1 << 40, -7])),
            ]
            if rng.chance(0.5) { attrs["nick"] = .string(rng.pick(strings)) }
            if rng.chance(0.4) {
                attrs["joined"] = .object(["__extn": .object(["fn": "datetime", "arg": .string(rng.pick(["2024-01-01", "2023-06-15T12:30:00Z", "1969-12-31T23:59:59.999Z"]))])])
            }
            var parents: [JSONValue] = []
            for g in groups where rng.chance(0.35) { parents.append(uid("Group", g)) }
            var e: [String: JSONValue] = ["uid": uid("User", u), "attrs": .object(attrs), "parents": .array(parents)]
            if rng.chance(0.6) {
                e["tags"] = .object(["level": .int(Int64(rng.int(0...3))), "team": .string(rng.pick(strings))])
            }
            out.append(.object(e))
        }
        for f in folders {
            out.append(.object(["uid": uid("Folder", f), "attrs": .object(["owner": .object(["__entity": uid("User", rng.pick(users))])]), "parents": .array([])]))
        }
        for d in docs {
            var parents: [JSONValue] = []
            if rng.chance(0.7) { parents.append(uid("Folder", rng.pick(folders))) }
            var attrs: [String: JSONValue] = [
                "owner": .object(["__entity": uid("User", rng.pick(users))]),
                "public": .bool(rng.chance(0.5)),
                "size": .int(Int64(rng.int(-5...5000))),
                "title": .string(rng.pick(strings)),
                "readers": .array((0..<rng.int(0...3)).map { _ in .object(["__entity": uid("User", rng.pick(users))]) }),
            ]
            if rng.chance(0.5) { attrs["meta"] = .object(["rev": .int(Int64(rng.int(0...9)))]) }
            out.append(.object(["uid": uid("Doc", d), "attrs": .object(attrs), "parents": .array(parents)]))
        }
        out.append(.object(["uid": uid("Action", "write"), "attrs": .object([:]), "parents": .array([])]))
        for a in actions {
            let parents: [JSONValue] = (a == "edit" || a == "delete") ? [uid("Action", "write")] : []
            out.append(.object(["uid": uid("Action", a), "attrs": .object([:]), "parents": .array(parents)]))
        }
        return out
    }

    mutating func request() -> JSONValue {
        let principal = rng.chance(0.9) ? uid("User", rng.pick(users)) : uid("Group", rng.pick(groups))
        let resource = rng.chance(0.7) ? uid("Doc", rng.pick(docs)) : (rng.chance(0.5) ? uid("Folder", rng.pick(folders)) : uid("User", rng.pick(users)))
        var context: [String: JSONValue] = [
            "n": .int(Int64(rng.pick([0, 1, -1, 42, 1000, Int(Int64.max)]))),
            "s": .string(rng.pick(strings)),
            "flag": .bool(rng.chance(0.5)),
            "nums": .array((0..<rng.int(0...3)).map { _ in .int(Int64(rng.int(0...5))) }),
            "src": .object(["__extn": .object(["fn": "ip", "arg": .string(rng.pick(["10.0.0.5", "127.0.0.1", "224.0.0.1", "2001:db8::1", "::1"]))])]),
            "now": .object(["__extn": .object(["fn": "datetime", "arg": .string(rng.pick(["2024-03-01T10:00:00Z", "2025-12-31", "1970-01-01T00:00:00.001+0100"]))])]),
            "ttl": .object(["__extn": .object(["fn": "duration", "arg": .string(rng.pick(["1h", "90m", "-1d2h", "0ms", "36h30m"]))])]),
        ]
        if rng.chance(0.5) { context["opt"] = .object(["k": .string(rng.pick(strings))]) }
        return .object(["principal": principal, "action": uid("Action", rng.pick(actions)), "resource": resource, "context": .object(context)])
    }

    // MARK: - Policies

    mutating func policies() -> [String] {
        (0..<rng.int(2...6)).map { _ in policy() }
    }

    /// A schema for the generated entity model, for differential validation.
    static let schema = """
        entity Group = { name: String };
        entity User in [Group] = {
            name: String, age: Long, tags: Set<String>, profile: { level: Long, dept: String, active: Bool },
            manager: User, addr: ipaddr, score: decimal, big: Long, nick?: String, joined?: datetime,
        } tags Long;
        entity Folder = { owner: User };
        entity Doc in [Folder] = { owner: User, public: Bool, size: Long, title: String, readers: Set<User>, meta?: { rev: Long } };
        action write;
        action view, share appliesTo {
            principal: [User], resource: [Doc, Folder],
            context: { n: Long, s: String, flag: Bool, nums: Set<Long>, src: ipaddr, now: datetime, ttl: duration, opt?: { k: String } }
        };
        action edit, delete in [write] appliesTo {
            principal: User, resource: Doc,
            context: { n: Long, s: String, flag: Bool, nums: Set<Long>, src: ipaddr, now: datetime, ttl: duration, opt?: { k: String } }
        };
        """

    mutating func policy() -> String {
        let effect = rng.chance(0.65) ? "permit" : "forbid"
        let principal: String
        switch rng.int(0...5) {
        case 0: principal = "principal == User::\"\(rng.pick(users))\""
        case 1: principal = "principal in Group::\"\(rng.pick(groups))\""
        case 2: principal = "principal is User"
        case 3: principal = "principal is User in Group::\"\(rng.pick(groups))\""
        default: principal = "principal"
        }
        let action: String
        switch rng.int(0...4) {
        case 0: action = "action == Action::\"\(rng.pick(actions))\""
        case 1: action = "action in Action::\"write\""
        case 2: action = "action in [Action::\"\(rng.pick(actions))\", Action::\"\(rng.pick(actions))\"]"
        default: action = "action"
        }
        let resource: String
        switch rng.int(0...5) {
        case 0: resource = "resource == Doc::\"\(rng.pick(docs))\""
        case 1: resource = "resource in Folder::\"\(rng.pick(folders))\""
        case 2: resource = "resource is Doc"
        case 3: resource = "resource is Doc in Folder::\"\(rng.pick(folders))\""
        default: resource = "resource"
        }
        var text = "\(effect)(\(principal), \(action), \(resource))"
        for _ in 0..<rng.int(0...2) {
            text += rng.chance(0.75) ? " when { \(boolExpr(3)) }" : " unless { \(boolExpr(3)) }"
        }
        return text + ";"
    }

    mutating func quoted(_ s: String) -> String {
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default: out.unicodeScalars.append(c)
            }
        }
        return out + "\""
    }

    mutating func entityExpr(_ d: Int) -> String {
        switch rng.int(0...7) {
        case 0: return "principal"
        case 1: return "resource"
        case 2: return "User::\"\(rng.pick(users))\""
        case 3: return "Group::\"\(rng.pick(groups))\""
        case 4: return "principal.manager"
        case 5: return "resource.owner"
        case 6: return "action"
        default: return d > 0 ? "(if \(boolExpr(d - 1)) then principal else resource)" : "Doc::\"\(rng.pick(docs))\""
        }
    }

    mutating func longExpr(_ d: Int) -> String {
        if d <= 0 || rng.chance(0.3) {
            switch rng.int(0...7) {
            case 0: return String(rng.int(-3...100))
            case 1: return "principal.age"
            case 2: return "context.n"
            case 3: return "resource.size"
            case 4: return rng.pick(["9223372036854775807", "-9223372036854775808", "4611686018427387904"])
            case 5: return "principal.big"
            case 6: return "principal.profile.level"
            default: return "principal.getTag(\"level\")"
            }
        }
        switch rng.int(0...6) {
        case 0: return "(\(longExpr(d - 1)) + \(longExpr(d - 1)))"
        case 1: return "(\(longExpr(d - 1)) - \(longExpr(d - 1)))"
        case 2: return "(\(longExpr(d - 1)) * \(longExpr(d - 1)))"
        case 3: return "-\(longExpr(d - 1))"
        case 4: return "(if \(boolExpr(d - 1)) then \(longExpr(d - 1)) else \(longExpr(d - 1)))"
        case 5: return "context.ttl.\(rng.pick(["toDays", "toHours", "toMinutes", "toSeconds", "toMilliseconds"]))()"
        default: return anyExpr(d - 1)
        }
    }

    mutating func stringExpr(_ d: Int) -> String {
        switch rng.int(0...5) {
        case 0: return quoted(rng.pick(strings))
        case 1: return "principal.name"
        case 2: return "context.s"
        case 3: return "principal.nick"
        case 4: return "resource.title"
        default: return d > 0 ? "(if \(boolExpr(d - 1)) then \(stringExpr(d - 1)) else \(stringExpr(d - 1)))" : "principal.profile.dept"
        }
    }

    mutating func setExpr(_ d: Int) -> String {
        switch rng.int(0...5) {
        case 0: return "principal.tags"
        case 1: return "context.nums"
        case 2: return "resource.readers"
        case 3: return "[\((0..<rng.int(0...3)).map { _ in longExpr(0) }.joined(separator: ", "))]"
        case 4: return "[\((0..<rng.int(1...3)).map { _ in entityExpr(0) }.joined(separator: ", "))]"
        default: return "[\((0..<rng.int(0...2)).map { _ in stringExpr(0) }.joined(separator: ", "))]"
        }
    }

    mutating func recordExpr(_ d: Int) -> String {
        switch rng.int(0...3) {
        case 0: return "principal.profile"
        case 1: return "context"
        case 2: return "{level: \(longExpr(0)), dept: \(stringExpr(0)), active: \(d > 0 ? boolExpr(d - 1) : "true")}"
        default: return "resource.meta"
        }
    }

    mutating func extExpr(_ d: Int) -> String {
        switch rng.int(0...8) {
        case 0: return "ip(\(quoted(rng.pick(["10.0.0.0/8", "127.0.0.1", "::1", "192.168.0.0/16", "bad-ip", "01.2.3.4"]))))"
        case 1: return "decimal(\(quoted(rng.pick(["1.5", "0.0001", "-3.25", "1.23456", "922337203685477.5807"]))))"
        case 2: return "datetime(\(quoted(rng.pick(["2024-01-01", "2024-02-30", "2024-06-01T00:00:00Z", "2024-06-01T00:00:00+0530"]))))"
        case 3: return "duration(\(quoted(rng.pick(["1d", "2h30m", "-15s", "1.5h", "9223372036854775807ms"]))))"
        case 4: return "context.now.offset(\(rng.chance(0.5) ? "context.ttl" : "duration(\"1h\")"))"
        case 5: return "context.now.toDate()"
        case 6: return "principal.addr"
        case 7: return "principal.score"
        default: return "principal.joined"
        }
    }

    mutating func anyExpr(_ d: Int) -> String {
        switch rng.int(0...6) {
        case 0: return longExpr(d)
        case 1: return stringExpr(d)
        case 2: return entityExpr(d)
        case 3: return setExpr(d)
        case 4: return recordExpr(d)
        case 5: return extExpr(d)
        default: return boolExpr(d)
        }
    }

    mutating func boolExpr(_ d: Int) -> String {
        if d <= 0 {
            switch rng.int(0...6) {
            case 0: return rng.chance(0.5) ? "true" : "false"
            case 1: return "context.flag"
            case 2: return "resource.public"
            case 3: return "principal.profile.active"
            case 4: return "principal has nick"
            case 5: return "context has opt"
            default: return "principal in Group::\"\(rng.pick(groups))\""
            }
        }
        switch rng.int(0...24) {
        case 0: return "(\(boolExpr(d - 1)) && \(boolExpr(d - 1)))"
        case 1: return "(\(boolExpr(d - 1)) || \(boolExpr(d - 1)))"
        case 2: return "!\(boolExpr(d - 1))"
        case 3: return "(if \(boolExpr(d - 1)) then \(boolExpr(d - 1)) else \(boolExpr(d - 1)))"
        case 4: return "(\(longExpr(d - 1)) \(rng.pick(["<", "<=", ">", ">=", "==", "!="])) \(longExpr(d - 1)))"
        case 5: return "(\(stringExpr(d - 1)) like \(quoted(rng.pick(["*", "a*", "*b*", "al*ce", "\\*", "*l*i*", "hello*world", ""]))))"
        case 6: return "(\(entityExpr(d - 1)) \(rng.pick(["has name", "has nick", "has age", "has profile.level", "has meta.rev", "has \"owner\""])))"
        case 7: return "(\(entityExpr(d - 1)) is \(rng.pick(["User", "Group", "Doc", "Folder", "Action"])))"
        case 8: return "(\(entityExpr(d - 1)) in \(rng.chance(0.5) ? entityExpr(d - 1) : setExpr(d - 1)))"
        case 9: return "\(setExpr(d - 1)).contains(\(anyExpr(0)))"
        case 10: return "\(setExpr(d - 1)).\(rng.pick(["containsAll", "containsAny"]))(\(setExpr(d - 1)))"
        case 11: return "\(setExpr(d - 1)).isEmpty()"
        case 12: return "\(entityExpr(d - 1)).hasTag(\(quoted(rng.pick(["level", "team", "nope"]))))"
        case 13: return "(\(anyExpr(d - 1)) == \(anyExpr(d - 1)))"
        case 14: return "context.src.\(rng.pick(["isIpv4", "isIpv6", "isLoopback", "isMulticast"]))()"
        case 15: return "\(extExpr(0)).isInRange(ip(\(quoted(rng.pick(["10.0.0.0/8", "127.0.0.0/8", "::/0", "0.0.0.0/0"])))))"
        case 16: return "principal.score.\(rng.pick(["lessThan", "lessThanOrEqual", "greaterThan", "greaterThanOrEqual"]))(\(extExpr(0)))"
        case 17: return "(context.now \(rng.pick(["<", "<=", ">", ">="])) \(extExpr(0)))"
        case 18: return "(context.ttl \(rng.pick(["<", ">="])) duration(\(quoted(rng.pick(["1h", "2d", "-1ms"])))))"
        case 19: return "(\(recordExpr(d - 1)) == \(recordExpr(d - 1)))"
        case 20: return "(\(recordExpr(d - 1)) has \(rng.pick(["level", "dept", "opt", "s"])))"
        case 21: return "(principal.getTag(\"team\") == \(stringExpr(0)))"
        case 22: return "(context.now.durationSince(datetime(\"2024-01-01\")) > duration(\"1d\"))"
        case 23: return "(\(anyExpr(d - 1)) \(rng.pick(["&&", "||"])) \(boolExpr(d - 1)))"
        default: return "(principal[\"profile\"][\"dept\"] == \(stringExpr(0)))"
        }
    }
}
