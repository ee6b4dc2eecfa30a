import Foundation
import JSON

/// A field value of an InfluxDB point. The cases are the protocol's own value types.
public enum LineProtocolFieldValue: Sendable, Hashable {
    /// A 64-bit float, written in shortest round-trip form (`1.5`, `1e+20`). Must be finite.
    case float(Double)
    /// A signed 64-bit integer, written with a trailing `i`.
    case integer(Int64)
    /// An unsigned 64-bit integer, written with a trailing `u` (InfluxDB 2 and later).
    case unsignedInteger(UInt64)
    /// A string, written in double quotes with `"` and `\` escaped.
    case string(String)
    /// A Boolean, written `true` or `false`.
    case boolean(Bool)
}

/// One InfluxDB point: a measurement, tags, fields and an optional timestamp.
public struct LineProtocolPoint: Sendable, Hashable {
    /// The measurement name.
    public var measurement: String
    /// Tags; written sorted by key. Tags with an empty value are left out, as the protocol
    /// has no way to write them.
    public var tags: [String: String]
    /// Fields, at least one; written sorted by key.
    public var fields: [String: LineProtocolFieldValue]
    /// Nanoseconds since the Unix epoch, or `nil` to let the server stamp the point.
    public var timestampNanoseconds: Int64?

    /// A point with a nanosecond timestamp.
    public init(measurement: String, tags: [String: String] = [:], fields: [String: LineProtocolFieldValue], timestampNanoseconds: Int64? = nil) {
        self.measurement = measurement
        self.tags = tags
        self.fields = fields
        self.timestampNanoseconds = timestampNanoseconds
    }

    /// A point stamped with `date`, to the microsecond (a `Date` holds no finer precision
    /// reliably).
    public init(measurement: String, tags: [String: String] = [:], fields: [String: LineProtocolFieldValue], date: Date) {
        let micros = (date.timeIntervalSince1970 * 1_000_000).rounded(.down)
        // Clamp: a nanosecond Int64 spans the years 1677...2262.
        let clamped = micros.isFinite ? max(-9.2e15, min(9.2e15, micros)) : 0
        self.init(measurement: measurement, tags: tags, fields: fields, timestampNanoseconds: Int64(clamped) * 1000)
    }
}

/// The precision timestamps are written in; the server must be told the same one (the
/// `precision` query parameter, ``name``).
public struct LineProtocolPrecision: Sendable, Hashable, CustomStringConvertible {
    /// The query-parameter spelling: `ns`, `us`, `ms` or `s`.
    public let name: String
    /// Nanoseconds per unit.
    let nanosecondsPerUnit: Int64

    private init(_ name: String, _ nanosecondsPerUnit: Int64) {
        self.name = name
        self.nanosecondsPerUnit = nanosecondsPerUnit
    }

    /// Nanoseconds (the protocol's default).
    public static let nanoseconds = LineProtocolPrecision("ns", 1)
    /// Microseconds.
    public static let microseconds = LineProtocolPrecision("us", 1000)
    /// Milliseconds.
    public static let milliseconds = LineProtocolPrecision("ms", 1_000_000)
    /// Seconds.
    public static let seconds = LineProtocolPrecision("s", 1_000_000_000)

    /// The precision named `ns`, `us`, `ms` or `s`.
    public init?(name: String) {
        switch name {
        case "ns": self = .nanoseconds
        case "us": self = .microseconds
        case "ms": self = .milliseconds
        case "s": self = .seconds
        default: return nil
        }
    }

    public var description: String { name }
}

