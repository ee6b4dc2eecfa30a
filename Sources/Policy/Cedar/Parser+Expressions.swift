/// The expression grammar, by precedence: `if`, `||`, `&&`, relations (`==`, `<`, `in`, `has`,
/// `like`, `is`), `+ -`, `*`, unary `! -`, member access and calls, primaries.
extension PolicyParser {
    mutating func parseExpr() throws(CedarParseError) -> ParsedNode {
        try enter()
        defer { depth -= 1 }
        if isIdent(peek, "if") && !isPunct(peek(1), "::") {
            pos += 1
            let c = try parseExpr()
            try expectIdent("then")
            let t = try parseExpr()
            try expectIdent("else")
            let e = try parseExpr()
            return try node(.ifThenElse(c.expr, t.expr, e.expr), c, t, e)
        }
        return try parseOr()
    }

    mutating func parseOr() throws(CedarParseError) -> ParsedNode {
        var l = try parseAnd()
        while eatPunct("||") {
            let r = try parseAnd()
            l = try node(.or(l.expr, r.expr), l, r)
        }
        return l
    }

    mutating func parseAnd() throws(CedarParseError) -> ParsedNode {
        var l = try parseRelation()
        while eatPunct("&&") {
            let r = try parseRelation()
            l = try node(.and(l.expr, r.expr), l, r)
        }
        return l
    }

    func relOp(_ t: CedarToken) -> String? {
        if t.kind == .punct {
            for op in ["==", "!=", "<", "<=", ">", ">="] where isPunct(t, op) { return op }
            if isPunct(t, "=") { return "=" }
            return nil
        }
        if isIdent(t, "in") { return "in" }
        return nil
    }

    mutating func parseRelation() throws(CedarParseError) -> ParsedNode {
        let l = try parseAdd()
        if relOp(peek) != nil { return try parseComparison(l) }
        if isIdent(peek, "has") { return try parseHas(l) }
        if isIdent(peek, "like") { return try parseLike(l) }
        if isIdent(peek, "is") { return try parseIs(l) }
        return l
    }

    @inline(never)
    mutating func parseComparison(_ l: ParsedNode) throws(CedarParseError) -> ParsedNode {
        guard let op = relOp(peek) else { throw unexpected() }
        if op == "=" { throw error("invalid operator `=`; use `==` for equality") }
        pos += 1
        let r = try parseAdd()
        let result: ParsedNode
        switch op {
        case "==": result = try node(.binary(.eq, l.expr, r.expr), l, r)
        case "!=":
            let eq = try node(.binary(.eq, l.expr, r.expr), l, r)
            result = try node(.not(eq.expr), eq)
        case "<": result = try node(.binary(.less, l.expr, r.expr), l, r)
        case "<=": result = try node(.binary(.lessEq, l.expr, r.expr), l, r)
        case ">": result = try node(.binary(.greater, l.expr, r.expr), l, r)
        case ">=": result = try node(.binary(.greaterEq, l.expr, r.expr), l, r)
        default: result = try node(.binary(.in, l.expr, r.expr), l, r)
        }
        if relOp(peek) != nil || isIdent(peek, "has") || isIdent(peek, "like") || isIdent(peek, "is") {
            throw error("multiple relational operators (>, ==, in, etc.) must be used with parentheses to make ordering explicit")
        }
        return result
    }

    /// `e has a`, `e has "a"`, or `e has a.b.c` (meaning `e has a && e.a has b && e.a.b has c`).
    @inline(never)
    mutating func parseHas(_ l: ParsedNode) throws(CedarParseError) -> ParsedNode {
        pos += 1
        var path: [String] = []
        if peek.kind == .string {
            path.append(try stringLiteral())
        } else {
            path.append(try attributeName())
            while eatPunct(".") { path.append(try attributeName()) }
        }
        var acc = try node(.hasAttr(l.expr, path[0]), l)
        var target = l
        for i in 1..<path.count {
            target = try node(.getAttr(target.expr, path[i - 1]), target)
            let test = try node(.hasAttr(target.expr, path[i]), target)
            acc = try node(.and(acc.expr, test.expr), acc, test)
        }
        return acc
    }

    @inline(never)
    mutating func parseLike(_ l: ParsedNode) throws(CedarParseError) -> ParsedNode {
        pos += 1
        let t = peek
        guard t.kind == .string else { throw error("expected a string pattern after `like`") }
        guard let pattern = unescapeCedarString(bytes[t.start..<t.end], pattern: true) else {
            throw error("invalid escape in pattern", t)
        }
        pos += 1
        return try node(.like(l.expr, LikePattern(pattern)), l)
    }

    /// `e is T` or `e is T in x` (meaning `e is T && e in x`).
    @inline(never)
    mutating func parseIs(_ l: ParsedNode) throws(CedarParseError) -> ParsedNode {
        pos += 1
        let type = try parsePath()
        let isNode = try node(.isType(l.expr, type), l)
        guard isIdent(peek, "in") else { return isNode }
        pos += 1
        let r = try parseAdd()
        let inNode = try node(.binary(.in, l.expr, r.expr), l, r)
        return try node(.and(isNode.expr, inNode.expr), isNode, inNode)
    }

