import AsyncHTTPClient
import Foundation
import JSON
import NIOCore
import NIOHTTP1

/// The HTTP client of the nodes that call out (`http.request` and the sinks). Connection
/// failures fail the attempt at once instead of being retried inside the client until the
/// request's deadline: the engine's retry policy (attempts, backoff, dead letter) is the one
/// place that decides about retrying, and an unreachable host must not hold a step for its
/// whole timeout.
public enum NodeHTTP {
    public static let shared: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(10)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()
}

/// `http.request`: one HTTP call. Secrets may appear in the URL, headers and body through
/// `{{ secrets.name }}`; they are substituted just before the call. The response is the
/// output: `{status, headers, body}`, with a JSON body parsed.
public struct HTTPRequestNode: NodeType {
    let http: HTTPClient

    public init(http: HTTPClient = NodeHTTP.shared) { self.http = http }

    /// Largest response body read, in bytes.
    public static let maxResponseBytes = 8 << 20

    public let descriptor = NodeTypeDescriptor(
        name: "http.request", title: "HTTP request", category: "Sources",
        description: "Calls an HTTP endpoint and outputs {status, headers, body}; JSON bodies are parsed. Fails on status 400 and above unless ignore_errors is set; 5xx and network errors are retryable.",
        inputs: [PortSpec("in")],
        outputs: [PortSpec("out", schema: ["type": "object", "required": ["status", "headers", "body"]])],
        configSchema: [
            "type": "object", "required": ["url"], "additionalProperties": false,
            "properties": [
                "url": ["type": "string", "minLength": 1, "description": "http:// or https:// URL"],
                "method": ["type": "string", "enum": ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]],
                "headers": ["type": "object", "additionalProperties": ["type": "string"]],
                "body": ["description": "A string is sent as is; anything else as JSON"],
                "timeout_ms": ["type": "integer", "minimum": 1, "maximum": 300_000],
                "ignore_errors": ["type": "boolean"],
            ],
        ],
        mode: .source, limits: NodeLimits(timeout: .seconds(300), maxAttempts: 3)
    )

    public func execute(config: JSONValue, input: [String: JSONValue], context: NodeContext) async throws -> [String: JSONValue] {
        guard let url = config["url"]?.stringValue, url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw NodeError("url must start with http:// or https://")
        }
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: config["method"]?.stringValue ?? "GET")
        for (name, value) in config["headers"]?.objectValue ?? [:] {
            guard let value = value.stringValue else { continue }
            request.headers.replaceOrAdd(name: name, value: value)
        }
        // Every outbound call carries the run's trace and a key the receiver can deduplicate on.
        request.headers.replaceOrAdd(name: "traceparent", value: "00-\(context.traceID)-\(context.spanID)-01")
        request.headers.replaceOrAdd(name: "Idempotency-Key", value: context.idempotencyKey)
        switch config["body"] {
        case nil, .null?: break
        case .string(let text)?: request.body = .bytes(ByteBuffer(string: text))
        case let value?:
            if !request.headers.contains(name: "Content-Type") { request.headers.add(name: "Content-Type", value: "application/json") }
            request.body = .bytes(ByteBuffer(bytes: value.serializedBytes()))
        }
        let timeout = TimeAmount.milliseconds(config["timeout_ms"]?.intValue ?? 30_000)
        let response: HTTPClientResponse
        var body: ByteBuffer
        do {
            response = try await http.execute(request, timeout: timeout)
            body = try await response.body.collect(upTo: Self.maxResponseBytes)
        } catch let error as NIOTooManyBytesError {
            _ = error
            throw NodeError("the response is larger than \(Self.maxResponseBytes) bytes")
        } catch {
            throw NodeError.retryable("request to \(HTTPRequestNode.hostDescription(url)) failed: \(HTTPRequestNode.describe(error))")
        }
        let bytes = body.readBytes(length: body.readableBytes) ?? []
        var headers: [String: JSONValue] = [:]
        for header in response.headers { headers[header.name.lowercased()] = .string(header.value) }
        let contentType = response.headers.first(name: "Content-Type")?.lowercased() ?? ""
        let parsed: JSONValue
        if contentType.contains("json"), let json = try? JSONValue.parse(bytes) {
            parsed = json
        } else {
            parsed = .string(String(decoding: bytes, as: UTF8.self))
        }
        let status = Int(response.status.code)
        if status >= 400, config["ignore_errors"]?.boolValue != true {
            let message = "HTTP \(status) from \(HTTPRequestNode.hostDescription(url))"
            throw status >= 500 || status == 429 ? NodeError.retryable(message) : NodeError(message)
        }
        return ["out": ["status": .int(Int64(status)), "headers": .object(headers), "body": parsed]]
    }

    /// Scheme, host and port only: a URL's path or query may carry a secret.
    static func hostDescription(_ url: String) -> String {
        guard let components = URLComponents(string: url), let host = components.host else { return "the configured URL" }
        return "\(components.scheme ?? "http")://\(host)\(components.port.map { ":\($0)" } ?? "")"
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout: return "connect timeout"
            case .deadlineExceeded, .readTimeout: return "timeout"
            default: return "\(error)"
            }
        }
        // NIO reports a refused connection as an IOError whose text names it; say so plainly.
        if "\(error)".contains("refused") { return "connection refused" }
        return "connection error (\(type(of: error)))"
    }
}
