/// Limits that keep parsing of hostile input bounded in time and stack.
public struct CedarParserLimits: Sendable, Hashable {
    /// Largest accepted input in bytes. Default: 4 MiB.
    public var maxInputBytes: Int
    /// Deepest expression nesting (syntactic nesting and the height of the resulting tree, e.g. a
    /// chain `a + b + c ...` counts one level per operator). Default: 128.
    ///
    /// Evaluation and validation recurse over the tree, so this bound is also what keeps them from
    /// exhausting the stack.
    public var maxDepth: Int

    /// - Parameters:
    ///   - maxInputBytes: largest accepted input (default 4 MiB).
    ///   - maxDepth: deepest nesting accepted (default 128).
    public init(maxInputBytes: Int = 4 << 20, maxDepth: Int = 128) {
        self.maxInputBytes = maxInputBytes
        self.maxDepth = maxDepth
    }
}

/// Identifiers that may not name attributes, record keys or path segments.
let reservedIdentifiers: Set<String> = ["true", "false", "if", "then", "else", "in", "is", "like", "has", "__cedar"]

/// A parsed node and the height of its tree, so limits apply to the tree the evaluator walks.
struct ParsedNode {
    let expr: CedarExpr
    let height: Int
}

/// Recursive-descent parser for Cedar policies and expressions.
struct PolicyParser {
    let bytes: [UInt8]
    let tokens: [CedarToken]
    let limits: CedarParserLimits
    var pos = 0
    var depth = 0

    init(bytes: [UInt8], limits: CedarParserLimits) throws(CedarParseError) {
        guard bytes.count <= limits.maxInputBytes else {
            throw .limit("input is larger than \(limits.maxInputBytes) bytes", offset: 0, in: [])
        }
        self.bytes = bytes
        self.limits = limits
        self.tokens = try CedarLexer(bytes: bytes).tokenize()
    }

    // MARK: - CedarToken helpers

    var peek: CedarToken { tokens[pos] }
    func peek(_ k: Int) -> CedarToken { tokens[min(pos + k, tokens.count - 1)] }

    func text(_ t: CedarToken) -> String { String(decoding: bytes[t.start..<t.end], as: UTF8.self) }

    func isPunct(_ t: CedarToken, _ p: String) -> Bool {
        t.kind == .punct && bytes[t.start..<t.end].elementsEqual(p.utf8)
    }

    func isIdent(_ t: CedarToken, _ p: String) -> Bool {
        t.kind == .identifier && bytes[t.start..<t.end].elementsEqual(p.utf8)
    }

    func error(_ message: String, _ t: CedarToken? = nil) -> CedarParseError {
        .syntax(message, offset: (t ?? peek).start - (t ?? peek).kind.quoteAdjust, in: bytes)
    }

    func unexpected() -> CedarParseError {
        peek.kind == .end ? error("unexpected end of input") : error("unexpected token `\(text(peek))`")
    }

    mutating func advance() -> CedarToken {
        let t = tokens[pos]
        if pos < tokens.count - 1 { pos += 1 }
        return t
    }

    mutating func expectPunct(_ p: String) throws(CedarParseError) {
        guard isPunct(peek, p) else {
            throw peek.kind == .end ? error("expected `\(p)`, found end of input") : error("expected `\(p)`, found `\(text(peek))`")
        }
        pos += 1
    }

    mutating func eatPunct(_ p: String) -> Bool {
        if isPunct(peek, p) {
            pos += 1
            return true
        }
        return false
    }

    mutating func expectIdent(_ name: String) throws(CedarParseError) {
        guard isIdent(peek, name) else { throw error("expected `\(name)`, found `\(text(peek))`") }
        pos += 1
    }

    mutating func stringLiteral() throws(CedarParseError) -> String {
        let t = peek
        guard t.kind == .string else { throw error("expected a string literal") }
        guard let s = unescapeCedarString(bytes[t.start..<t.end]) else { throw error("invalid escape in string literal", t) }
        pos += 1
        return s
    }

    /// Depth guard for every recursive descent step.
    mutating func enter() throws(CedarParseError) {
        depth += 1
        if depth > limits.maxDepth { throw .limit("expression is nested too deeply", offset: peek.start, in: bytes) }
    }

    func node(_ e: CedarExpr, _ children: ParsedNode...) throws(CedarParseError) -> ParsedNode {
        let h = (children.map(\.height).max() ?? 0) + 1
        if h > limits.maxDepth { throw .limit("expression is nested too deeply", offset: peek.start, in: bytes) }
        return ParsedNode(expr: e, height: h)
    }

    func node(_ e: CedarExpr, heights: [Int]) throws(CedarParseError) -> ParsedNode {
        let h = (heights.max() ?? 0) + 1
        if h > limits.maxDepth { throw .limit("expression is nested too deeply", offset: peek.start, in: bytes) }
        return ParsedNode(expr: e, height: h)
    }

    // MARK: - Policies

    mutating func parsePolicies() throws(CedarParseError) -> [CedarPolicy] {
        var policies: [CedarPolicy] = []
        var ids: Set<String> = []
        while peek.kind != .end {
            let p = try parsePolicy(index: policies.count)
            guard ids.insert(p.id).inserted else { throw error("duplicate policy id `\(p.id)`") }
            policies.append(p)
        }
        return policies
    }

