/// Why a cron expression was refused, and where.
public struct CronParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of problem; compare with the static members.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case empty, tooLong, fieldCount, syntax, outOfRange, badStep, unknownName, unsupported
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The expression is empty or blank.
        public static let empty = Code(.empty)
        /// The expression is longer than ``CronSchedule/maximumExpressionLength``.
        public static let tooLong = Code(.tooLong)
        /// Not 5 or 6 fields.
        public static let fieldCount = Code(.fieldCount)
        /// A character or token that does not belong.
        public static let syntax = Code(.syntax)
        /// A value outside the field's range, or a range whose start is after its end.
        public static let outOfRange = Code(.outOfRange)
        /// A step of zero or larger than the field's span.
        public static let badStep = Code(.badStep)
        /// A month or weekday name that does not exist, or a name in a numeric field.
        public static let unknownName = Code(.unknownName)
        /// A construct of other cron dialects (`?`, `L`, `W`, `#`, `@reboot`).
        public static let unsupported = Code(.unsupported)

        public var description: String { base.rawValue }
    }

    /// What kind of problem this is.
    public let code: Code
    /// The field's name (`minute`, `day-of-week`, ...), or `nil` for whole-expression errors.
    public let field: String?
    /// 1-based character position in the expression where the problem starts.
    public let position: Int
    /// A sentence saying what is wrong.
    public let message: String

    init(_ code: Code, field: String?, position: Int, _ message: String) {
        self.code = code
        self.field = field
        self.position = position
        self.message = message
    }

    public var description: String {
        if let field { return "cron field \(field) at position \(position): \(message)" }
        return "cron expression at position \(position): \(message)"
    }
}

/// The cron grammar, over the expression's UTF-8 bytes (the grammar is pure ASCII, so a
/// byte offset is a character offset up to the first non-ASCII byte, which is an error).
enum CronExpressionParser {
    struct FieldSpec {
        let name: String
        let range: ClosedRange<Int>
        let names: [String]  // index + nameBase = value
        let nameBase: Int
    }

