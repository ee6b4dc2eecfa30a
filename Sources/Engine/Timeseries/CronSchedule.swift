import Foundation
import JSON

/// A parsed cron expression that computes when it fires.
///
/// Syntax: five fields `minute hour day-of-month month day-of-week`, or six with a leading
/// `second` field. Each field is `*` or a comma-separated list of values, ranges `a-b` and
/// steps (`*/n`, `a-b/n`, `a/n` meaning `a-max/n`). Months accept `JAN`...`DEC` and days of
/// the week `SUN`...`SAT` (any case); day-of-week `0` and `7` both mean Sunday. The macros
/// `@yearly` (`@annually`), `@monthly`, `@weekly`, `@daily` (`@midnight`) and `@hourly` stand
/// for their usual five-field forms. Quartz extensions (`?`, `L`, `W`, `#`) are rejected.
///
/// Day matching follows Vixie cron: when both day-of-month and day-of-week are restricted, a
/// day matches if *either* matches (`0 0 13 * FRI` fires on every 13th and every Friday).
/// A day field counts as unrestricted when its text starts with `*`, so `*/2` in the
/// day-of-month field still combines with day-of-week by AND, exactly as Vixie cron does.
///
/// Time zones and daylight saving time — the schedule is a wall-clock schedule in the zone
/// passed to ``next(after:in:)``:
/// - A wall-clock time that does not exist (skipped by a spring-forward jump) is *moved* to
///   the instant the clocks jump, so a daily `30 2 * * *` job still runs once on that day (at
///   03:00 in Europe and the US). Several skipped times collapse into that one firing.
/// - A wall-clock time that occurs twice (fall-back) fires once, at its first occurrence. The
///   repeated hour therefore does not fire a second time, even for `* * * * *`.
public struct CronSchedule: Sendable, Hashable, CustomStringConvertible {
    /// The expression as given, without surrounding whitespace.
    public let expression: String
    /// Whether the expression had a seconds field (six fields).
    public let hasSeconds: Bool

    let seconds: CronValueSet
    let minutes: CronValueSet
    let hours: CronValueSet
    let daysOfMonth: CronValueSet
    let months: CronValueSet
    /// Days of the week with Sunday as 0; a parsed 7 is folded into 0.
    let daysOfWeek: CronValueSet
    let daysOfMonthRestricted: Bool
    let daysOfWeekRestricted: Bool

    /// The longest expression accepted, in bytes. Real expressions are a few dozen bytes; the
    /// bound keeps parse errors and stored schedules small.
    public static let maximumExpressionLength = 256
    /// The most fire times ``fireTimes(between:and:in:limit:)`` returns, whatever `limit` says.
    public static let maximumFireTimes = 100_000
    /// How many years past the start time ``next(after:in:)`` searches before deciding the
    /// expression never fires (e.g. `0 0 30 2 *`). 28 years covers every weekday/leap-year
    /// combination of the Gregorian calendar.
    static let searchHorizonYears = 28

    /// Parses a cron expression.
    ///
    /// - Throws: ``CronParseError`` naming the field and the 1-based character position of
    ///   the problem.
    public init(parsing expression: String) throws(CronParseError) {
        self = try CronExpressionParser.parse(expression)
    }

    init(
        expression: String, hasSeconds: Bool, seconds: CronValueSet, minutes: CronValueSet, hours: CronValueSet,
        daysOfMonth: CronValueSet, months: CronValueSet, daysOfWeek: CronValueSet,
        daysOfMonthRestricted: Bool, daysOfWeekRestricted: Bool
    ) {
        self.expression = expression
        self.hasSeconds = hasSeconds
        self.seconds = seconds
        self.minutes = minutes
        self.hours = hours
        self.daysOfMonth = daysOfMonth
        self.months = months
        self.daysOfWeek = daysOfWeek
        self.daysOfMonthRestricted = daysOfMonthRestricted
        self.daysOfWeekRestricted = daysOfWeekRestricted
    }