    mutating func parsePolicy(index: Int) throws(CedarParseError) -> CedarPolicy {
        let first = peek
        var annotations: [(key: String, value: String)] = []
        while eatPunct("@") {
            guard peek.kind == .identifier else { throw unexpected() }
            let key = text(advance())
            var value = ""
            if eatPunct("(") {
                value = try stringLiteral()
                try expectPunct(")")
            }
            if annotations.contains(where: { $0.key == key }) { throw error("duplicate annotation: @\(key)") }
            annotations.append((key, value))
        }
        let effect: CedarEffect
        if isIdent(peek, "permit") {
            effect = .permit
        } else if isIdent(peek, "forbid") {
            effect = .forbid
        } else {
            throw peek.kind == .end ? error("expected `permit` or `forbid`, found end of input") : error("expected `permit` or `forbid`, found `\(text(peek))`")
        }
        pos += 1
        try expectPunct("(")
        let principal = try parseScope(variable: "principal")
        try expectPunct(",")
        let action = try parseActionScope()
        try expectPunct(",")
        let resource = try parseScope(variable: "resource")
        _ = eatPunct(",")
        try expectPunct(")")
        var conditions: [PolicyCondition] = []
        while isIdent(peek, "when") || isIdent(peek, "unless") {
            let isWhen = isIdent(advance(), "when")
            try expectPunct("{")
            if isPunct(peek, "}") { throw error("`\(isWhen ? "when" : "unless")` condition clause cannot be empty") }
            let body = try parseExpr()
            try expectPunct("}")
            conditions.append(PolicyCondition(isWhen: isWhen, body: body.expr))
        }
        try expectPunct(";")
        let id = annotations.first(where: { $0.key == "id" })?.value ?? "policy\(index)"
        let location = CedarParseError.syntax("", offset: first.start, in: bytes)
        return CedarPolicy(
            id: id, effect: effect, annotations: annotations, line: location.line, column: location.column,
            principal: principal, action: action, resource: resource, conditions: conditions)
    }

    mutating func parseScope(variable: String) throws(CedarParseError) -> ScopeConstraint {
        guard isIdent(peek, variable) else {
            if peek.kind == .identifier {
                throw error("found the variable `\(text(peek))` where the variable `\(variable)` must be used")
            }
            throw unexpected()
        }
        pos += 1
        if eatPunct("==") { return .eq(try scopeEntity()) }
        if isIdent(peek, "in") {
            pos += 1
            return .in(try scopeEntity())
        }
        if isIdent(peek, "is") {
            pos += 1
            let type = try parsePath()
            if isIdent(peek, "in") {
                pos += 1
                return .isIn(type, try scopeEntity())
            }
            return .is(type)
        }
        return .any
    }

    mutating func scopeEntity() throws(CedarParseError) -> EntityUID {
        if isPunct(peek, "?") { throw error("template slots are not supported") }
        if isPunct(peek, "[") { throw error("expected single entity uid, found set of entity uids") }
        return try parseEntityUID()
    }

    mutating func parseActionScope() throws(CedarParseError) -> ActionConstraint {
        guard isIdent(peek, "action") else {
            if peek.kind == .identifier {
                throw error("found the variable `\(text(peek))` where the variable `action` must be used")
            }
            throw unexpected()
        }
        pos += 1
        if eatPunct("==") { return .eq(try actionEntity()) }
        if isIdent(peek, "in") {
            pos += 1
            if eatPunct("[") {
                var list: [EntityUID] = []
                while !isPunct(peek, "]") {
                    list.append(try actionEntity())
                    if !eatPunct(",") { break }
                }
                try expectPunct("]")
                return .in(list)
            }
            return .in([try actionEntity()])
        }
        if isIdent(peek, "is") { throw error("`is` cannot appear in the action scope") }
        return .any
    }

    mutating func actionEntity() throws(CedarParseError) -> EntityUID {
        let t = peek
        if isPunct(t, "?") { throw error("template slots are not supported") }
        let uid = try parseEntityUID()
        guard uid.isAction else { throw error("expected an entity uid with type `Action` but got `\(uid)`", t) }
        return uid
    }

    /// `Path::"id"`.
    mutating func parseEntityUID() throws(CedarParseError) -> EntityUID {
        guard peek.kind == .identifier else { throw unexpected() }
        var segments: [String] = []
        while true {
            guard peek.kind == .identifier else { throw unexpected() }
            let seg = text(advance())
            if seg == "__cedar" { throw error("the name `__cedar` is reserved") }
            segments.append(seg)
            try expectPunct("::")
            if peek.kind == .string {
                let id = try stringLiteral()
                return EntityUID(type: segments.joined(separator: "::"), id: id)
            }
        }
    }

    /// `A::B::C` as a type name.
    mutating func parsePath() throws(CedarParseError) -> String {
        var segments: [String] = []
        repeat {
            guard peek.kind == .identifier else { throw unexpected() }
            let seg = text(advance())
            if reservedIdentifiers.contains(seg) { throw error("this identifier is reserved and cannot be used: \(seg)") }
            segments.append(seg)
        } while eatPunct("::")
        return segments.joined(separator: "::")
    }
}

extension CedarToken.Kind {
    /// String tokens start after their opening quote; errors should point at the quote.
    var quoteAdjust: Int { self == .string ? 1 : 0 }
}

extension PolicyParser {
    /// Parses one standalone expression (used by tests and tools).
    static func expression(_ text: String, limits: CedarParserLimits = .init()) throws(CedarParseError) -> CedarExpr {
        var p = try PolicyParser(bytes: Array(text.utf8), limits: limits)
        let e = try p.parseExpr()
        guard p.peek.kind == .end else { throw p.unexpected() }
        return e.expr
    }
}
