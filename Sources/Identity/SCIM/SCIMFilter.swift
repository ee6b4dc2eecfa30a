import JSON

/// An attribute path as written in a filter, a PATCH path, `sortBy` or `attributes`:
/// `[schemaURN:]name[.subAttribute]` (RFC 7644 §3.10).
public struct SCIMAttributePath: Sendable, Hashable, CustomStringConvertible {
    /// The schema URN prefix, when one was written.
    public var uri: String?
    /// The attribute name as written (matched case-insensitively).
    public var name: String
    /// The sub-attribute name, when one was written.
    public var subAttribute: String?

    /// A path from its parts.
    public init(uri: String? = nil, name: String, subAttribute: String? = nil) {
        self.uri = uri
        self.name = name
        self.subAttribute = subAttribute
    }

    public var description: String {
        (uri.map { $0 + ":" } ?? "") + name + (subAttribute.map { "." + $0 } ?? "")
    }

    /// Parses `[uri:]name[.sub]`; `nil` when it is not a well-formed path.
    ///
    /// The URN is everything before the last colon, because URNs contain colons and dots
    /// (`...:enterprise:2.0:User:manager.value`) while attribute names contain neither.
    public static func parse(_ text: some StringProtocol) -> SCIMAttributePath? {
        let text = String(text)
        var uri: String?
        var rest = Substring(text)
        if let colon = text.lastIndex(of: ":") {
            let prefix = text[..<colon]
            guard !prefix.isEmpty, prefix.contains(":"), prefix.unicodeScalars.allSatisfy(isURIScalar) else { return nil }
            uri = String(prefix)
            rest = text[text.index(after: colon)...]
        }
        let parts = rest.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, parts.allSatisfy(isAttributeName) else { return nil }
        return SCIMAttributePath(uri: uri, name: String(parts[0]), subAttribute: parts.count == 2 ? String(parts[1]) : nil)
    }

    /// `ALPHA *(ALPHA / DIGIT / "-" / "_")`, plus `$ref`, which RFC 7643 uses as a name.
    static func isAttributeName(_ s: Substring) -> Bool {
        var scalars = s.unicodeScalars[...]
        if scalars.first == "$" { scalars = scalars.dropFirst() }
        guard let first = scalars.first, first.isASCII, first.properties.isAlphabetic else { return false }
        return scalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_") }
    }

    private static func isURIScalar(_ c: Unicode.Scalar) -> Bool {
        c.isASCII && c.value > 0x20 && c.value < 0x7F && !"\"()[]{}<>\\^`|".unicodeScalars.contains(c)
    }
}

/// A parsed SCIM filter (RFC 7644 §3.4.2.2).
///
/// The tree keeps attribute names as written; resolving them against a resource type (unknown
/// attribute, operator not allowed for the type) happens when the filter is used, since the
/// same filter text means different things on `/Users` and `/Groups`.
public indirect enum SCIMFilter: Sendable, Hashable, CustomStringConvertible {
    /// `attrPath op value`.
    case compare(SCIMAttributePath, Operator, JSONValue)
    /// `attrPath pr`.
    case present(SCIMAttributePath)
    /// Both match.
    case and(SCIMFilter, SCIMFilter)
    /// Either matches.
    case or(SCIMFilter, SCIMFilter)
    /// `not (filter)`.
    case not(SCIMFilter)
    /// `attrPath[valFilter]`: some value of a multi-valued attribute matches `valFilter`, whose
    /// paths name sub-attributes.
    case valuePath(SCIMAttributePath, SCIMFilter)

    /// A comparison operator. `pr` is ``SCIMFilter/present(_:)``.
    public enum Operator: String, Sendable, CaseIterable {
        case eq, ne, co, sw, ew, gt, ge, lt, le
    }

    /// Canonical filter text: lowercase keywords, full parentheses, JSON literals. Parsing it
    /// gives back an equal filter.
    public var description: String {
        switch self {
        case .compare(let path, let op, let value): return "\(path) \(op.rawValue) \(value.serialized())"
        case .present(let path): return "\(path) pr"
        case .and(let a, let b): return "(\(a) and \(b))"
        case .or(let a, let b): return "(\(a) or \(b))"
        case .not(let f): return "not (\(f))"
        case .valuePath(let path, let f): return "\(path)[\(f)]"
        }
    }
}

