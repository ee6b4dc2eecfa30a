/// A lexical token of Cedar policy or schema text: a kind and a byte range of the source.
struct CedarToken: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        case identifier
        case integer
        /// A string literal; the range covers the body between the quotes, still escaped.
        case string
        case punct
        case end
    }
    let kind: Kind
    let start: Int
    let end: Int
}

/// Splits Cedar text into tokens. Shared by the policy and the schema parsers.
///
/// The whole input is tokenised up front: policy texts are small and the parser can then look
/// ahead freely without re-lexing.
struct CedarLexer {
    let bytes: [UInt8]

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Tokenises everything; throws on a character that starts no token or an unterminated string.
    func tokenize() throws(CedarParseError) -> [CedarToken] {
        var tokens: [CedarToken] = []
        var i = 0
        let n = bytes.count
        while i < n {
            let c = bytes[i]
            if c == 0x20 || c == 0x0A || c == 0x09 || c == 0x0D {
                i += 1
                continue
            }
            if c == UInt8(ascii: "/") && i + 1 < n && bytes[i + 1] == UInt8(ascii: "/") {
                while i < n && bytes[i] != 0x0A { i += 1 }
                continue
            }
            let start = i
            if isIdentStart(c) {
                i += 1
                while i < n && isIdentContinue(bytes[i]) { i += 1 }
                tokens.append(CedarToken(kind: .identifier, start: start, end: i))
                continue
            }
            if isDigit(c) {
                while i < n && isDigit(bytes[i]) { i += 1 }
                tokens.append(CedarToken(kind: .integer, start: start, end: i))
                continue
            }
            if c == UInt8(ascii: "\"") {
                i += 1
                while i < n && bytes[i] != UInt8(ascii: "\"") {
                    if bytes[i] == UInt8(ascii: "\\") { i += 1 }
                    i += 1
                }
                guard i < n else { throw CedarParseError.syntax("unterminated string literal", offset: start, in: bytes) }
                tokens.append(CedarToken(kind: .string, start: start + 1, end: i))
                i += 1
                continue
            }
            if i + 1 < n {
                let d = bytes[i + 1]
                let isPair: Bool
                switch (c, d) {
                case (UInt8(ascii: "="), UInt8(ascii: "=")), (UInt8(ascii: "!"), UInt8(ascii: "=")),
                    (UInt8(ascii: "<"), UInt8(ascii: "=")), (UInt8(ascii: ">"), UInt8(ascii: "=")),
                    (UInt8(ascii: "&"), UInt8(ascii: "&")), (UInt8(ascii: "|"), UInt8(ascii: "|")),
                    (UInt8(ascii: ":"), UInt8(ascii: ":")):
                    isPair = true
                default:
                    isPair = false
                }
                if isPair {
                    tokens.append(CedarToken(kind: .punct, start: i, end: i + 2))
                    i += 2
                    continue
                }
            }
            switch c {
            case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "{"),
                UInt8(ascii: "}"), UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: ":"), UInt8(ascii: "."),
                UInt8(ascii: "@"), UInt8(ascii: "?"), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "!"),
                UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "*"), UInt8(ascii: "/"), UInt8(ascii: "%"),
                UInt8(ascii: "="):
                tokens.append(CedarToken(kind: .punct, start: i, end: i + 1))
                i += 1
            default:
                throw CedarParseError.syntax("unexpected character", offset: start, in: bytes)
            }
        }
        tokens.append(CedarToken(kind: .end, start: n, end: n))
        return tokens
    }
}

@inline(__always)
func isIdentStart(_ c: UInt8) -> Bool {
    (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c == 95
}

@inline(__always)
func isIdentContinue(_ c: UInt8) -> Bool { isIdentStart(c) || isDigit(c) }

/// Decodes the body of a Cedar string literal. With `pattern`, `\*` becomes a literal-star
/// marker (returned through `literalStars`) instead of an error.
///
/// Accepts the escapes of the reference lexer: `\n \r \t \\ \0 \' \"`, `\xHH` (ASCII only) and
/// `\u{H..H}` (1–6 hex digits, a Unicode scalar).
func unescapeCedarString(_ raw: some Collection<UInt8>, pattern: Bool = false) -> [LikePatternElement]? {
    var out: [LikePatternElement] = []
    let b = Array(raw)
    var i = 0
    var pending: [UInt8] = []
    func flush() {
        if !pending.isEmpty {
            for scalar in String(decoding: pending, as: UTF8.self).unicodeScalars { out.append(.char(scalar)) }
            pending.removeAll()
        }
    }
    while i < b.count {
        let c = b[i]
        if c == UInt8(ascii: "*") && pattern {
            flush()
            out.append(.wildcard)
            i += 1
            continue
        }
        guard c == UInt8(ascii: "\\") else {
            pending.append(c)
            i += 1
            continue
        }
        flush()
        guard i + 1 < b.count else { return nil }
        let e = b[i + 1]
        i += 2
        switch e {
        case UInt8(ascii: "n"): out.append(.char("\n"))
        case UInt8(ascii: "r"): out.append(.char("\r"))
        case UInt8(ascii: "t"): out.append(.char("\t"))
        case UInt8(ascii: "\\"): out.append(.char("\\"))
        case UInt8(ascii: "0"): out.append(.char("\0"))
        case UInt8(ascii: "'"): out.append(.char("'"))
        case UInt8(ascii: "\""): out.append(.char("\""))
        case UInt8(ascii: "*") where pattern: out.append(.char("*"))
        case UInt8(ascii: "x"):
            guard i + 1 < b.count, let h = hexValue(b[i]), let l = hexValue(b[i + 1]), h <= 7 else { return nil }
            out.append(.char(UnicodeScalar(h << 4 | l)))
            i += 2
        case UInt8(ascii: "u"):
            guard i < b.count, b[i] == UInt8(ascii: "{") else { return nil }
            i += 1
            var v: UInt32 = 0
            var digits = 0
            while i < b.count && b[i] != UInt8(ascii: "}") {
                guard let h = hexValue(b[i]), digits < 6 else { return nil }
                v = v << 4 | UInt32(h)
                digits += 1
                i += 1
            }
            guard i < b.count, digits > 0, let scalar = UnicodeScalar(v) else { return nil }
            i += 1
            out.append(.char(scalar))
        default:
            return nil
        }
    }
    flush()
    return out
}

/// Decodes a string literal body to a `String`; `nil` for an invalid escape.
func unescapeCedarString(_ raw: some Collection<UInt8>) -> String? {
    guard let elements = unescapeCedarString(raw, pattern: false) else { return nil }
    var s = String.UnicodeScalarView()
    for case .char(let c) in elements { s.append(c) }
    return String(s)
}
