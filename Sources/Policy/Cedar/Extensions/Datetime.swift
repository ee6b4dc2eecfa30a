/// Milliseconds in one day, the unit `toDate` and `toTime` split on.
let millisecondsPerDay: Int64 = 86_400_000

/// Cedar's `datetime` extension value: an instant as milliseconds since the Unix epoch (UTC).
public struct CedarDatetime: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    public let milliseconds: Int64

    /// Creates a datetime from epoch milliseconds.
    public init(milliseconds: Int64) { self.milliseconds = milliseconds }

    public static func < (lhs: CedarDatetime, rhs: CedarDatetime) -> Bool { lhs.milliseconds < rhs.milliseconds }

    /// Parses the RFC 3339 subset Cedar accepts: `YYYY-MM-DD`, optionally followed by
    /// `Thh:mm:ss`, optional `.SSS`, and `Z` or `(+|-)hhmm`.
    public static func parse(_ text: String) -> Result<CedarDatetime, ExtensionError> {
        let b = Array(text.utf8)
        func num(_ from: Int, _ count: Int) -> Int64? {
            guard from + count <= b.count else { return nil }
            var v: Int64 = 0
            for i in from..<(from + count) {
                guard isDigit(b[i]) else { return nil }
                v = v * 10 + Int64(b[i] - 48)
            }
            return v
        }
        guard b.count >= 10, let year = num(0, 4), b[4] == UInt8(ascii: "-"), let month = num(5, 2),
              b[7] == UInt8(ascii: "-"), let day = num(8, 2)
        else { return .failure(.malformed("invalid date pattern")) }
        guard (1...12).contains(month), day >= 1, day <= daysInMonth(year: year, month: month) else {
            return .failure(.malformed("invalid date: \(text)"))
        }
        let days = daysFromCivil(year: year, month: month, day: day)
        var ms = days * millisecondsPerDay
        if b.count == 10 { return .success(CedarDatetime(milliseconds: ms)) }
        guard b.count >= 20, b[10] == UInt8(ascii: "T"), let hh = num(11, 2), b[13] == UInt8(ascii: ":"),
              let mm = num(14, 2), b[16] == UInt8(ascii: ":"), let ss = num(17, 2)
        else { return .failure(.malformed("invalid hour/minute/second pattern")) }
        guard hh < 24, mm < 60, ss < 60 else { return .failure(.malformed("invalid hour/minute/second")) }
        ms += ((hh * 60 + mm) * 60 + ss) * 1000
        var i = 19
        if b[i] == UInt8(ascii: ".") {
            guard let frac = num(i + 1, 3) else { return .failure(.malformed("invalid millisecond and/or offset pattern")) }
            ms += frac
            i += 4
        }
        guard i < b.count else { return .failure(.malformed("invalid millisecond and/or offset pattern")) }
        if b[i] == UInt8(ascii: "Z") && i + 1 == b.count {
            return .success(CedarDatetime(milliseconds: ms))
        }
        guard b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-"), i + 5 == b.count,
              let oh = num(i + 1, 2), let om = num(i + 3, 2)
        else { return .failure(.malformed("invalid millisecond and/or offset pattern")) }
        guard oh < 24, om < 60 else { return .failure(.malformed("invalid offset range")) }
        let offset = (oh * 60 + om) * 60_000
        // Local time is UTC plus the offset, so UTC is local minus it.
        ms += b[i] == UInt8(ascii: "+") ? -offset : offset
        return .success(CedarDatetime(milliseconds: ms))
    }

    static func isLeap(_ y: Int64) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The start of this instant's UTC day; `nil` on overflow.
    public func toDate() -> CedarDatetime? {
        let r = milliseconds % millisecondsPerDay
        if r == 0 { return self }
        if milliseconds > 0 { return CedarDatetime(milliseconds: milliseconds - r) }
        let (v, o) = (milliseconds - r).subtractingReportingOverflow(millisecondsPerDay)
        return o ? nil : CedarDatetime(milliseconds: v)
    }

    /// The time since the start of this instant's UTC day.
    public func toTime() -> CedarDuration {
        let r = milliseconds % millisecondsPerDay
        return CedarDuration(milliseconds: r < 0 ? r + millisecondsPerDay : r)
    }

    /// Epoch milliseconds as text (the value is not re-rendered as a calendar date).
    public var description: String { "\(milliseconds)ms-since-epoch" }
}

/// Cedar's `duration` extension value, in milliseconds.
public struct CedarDuration: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// Length in milliseconds (may be negative).
    public let milliseconds: Int64

    /// Creates a duration from milliseconds.
    public init(milliseconds: Int64) { self.milliseconds = milliseconds }

    public static func < (lhs: CedarDuration, rhs: CedarDuration) -> Bool { lhs.milliseconds < rhs.milliseconds }

    /// Parses `-?(Nd)?(Nh)?(Nm)?(Ns)?(Nms)?` with at least one component.
    public static func parse(_ text: String) -> Result<CedarDuration, ExtensionError> {
        let b = Array(text.utf8)
        var i = 0
        var negative = false
        if i < b.count && b[i] == UInt8(ascii: "-") {
            negative = true
            i += 1
        }
        let units: [(String, Int64)] = [("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)]
        var nextUnit = 0
        var total: Int64 = 0
        var components = 0
        let invalid = ExtensionError.malformed("invalid duration pattern")
        while i < b.count {
            let start = i
            while i < b.count && isDigit(b[i]) { i += 1 }
            guard i > start else { return .failure(invalid) }
            var unitText = ""
            if i < b.count && b[i] == UInt8(ascii: "m") && i + 1 < b.count && b[i + 1] == UInt8(ascii: "s") {
                unitText = "ms"
                i += 2
            } else if i < b.count, [UInt8(ascii: "d"), UInt8(ascii: "h"), UInt8(ascii: "m"), UInt8(ascii: "s")].contains(b[i]) {
                unitText = String(UnicodeScalar(b[i]))
                i += 1
            } else {
                return .failure(invalid)
            }
            guard let idx = units.firstIndex(where: { $0.0 == unitText }), idx >= nextUnit else { return .failure(invalid) }
            nextUnit = idx + 1
            // Accumulate toward the sign so the most negative duration is representable.
            var n: Int64 = 0
            for d in b[start..<(i - unitText.utf8.count)] {
                let (m, o1) = n.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(negative ? -Int64(d - 48) : Int64(d - 48))
                if o1 || o2 { return .failure(.overflow("overflow in duration")) }
                n = a
            }
            let (scaled, o1) = n.multipliedReportingOverflow(by: units[idx].1)
            let (sum, o2) = total.addingReportingOverflow(scaled)
            if o1 || o2 { return .failure(.overflow("overflow in duration")) }
            total = sum
            components += 1
        }
        guard components > 0 else { return .failure(invalid) }
        return .success(CedarDuration(milliseconds: total))
    }

    /// Whole days, truncated toward zero.
    public var days: Int64 { milliseconds / 86_400_000 }
    /// Whole hours, truncated toward zero.
    public var hours: Int64 { milliseconds / 3_600_000 }
    /// Whole minutes, truncated toward zero.
    public var minutes: Int64 { milliseconds / 60_000 }
    /// Whole seconds, truncated toward zero.
    public var seconds: Int64 { milliseconds / 1000 }

    /// Milliseconds with an `ms` unit.
    public var description: String { "\(milliseconds)ms" }
}
