import JSON

/// RFC 3339 date-times (`2024-03-10T07:00:00.25Z`, `2024-03-10 02:00:00-05:00`) to and from
/// Unix seconds.
///
/// Hand-written because `ISO8601DateFormatter` is a class whose options decide whether
/// fractions parse at all, is slow to create per call, and accepts forms RFC 3339 does not.
enum RFC3339Timestamp {
    /// Unix seconds of `text`, or `nil` if it is not an RFC 3339 date-time. Accepts `T`, `t`
    /// or a space between date and time, `Z`/`z` or a numeric offset, and any number of
    /// fraction digits, of which the first six (microseconds) are used. A leap second
    /// (`:60`) is refused: Unix time has no place for it.
    static func parse(_ text: String) -> Double? {
        let b = Array(text.utf8)
        guard b.count >= 20, b.count <= 64 else { return nil }
        func digits(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= b.count else { return nil }
            var n = 0
            for i in start..<(start + count) {
                guard b[i] >= 0x30, b[i] <= 0x39 else { return nil }
                n = n * 10 + Int(b[i] - 0x30)
            }
            return n
        }
        guard let year = digits(0, 4), b[4] == UInt8(ascii: "-"), let month = digits(5, 2), b[7] == UInt8(ascii: "-"),
              let day = digits(8, 2), b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t") || b[10] == UInt8(ascii: " "),
              let hour = digits(11, 2), b[13] == UInt8(ascii: ":"), let minute = digits(14, 2), b[16] == UInt8(ascii: ":"),
              let second = digits(17, 2)
        else { return nil }
        guard (1...12).contains(month), day >= 1, day <= CivilCalendar.daysInMonth(year: year, month: month),
              hour <= 23, minute <= 59, second <= 59
        else { return nil }
        var i = 19
        var fraction = 0.0
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            // Only microseconds are kept: a Double of today's Unix seconds resolves about
            // 0.24 µs, so `.999999999` would otherwise round up into the next second.
            var micros = 0
            let start = i
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                if i - start < 6 { micros = micros * 10 + Int(b[i] - 0x30) }
                i += 1
            }
            guard i > start else { return nil }
            for _ in min(i - start, 6)..<6 { micros *= 10 }
            fraction = Double(micros) / 1_000_000
        }
        guard i < b.count else { return nil }
        var offsetSeconds = 0
        switch b[i] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            i += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard let oh = digits(i + 1, 2), i + 3 < b.count, b[i + 3] == UInt8(ascii: ":"), let om = digits(i + 4, 2),
                  oh <= 23, om <= 59
            else { return nil }
            offsetSeconds = (oh * 3600 + om * 60) * (b[i] == UInt8(ascii: "-") ? -1 : 1)
            i += 6
        default:
            return nil
        }
        guard i == b.count else { return nil }
        let civil = CivilDateTime(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        return Double(civil.secondsSinceEpoch - Int64(offsetSeconds)) + fraction
    }

    /// `YYYY-MM-DDTHH:MM:SSZ` for whole Unix seconds.
    static func format(_ seconds: Int64) -> String {
        CivilDateTime(secondsSinceEpoch: seconds).description + "Z"
    }
}