    mutating func attributeName() throws(CedarParseError) -> String {
        guard peek.kind == .identifier else { throw unexpected() }
        let name = text(peek)
        if reservedIdentifiers.contains(name) { throw error("this identifier is reserved and cannot be used: \(name)") }
        pos += 1
        return name
    }

    mutating func parseAdd() throws(CedarParseError) -> ParsedNode {
        var l = try parseMul()
        while true {
            if eatPunct("+") {
                let r = try parseMul()
                l = try node(.binary(.add, l.expr, r.expr), l, r)
            } else if eatPunct("-") {
                let r = try parseMul()
                l = try node(.binary(.sub, l.expr, r.expr), l, r)
            } else {
                return l
            }
        }
    }

    mutating func parseMul() throws(CedarParseError) -> ParsedNode {
        var l = try parseUnary()
        while true {
            if eatPunct("*") {
                let r = try parseUnary()
                l = try node(.binary(.mul, l.expr, r.expr), l, r)
            } else if isPunct(peek, "/") {
                throw error("division is not supported")
            } else if isPunct(peek, "%") {
                throw error("remainder/modulo is not supported")
            } else {
                return l
            }
        }
    }

    mutating func parseUnary() throws(CedarParseError) -> ParsedNode {
        guard isPunct(peek, "!") || isPunct(peek, "-") else { return try parseMember() }
        let op = text(peek)
        var count = 0
        while isPunct(peek, op) {
            pos += 1
            count += 1
        }
        if count > 4 { throw error("too many occurrences of `\(op)`") }
        if isPunct(peek, "!") || isPunct(peek, "-") { throw unexpected() }
        var inner: ParsedNode
        if op == "-" && peek.kind == .integer && !isPunct(peek(1), ".") && !isPunct(peek(1), "[") {
            // Fold one negation into the literal so that the most negative Long can be written.
            let t = advance()
            guard let v = parseInteger(t, negative: true) else { throw error("integer literal `-\(text(t))` is too large", t) }
            inner = ParsedNode(expr: .literal(.long(v)), height: 1)
            count -= 1
        } else {
            inner = try parseMember()
        }
        for _ in 0..<count {
            inner = try node(op == "!" ? .not(inner.expr) : .negate(inner.expr), inner)
        }
        return inner
    }

    func parseInteger(_ t: CedarToken, negative: Bool) -> Int64? {
        var v: Int64 = 0
        for d in bytes[t.start..<t.end] {
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(negative ? -Int64(d - 48) : Int64(d - 48))
            if o1 || o2 { return nil }
            v = a
        }
        return v
    }

    mutating func parseMember() throws(CedarParseError) -> ParsedNode {
        var e = try parsePrimary()
        while true {
            if eatPunct(".") {
                guard peek.kind == .identifier else { throw unexpected() }
                let nameToken = peek
                let name = text(advance())
                if isPunct(peek, "(") {
                    let args = try parseArgs()
                    e = try methodCall(name, receiver: e, args: args, at: nameToken)
                } else {
                    if reservedIdentifiers.contains(name) {
                        throw error("this identifier is reserved and cannot be used: \(name)", nameToken)
                    }
                    e = try node(.getAttr(e.expr, name), e)
                }
            } else if eatPunct("[") {
                guard peek.kind == .string else {
                    throw error("invalid string literal: \(text(peek))")
                }
                let key = try stringLiteral()
                try expectPunct("]")
                e = try node(.getAttr(e.expr, key), e)
            } else {
                return e
            }
        }
    }

    mutating func parseArgs() throws(CedarParseError) -> [ParsedNode] {
        try expectPunct("(")
        var args: [ParsedNode] = []
        while !isPunct(peek, ")") {
            args.append(try parseExpr())
            if !eatPunct(",") { break }
        }
        try expectPunct(")")
        return args
    }

    func methodCall(_ name: String, receiver: ParsedNode, args: [ParsedNode], at t: CedarToken) throws(CedarParseError) -> ParsedNode {
        func one() throws(CedarParseError) -> ParsedNode {
            guard args.count == 1 else {
                throw error("call to `\(name)` requires exactly 1 argument, but got \(args.count) arguments", t)
            }
            return args[0]
        }
        switch name {
        case "contains": let a = try one(); return try node(.binary(.contains, receiver.expr, a.expr), receiver, a)
        case "containsAll": let a = try one(); return try node(.binary(.containsAll, receiver.expr, a.expr), receiver, a)
        case "containsAny": let a = try one(); return try node(.binary(.containsAny, receiver.expr, a.expr), receiver, a)
        case "hasTag": let a = try one(); return try node(.binary(.hasTag, receiver.expr, a.expr), receiver, a)
        case "getTag": let a = try one(); return try node(.binary(.getTag, receiver.expr, a.expr), receiver, a)
        case "isEmpty":
            guard args.isEmpty else {
                throw error("call to `isEmpty` requires exactly 0 arguments, but got \(args.count) arguments", t)
            }
            return try node(.isEmpty(receiver.expr), receiver)
        default:
            guard let f = CedarExtFunction(rawValue: name) else { throw error("`\(name)` is not a valid method", t) }
            if f.isConstructor { throw error("`\(name)` is a function, not a method", t) }
            let all = [receiver] + args
            return try node(.call(f, all.map(\.expr)), heights: all.map(\.height))
        }
    }