/// Bounds on filter input, so that a hostile filter costs little to refuse.
public struct SCIMFilterLimits: Sendable {
    /// Longest filter accepted, in Unicode scalars. Default 8,192.
    public var maxLength: Int
    /// Deepest nesting of parentheses, `not` and value paths. Default 16.
    public var maxDepth: Int
    /// Most comparisons (`eq`, `pr`, ...) in one filter. Default 100.
    public var maxComparisons: Int

    /// - Parameters:
    ///   - maxLength: longest filter, in Unicode scalars (default 8,192).
    ///   - maxDepth: deepest nesting (default 16).
    ///   - maxComparisons: most comparisons (default 100).
    public init(maxLength: Int = 8192, maxDepth: Int = 16, maxComparisons: Int = 100) {
        self.maxLength = maxLength
        self.maxDepth = maxDepth
        self.maxComparisons = maxComparisons
    }
}

extension SCIMFilter {
    /// Parses a filter. Attribute names, operators and `and`/`or`/`not`/`true`/`false`/`null`
    /// match case-insensitively; string literals are JSON strings.
    ///
    /// - Throws: ``SCIMError/invalidFilter(_:at:)`` with the position of the offending token.
    public static func parse(_ text: String, limits: SCIMFilterLimits = .init()) throws(SCIMError) -> SCIMFilter {
        var parser = SCIMFilterParser(text, limits: limits)
        do {
            return try parser.parseWholeFilter()
        } catch {
            throw .invalidFilter(error.message, at: error.position)
        }
    }
}

/// A PATCH operation's `path` (RFC 7644 §3.5.2): `attrPath`, or `attrPath[valFilter]`
/// optionally followed by `.subAttribute`.
public struct SCIMPatchPath: Sendable, Hashable, CustomStringConvertible {
    /// The attribute (with its sub-attribute when there is no value filter).
    public var attribute: SCIMAttributePath
    /// The value filter selecting elements of a multi-valued attribute.
    public var valueFilter: SCIMFilter?
    /// The sub-attribute after the value filter (`emails[type eq "work"].value`).
    public var subAttribute: String?

    /// A path from its parts.
    public init(attribute: SCIMAttributePath, valueFilter: SCIMFilter? = nil, subAttribute: String? = nil) {
        self.attribute = attribute
        self.valueFilter = valueFilter
        self.subAttribute = subAttribute
    }

    public var description: String {
        "\(attribute)" + (valueFilter.map { "[\($0)]" } ?? "") + (subAttribute.map { "." + $0 } ?? "")
    }

    /// Parses a PATCH path. - Throws: ``SCIMError/invalidPath(_:at:)``.
    public static func parse(_ text: String, limits: SCIMFilterLimits = .init()) throws(SCIMError) -> SCIMPatchPath {
        var parser = SCIMFilterParser(text, limits: limits)
        do {
            return try parser.parseWholePatchPath()
        } catch {
            throw .invalidPath(error.message, at: error.position)
        }
    }
}

/// Why and where parsing stopped; turned into the caller's error kind at the API boundary.
struct SCIMParseFailure: Error {
    let message: String
    let position: Int?
}

/// A recursive-descent parser for the RFC 7644 filter grammar, with precedence
/// `not` > `and` > `or` and iteration (not recursion) along `and`/`or` chains, so that only
/// parentheses, `not` and value paths deepen the stack, and those are bounded by
/// ``SCIMFilterLimits/maxDepth``.
struct SCIMFilterParser {
    enum Token: Equatable {
        case open, close, openBracket, closeBracket
        case word(String)
        case string(String)
        case end
    }

    private let scalars: [Unicode.Scalar]
    private let limits: SCIMFilterLimits
    private var index = 0
    private var depth = 0
    private var comparisons = 0
    private var peeked: (token: Token, start: Int, end: Int)?

    init(_ text: String, limits: SCIMFilterLimits) {
        scalars = Array(text.unicodeScalars.prefix(limits.maxLength + 1))
        self.limits = limits
    }

    mutating func parseWholeFilter() throws(SCIMParseFailure) -> SCIMFilter {
        try checkLength()
        let first = try peek()
        guard first.token != .end else { throw SCIMParseFailure(message: "the filter is empty", position: first.start) }
        let filter = try parseOr(inValueFilter: false)
        let (token, start, _) = try next()
        guard token == .end else { throw SCIMParseFailure(message: "unexpected \(describe(token))", position: start) }
        return filter
    }

