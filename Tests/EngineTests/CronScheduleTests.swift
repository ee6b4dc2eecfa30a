import Engine
import Foundation
import Testing

@Suite struct CronScheduleTests {
    typealias T = TimeseriesTestTime
    let utc = TimeseriesTestTime.utcZone

    /// The next `count` fire times after `start`, as UTC text.
    func fires(_ expression: String, after start: String, count: Int, in zone: TimeZone? = nil) throws -> [String] {
        let schedule = try CronSchedule(parsing: expression)
        var result: [String] = []
        var cursor = T.utc(start)
        for _ in 0..<count {
            guard let next = schedule.next(after: cursor, in: zone ?? utc) else { break }
            result.append(T.text(next))
            cursor = next
        }
        return result
    }

    // MARK: Parsing

    @Test(arguments: [
        ("61 * * * *", "minute", 1, CronParseError.Code.outOfRange),
        ("* 25 * * *", "hour", 3, .outOfRange),
        ("0 0 0 * *", "day-of-month", 5, .outOfRange),
        ("0 0 1 13 *", "month", 7, .outOfRange),
        ("0 0 * * 8", "day-of-week", 9, .outOfRange),
        ("* * * * MOO", "day-of-week", 9, .unknownName),
        ("* * * FOO *", "month", 7, .unknownName),
        ("* MON * * *", "hour", 3, .unknownName),
        ("*/0 * * * *", "minute", 3, .badStep),
        ("*/61 * * * *", "minute", 3, .badStep),
        ("5-1 * * * *", "minute", 1, .outOfRange),
        ("1,,2 * * * *", "minute", 3, .syntax),
        ("1, * * * *", "minute", 3, .syntax),
        ("* * ? * *", "day-of-month", 5, .unsupported),
        ("* * L * *", "day-of-month", 5, .unsupported),
        ("* * 15W * *", "day-of-month", 5, .unsupported),
        ("* * * * 5#3", "day-of-week", 9, .unsupported),
        ("1-x * * * *", "minute", 3, .unknownName),
        ("1-2-3 * * * *", "minute", 3, .syntax),
        ("/5 * * * *", "minute", 1, .syntax),
        ("*/x * * * *", "minute", 3, .syntax),
        ("60 * * * * *", "second", 1, .outOfRange),
    ])
    func fieldErrorsNameFieldAndPosition(_ expression: String, field: String, position: Int, code: CronParseError.Code) {
        do {
            _ = try CronSchedule(parsing: expression)
            Issue.record("accepted \(expression)")
        } catch {
            #expect(error.field == field, "\(expression): \(error)")
            #expect(error.position == position, "\(expression): \(error)")
            #expect(error.code == code, "\(expression): \(error)")
            #expect(error.description.contains("cron field \(field) at position \(position)"))
        }
    }

    @Test(arguments: [
        ("", CronParseError.Code.empty),
        ("   ", .empty),
        ("* * *", .fieldCount),
        ("* * * * * * *", .fieldCount),
        ("@reboot", .unsupported),
        ("@fortnightly", .unknownName),
        ("@daily *", .fieldCount),
        ("* * * * é", .syntax),
    ])
    func wholeExpressionErrors(_ expression: String, code: CronParseError.Code) {
        #expect(throws: CronParseError.self) { _ = try CronSchedule(parsing: expression) }
        do {
            _ = try CronSchedule(parsing: expression)
        } catch {
            #expect(error.code == code, "\(expression): \(error)")
        }
    }

