import Foundation
import Hummingbird
import JSON

/// A parsed JSON request body with typed field access whose errors name the field.
struct JSONBody {
    let object: [String: JSONValue]

    /// Reads the body (up to the configured limit) and parses it as a JSON object. Malformed
    /// JSON is 400 with line and column, an oversized body 413, a non-object 422.
    static func read(_ request: Request, context: FlowgateRequestContext, allowed: Set<String>? = nil) async throws -> JSONBody {
        let value = try await readValue(request, context: context)
        guard case .object(let object) = value else {
            throw Problem.unprocessable("the body must be a JSON object")
        }
        if let allowed {
            let unknown = object.keys.filter { !allowed.contains($0) }.sorted()
            if let first = unknown.first {
                throw Problem.field(first, "is not a known field (known: \(allowed.sorted().joined(separator: ", ")))")
            }
        }
        return JSONBody(object: object)
    }

    /// Reads and parses any JSON value.
    static func readValue(_ request: Request, context: FlowgateRequestContext) async throws -> JSONValue {
        var request = request
        let buffer = try await request.collectBody(upTo: context.maxUploadSize)
        if buffer.readableBytes == 0 { throw Problem.badRequest("the request needs a JSON body") }
        return try JSONValue.parse(buffer.readableBytesView)
    }

    /// A required string.
    func string(_ key: String) throws -> String {
        guard let value = object[key] else { throw Problem.field(key, "is required") }
        guard case .string(let s) = value else { throw Problem.field(key, "must be a string, not \(value.typeName)") }
        return s
    }

    /// An optional string: absent gives `nil`; null gives `nil` only where `nullable`.
    func optionalString(_ key: String, nullable: Bool = false) throws -> String? {
        switch object[key] {
        case nil: return nil
        case .null? where nullable: return nil
        case .string(let s)?: return s
        case let other?: throw Problem.field(key, "must be a string, not \(other.typeName)")
        }
    }

    /// An optional Boolean (absent gives `nil`; null is refused).
    func optionalBool(_ key: String) throws -> Bool? {
        switch object[key] {
        case nil: return nil
        case .bool(let b)?: return b
        case let other?: throw Problem.field(key, "must be a boolean, not \(other.typeName)")
        }
    }

    /// An optional array of strings (absent gives `nil`; null is refused).
    func optionalStrings(_ key: String) throws -> [String]? {
        switch object[key] {
        case nil: return nil
        case .array(let items)?:
            return try items.map { item in
                guard case .string(let s) = item else { throw Problem.field(key, "must be an array of strings") }
                return s
            }
        case let other?: throw Problem.field(key, "must be an array of strings, not \(other.typeName)")
        }
    }

    /// An optional RFC 3339 time, as milliseconds since 1970.
    func optionalTime(_ key: String) throws -> Int64? {
        guard let text = try optionalString(key) else { return nil }
        guard let millis = Time.parseRFC3339(text) else { throw Problem.field(key, "must be an RFC 3339 time such as 2030-01-31T12:00:00Z") }
        return millis
    }

    /// A required value of any JSON type.
    func value(_ key: String) throws -> JSONValue {
        guard let value = object[key] else { throw Problem.field(key, "is required") }
        return value
    }
}

/// Times on the wire are RFC 3339 in UTC with millisecond precision.
enum Time {
    /// `YYYY-MM-DDThh:mm:ss.SSSZ` in UTC. Computed directly (days to civil date, after Howard
    /// Hinnant's `civil_from_days`): Foundation's formatter cost a measurable share of every
    /// request that returns timestamps, and rounded some milliseconds down through `Double`.
    static func rfc3339(_ millis: Int64) -> String {
        // Years 0000-9999, the range RFC 3339 can write.
        let clamped = min(max(millis, -62_167_219_200_000), 253_402_300_799_999)
        let (days, msOfDay) = clamped.quotientAndRemainder(dividingBy: 86_400_000)
        let (day, ms) = msOfDay < 0 ? (days - 1, msOfDay + 86_400_000) : (days, msOfDay)
        let z = day + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        var out: [UInt8] = []
        out.reserveCapacity(24)
        func digits(_ value: Int64, _ count: Int) {
            var divisor: Int64 = 1
            for _ in 1..<count { divisor *= 10 }
            while divisor > 0 {
                out.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
                divisor /= 10
            }
        }
        digits(y, 4); out.append(UInt8(ascii: "-")); digits(m, 2); out.append(UInt8(ascii: "-")); digits(d, 2)
        out.append(UInt8(ascii: "T")); digits(ms / 3_600_000, 2); out.append(UInt8(ascii: ":")); digits(ms / 60_000 % 60, 2)
        out.append(UInt8(ascii: ":")); digits(ms / 1000 % 60, 2); out.append(UInt8(ascii: ".")); digits(ms % 1000, 3)
        out.append(UInt8(ascii: "Z"))
        return String(decoding: out, as: UTF8.self)
    }

    static func parseRFC3339(_ text: String) -> Int64? {
        guard text.utf8.count <= 40 else { return nil }
        if let date = try? Date(text, strategy: .iso8601) { return Int64((date.timeIntervalSince1970 * 1000).rounded()) }
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) {
            return Int64((date.timeIntervalSince1970 * 1000).rounded())
        }
        return nil
    }
}

extension Response {
    /// A JSON answer.
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: value.serializedBytes())))
    }
}

extension JSONValue {
    /// `nil` as JSON null, otherwise the string.
    static func optional(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }
    /// A time in milliseconds as an RFC 3339 string, or null.
    static func time(_ millis: Int64?) -> JSONValue { millis.map { .string(Time.rfc3339($0)) } ?? .null }
}
