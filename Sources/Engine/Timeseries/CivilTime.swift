import JSON

/// A wall-clock date and time to the second, with no time zone attached.
struct CivilDateTime: Sendable, Hashable, Comparable, CustomStringConvertible {
    var year: Int
    var month: Int
    var day: Int
    var hour: Int
    var minute: Int
    var second: Int

    init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = second
    }

    /// The wall-clock reading `seconds` after 1970-01-01T00:00:00 (that is, a UTC reading
    /// when `seconds` is a Unix time, a local one when the zone offset was added first).
    init(secondsSinceEpoch seconds: Int64) {
        let days = CivilCalendar.floorDiv(seconds, 86_400)
        let secondOfDay = Int(seconds - days * 86_400)
        let date = CivilCalendar.date(days: Int(days))
        self.init(
            year: date.year, month: date.month, day: date.day,
            hour: secondOfDay / 3600, minute: secondOfDay / 60 % 60, second: secondOfDay % 60
        )
    }

    /// Seconds since 1970-01-01T00:00:00 of this reading taken as UTC.
    var secondsSinceEpoch: Int64 {
        Int64(CivilCalendar.days(year: year, month: month, day: day)) * 86_400
            + Int64(hour * 3600 + minute * 60 + second)
    }

    var weekday: Int { CivilCalendar.weekday(days: CivilCalendar.days(year: year, month: month, day: day)) }

    static func < (a: CivilDateTime, b: CivilDateTime) -> Bool {
        (a.year, a.month, a.day, a.hour, a.minute, a.second) < (b.year, b.month, b.day, b.hour, b.minute, b.second)
    }

    var description: String {
        "\(CivilDateTime.pad(year, 4))-\(CivilDateTime.pad(month, 2))-\(CivilDateTime.pad(day, 2))T"
            + "\(CivilDateTime.pad(hour, 2)):\(CivilDateTime.pad(minute, 2)):\(CivilDateTime.pad(second, 2))"
    }

    /// Zero-padded decimal, for formats that must not depend on a locale.
    static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(abs(value))
        let padded = String(repeating: "0", count: max(0, width - digits.count)) + digits
        return value < 0 ? "-" + padded : padded
    }
}