/// Why a point could not be written as line protocol.
public struct LineProtocolError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of problem; compare with the static members.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case emptyMeasurement, noFields, invalidName, nonFiniteFloat, newline, tooLong
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The measurement is empty.
        public static let emptyMeasurement = Code(.emptyMeasurement)
        /// The point has no fields.
        public static let noFields = Code(.noFields)
        /// A measurement, tag key or field key the protocol cannot carry or reserves (empty
        /// key, `_` prefix, `time`, measurement starting with `#`).
        public static let invalidName = Code(.invalidName)
        /// A float field is NaN or infinite, which line protocol cannot represent.
        public static let nonFiniteFloat = Code(.nonFiniteFloat)
        /// A newline or carriage return, which no escape can carry.
        public static let newline = Code(.newline)
        /// A string field or a name longer than the configured limit.
        public static let tooLong = Code(.tooLong)

        public var description: String { base.rawValue }
    }

    /// What kind of problem this is.
    public let code: Code
    /// A sentence naming the offending element.
    public let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    static let emptyMeasurement = LineProtocolError(.emptyMeasurement, "measurement name is empty")
    static func noFields(_ measurement: String) -> Self { .init(.noFields, "point of \(quoted(measurement)) has no fields; at least one is required") }
    static func invalidName(_ what: String, _ name: String, _ reason: String) -> Self { .init(.invalidName, "\(what) \(quoted(name)) \(reason)") }
    static func nonFiniteFloat(_ key: String, _ value: Double) -> Self {
        .init(.nonFiniteFloat, "field \(quoted(key)) is \(value), which line protocol cannot represent")
    }
    static func newline(_ what: String, _ name: String) -> Self { .init(.newline, "\(what) \(quoted(name)) contains a line break") }
    static func tooLong(_ what: String, _ name: String, limit: Int) -> Self { .init(.tooLong, "\(what) \(quoted(name)) is longer than \(limit) bytes") }

    static func quoted(_ s: String) -> String {
        let clipped = s.count > 64 ? String(s.prefix(64)) + "…" : s
        return "\"" + clipped.replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\r", with: "\\r") + "\""
    }

    public var description: String { "line protocol: \(message)" }
}

/// Writes points in InfluxDB line protocol:
/// `measurement[,tag=value...] field=value[,field=value...] [timestamp]\n`.
///
/// Escaping follows the current line-protocol reference: in measurements `,` and space; in
/// tag keys, tag values and field keys `,`, `=` and space; in string field values `"` and
/// `\`. A backslash is escaped as `\\` everywhere, because two backslashes read as one and
/// that is the only way to end a tag value with a backslash unambiguously (InfluxDB 1.x keeps
/// `\\` as two characters in names; values written by this encoder are meant for 2.x and
/// later). Tags and fields are sorted by key (byte order, as InfluxDB recommends), so the same
/// point always gives the same bytes.
public struct LineProtocolEncoder: Sendable {
    /// Options; each default is stated on its property.
    public struct Configuration: Sendable, Hashable {
        /// Timestamp precision. Default ``LineProtocolPrecision/nanoseconds``.
        public var precision: LineProtocolPrecision
        /// Longest string field value in UTF-8 bytes; InfluxDB's limit is 64 KiB. Default 65,535.
        public var maximumStringBytes: Int
        /// Longest measurement, tag key, tag value or field key in UTF-8 bytes. Default 4,096.
        public var maximumNameBytes: Int
        /// Whether names beginning with `_` are refused; InfluxDB 2 reserves them for itself.
        /// Default `true`.
        public var rejectReservedNames: Bool

        /// - Parameters:
        ///   - precision: timestamp precision (default nanoseconds).
        ///   - maximumStringBytes: longest string field (default 65,535 bytes).
        ///   - maximumNameBytes: longest name, key or tag value (default 4,096 bytes).
        ///   - rejectReservedNames: refuse `_`-prefixed names (default `true`).
        public init(precision: LineProtocolPrecision = .nanoseconds, maximumStringBytes: Int = 65_535, maximumNameBytes: Int = 4096, rejectReservedNames: Bool = true) {
            self.precision = precision
            self.maximumStringBytes = maximumStringBytes
            self.maximumNameBytes = maximumNameBytes
            self.rejectReservedNames = rejectReservedNames
        }
    }

    /// The options in force.
    public let configuration: Configuration

    /// An encoder with the given options.
    public init(configuration: Configuration = .init()) {
        self.configuration = configuration
    }