    /// The expression.
    public var description: String { expression }

    /// The first fire time strictly after `date`, as wall-clock times in `timeZone`; `nil`
    /// when the expression never fires within ``searchHorizonYears`` years or before the end
    /// of year 9999.
    ///
    /// Fire times are whole seconds. See the type's documentation for how skipped and
    /// repeated wall-clock times around daylight-saving changes are handled.
    public func next(after date: Date, in timeZone: TimeZone) -> Date? {
        guard let afterSecond = CronSchedule.wholeSecond(date) else { return nil }
        let zone = CronZone(timeZone)
        var candidate = CivilDateTime(secondsSinceEpoch: afterSecond + Int64(zone.offset(at: afterSecond)) + 1)
        let lastYear = min(9999, candidate.year + CronSchedule.searchHorizonYears)
        // Each round either returns or moves `candidate` past a wall-clock time that already
        // happened (only possible inside a repeated hour), so a few thousand rounds at most.
        for _ in 0..<10_000 {
            guard let match = nextMatch(atOrAfter: candidate, lastYear: lastYear) else { return nil }
            let instant = zone.firstInstant(of: match)
            if instant > afterSecond { return Date(timeIntervalSince1970: TimeInterval(instant)) }
            candidate = CivilDateTime(secondsSinceEpoch: match.secondsSinceEpoch + 1)
        }
        return nil
    }

    /// The fire times `t` with `start < t <= end`, oldest first, at most `limit` of them
    /// (and never more than ``maximumFireTimes``).
    ///
    /// Meant for catch-up after downtime: pass the last time the schedule ran and now. When
    /// the result holds `limit` times there may be more; continue from the last one.
    public func fireTimes(between start: Date, and end: Date, in timeZone: TimeZone, limit: Int) -> [Date] {
        let limit = min(max(limit, 0), CronSchedule.maximumFireTimes)
        var result: [Date] = []
        var cursor = start
        while result.count < limit, let fire = next(after: cursor, in: timeZone), fire <= end {
            result.append(fire)
            cursor = fire
        }
        return result
    }

    /// Whether the wall-clock time of `date` in `timeZone` matches every field (ignoring
    /// sub-second parts). Says nothing about the once-only rule for repeated times.
    public func matches(_ date: Date, in timeZone: TimeZone) -> Bool {
        guard let second = CronSchedule.wholeSecond(date) else { return false }
        let civil = CivilDateTime(secondsSinceEpoch: second + Int64(CronZone(timeZone).offset(at: second)))
        return seconds.contains(civil.second) && minutes.contains(civil.minute) && hours.contains(civil.hour)
            && months.contains(civil.month) && dayMatches(year: civil.year, month: civil.month, day: civil.day)
    }

    // MARK: Matching

    /// The Unix second of `date` (rounded down), if it lies in years 1...9999.
    static func wholeSecond(_ date: Date) -> Int64? {
        let t = date.timeIntervalSince1970.rounded(.down)
        // 0001-01-01 ... 9999-12-31, with a day of slack for zone offsets.
        guard t.isFinite, t >= -62_135_596_800 + 86_400, t <= 253_402_300_799 - 86_400 else { return nil }
        return Int64(t)
    }

    func dayMatches(year: Int, month: Int, day: Int) -> Bool {
        let domMatch = daysOfMonth.contains(day)
        let dowMatch = daysOfWeek.contains(CivilCalendar.weekday(days: CivilCalendar.days(year: year, month: month, day: day)))
        if daysOfMonthRestricted && daysOfWeekRestricted { return domMatch || dowMatch }
        return domMatch && dowMatch
    }