    mutating func parseWholePatchPath() throws(SCIMParseFailure) -> SCIMPatchPath {
        try checkLength()
        let (token, start, _) = try next()
        guard case .word(let word) = token else {
            throw SCIMParseFailure(message: token == .end ? "the path is empty" : "expected an attribute path", position: start)
        }
        guard let attribute = SCIMAttributePath.parse(word) else {
            throw SCIMParseFailure(message: "\"\(word)\" is not an attribute path", position: start)
        }
        guard try peek().token == .openBracket else {
            let (rest, restStart, _) = try next()
            guard rest == .end else { throw SCIMParseFailure(message: "unexpected \(describe(rest))", position: restStart) }
            return SCIMPatchPath(attribute: attribute)
        }
        guard attribute.subAttribute == nil else {
            throw SCIMParseFailure(message: "a value filter must follow the multi-valued attribute, not a sub-attribute", position: start)
        }
        _ = try next()
        depth += 1
        let filter = try parseOr(inValueFilter: true)
        try expect(.closeBracket, "expected ']' to close the value filter")
        var sub: String?
        let (after, afterStart, _) = try next()
        if case .word(let w) = after {
            guard w.hasPrefix("."), SCIMAttributePath.isAttributeName(w.dropFirst()) else {
                throw SCIMParseFailure(message: "expected '.subAttribute' after the value filter", position: afterStart)
            }
            sub = String(w.dropFirst())
            let (end, endStart, _) = try next()
            guard end == .end else { throw SCIMParseFailure(message: "unexpected \(describe(end))", position: endStart) }
        } else if after != .end {
            throw SCIMParseFailure(message: "unexpected \(describe(after))", position: afterStart)
        }
        return SCIMPatchPath(attribute: attribute, valueFilter: filter, subAttribute: sub)
    }

    private func checkLength() throws(SCIMParseFailure) {
        if scalars.count > limits.maxLength {
            throw SCIMParseFailure(message: "longer than \(limits.maxLength) characters", position: limits.maxLength)
        }
    }

    // MARK: Grammar

    private mutating func parseOr(inValueFilter: Bool) throws(SCIMParseFailure) -> SCIMFilter {
        var left = try parseAnd(inValueFilter: inValueFilter)
        while try isKeyword(peek().token, "or") {
            _ = try next()
            left = .or(left, try parseAnd(inValueFilter: inValueFilter))
        }
        return left
    }

    private mutating func parseAnd(inValueFilter: Bool) throws(SCIMParseFailure) -> SCIMFilter {
        var left = try parseUnary(inValueFilter: inValueFilter)
        while try isKeyword(peek().token, "and") {
            _ = try next()
            left = .and(left, try parseUnary(inValueFilter: inValueFilter))
        }
        return left
    }

    private mutating func parseUnary(inValueFilter: Bool) throws(SCIMParseFailure) -> SCIMFilter {
        let (token, start, _) = try next()
        switch token {
        case .open:
            try enter(at: start)
            let inner = try parseOr(inValueFilter: inValueFilter)
            try expect(.close, "expected ')'")
            depth -= 1
            return inner
        case .word(let word):
            if SCIMText.equalsIgnoringCase(word, "not"), try peek().token == .open {
                _ = try next()
                try enter(at: start)
                let inner = try parseOr(inValueFilter: inValueFilter)
                try expect(.close, "expected ')' to close 'not ('")
                depth -= 1
                return .not(inner)
            }
            return try parseAttributeExpression(word, at: start, inValueFilter: inValueFilter)
        default:
            throw SCIMParseFailure(message: "expected an attribute path, '(' or 'not', found \(describe(token))", position: start)
        }
    }