    // The primary-expression parsers are split into small non-inlined functions so that each
    // level of nesting costs little stack, even in unoptimised builds.

    mutating func parsePrimary() throws(CedarParseError) -> ParsedNode {
        let t = peek
        switch t.kind {
        case .integer: return try parseIntegerLiteral()
        case .string: return ParsedNode(expr: .literal(.string(try stringLiteral())), height: 1)
        case .end: throw unexpected()
        case .identifier: return try parseName()
        case .punct:
            if isPunct(t, "(") { return try parseParenthesized() }
            if isPunct(t, "[") { return try parseSetLiteral() }
            if isPunct(t, "{") { return try parseRecordLiteral() }
            if isPunct(t, "?") { throw error("template slots are not supported") }
            throw unexpected()
        }
    }

    @inline(never)
    mutating func parseIntegerLiteral() throws(CedarParseError) -> ParsedNode {
        let t = advance()
        guard let v = parseInteger(t, negative: false) else { throw error("integer literal `\(text(t))` is too large", t) }
        return ParsedNode(expr: .literal(.long(v)), height: 1)
    }

    @inline(never)
    mutating func parseParenthesized() throws(CedarParseError) -> ParsedNode {
        pos += 1
        let e = try parseExpr()
        try expectPunct(")")
        return e
    }

    @inline(never)
    mutating func parseSetLiteral() throws(CedarParseError) -> ParsedNode {
        pos += 1
        try enter()
        defer { depth -= 1 }
        var elements: [ParsedNode] = []
        while !isPunct(peek, "]") {
            elements.append(try parseExpr())
            if !eatPunct(",") { break }
        }
        try expectPunct("]")
        return try node(.set(elements.map(\.expr)), heights: elements.map(\.height))
    }

    @inline(never)
    mutating func parseRecordLiteral() throws(CedarParseError) -> ParsedNode {
        pos += 1
        try enter()
        defer { depth -= 1 }
        var entries: [(String, CedarExpr)] = []
        var heights: [Int] = []
        var seen: Set<String> = []
        while !isPunct(peek, "}") {
            let keyToken = peek
            let key = keyToken.kind == .string ? try stringLiteral() : try attributeName()
            guard seen.insert(key).inserted else { throw error("duplicate key `\(key)` in record literal", keyToken) }
            try expectPunct(":")
            let v = try parseExpr()
            entries.append((key, v.expr))
            heights.append(v.height)
            if !eatPunct(",") { break }
        }
        try expectPunct("}")
        return try node(.record(entries), heights: heights)
    }

    /// A variable, Boolean literal, entity reference `A::B::"id"` or function call `f(...)`.
    @inline(never)
    mutating func parseName() throws(CedarParseError) -> ParsedNode {
        let t = peek
        let name = text(t)
        switch name {
        case "true", "false":
            pos += 1
            return ParsedNode(expr: .literal(.bool(name == "true")), height: 1)
        case "principal", "action", "resource", "context":
            if !isPunct(peek(1), "::") {
                pos += 1
                return ParsedNode(expr: .variable(CedarVariable.allCases.first { $0.name == name } ?? .context), height: 1)
            }
        default:
            break
        }
        var segments: [String] = []
        while true {
            guard peek.kind == .identifier else { throw unexpected() }
            segments.append(text(advance()))
            guard isPunct(peek, "::") else { break }
            pos += 1
            if peek.kind == .string {
                if segments.contains("__cedar") {
                    throw error("The name `\(segments.joined(separator: "::"))` contains `__cedar`, which is reserved", t)
                }
                let id = try stringLiteral()
                return ParsedNode(expr: .literal(.entity(EntityUID(type: segments.joined(separator: "::"), id: id))), height: 1)
            }
        }
        let path = segments.joined(separator: "::")
        if isPunct(peek, "(") { return try parseCall(path, segments: segments, at: t) }
        if segments.count == 1 && reservedIdentifiers.contains(path) { throw error("unexpected token `\(path)`", t) }
        throw error("invalid variable: \(path)", t)
    }

    @inline(never)
    mutating func parseCall(_ path: String, segments: [String], at t: CedarToken) throws(CedarParseError) -> ParsedNode {
        if segments.contains("__cedar") { throw error("The name `\(path)` contains `__cedar`, which is reserved", t) }
        let args = try parseArgs()
        guard segments.count == 1, let f = CedarExtFunction(rawValue: path) else {
            throw error("`\(path)` is not a valid function", t)
        }
        if !f.isConstructor { throw error("`\(path)` is a method, not a function", t) }
        let call = try node(.call(f, args.map(\.expr)), heights: args.map(\.height))
        if args.count == 1, case .literal(.string(let s)) = args[0].expr, case .success(let v) = f.construct(s) {
            return ParsedNode(expr: .folded(.ext(v), call.expr), height: call.height)
        }
        return call
    }
}