    /// The first wall-clock time at or after `start` that matches every field, jumping
    /// field by field instead of stepping second by second.
    func nextMatch(atOrAfter start: CivilDateTime, lastYear: Int) -> CivilDateTime? {
        var t = start
        while t.year <= lastYear {
            guard let month = months.first(atOrAfter: t.month) else {
                t = CivilDateTime(year: t.year + 1, month: 1, day: 1)
                continue
            }
            if month != t.month { t = CivilDateTime(year: t.year, month: month, day: 1) }
            if t.day > CivilCalendar.daysInMonth(year: t.year, month: t.month) {
                t = CivilDateTime(year: t.year, month: t.month + 1, day: 1)  // month 13 rolls over above
                continue
            }
            if !dayMatches(year: t.year, month: t.month, day: t.day) {
                t = CivilDateTime(year: t.year, month: t.month, day: t.day + 1)
                continue
            }
            guard let hour = hours.first(atOrAfter: t.hour) else {
                t = CivilDateTime(year: t.year, month: t.month, day: t.day + 1)
                continue
            }
            if hour != t.hour { t = CivilDateTime(year: t.year, month: t.month, day: t.day, hour: hour) }
            guard let minute = minutes.first(atOrAfter: t.minute) else {
                t = CivilDateTime(year: t.year, month: t.month, day: t.day, hour: t.hour + 1)
                continue
            }
            if minute != t.minute { t = CivilDateTime(year: t.year, month: t.month, day: t.day, hour: t.hour, minute: minute) }
            guard let second = seconds.first(atOrAfter: t.second) else {
                t = CivilDateTime(year: t.year, month: t.month, day: t.day, hour: t.hour, minute: t.minute + 1)
                continue
            }
            t.second = second
            return t
        }
        return nil
    }
}

/// A set of small non-negative integers (0...63) as a bit mask: one cron field's values.
struct CronValueSet: Sendable, Hashable {
    var bits: UInt64 = 0

    init(bits: UInt64 = 0) { self.bits = bits }

    func contains(_ value: Int) -> Bool { value >= 0 && value < 64 && bits & (1 << UInt64(value)) != 0 }

    mutating func insert(_ value: Int) {
        if value >= 0 && value < 64 { bits |= 1 << UInt64(value) }
    }

    /// The smallest member `>= value`.
    func first(atOrAfter value: Int) -> Int? {
        if value >= 64 { return nil }
        let remaining = bits & (UInt64.max << UInt64(max(value, 0)))
        return remaining == 0 ? nil : remaining.trailingZeroBitCount
    }

    var values: [Int] { (0..<64).filter { contains($0) } }
}

/// Wall-clock conversions in one time zone, in whole Unix seconds.
struct CronZone {
    let timeZone: TimeZone

    init(_ timeZone: TimeZone) { self.timeZone = timeZone }

    func offset(at second: Int64) -> Int {
        timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(second)))
    }

    /// The earliest instant whose wall-clock reading is `civil`; for a reading that a
    /// forward jump skipped, the instant of the jump (the first reading after it).
    func firstInstant(of civil: CivilDateTime) -> Int64 {
        let local = civil.secondsSinceEpoch
        // Offsets in force around this reading. A day either side catches the transition
        // that makes the reading ambiguous or missing.
        var offsets = [offset(at: local - 86_400), offset(at: local), offset(at: local + 86_400)]
        offsets.append(offset(at: local - Int64(offsets[1])))
        var best: Int64?
        for o in offsets {
            let instant = local - Int64(o)
            if offset(at: instant) == o, best.map({ instant < $0 }) ?? true { best = instant }
        }
        if let best { return best }
        // A gap: find the first instant whose reading is past `civil`. Readings are
        // monotonic across a forward jump, so bisect between the two candidate instants.
        guard let smallest = offsets.min(), let largest = offsets.max() else { return local }
        var low = local - Int64(largest)
        var high = local - Int64(smallest)
        if high < low { swap(&low, &high) }
        while low < high {
            let mid = low + (high - low) / 2
            if mid + Int64(offset(at: mid)) > local { high = mid } else { low = mid + 1 }
        }
        return low
    }
}