    /// One line, with its trailing newline.
    public func encode(_ point: LineProtocolPoint) throws(LineProtocolError) -> String {
        var out: [UInt8] = []
        try append(point, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Many lines, in order, each ending in a newline. Fails on the first invalid point.
    public func encode(_ points: [LineProtocolPoint]) throws(LineProtocolError) -> String {
        var out: [UInt8] = []
        for point in points { try append(point, to: &out) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends one line (with newline) to `out`; on error `out` is left as it was.
    public func append(_ point: LineProtocolPoint, to out: inout [UInt8]) throws(LineProtocolError) {
        guard !point.measurement.isEmpty else { throw LineProtocolError.emptyMeasurement }
        try checkName("measurement", point.measurement)
        if point.measurement.utf8.first == UInt8(ascii: "#") {
            throw .invalidName("measurement", point.measurement, "starts with #, which makes the line a comment")
        }
        guard !point.fields.isEmpty else { throw .noFields(point.measurement) }

        var line: [UInt8] = []
        line.reserveCapacity(64)
        LineProtocolEncoder.escape(point.measurement, specials: LineProtocolEncoder.measurementSpecials, into: &line)
        for (key, value) in LineProtocolEncoder.byteSorted(point.tags) where !value.isEmpty {
            try checkKey("tag key", key)
            try checkName("tag value", value, reserved: false)
            line.append(UInt8(ascii: ","))
            LineProtocolEncoder.escape(key, specials: LineProtocolEncoder.keySpecials, into: &line)
            line.append(UInt8(ascii: "="))
            LineProtocolEncoder.escape(value, specials: LineProtocolEncoder.keySpecials, into: &line)
        }
        line.append(UInt8(ascii: " "))
        for (index, (key, value)) in LineProtocolEncoder.byteSorted(point.fields).enumerated() {
            try checkKey("field key", key)
            if index > 0 { line.append(UInt8(ascii: ",")) }
            LineProtocolEncoder.escape(key, specials: LineProtocolEncoder.keySpecials, into: &line)
            line.append(UInt8(ascii: "="))
            try appendValue(value, key: key, to: &line)
        }
        if let ns = point.timestampNanoseconds {
            line.append(UInt8(ascii: " "))
            let units = CivilCalendar.floorDiv(ns, configuration.precision.nanosecondsPerUnit)
            line.append(contentsOf: String(units).utf8)
        }
        line.append(UInt8(ascii: "\n"))
        out.append(contentsOf: line)
    }

    private func appendValue(_ value: LineProtocolFieldValue, key: String, to line: inout [UInt8]) throws(LineProtocolError) {
        switch value {
        case .float(let d):
            guard d.isFinite else { throw .nonFiniteFloat(key, d) }
            // Swift's description is the shortest text that reads back to the same bits,
            // and its forms ("1.0", "1e-07", "1.5e+300") all parse as line-protocol floats.
            line.append(contentsOf: d.description.utf8)
        case .integer(let i):
            line.append(contentsOf: String(i).utf8)
            line.append(UInt8(ascii: "i"))
        case .unsignedInteger(let u):
            line.append(contentsOf: String(u).utf8)
            line.append(UInt8(ascii: "u"))
        case .string(let s):
            guard s.utf8.count <= configuration.maximumStringBytes else {
                throw .tooLong("string field", key, limit: configuration.maximumStringBytes)
            }
            guard !LineProtocolEncoder.hasLineBreak(s) else { throw .newline("string field", key) }
            line.append(UInt8(ascii: "\""))
            for b in s.utf8 {
                if b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") { line.append(UInt8(ascii: "\\")) }
                line.append(b)
            }
            line.append(UInt8(ascii: "\""))
        case .boolean(let b):
            line.append(contentsOf: (b ? "true" : "false").utf8)
        }
    }

    private func checkKey(_ what: String, _ key: String) throws(LineProtocolError) {
        guard !key.isEmpty else { throw .invalidName(what, key, "is empty") }
        try checkName(what, key)
        // InfluxDB drops a tag or field named `time`: it would collide with the timestamp.
        guard key != "time" else { throw .invalidName(what, key, "is reserved for the timestamp") }
    }

    private func checkName(_ what: String, _ name: String, reserved: Bool = true) throws(LineProtocolError) {
        guard name.utf8.count <= configuration.maximumNameBytes else { throw .tooLong(what, name, limit: configuration.maximumNameBytes) }
        guard !LineProtocolEncoder.hasLineBreak(name) else { throw .newline(what, name) }
        if reserved, configuration.rejectReservedNames, name.utf8.first == UInt8(ascii: "_") {
            throw .invalidName(what, name, "starts with _, which InfluxDB reserves for system use")
        }
    }

    static let measurementSpecials: Set<UInt8> = [UInt8(ascii: ","), UInt8(ascii: " "), UInt8(ascii: "\\")]
    static let keySpecials: Set<UInt8> = [UInt8(ascii: ","), UInt8(ascii: "="), UInt8(ascii: " "), UInt8(ascii: "\\")]

    static func escape(_ s: String, specials: Set<UInt8>, into out: inout [UInt8]) {
        for b in s.utf8 {
            if specials.contains(b) { out.append(UInt8(ascii: "\\")) }
            out.append(b)
        }
    }

    static func hasLineBreak(_ s: String) -> Bool {
        s.utf8.contains(0x0A) || s.utf8.contains(0x0D)
    }

    static func byteSorted<V>(_ d: [String: V]) -> [(String, V)] {
        d.map { ($0.key, $0.value) }.sorted { Array($0.0.utf8).lexicographicallyPrecedes(Array($1.0.utf8)) }
    }
}