    @Test func overlongExpressionsAreRefused() {
        let long = String(repeating: "1,", count: 200) + "1 * * * *"
        #expect(throws: CronParseError.self) { _ = try CronSchedule(parsing: long) }
        do { _ = try CronSchedule(parsing: long) } catch { #expect(error.code == .tooLong) }
    }

    @Test func errorPositionCountsLeadingWhitespace() {
        do {
            _ = try CronSchedule(parsing: "  0 24 * * *")
            Issue.record("accepted")
        } catch {
            #expect(error.position == 5)
            #expect(error.field == "hour")
            #expect(error.message == "value 24 is out of range 0-23")
        }
    }

    @Test func expressionIsKeptTrimmed() throws {
        let s = try CronSchedule(parsing: "  */5 * * * *\t")
        #expect(s.expression == "*/5 * * * *")
        #expect(s.description == "*/5 * * * *")
        #expect(!s.hasSeconds)
        #expect(try CronSchedule(parsing: "0 */5 * * * *").hasSeconds)
    }

    // MARK: Fields

    @Test func stepsListsAndRanges() throws {
        #expect(try fires("*/15 * * * *", after: "2024-01-01T00:07:30Z", count: 3)
            == ["2024-01-01T00:15:00Z", "2024-01-01T00:30:00Z", "2024-01-01T00:45:00Z"])
        #expect(try fires("5,10-12,50-59/5 * * * *", after: "2024-01-01T00:00:00Z", count: 7)
            == ["2024-01-01T00:05:00Z", "2024-01-01T00:10:00Z", "2024-01-01T00:11:00Z", "2024-01-01T00:12:00Z",
                "2024-01-01T00:50:00Z", "2024-01-01T00:55:00Z", "2024-01-01T01:05:00Z"])
        // `a/n` runs from a to the end of the field.
        #expect(try fires("0 20/2 * * *", after: "2024-01-01T00:00:00Z", count: 3)
            == ["2024-01-01T20:00:00Z", "2024-01-01T22:00:00Z", "2024-01-02T20:00:00Z"])
    }

    @Test func namesAreCaseInsensitiveAndSevenIsSunday() throws {
        // 2024-01-01 is a Monday.
        #expect(try fires("0 9 * jan-Feb Mon-WED", after: "2024-01-01T12:00:00Z", count: 3)
            == ["2024-01-02T09:00:00Z", "2024-01-03T09:00:00Z", "2024-01-08T09:00:00Z"])
        #expect(try fires("0 0 * * 7", after: "2024-01-01T00:00:00Z", count: 2) == ["2024-01-07T00:00:00Z", "2024-01-14T00:00:00Z"])
        #expect(try fires("0 0 * * 0", after: "2024-01-01T00:00:00Z", count: 2) == ["2024-01-07T00:00:00Z", "2024-01-14T00:00:00Z"])
        #expect(try fires("0 0 * * 5-7", after: "2024-01-01T00:00:00Z", count: 4)
            == ["2024-01-05T00:00:00Z", "2024-01-06T00:00:00Z", "2024-01-07T00:00:00Z", "2024-01-12T00:00:00Z"])
        #expect(try fires("0 0 1 dec *", after: "2024-01-01T00:00:00Z", count: 1) == ["2024-12-01T00:00:00Z"])
    }

    @Test func bothDayFieldsRestrictedMeansEither() throws {
        // 2024-09-01 is a Sunday: Fridays are the 6th, 13th, 20th, 27th, then Oct 4, 11, 18;
        // the 13th of October is a Sunday.
        #expect(try fires("0 0 13 * FRI", after: "2024-09-01T00:00:00Z", count: 8)
            == ["2024-09-06T00:00:00Z", "2024-09-13T00:00:00Z", "2024-09-20T00:00:00Z", "2024-09-27T00:00:00Z",
                "2024-10-04T00:00:00Z", "2024-10-11T00:00:00Z", "2024-10-13T00:00:00Z", "2024-10-18T00:00:00Z"])
    }

    @Test func oneDayFieldStarredMeansBoth() throws {
        #expect(try fires("0 0 * * FRI", after: "2024-09-01T00:00:00Z", count: 2) == ["2024-09-06T00:00:00Z", "2024-09-13T00:00:00Z"])
        #expect(try fires("0 0 13 * *", after: "2024-09-01T00:00:00Z", count: 2) == ["2024-09-13T00:00:00Z", "2024-10-13T00:00:00Z"])
        // Vixie quirk: a day-of-month field starting with `*` counts as unrestricted, so
        // `*/2` (odd days) combines with Friday by AND: the 13th and 27th of September,
        // the 11th of October.
        #expect(try fires("0 0 */2 * FRI", after: "2024-09-01T00:00:00Z", count: 3)
            == ["2024-09-13T00:00:00Z", "2024-09-27T00:00:00Z", "2024-10-11T00:00:00Z"])
    }

    @Test func macrosExpandToTheirFiveFieldForms() throws {
        let start = "2024-05-15T10:30:00Z"
        #expect(try fires("@hourly", after: start, count: 2) == fires("0 * * * *", after: start, count: 2))
        #expect(try fires("@daily", after: start, count: 2) == ["2024-05-16T00:00:00Z", "2024-05-17T00:00:00Z"])
        #expect(try fires("@midnight", after: start, count: 1) == ["2024-05-16T00:00:00Z"])
        #expect(try fires("@weekly", after: start, count: 1) == ["2024-05-19T00:00:00Z"])
        #expect(try fires("@monthly", after: start, count: 2) == ["2024-06-01T00:00:00Z", "2024-07-01T00:00:00Z"])
        #expect(try fires("@yearly", after: start, count: 1) == ["2025-01-01T00:00:00Z"])
        #expect(try fires("@ANNUALLY", after: start, count: 1) == ["2025-01-01T00:00:00Z"])
        #expect(try CronSchedule(parsing: "@daily").expression == "@daily")
    }

    @Test func secondsField() throws {
        #expect(try fires("*/10 * * * * *", after: "2024-01-01T00:00:05Z", count: 3)
            == ["2024-01-01T00:00:10Z", "2024-01-01T00:00:20Z", "2024-01-01T00:00:30Z"])
        #expect(try fires("30 0 12 * * *", after: "2024-01-01T12:00:30Z", count: 1) == ["2024-01-02T12:00:30Z"])
        // Sub-second parts of the start are ignored: the next is strictly after.
        let s = try CronSchedule(parsing: "* * * * * *")
        #expect(T.text(s.next(after: T.utc("2024-01-01T00:00:00Z").addingTimeInterval(0.75), in: utc)) == "2024-01-01T00:00:01Z")
    }

    @Test func nextIsStrictlyAfter() throws {
        #expect(try fires("0 0 * * *", after: "2024-01-01T00:00:00Z", count: 1) == ["2024-01-02T00:00:00Z"])
        #expect(try fires("0 0 * * *", after: "2023-12-31T23:59:59Z", count: 1) == ["2024-01-01T00:00:00Z"])
    }

    @Test func impossibleDatesNeverFire() throws {
        #expect(try CronSchedule(parsing: "0 0 30 2 *").next(after: T.utc("2024-01-01T00:00:00Z"), in: utc) == nil)
        #expect(try CronSchedule(parsing: "0 0 31 4,6,9,11 *").next(after: T.utc("2024-01-01T00:00:00Z"), in: utc) == nil)
    }

    @Test func leapDaysSkipCenturyYears() throws {
        #expect(try fires("0 0 29 2 *", after: "2025-01-01T00:00:00Z", count: 2) == ["2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"])
        // 2100 is not a leap year.
        #expect(try fires("0 0 29 2 *", after: "2097-01-01T00:00:00Z", count: 1) == ["2104-02-29T00:00:00Z"])
    }

    @Test func nothingPastYear9999() throws {
        let s = try CronSchedule(parsing: "0 0 1 1 *")
        #expect(T.text(s.next(after: T.utc("9998-06-01T00:00:00Z"), in: utc)) == "9999-01-01T00:00:00Z")
        #expect(s.next(after: T.utc("9999-06-01T00:00:00Z"), in: utc) == nil)
        #expect(s.next(after: Date(timeIntervalSince1970: .infinity), in: utc) == nil)
        #expect(s.next(after: Date(timeIntervalSince1970: .nan), in: utc) == nil)
    }

    @Test func localTimeInAZoneWithoutDST() throws {
        // Asia/Kolkata is UTC+05:30 all year.
        #expect(try fires("0 9 * * *", after: "2024-06-01T00:00:00Z", count: 2, in: T.zone("Asia/Kolkata"))
            == ["2024-06-01T03:30:00Z", "2024-06-02T03:30:00Z"])
    }

    // MARK: Daylight saving time

    /// New York springs forward on 2024-03-10: 02:00 EST (07:00Z) becomes 03:00 EDT.
    @Test func skippedLocalTimeFiresAtTheJump() throws {
        let ny = T.zone("America/New_York")
        #expect(try fires("30 2 * * *", after: "2024-03-09T12:00:00Z", count: 3, in: ny)
            == ["2024-03-10T07:00:00Z", "2024-03-11T06:30:00Z", "2024-03-12T06:30:00Z"])
        // A job at 03:00 and one in the gap collapse into one firing.
        #expect(try fires("0,30 2,3 * * *", after: "2024-03-10T06:00:00Z", count: 3, in: ny)
            == ["2024-03-10T07:00:00Z", "2024-03-10T07:30:00Z", "2024-03-11T06:00:00Z"])
        // Every minute: 01:59 EST then 03:00 EDT, one minute of real time apart.
        #expect(try fires("* * * * *", after: "2024-03-10T06:58:30Z", count: 3, in: ny)
            == ["2024-03-10T06:59:00Z", "2024-03-10T07:00:00Z", "2024-03-10T07:01:00Z"])
        // Europe/Berlin jumps 02:00 CET -> 03:00 CEST at 01:00Z on 2024-03-31.
        #expect(try fires("30 2 * * *", after: "2024-03-30T12:00:00Z", count: 2, in: T.zone("Europe/Berlin"))
            == ["2024-03-31T01:00:00Z", "2024-04-01T00:30:00Z"])
    }

    /// New York falls back on 2024-11-03: 02:00 EDT (06:00Z) becomes 01:00 EST, so 01:xx
    /// happens at 05:xxZ and again at 06:xxZ.
    @Test func repeatedLocalTimeFiresOnce() throws {
        let ny = T.zone("America/New_York")
        #expect(try fires("30 1 * * *", after: "2024-11-03T00:00:00Z", count: 2, in: ny)
            == ["2024-11-03T05:30:00Z", "2024-11-04T06:30:00Z"])
        #expect(try fires("*/15 * * * *", after: "2024-11-03T05:40:00Z", count: 3, in: ny)
            == ["2024-11-03T05:45:00Z", "2024-11-03T07:00:00Z", "2024-11-03T07:15:00Z"])
        // Starting inside the second pass of the repeated hour.
        #expect(try fires("*/15 * * * *", after: "2024-11-03T06:10:00Z", count: 1, in: ny) == ["2024-11-03T07:00:00Z"])
    }

    /// Samoa skipped 2011-12-30 entirely (UTC−10 to UTC+14 at 10:00Z): the noon job of the
    /// missing day fires once, when the clocks jump, and the next day is normal.
    @Test func aWholeSkippedDay() throws {
        #expect(try fires("0 12 * * *", after: "2011-12-29T00:00:00Z", count: 3, in: T.zone("Pacific/Apia"))
            == ["2011-12-29T22:00:00Z", "2011-12-30T10:00:00Z", "2011-12-30T22:00:00Z"])
    }

    @Test func hourlyJobsOnTransitionDays() throws {
        let ny = T.zone("America/New_York")
        let hourly = try CronSchedule(parsing: "0 * * * *")
        // Local midnight to midnight: 23 real hours in spring, 25 in autumn; each local hour
        // that exists fires once.
        let spring = hourly.fireTimes(between: T.utc("2024-03-10T04:59:59Z"), and: T.utc("2024-03-11T03:59:59Z"), in: ny, limit: 100)
        #expect(spring.count == 23)
        let autumn = hourly.fireTimes(between: T.utc("2024-11-03T03:59:59Z"), and: T.utc("2024-11-04T04:59:59Z"), in: ny, limit: 100)
        #expect(autumn.count == 24)
        #expect(Set(autumn).count == autumn.count)
    }

    // MARK: Catch-up

    @Test func fireTimesAreHalfOpenAndLimited() throws {
        let s = try CronSchedule(parsing: "0 * * * *")
        let times = s.fireTimes(between: T.utc("2024-01-01T00:00:00Z"), and: T.utc("2024-01-01T03:00:00Z"), in: utc, limit: 10)
        #expect(times.map { T.text($0) } == ["2024-01-01T01:00:00Z", "2024-01-01T02:00:00Z", "2024-01-01T03:00:00Z"])
        #expect(s.fireTimes(between: T.utc("2024-01-01T00:00:00Z"), and: T.utc("2024-01-02T00:00:00Z"), in: utc, limit: 5).count == 5)
        #expect(s.fireTimes(between: T.utc("2024-01-01T00:00:00Z"), and: T.utc("2024-01-02T00:00:00Z"), in: utc, limit: -1).isEmpty)
        #expect(s.fireTimes(between: T.utc("2024-01-02T00:00:00Z"), and: T.utc("2024-01-01T00:00:00Z"), in: utc, limit: 5).isEmpty)
    }

    // MARK: Randomized

    /// Random expressions at random times: the result is after the start, matches, and no
    /// earlier minute (checked one by one) matches. A minute-by-minute walk is independent of
    /// the field-jumping search.
    @Test func randomizedAgainstBruteForce() throws {
        var rng = TimeseriesSeededRandom(seed: 0xC0FFEE)
        func field(_ range: ClosedRange<Int>, _ rng: inout TimeseriesSeededRandom) -> String {
            switch Int.random(in: 0..<5, using: &rng) {
            case 0: return "*"
            case 1: return "*/\(Int.random(in: 1...min(20, range.count), using: &rng))"
            case 2:
                let a = Int.random(in: range, using: &rng)
                let b = Int.random(in: a...range.upperBound, using: &rng)
                return "\(a)-\(b)"
            case 3: return (0..<Int.random(in: 1...3, using: &rng)).map { _ in String(Int.random(in: range, using: &rng)) }.joined(separator: ",")
            default: return String(Int.random(in: range, using: &rng))
            }
        }
        var checked = 0
        for _ in 0..<150 {
            let expression = [field(0...59, &rng), field(0...23, &rng), field(1...31, &rng), "*", field(0...6, &rng)].joined(separator: " ")
            let schedule = try CronSchedule(parsing: expression)
            let start = Date(timeIntervalSince1970: TimeInterval(Int.random(in: 1_600_000_000...1_900_000_000, using: &rng)))
            guard let next = schedule.next(after: start, in: utc) else {
                Issue.record("\(expression) never fires")
                continue
            }
            #expect(next > start)
            #expect(schedule.matches(next, in: utc), "\(expression)")
            let span = next.timeIntervalSince(start)
            guard span < 40 * 86_400 else { continue }  // keep the walk short
            var minute = (start.timeIntervalSince1970 / 60).rounded(.down) * 60 + 60
            while minute < next.timeIntervalSince1970 {
                if schedule.matches(Date(timeIntervalSince1970: minute), in: utc) {
                    Issue.record("\(expression) after \(T.text(start)): \(T.text(Date(timeIntervalSince1970: minute))) matches before \(T.text(next))")
                    break
                }
                minute += 60
            }
            checked += 1
        }
        #expect(checked > 100)
    }
}
