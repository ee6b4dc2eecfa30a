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
    /// `YYYY-MM-DDThh:mm:ss.SSSZ` in UTC, computed arithmetically: Foundation's formatter cost
    /// a measurable share of every request that returns timestamps (and rounded some
    /// milliseconds down through `Double`).
    static func rfc3339(_ millis: Int64) -> String { CivilCalendar.rfc3339(milliseconds: millis) }

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
        json(bytes: value.serializedBytes(), status: status, headers: headers)
    }

    /// A response whose body is JSON already serialized.
    static func json(bytes: [UInt8], status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        // Room for what the pipeline adds (length, request id, rate-limit fields), so the list
        // is allocated once rather than grown at each step.
        fields.reserveCapacity(headers.count + 8)
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

extension JSONValue {
    /// `nil` as JSON null, otherwise the string.
    static func optional(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }
    /// A time in milliseconds as an RFC 3339 string, or null.
    static func time(_ millis: Int64?) -> JSONValue { millis.map { .string(Time.rfc3339($0)) } ?? .null }
}
