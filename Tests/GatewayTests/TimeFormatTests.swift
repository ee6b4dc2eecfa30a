import Foundation
import Testing

@testable import Gateway

/// `Time.rfc3339` computes the civil date itself; Foundation's calendar is the reference.
@Suite struct TimeFormatTests {
    @Test func matchesTheCalendarAndRoundTrips() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        var rng = SystemRandomNumberGenerator()
        let fixed: [Int64] = [0, 1, 999, 86_399_999, 86_400_000, 951_782_400_000, 4_107_542_400_000, 253_402_300_799_999, -1, -86_400_001]
        for millis in fixed + (0..<2000).map({ _ in Int64.random(in: -2_000_000_000_000...253_402_300_799_999, using: &rng) }) {
            let seconds = millis >= 0 ? millis / 1000 : (millis - 999) / 1000
            let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: Double(seconds)))
            let expected = String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!,
                                  Int(millis - seconds * 1000))
            let text = Time.rfc3339(millis)
            #expect(text == expected, "\(millis)")
            if millis >= 0 { #expect(Time.parseRFC3339(text) == millis, "\(text)") }
        }
        // Out of range clamps to what RFC 3339 can write instead of failing.
        #expect(Time.rfc3339(.max) == "9999-12-31T23:59:59.999Z")
        #expect(Time.rfc3339(.min) == "0000-01-01T00:00:00.000Z")
    }
}
