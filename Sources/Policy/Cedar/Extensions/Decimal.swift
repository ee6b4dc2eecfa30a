/// Cedar's `decimal` extension value: a fixed-point number with four fractional digits.
///
/// Stored as the value times 10,000 in an `Int64`, the same range and precision the reference
/// engine uses, so overflow happens at the same inputs.
public struct CedarDecimal: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The value times 10,000.
    public let scaled: Int64

    /// Creates a decimal from its scaled representation.
    public init(scaled: Int64) { self.scaled = scaled }

    /// Parses `-?[0-9]+\.[0-9]{1,4}`; a failure says whether it was malformed or out of range.
    public static func parse(_ text: String) -> Result<CedarDecimal, ExtensionError> {
        var bytes = Array(text.utf8)[...]
        var negative = false
        if bytes.first == UInt8(ascii: "-") {
            negative = true
            bytes = bytes.dropFirst()
        }
        guard let dot = bytes.firstIndex(of: UInt8(ascii: ".")) else {
            return .failure(.malformed("`\(text)` is not a well-formed decimal value"))
        }
        let whole = bytes[..<dot]
        let frac = bytes[(dot + 1)...]
        guard !whole.isEmpty, !frac.isEmpty, whole.allSatisfy(isDigit), frac.allSatisfy(isDigit) else {
            return .failure(.malformed("`\(text)` is not a well-formed decimal value"))
        }
        guard frac.count <= 4 else {
            return .failure(.malformed("too many digits after the decimal in `\(text)`"))
        }
        // Accumulate toward the sign so that the most negative value is representable.
        var acc: Int64 = 0
        let sign: Int64 = negative ? -1 : 1
        for digit in whole {
            let (m, o1) = acc.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(sign * Int64(digit - 48))
            if o1 || o2 { return .failure(.overflow("overflow when converting to decimal")) }
            acc = a
        }
        var fracValue: Int64 = 0
        for digit in frac { fracValue = fracValue * 10 + Int64(digit - 48) }
        for _ in frac.count..<4 { fracValue *= 10 }
        let (m, o1) = acc.multipliedReportingOverflow(by: 10_000)
        let (a, o2) = m.addingReportingOverflow(sign * fracValue)
        if o1 || o2 { return .failure(.overflow("overflow when converting to decimal")) }
        return .success(CedarDecimal(scaled: a))
    }

    public static func < (lhs: CedarDecimal, rhs: CedarDecimal) -> Bool { lhs.scaled < rhs.scaled }

    /// Renders with four fractional digits, e.g. `-1.5000`.
    public var description: String {
        let negative = scaled < 0
        let magnitude = scaled.magnitude
        let whole = magnitude / 10_000
        let frac = String(magnitude % 10_000)
        return (negative ? "-" : "") + String(whole) + "." + String(repeating: "0", count: 4 - frac.count) + frac
    }
}

@inline(__always)
func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }

/// Why an extension constructor or method failed.
public struct ExtensionError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: Hashable, Sendable { case malformed, overflow }
    private let code: Code
    /// What went wrong.
    public let message: String

    static func malformed(_ message: String) -> ExtensionError { .init(code: .malformed, message: message) }
    static func overflow(_ message: String) -> ExtensionError { .init(code: .overflow, message: message) }

    /// Whether the input text was malformed (as opposed to out of range).
    public var isMalformed: Bool { code == .malformed }
    public var description: String { message }
}
