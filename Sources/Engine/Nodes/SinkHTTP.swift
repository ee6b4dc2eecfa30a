import AsyncHTTPClient
import Foundation
import JSON
import NIOCore
import NIOHTTP1

/// One outbound write of a sink node.
struct SinkRequest: Sendable {
    var url: String
    var method: HTTPMethod = .POST
    /// Headers from the node's config (secrets already substituted), sent first.
    var configuredHeaders: [String: JSONValue] = [:]
    /// Headers the protocol needs; they replace configured ones of the same name.
    var protocolHeaders: [(String, String)] = []
    var body: [UInt8]
    var timeout: Duration
}

/// What a sink's endpoint answered.
struct SinkResponse: Sendable {
    var status: Int
    var contentType: String
    var body: [UInt8]

    /// The body as JSON when it says it is JSON, else as text.
    var bodyValue: JSONValue {
        if contentType.contains("json"), let json = try? JSONValue.parse(body) { return json }
        return .string(String(decoding: body, as: UTF8.self))
    }
}

/// The one way sink nodes write over HTTP, so that every sink treats failures alike: network
/// errors, 5xx and 429 are retryable; other statuses of 300 and above are not. Every request
/// carries the run's `traceparent` and the step's deterministic `Idempotency-Key`, so a
/// receiver can deduplicate a retried or resumed write.
enum SinkHTTP {
    /// Largest response body read from a sink endpoint.
    static let maxResponseBytes = 1 << 20
    /// Longest piece of an error response quoted in a step failure.
    static let maxQuotedBytes = 300

    /// The URL, checked to be http(s).
    static func url(_ config: JSONValue) throws(NodeError) -> String {
        guard let url = config["url"]?.stringValue, url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw NodeError("url must start with http:// or https://")
        }
        return url
    }

    /// Header names must be HTTP tokens and values free of line breaks; checked here so that a
    /// bad config fails as the author's mistake, not as a retryable network error.
    static func validateHeaders(_ headers: [String: JSONValue]) throws(NodeError) {
        for (name, value) in headers {
            let isToken = !name.isEmpty && name.utf8.allSatisfy { b in
                (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || "!#$%&'*+-.^_`|~".utf8.contains(b)
            }
            guard isToken else { throw NodeError("header name \"\(name.prefix(64))\" is not a valid HTTP header name") }
            guard let text = value.stringValue else { throw NodeError("header \(name) must be a string") }
            guard !text.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D || $0 == 0x00 }) else {
                throw NodeError("header \(name) contains a line break")
            }
        }
    }

    /// Sends `request` and returns the answer of a 2xx status; throws ``NodeError`` otherwise.
    static func send(_ request: SinkRequest, http: HTTPClient, context: NodeContext) async throws -> SinkResponse {
        try validateHeaders(request.configuredHeaders)
        var outbound = HTTPClientRequest(url: request.url)
        outbound.method = request.method
        for (name, value) in request.configuredHeaders.sorted(by: { $0.key < $1.key }) {
            if let value = value.stringValue { outbound.headers.replaceOrAdd(name: name, value: value) }
        }
        for (name, value) in request.protocolHeaders { outbound.headers.replaceOrAdd(name: name, value: value) }
        if !outbound.headers.contains(name: "User-Agent") { outbound.headers.add(name: "User-Agent", value: "flowgate") }
        outbound.headers.replaceOrAdd(name: "traceparent", value: "00-\(context.traceID)-\(context.spanID)-01")
        outbound.headers.replaceOrAdd(name: "Idempotency-Key", value: context.idempotencyKey)
        outbound.body = .bytes(ByteBuffer(bytes: request.body))

        let endpoint = HTTPRequestNode.hostDescription(request.url)
        let response: HTTPClientResponse
        var body: ByteBuffer
        do {
            response = try await http.execute(outbound, timeout: .milliseconds(NodeConfig.milliseconds(request.timeout)))
            body = try await response.body.collect(upTo: maxResponseBytes)
        } catch is NIOTooManyBytesError {
            throw NodeError("the response from \(endpoint) is larger than \(maxResponseBytes) bytes")
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw NodeError.retryable("write to \(endpoint) failed: \(HTTPRequestNode.describe(error))")
        }
        let bytes = body.readBytes(length: body.readableBytes) ?? []
        let status = Int(response.status.code)
        guard (200..<300).contains(status) else {
            let quoted = String(decoding: bytes.prefix(maxQuotedBytes), as: UTF8.self)
                .replacingOccurrences(of: "\n", with: " ").trimmingCharacters(in: .whitespaces)
            let message = "HTTP \(status) from \(endpoint)" + (quoted.isEmpty ? "" : ": \(quoted)")
            throw status >= 500 || status == 429 ? NodeError.retryable(message) : NodeError(message)
        }
        return SinkResponse(status: status, contentType: response.headers.first(name: "Content-Type")?.lowercased() ?? "", body: bytes)
    }
}
