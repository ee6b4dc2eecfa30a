/// A compiled `like` pattern.
///
/// Matching runs on UTF-8 bytes: literal parts of the pattern are whole encoded scalars, and
/// UTF-8 is self-synchronising (no scalar's encoding starts inside another's), so byte-level
/// matching with `*` gives the same answers as matching scalar by scalar, without decoding.
///
/// A final class, so evaluating a `like` borrows the compiled pattern rather than copying (and
/// retaining) its arrays.
final class LikePattern: Sendable, CustomStringConvertible {
    /// The pattern as parsed.
    let elements: [LikePatternElement]
    /// UTF-8 bytes, with `-1` for a wildcard.
    private let bytes: [Int16]
    /// The literal bytes, for the common shapes.
    private let literal: [UInt8]
    private let shape: Shape

    /// Common shapes answered with one prefix/suffix/substring test.
    private enum Shape: Hashable, Sendable {
        case exact, prefix, suffix, contains, general
    }

    init(_ elements: [LikePatternElement]) {
        self.elements = elements
        var bytes: [Int16] = []
        for e in elements {
            switch e {
            case .wildcard: bytes.append(-1)
            case .char(let c): for b in String(Character(c)).utf8 { bytes.append(Int16(b)) }
            }
        }
        self.bytes = bytes
        let stars = bytes.indices.filter { bytes[$0] < 0 }
        literal = bytes.filter { $0 >= 0 }.map { UInt8($0) }
        if stars.isEmpty {
            shape = .exact
        } else if stars == [bytes.count - 1] {
            shape = .prefix
        } else if stars == [0] {
            shape = .suffix
        } else if stars == [0, bytes.count - 1] && bytes.count >= 2 {
            shape = .contains
        } else {
            shape = .general
        }
    }

    var description: String {
        var out = "\""
        for e in elements {
            switch e {
            case .wildcard: out += "*"
            case .char("*"): out += "\\*"
            case .char(let c): out += cedarQuoted(String(Character(c))).dropFirst().dropLast()
            }
        }
        return out + "\""
    }

    /// Whether `text` matches.
    func matches(_ text: String) -> Bool {
        if let r = text.utf8.withContiguousStorageIfAvailable({ match($0) }) { return r }
        var copy = text
        return copy.withUTF8 { match($0) }
    }

    private func match(_ t: UnsafeBufferPointer<UInt8>) -> Bool {
        let p = literal
        switch shape {
        case .exact: return t.count == p.count && LikePattern.equal(t, from: 0, p)
        case .prefix: return t.count >= p.count && LikePattern.equal(t, from: 0, p)
        case .suffix: return t.count >= p.count && LikePattern.equal(t, from: t.count - p.count, p)
        case .contains: return LikePattern.contains(t, p)
        case .general: return generalMatch(t)
        }
    }

    @inline(__always)
    private static func equal(_ t: UnsafeBufferPointer<UInt8>, from start: Int, _ p: [UInt8]) -> Bool {
        var i = 0
        while i < p.count {
            if t[start + i] != p[i] { return false }
            i += 1
        }
        return true
    }

    private static func contains(_ t: UnsafeBufferPointer<UInt8>, _ p: [UInt8]) -> Bool {
        if p.isEmpty { return true }
        if t.count < p.count { return false }
        var i = 0
        while i + p.count <= t.count {
            var j = 0
            while j < p.count && t[i + j] == p[j] { j += 1 }
            if j == p.count { return true }
            i += 1
        }
        return false
    }

    /// Greedy matching with one backtrack point (the last `*` seen): O(|text| × |pattern|) at
    /// worst, never exponential.
    private func generalMatch(_ t: UnsafeBufferPointer<UInt8>) -> Bool {
        var ti = 0
        var pi = 0
        var starP = -1
        var starT = 0
        while ti < t.count {
            if pi < bytes.count {
                let b = bytes[pi]
                if b < 0 {
                    starP = pi
                    starT = ti
                    pi += 1
                    continue
                }
                if UInt8(b) == t[ti] {
                    ti += 1
                    pi += 1
                    continue
                }
            }
            guard starP >= 0 else { return false }
            pi = starP + 1
            starT += 1
            ti = starT
        }
        while pi < bytes.count && bytes[pi] < 0 { pi += 1 }
        return pi == bytes.count
    }
}

/// Matches `text` against a pattern given as elements (compiles it first).
func wildcardMatch(_ text: String, _ pattern: [LikePatternElement]) -> Bool {
    LikePattern(pattern).matches(text)
}
