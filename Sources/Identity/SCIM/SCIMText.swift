import JSON

/// Case folding and time stamps as SCIM stores and compares them.
///
/// Case-insensitive matching folds ASCII letters only. That is what SQLite's `lower()` does and
/// what PostgreSQL's `lower(x COLLATE "C")` does, so the generated `*_ci` columns, the SQL that
/// filters on JSON attributes and the PATCH engine in Swift all agree on one backend-independent
/// rule. The cost: "Ä" and "ä" are different user names. Identity-provider user names are
/// e-mail addresses or UPNs, which are ASCII in practice.
enum SCIMText {
    /// `s` with A–Z mapped to a–z and everything else unchanged.
    static func fold(_ s: String) -> String {
        guard s.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) else { return s }
        return String(decoding: s.utf8.map { ($0 >= 0x41 && $0 <= 0x5A) ? $0 + 0x20 : $0 }, as: UTF8.self)
    }

    /// Whether two attribute names or keywords are equal, ignoring ASCII case.
    static func equalsIgnoringCase(_ a: String, _ b: String) -> Bool {
        a.utf8.count == b.utf8.count && fold(a) == fold(b)
    }

    /// Whether `s` contains a control character (C0, DEL or C1).
    static func hasControlCharacters(_ s: String) -> Bool {
        s.unicodeScalars.contains { $0.value < 0x20 || ($0.value >= 0x7F && $0.value < 0xA0) }
    }
}

/// `xsd:dateTime` as SCIM uses it (RFC 7643 §2.3.5): read any RFC 3339 form, write one canonical
/// form, `YYYY-MM-DDThh:mm:ss.sssZ`, so that stored values sort as strings in time order.
enum SCIMDateTime {
    /// The canonical text for milliseconds since 1970-01-01T00:00:00Z.
    static func format(millis: Int64) -> String { CivilCalendar.rfc3339(milliseconds: millis) }

    /// Milliseconds since 1970 for an RFC 3339 date-time (`2024-05-01T10:00:00Z`,
    /// `2024-05-01T12:00:00.25+02:00`); a missing offset means UTC. Digits past milliseconds are
    /// dropped. `nil` for anything else.
    static func parse(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        func digits(_ at: Int, _ count: Int) -> Int? {
            guard at + count <= b.count else { return nil }
            var v = 0
            for i in at..<(at + count) {
                guard b[i] >= 0x30, b[i] <= 0x39 else { return nil }
                v = v * 10 + Int(b[i] - 0x30)
            }
            return v
        }
        func byte(_ at: Int, _ c: Character) -> Bool { at < b.count && b[at] == c.asciiValue }
        guard let y = digits(0, 4), byte(4, "-"), let mo = digits(5, 2), byte(7, "-"), let d = digits(8, 2),
              byte(10, "T") || byte(10, "t") || byte(10, " "),
              let h = digits(11, 2), byte(13, ":"), let mi = digits(14, 2), byte(16, ":"), let s = digits(17, 2)
        else { return nil }
        guard (1...12).contains(mo), (1...CivilCalendar.daysInMonth(year: y, month: mo)).contains(d), h < 24, mi < 60, s < 61 else { return nil }
        var i = 19
        var ms = 0
        if byte(i, ".") {
            i += 1
            var n = 0
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                if n < 3 { ms = ms * 10 + Int(b[i] - 0x30) }
                n += 1
                i += 1
            }
            guard n > 0 else { return nil }
            for _ in n..<max(n, 3) { ms *= 10 }
        }
        var offsetMinutes = 0
        if i == b.count {
            offsetMinutes = 0
        } else if byte(i, "Z") || byte(i, "z") {
            i += 1
        } else if byte(i, "+") || byte(i, "-") {
            let sign = byte(i, "-") ? -1 : 1
            guard let oh = digits(i + 1, 2), byte(i + 3, ":"), let om = digits(i + 4, 2), oh < 24, om < 60 else { return nil }
            offsetMinutes = sign * (oh * 60 + om)
            i += 6
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        let days = Int64(CivilCalendar.days(year: y, month: mo, day: d))
        let secs = days * 86_400 + Int64(h * 3600 + mi * 60 + min(s, 59)) - Int64(offsetMinutes * 60)
        return secs * 1000 + Int64(ms)
    }

    /// Re-writes an RFC 3339 date-time in the canonical form; `nil` if it is not one.
    static func canonical(_ text: String) -> String? { parse(text).map { format(millis: $0) } }
}
