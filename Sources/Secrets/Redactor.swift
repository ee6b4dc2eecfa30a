import Foundation
import JSON
import Synchronization

/// Masks secret values in text: the raw value and the encodings in which it commonly leaks -
/// Base64 (standard and URL alphabets, padded or not, and at the three byte offsets at which
/// it appears inside an encoded `user:password`), percent- and form-encoding, JSON escaping,
/// and hex - and, for multi-line values, each line on its own.
///
/// One instance serves a scope: the process-wide one (logs, audit) holds every secret
/// resolved recently; a run holds the secrets its steps used.
public final class Redactor: Sendable {
    /// What replaces a secret.
    public static let mask = "***"
    /// Secrets shorter than this are refused at creation: masking them would mangle ordinary text.
    public static let minimumLength = 4

    private struct Patterns {
        /// Byte patterns, longest first, so a longer encoding is masked before a shorter part of it.
        var patterns: [[UInt8]] = []
        var known: Set<[UInt8]> = []
    }
    private let state = Mutex(Patterns())

    public init() {}

    /// Adds a secret value (and its encodings) to what is masked.
    public func register(_ secret: String) {
        let variants = Redactor.variants(of: secret)
        state.withLock { s in
            var changed = false
            for v in variants where s.known.insert(v).inserted {
                s.patterns.append(v)
                changed = true
            }
            if changed { s.patterns.sort { $0.count > $1.count } }
        }
    }

    /// Whether nothing is registered.
    public var isEmpty: Bool { state.withLock { $0.patterns.isEmpty } }

    /// `text` with every registered secret masked.
    public func redact(_ text: String) -> String {
        let patterns = state.withLock { $0.patterns }
        if patterns.isEmpty { return text }
        let bytes = Array(text.utf8)
        let redacted = Redactor.mask(bytes, patterns)
        return redacted == bytes ? text : String(decoding: redacted, as: UTF8.self)
    }

    /// `value` with every string (and object key) masked.
    public func redact(_ value: JSONValue) -> JSONValue {
        if isEmpty { return value }
        switch value {
        case .string(let s): return .string(redact(s))
        case .array(let a): return .array(a.map(redact))
        case .object(let o):
            var out: [String: JSONValue] = [:]
            for (k, v) in o { out[redact(k)] = redact(v) }
            return .object(out)
        default: return value
        }
    }

    /// Replaces every occurrence of any pattern, scanning left to right; at each position the
    /// longest matching pattern wins.
    static func mask(_ bytes: [UInt8], _ patterns: [[UInt8]]) -> [UInt8] {
        var firstBytes = Set<UInt8>()
        for p in patterns { if let f = p.first { firstBytes.insert(f) } }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        let maskBytes = Array(mask.utf8)
        outer: while i < bytes.count {
            if firstBytes.contains(bytes[i]) {
                for p in patterns where p.count <= bytes.count - i && bytes[i] == p[0] {
                    var j = 1
                    while j < p.count, bytes[i + j] == p[j] { j += 1 }
                    if j == p.count {
                        out.append(contentsOf: maskBytes)
                        i += p.count
                        continue outer
                    }
                }
            }
            out.append(bytes[i])
            i += 1
        }
        return out
    }

    /// Every form of `secret` that is masked.
    public static func variants(of secret: String) -> [[UInt8]] {
        var forms: Set<[UInt8]> = []
        var values = [secret]
        let lines = secret.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        if lines.count > 1 { values += lines.filter { $0.utf8.count >= minimumLength } }
        for value in values {
            let raw = Array(value.utf8)
            forms.insert(raw)
            for form in base64Forms(raw) { forms.insert(form) }
            forms.insert(Array(percentEncoded(value, form: false).utf8))
            forms.insert(Array(percentEncoded(value, form: true).utf8))
            forms.insert(Array(percentEncoded(value, form: false).lowercasedHexEscapes().utf8))
            forms.insert(Array(percentEncoded(value, form: false, keepUnreserved: false).utf8))
            var json: [UInt8] = []
            JSONValue.writeString(value, into: &json)
            forms.insert(Array(json.dropFirst().dropLast()))
            forms.insert(Array(String(decoding: json.dropFirst().dropLast(), as: UTF8.self).replacingOccurrences(of: "/", with: "\\/").utf8))
            forms.insert(Array(Hex.encode(raw).utf8))
            forms.insert(Array(Hex.encode(raw, uppercase: true).utf8))
        }
        return forms.filter { $0.count >= minimumLength }.sorted { $0.count > $1.count }
    }

    /// Base64 of the value at offsets 0, 1 and 2 within a longer encoded string: the
    /// characters that depend on the value's bytes alone, in both alphabets.
    static func base64Forms(_ raw: [UInt8]) -> [[UInt8]] {
        var out: [[UInt8]] = []
        for offset in 0...2 {
            let padded = [UInt8](repeating: 0, count: offset) + raw
            let encoded = Array(Data(padded).base64EncodedString().utf8)
            // Whole 3-byte groups made of the value's bytes only: from the first group boundary
            // at or after `offset` to the last boundary before the value ends.
            let startGroup = (offset + 2) / 3
            let endGroup = (offset + raw.count) / 3
            if endGroup > startGroup {
                let middle = Array(encoded[(startGroup * 4)..<(endGroup * 4)])
                out.append(middle)
                out.append(middle.map(urlAlphabet))
            }
            if offset == 0 {
                out.append(encoded)
                out.append(encoded.map(urlAlphabet))
                let unpadded = Array(encoded.prefix { $0 != UInt8(ascii: "=") })
                out.append(unpadded)
                out.append(unpadded.map(urlAlphabet))
            }
        }
        return out
    }

    static func urlAlphabet(_ b: UInt8) -> UInt8 {
        switch b {
        case UInt8(ascii: "+"): return UInt8(ascii: "-")
        case UInt8(ascii: "/"): return UInt8(ascii: "_")
        default: return b
        }
    }

    /// Percent-encoding as RFC 3986 does it (unreserved characters kept), or as encoders that
    /// keep only letters and digits do (`keepUnreserved: false`).
    static func percentEncoded(_ value: String, form: Bool, keepUnreserved: Bool = true) -> String {
        var out = ""
        for b in value.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            case _ where keepUnreserved && (b == UInt8(ascii: "-") || b == UInt8(ascii: ".") || b == UInt8(ascii: "_") || b == UInt8(ascii: "~")):
                out.unicodeScalars.append(Unicode.Scalar(b))
            case UInt8(ascii: " ") where form:
                out += "+"
            default:
                out += String(format: "%%%02X", b)
            }
        }
        return out
    }
}

extension String {
    /// `%2F` -> `%2f`: some encoders emit lowercase hex digits.
    func lowercasedHexEscapes() -> String {
        var out = ""
        var iterator = makeIterator()
        while let c = iterator.next() {
            out.append(c)
            if c == "%" {
                for _ in 0..<2 { if let h = iterator.next() { out.append(Character(h.lowercased())) } }
            }
        }
        return out
    }
}