    static let second = FieldSpec(name: "second", range: 0...59, names: [], nameBase: 0)
    static let minute = FieldSpec(name: "minute", range: 0...59, names: [], nameBase: 0)
    static let hour = FieldSpec(name: "hour", range: 0...23, names: [], nameBase: 0)
    static let dayOfMonth = FieldSpec(name: "day-of-month", range: 1...31, names: [], nameBase: 0)
    static let month = FieldSpec(
        name: "month", range: 1...12,
        names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], nameBase: 1
    )
    static let dayOfWeek = FieldSpec(
        name: "day-of-week", range: 0...7, names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], nameBase: 0
    )

    static let macros: [String: String] = [
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
        "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
    ]

    static func parse(_ raw: String) throws(CronParseError) -> CronSchedule {
        let bytes = Array(raw.utf8)
        guard bytes.count <= CronSchedule.maximumExpressionLength else {
            throw CronParseError(.tooLong, field: nil, position: CronSchedule.maximumExpressionLength + 1,
                                 "expression is longer than \(CronSchedule.maximumExpressionLength) bytes")
        }
        // Split on spaces and tabs, remembering where each field starts.
        var fields: [(start: Int, bytes: ArraySlice<UInt8>)] = []
        var index = 0
        while index < bytes.count {
            let b = bytes[index]
            if b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") {
                index += 1
                continue
            }
            if b >= 0x80 || b < 0x20 {
                throw CronParseError(.syntax, field: nil, position: index + 1, "unexpected character (only ASCII is allowed)")
            }
            let start = index
            while index < bytes.count, bytes[index] != UInt8(ascii: " "), bytes[index] != UInt8(ascii: "\t") { index += 1 }
            fields.append((start, bytes[start..<index]))
        }
        guard let first = fields.first else {
            throw CronParseError(.empty, field: nil, position: 1, "expression is empty")
        }
        let trimmed = String(decoding: bytes[first.start..<(fields.last.map { $0.start + $0.bytes.count } ?? bytes.count)], as: UTF8.self)

        if first.bytes.first == UInt8(ascii: "@") {
            let name = String(decoding: first.bytes, as: UTF8.self).lowercased()
            guard fields.count == 1 else {
                throw CronParseError(.fieldCount, field: nil, position: fields[1].start + 1, "a macro stands alone; found more after \(name)")
            }
            guard let expansion = macros[name] else {
                let code: CronParseError.Code = name == "@reboot" ? .unsupported : .unknownName
                throw CronParseError(code, field: nil, position: first.start + 1,
                                     "unknown macro \(name) (expected @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly)")
            }
            let parsed = try parse(expansion)
            return CronSchedule(
                expression: trimmed, hasSeconds: false, seconds: parsed.seconds, minutes: parsed.minutes, hours: parsed.hours,
                daysOfMonth: parsed.daysOfMonth, months: parsed.months, daysOfWeek: parsed.daysOfWeek,
                daysOfMonthRestricted: parsed.daysOfMonthRestricted, daysOfWeekRestricted: parsed.daysOfWeekRestricted
            )
        }

        let specs: [FieldSpec]
        switch fields.count {
        case 5: specs = [minute, hour, dayOfMonth, month, dayOfWeek]
        case 6: specs = [second, minute, hour, dayOfMonth, month, dayOfWeek]
        default:
            let position = fields.count > 6 ? fields[6].start + 1 : bytes.count + 1
            throw CronParseError(.fieldCount, field: nil, position: position,
                                 "expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, found \(fields.count)")
        }
        var sets: [CronValueSet] = []
        for (spec, field) in zip(specs, fields) {
            sets.append(try parseField(field.bytes, spec: spec))
        }
        var daysOfWeek = sets[sets.count - 1]
        if daysOfWeek.contains(7) {
            daysOfWeek.bits &= ~(UInt64(1) << 7)
            daysOfWeek.insert(0)
        }
        let offset = fields.count - 5
        return CronSchedule(
            expression: trimmed, hasSeconds: fields.count == 6,
            seconds: fields.count == 6 ? sets[0] : CronValueSet(bits: 1),
            minutes: sets[offset], hours: sets[offset + 1], daysOfMonth: sets[offset + 2], months: sets[offset + 3],
            daysOfWeek: daysOfWeek,
            daysOfMonthRestricted: fields[offset + 2].bytes.first != UInt8(ascii: "*"),
            daysOfWeekRestricted: fields[offset + 4].bytes.first != UInt8(ascii: "*")
        )
    }

    /// One field: comma-separated items of the form `base[/step]`.
    static func parseField(_ text: ArraySlice<UInt8>, spec: FieldSpec) throws(CronParseError) -> CronValueSet {
        var set = CronValueSet()
        var itemStart = text.startIndex
        while true {
            var itemEnd = itemStart
            while itemEnd < text.endIndex, text[itemEnd] != UInt8(ascii: ",") { itemEnd += 1 }
            if itemStart == itemEnd {
                throw CronParseError(.syntax, field: spec.name, position: itemStart + 1, "empty list item")
            }
            try parseItem(text[itemStart..<itemEnd], spec: spec, into: &set)
            if itemEnd == text.endIndex { break }
            itemStart = itemEnd + 1
        }
        return set
    }

    static func parseItem(_ item: ArraySlice<UInt8>, spec: FieldSpec, into set: inout CronValueSet) throws(CronParseError) {
        var base = item
        var step = 1
        var explicitStep = false
        if let slash = item.firstIndex(of: UInt8(ascii: "/")) {
            base = item[item.startIndex..<slash]
            let stepText = item[(slash + 1)...]
            guard let value = number(stepText) else {
                throw CronParseError(.syntax, field: spec.name, position: slash + 2, "step after / must be a number")
            }
            let span = spec.range.upperBound - spec.range.lowerBound + 1
            guard value >= 1, value <= span else {
                throw CronParseError(.badStep, field: spec.name, position: slash + 2, "step \(value) must be between 1 and \(span)")
            }
            step = value
            explicitStep = true
            if base.isEmpty {
                throw CronParseError(.syntax, field: spec.name, position: slash + 1, "a step needs something before the /")
            }
        }
        var low: Int
        var high: Int
        if base.count == 1, base.first == UInt8(ascii: "*") {
            low = spec.range.lowerBound
            high = spec.range.upperBound
        } else if let dash = base.firstIndex(of: UInt8(ascii: "-")) {
            low = try value(base[base.startIndex..<dash], spec: spec)
            high = try value(base[(dash + 1)...], spec: spec)
            guard low <= high else {
                throw CronParseError(.outOfRange, field: spec.name, position: base.startIndex + 1,
                                     "range start \(low) is after its end \(high)")
            }
        } else {
            low = try value(base, spec: spec)
            // `a/n` runs from a to the end of the field, as in cronie and most modern crons.
            high = explicitStep ? spec.range.upperBound : low
        }
        var v = low
        while v <= high {
            set.insert(v)
            v += step
        }
    }

    /// A number or, where the field has them, a three-letter name.
    static func value(_ token: ArraySlice<UInt8>, spec: FieldSpec) throws(CronParseError) -> Int {
        let position = token.startIndex + 1
        if token.isEmpty {
            throw CronParseError(.syntax, field: spec.name, position: position, "missing value")
        }
        if let n = number(token) {
            guard spec.range.contains(n) else {
                throw CronParseError(.outOfRange, field: spec.name, position: position,
                                     "value \(n) is out of range \(spec.range.lowerBound)-\(spec.range.upperBound)")
            }
            return n
        }
        let text = String(decoding: token, as: UTF8.self)
        if let first = token.first, first == UInt8(ascii: "?") || first == UInt8(ascii: "L") || first == UInt8(ascii: "#")
            || token.contains(UInt8(ascii: "#")) || token.last == UInt8(ascii: "W") && token.count > 1 && number(token.dropLast()) != nil
        {
            throw CronParseError(.unsupported, field: spec.name, position: position,
                                 "\(text) is a construct of other cron dialects; use numbers, ranges, lists and steps")
        }
        let isLetters = token.allSatisfy { (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }
        guard isLetters else {
            throw CronParseError(.syntax, field: spec.name, position: position, "unexpected \(text)")
        }
        guard let index = spec.names.firstIndex(of: text.uppercased()) else {
            let hint = spec.names.isEmpty ? "this field takes numbers only" : "expected one of \(spec.names.joined(separator: ", "))"
            throw CronParseError(.unknownName, field: spec.name, position: position, "unknown name \(text); \(hint)")
        }
        return index + spec.nameBase
    }

    /// A decimal of at most four digits (enough for every field, and no overflow).
    static func number(_ token: ArraySlice<UInt8>) -> Int? {
        guard !token.isEmpty, token.count <= 4 else { return nil }
        var n = 0
        for b in token {
            guard b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") else { return nil }
            n = n * 10 + Int(b - UInt8(ascii: "0"))
        }
        return n
    }
}