    private mutating func parseAttributeExpression(_ word: String, at start: Int, inValueFilter: Bool) throws(SCIMParseFailure) -> SCIMFilter {
        guard let path = SCIMAttributePath.parse(word) else {
            throw SCIMParseFailure(message: "\"\(word)\" is not an attribute path", position: start)
        }
        if inValueFilter, path.uri != nil || path.subAttribute != nil {
            throw SCIMParseFailure(message: "inside a value filter, name a sub-attribute only", position: start)
        }
        if try peek().token == .openBracket {
            let (_, bracketStart, _) = try next()
            if inValueFilter { throw SCIMParseFailure(message: "value filters cannot be nested", position: bracketStart) }
            guard path.subAttribute == nil else {
                throw SCIMParseFailure(message: "a value filter must follow the multi-valued attribute, not a sub-attribute", position: bracketStart)
            }
            try enter(at: bracketStart)
            let inner = try parseOr(inValueFilter: true)
            try expect(.closeBracket, "expected ']' to close the value filter")
            depth -= 1
            return .valuePath(path, inner)
        }
        let (opToken, opStart, _) = try next()
        guard case .word(let opWord) = opToken else {
            throw SCIMParseFailure(message: "expected an operator after \"\(word)\", found \(describe(opToken))", position: opStart)
        }
        try countComparison(at: start)
        if SCIMText.equalsIgnoringCase(opWord, "pr") { return .present(path) }
        guard let op = SCIMFilter.Operator(rawValue: SCIMText.fold(opWord)) else {
            throw SCIMParseFailure(message: "unknown operator \"\(opWord)\"", position: opStart)
        }
        let (valueToken, valueStart, _) = try next()
        switch valueToken {
        case .string(let s): return .compare(path, op, .string(s))
        case .word(let w):
            guard let literal = literal(w) else {
                throw SCIMParseFailure(message: "\"\(w)\" is not a value (strings need double quotes)", position: valueStart)
            }
            return .compare(path, op, literal)
        default:
            throw SCIMParseFailure(message: "expected a value after \"\(opWord)\", found \(describe(valueToken))", position: valueStart)
        }
    }

