import AsyncHTTPClient
import JSON
import NIOHTTP1

/// `sink.http`: a generic webhook. Sends the node's input as the JSON body to `url`.
///
/// Output on `out`: `{"status": <2xx>, "body": <the response, parsed when JSON>}`. A status of
/// 300 or above fails the step (5xx and 429 retryably, as network errors). In a dry run
/// nothing is sent: `{"dry_run": true, "would_write": {"method", "endpoint", "headers": [names],
/// "body": <the input>}}`.
public struct HTTPSinkNode: NodeType {
    let http: HTTPClient

    /// A sink sending through `http`.
    public init(http: HTTPClient = NodeHTTP.shared) { self.http = http }

    static let defaultTimeout = Duration.seconds(30)
    static let limits = NodeLimits(timeout: .seconds(120), maxAttempts: 3, maxOutputBytes: 8 << 20)

    public let descriptor = NodeTypeDescriptor(
        name: "sink.http", title: "HTTP webhook", category: "Sinks",
        description: "Sends the input as a JSON body to url (POST by default) and outputs {status, body}. Statuses of 300 and above fail the step; network errors, 5xx and 429 are retryable. A dry run reports the request instead of sending it.",
        inputs: [PortSpec("in", description: "Any JSON value: the request body")],
        outputs: [PortSpec("out", schema: ["type": "object"], description: "{status, body}, or {dry_run, would_write}")],
        configSchema: [
            "type": "object", "required": ["url"], "additionalProperties": false,
            "properties": [
                "url": NodeConfig.urlSchema,
                "method": ["type": "string", "enum": ["POST", "PUT", "PATCH"], "description": "Default POST"],
                "headers": NodeConfig.headersSchema,
                "timeout_ms": NodeConfig.timeoutSchema(limit: HTTPSinkNode.limits.timeout, default: HTTPSinkNode.defaultTimeout),
            ],
        ],
        mode: .sink, limits: HTTPSinkNode.limits
    )

    public func execute(config: JSONValue, input: [String: JSONValue], context: NodeContext) async throws -> [String: JSONValue] {
        let url = try SinkHTTP.url(config)
        let headers = config["headers"]?.objectValue ?? [:]
        try SinkHTTP.validateHeaders(headers)
        let method = config["method"]?.stringValue ?? "POST"
        let body = input["in"] ?? .null
        if context.dryRun {
            return ["out": [
                "dry_run": true,
                "would_write": [
                    "method": .string(method), "endpoint": .string(HTTPRequestNode.hostDescription(url)),
                    "headers": .array(headers.keys.sorted().map(JSONValue.string)), "body": body,
                ],
            ]]
        }
        var protocolHeaders: [(String, String)] = []
        if !headers.keys.contains(where: { $0.lowercased() == "content-type" }) {
            protocolHeaders.append(("Content-Type", "application/json"))
        }
        let response = try await SinkHTTP.send(
            SinkRequest(
                url: url, method: HTTPMethod(rawValue: method), configuredHeaders: headers, protocolHeaders: protocolHeaders,
                body: body.serializedBytes(), timeout: NodeConfig.timeout(config, default: Self.defaultTimeout, limit: Self.limits.timeout)
            ),
            http: http, context: context
        )
        return ["out": ["status": .int(Int64(response.status)), "body": response.bodyValue]]
    }
}
