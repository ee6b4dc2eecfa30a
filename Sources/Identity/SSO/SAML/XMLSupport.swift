import JSON

/// xs:dateTime and XML text helpers (SAML times are UTC, e.g. `2026-11-27T08:44:04Z`).
enum XMLSupport {
    /// Escapes text for element content and double-quoted attributes.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\r": out += "&#13;"
            case "\t": out += "&#9;"
            case "\n": out += "&#10;"
            default:
                // Characters XML 1.0 cannot carry at all are dropped rather than emitted.
                if scalar.value < 0x20 || (0xFFFE...0xFFFF).contains(scalar.value) { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction][Z|±HH:MM]` into time since the epoch; a missing
    /// zone is read as UTC. Nil for anything else.
    static func parseDateTime(_ text: String) -> Duration? {
        let b = Array(text.utf8)
        func number(_ start: Int, _ count: Int) -> Int64? {
            guard start + count <= b.count else { return nil }
            var n: Int64 = 0
            for i in start..<start + count {
                guard b[i] >= 0x30, b[i] <= 0x39 else { return nil }
                n = n * 10 + Int64(b[i] - 0x30)
            }
            return n
        }
        guard b.count >= 19, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"), b[10] == UInt8(ascii: "T"),
            b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"),
            let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
            let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var i = 19
        var nanos: Int64 = 0
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            var digits = 0
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                if digits < 9 { nanos = nanos * 10 + Int64(b[i] - 0x30) }
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            for _ in min(digits, 9)..<9 { nanos *= 10 }
        }
        var offsetSeconds: Int64 = 0
        if i < b.count {
            if b[i] == UInt8(ascii: "Z") {
                i += 1
            } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
                guard i + 6 == b.count, b[i + 3] == UInt8(ascii: ":"), let oh = number(i + 1, 2), let om = number(i + 4, 2),
                    oh < 24, om < 60
                else { return nil }
                offsetSeconds = (oh * 3600 + om * 60) * (b[i] == UInt8(ascii: "+") ? 1 : -1)
                i += 6
            } else {
                return nil
            }
        }
        guard i == b.count else { return nil }
        let seconds = Int64(CivilCalendar.days(year: Int(year), month: Int(month), day: Int(day))) * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return .seconds(seconds) + .nanoseconds(nanos)
    }

    /// Formats time since the epoch as `YYYY-MM-DDTHH:MM:SSZ`.
    static func formatDateTime(_ time: Duration) -> String {
        let total = time.components.seconds
        let dayCount = total >= 0 ? total / 86_400 : (total - 86_399) / 86_400
        let secondsOfDay = total - dayCount * 86_400
        let (y, m, d) = CivilCalendar.date(days: Int(dayCount))
        let (year, month, day) = (Int64(y), Int64(m), Int64(d))
        func pad(_ n: Int64, _ width: Int) -> String {
            let s = String(n)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondsOfDay / 3600, 2)):\(pad(secondsOfDay % 3600 / 60, 2)):\(pad(secondsOfDay % 60, 2))Z"
    }
}
