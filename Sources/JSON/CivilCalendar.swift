/// Proleptic Gregorian calendar arithmetic on plain integers, for every module that reads or
/// writes dates (cron, RFC 3339 in API answers, SCIM and SAML timestamps, chart labels).
///
/// Written out instead of going through `Foundation.Calendar` because these need a handful of
/// exact conversions in tight loops, and integer arithmetic is both faster and free of locale
/// and time-zone state. Time zones enter only through `TimeZone.secondsFromGMT(for:)`, at the
/// edges.
public enum CivilCalendar {
    /// Days from 1970-01-01 to the given date (negative before it). Valid for any year that
    /// fits comfortably in `Int`; callers bound years far tighter than that.
    public static func days(year: Int, month: Int, day: Int) -> Int {
        // Shift the year to start in March so the leap day is the last day of the year.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let shiftedMonth = month > 2 ? month - 3 : month + 9
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date `days` after 1970-01-01.
    public static func date(days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    /// Day of the week, 0 = Sunday ... 6 = Saturday (cron's numbering).
    public static func weekday(days: Int) -> Int {
        // 1970-01-01 was a Thursday (4).
        let w = (days + 4) % 7
        return w < 0 ? w + 7 : w
    }

    public static func isLeapYear(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    public static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Floor division, so that negative timestamps land in the bucket before zero.
    public static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    /// `YYYY-MM-DDThh:mm:ss.SSSZ` (UTC) for milliseconds since 1970, clamped to the years
    /// 0000-9999 that the format can write.
    public static func rfc3339(milliseconds: Int64) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(24)
        writeRFC3339(milliseconds: milliseconds, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends ``rfc3339(milliseconds:)``'s text to `out` (for bodies written as bytes, without
    /// a string per timestamp).
    public static func writeRFC3339(milliseconds: Int64, into out: inout [UInt8]) {
        let clamped = min(max(milliseconds, -62_167_219_200_000), 253_402_300_799_999)
        let day = floorDiv(clamped, 86_400_000)
        let ms = clamped - day * 86_400_000
        let (y, m, d) = date(days: Int(day))
        func digits(_ value: Int64, _ count: Int) {
            var divisor: Int64 = 1
            for _ in 1..<count { divisor *= 10 }
            while divisor > 0 {
                out.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
                divisor /= 10
            }
        }
        digits(Int64(y), 4); out.append(UInt8(ascii: "-")); digits(Int64(m), 2); out.append(UInt8(ascii: "-")); digits(Int64(d), 2)
        out.append(UInt8(ascii: "T")); digits(ms / 3_600_000, 2); out.append(UInt8(ascii: ":")); digits(ms / 60_000 % 60, 2)
        out.append(UInt8(ascii: ":")); digits(ms / 1000 % 60, 2); out.append(UInt8(ascii: ".")); digits(ms % 1000, 3)
        out.append(UInt8(ascii: "Z"))
    }
}