    /// `true`, `false`, `null` (any case) or a JSON number.
    private func literal(_ w: String) -> JSONValue? {
        switch SCIMText.fold(w) {
        case "true": return .bool(true)
        case "false": return .bool(false)
        case "null": return .null
        default: break
        }
        let b = Array(w.utf8)
        var i = 0
        func isDigit(_ at: Int) -> Bool { at < b.count && b[at] >= 0x30 && b[at] <= 0x39 }
        if i < b.count, b[i] == UInt8(ascii: "-") { i += 1 }
        guard isDigit(i) else { return nil }
        if b[i] == UInt8(ascii: "0") { i += 1 } else { while isDigit(i) { i += 1 } }
        var integral = true
        if i < b.count, b[i] == UInt8(ascii: ".") {
            integral = false
            i += 1
            guard isDigit(i) else { return nil }
            while isDigit(i) { i += 1 }
        }
        if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
            integral = false
            i += 1
            if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
            guard isDigit(i) else { return nil }
            while isDigit(i) { i += 1 }
        }
        guard i == b.count else { return nil }
        if integral, let n = Int64(w) { return .int(n) }
        guard let d = Double(w), d.isFinite else { return nil }
        return .double(d)
    }

    private mutating func enter(at position: Int) throws(SCIMParseFailure) {
        depth += 1
        if depth > limits.maxDepth { throw SCIMParseFailure(message: "nested deeper than \(limits.maxDepth) levels", position: position) }
    }

    private mutating func countComparison(at position: Int) throws(SCIMParseFailure) {
        comparisons += 1
        if comparisons > limits.maxComparisons {
            throw SCIMParseFailure(message: "more than \(limits.maxComparisons) comparisons", position: position)
        }
    }

    private mutating func expect(_ token: Token, _ message: String) throws(SCIMParseFailure) {
        let (found, start, _) = try next()
        guard found == token else { throw SCIMParseFailure(message: "\(message), found \(describe(found))", position: start) }
    }

    private func isKeyword(_ token: Token, _ keyword: String) -> Bool {
        if case .word(let w) = token { return SCIMText.equalsIgnoringCase(w, keyword) }
        return false
    }

    private func describe(_ token: Token) -> String {
        switch token {
        case .open: return "'('"
        case .close: return "')'"
        case .openBracket: return "'['"
        case .closeBracket: return "']'"
        case .word(let w): return "\"\(w.count > 40 ? String(w.prefix(40)) + "..." : w)\""
        case .string: return "a string"
        case .end: return "the end of the input"
        }
    }

    // MARK: Tokens

    private mutating func peek() throws(SCIMParseFailure) -> (token: Token, start: Int, end: Int) {
        if let peeked { return peeked }
        let lexed = try lex()
        peeked = lexed
        return lexed
    }

    private mutating func next() throws(SCIMParseFailure) -> (token: Token, start: Int, end: Int) {
        if let p = peeked {
            peeked = nil
            return p
        }
        return try lex()
    }

    private static func isSpace(_ c: Unicode.Scalar) -> Bool { c == " " || c == "\t" || c == "\n" || c == "\r" }

    private mutating func lex() throws(SCIMParseFailure) -> (token: Token, start: Int, end: Int) {
        while index < scalars.count, Self.isSpace(scalars[index]) { index += 1 }
        let start = index
        guard index < scalars.count else { return (.end, start, start) }
        let c = scalars[index]
        switch c {
        case "(": index += 1; return (.open, start, index)
        case ")": index += 1; return (.close, start, index)
        case "[": index += 1; return (.openBracket, start, index)
        case "]": index += 1; return (.closeBracket, start, index)
        case "\"": return (.string(try lexString()), start, index)
        default:
            while index < scalars.count {
                let d = scalars[index]
                if Self.isSpace(d) || d == "(" || d == ")" || d == "[" || d == "]" || d == "\"" { break }
                index += 1
            }
            var word = String.UnicodeScalarView()
            word.append(contentsOf: scalars[start..<index])
            return (.word(String(word)), start, index)
        }
    }

    /// A JSON string literal (RFC 8259 §7), the opening quote at `index`.
    private mutating func lexString() throws(SCIMParseFailure) -> String {
        let start = index
        index += 1
        var out = String.UnicodeScalarView()
        while true {
            guard index < scalars.count else { throw SCIMParseFailure(message: "unterminated string", position: start) }
            let c = scalars[index]
            if c == "\"" {
                index += 1
                return String(out)
            }
            if c.value < 0x20 { throw SCIMParseFailure(message: "control character in a string", position: index) }
            guard c == "\\" else {
                out.append(c)
                index += 1
                continue
            }
            let escapeStart = index
            index += 1
            guard index < scalars.count else { throw SCIMParseFailure(message: "unterminated string", position: start) }
            let e = scalars[index]
            index += 1
            switch e {
            case "\"": out.append("\"")
            case "\\": out.append("\\")
            case "/": out.append("/")
            case "b": out.append("\u{08}")
            case "f": out.append("\u{0C}")
            case "n": out.append("\n")
            case "r": out.append("\r")
            case "t": out.append("\t")
            case "u":
                let high = try hex4(escapeStart)
                if (0xD800...0xDBFF).contains(high) {
                    guard index + 1 < scalars.count, scalars[index] == "\\", scalars[index + 1] == "u" else {
                        throw SCIMParseFailure(message: "unpaired surrogate in \\u escape", position: escapeStart)
                    }
                    index += 2
                    let low = try hex4(escapeStart)
                    guard (0xDC00...0xDFFF).contains(low),
                          let scalar = Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
                    else { throw SCIMParseFailure(message: "invalid surrogate pair in \\u escape", position: escapeStart) }
                    out.append(scalar)
                } else {
                    guard let scalar = Unicode.Scalar(high) else {
                        throw SCIMParseFailure(message: "unpaired surrogate in \\u escape", position: escapeStart)
                    }
                    out.append(scalar)
                }
            default:
                throw SCIMParseFailure(message: "invalid escape \\\(e)", position: escapeStart)
            }
        }
    }

    private mutating func hex4(_ escapeStart: Int) throws(SCIMParseFailure) -> UInt32 {
        guard index + 4 <= scalars.count else { throw SCIMParseFailure(message: "incomplete \\u escape", position: escapeStart) }
        var v: UInt32 = 0
        for _ in 0..<4 {
            guard let d = hexValue(scalars[index]) else {
                throw SCIMParseFailure(message: "invalid \\u escape", position: escapeStart)
            }
            v = v * 16 + d
            index += 1
        }
        return v
    }

    private func hexValue(_ c: Unicode.Scalar) -> UInt32? {
        switch c.value {
        case 0x30...0x39: return c.value - 0x30
        case 0x41...0x46: return c.value - 0x41 + 10
        case 0x61...0x66: return c.value - 0x61 + 10
        default: return nil
        }
    }
}
