import AsyncHTTPClient
import Foundation
import JSON

/// `sink.influx`: writes series as InfluxDB line protocol (see ``LineProtocolEncoder``).
///
/// Two endpoint styles, chosen by the config: `database` (with an optional
/// `retention_policy`) posts to InfluxDB 1.x's `<url>/write?db=...`, which VictoriaMetrics also
/// accepts; `bucket` with `org` posts to InfluxDB 2.x's `<url>/api/v2/write?org=...&bucket=...`.
/// A token goes in `headers`, e.g. `{"Authorization": "Token {{ secrets.influx }}"}`.
///
/// Each point of each series becomes one line: `measurement`, the series labels plus the
/// constant `tags` as tags (a series label of the same name wins), one float field named
/// `field` (default `value`), and the point's timestamp at `precision` (default `ms`).
/// Points with a `null` value are skipped and counted.
///
/// Output on `out`: `{"status": 204, "lines": n, "skipped_points": k}`. In a dry run nothing is
/// sent: `{"dry_run": true, "would_write": {"url", "lines", "body"}, "skipped_points": k}`,
/// where `url` has only scheme, host and port of the configured one.
public struct InfluxSinkNode: NodeType {
    let http: HTTPClient

    /// A sink sending through `http`.
    public init(http: HTTPClient = NodeHTTP.shared) { self.http = http }

    static let defaultTimeout = Duration.seconds(10)
    static let limits = NodeLimits(timeout: .seconds(60), maxAttempts: 3, maxOutputBytes: 8 << 20)
    /// Most points (lines) in one write.
    static let maxPoints = 100_000
    static let maxSeries = 10_000

    public let descriptor = NodeTypeDescriptor(
        name: "sink.influx", title: "InfluxDB line protocol", category: "Sinks",
        description: "Writes series (from timeseries.aggregate) as InfluxDB line protocol: with `database` to <url>/write?db= (InfluxDB 1.x, VictoriaMetrics), with `bucket` and `org` to <url>/api/v2/write (InfluxDB 2.x). One line per point: measurement, series labels and `tags` as tags, the value as float field `field`. Network errors, 5xx and 429 are retryable. A dry run reports the lines it would write.",
        inputs: [PortSpec("in", schema: SeriesInput.portSchema, description: "Series: {series: [...]} or an array of {labels, points}")],
        outputs: [PortSpec("out", schema: ["type": "object"], description: "{status, lines, skipped_points}, or {dry_run, would_write}")],
        configSchema: [
            "type": "object", "required": ["url", "measurement"], "additionalProperties": false,
            "anyOf": [["required": ["database"]], ["required": ["bucket", "org"]]],
            "properties": [
                "url": NodeConfig.urlSchema.merging(description: "Base URL of the server, e.g. http://influx:8086"),
                "database": ["type": "string", "minLength": 1, "maxLength": 256, "description": "InfluxDB 1.x database (db); selects the /write endpoint"],
                "retention_policy": ["type": "string", "minLength": 1, "maxLength": 256, "description": "InfluxDB 1.x retention policy (rp)"],
                "bucket": ["type": "string", "minLength": 1, "maxLength": 256, "description": "InfluxDB 2.x bucket; selects the /api/v2/write endpoint"],
                "org": ["type": "string", "minLength": 1, "maxLength": 256, "description": "InfluxDB 2.x organization"],
                "measurement": ["type": "string", "minLength": 1, "maxLength": 256, "description": "Measurement name"],
                "field": ["type": "string", "minLength": 1, "maxLength": 256, "description": "Name of the value's field (default value)"],
                "tags": ["type": "object", "additionalProperties": ["type": "string", "maxLength": 4096], "description": "Constant tags added to every line"],
                "precision": ["type": "string", "enum": ["s", "ms", "us", "ns"], "description": "Timestamp precision (default ms)"],
                "headers": NodeConfig.headersSchema,
                "timeout_ms": NodeConfig.timeoutSchema(limit: InfluxSinkNode.limits.timeout, default: InfluxSinkNode.defaultTimeout),
            ],
        ],
        mode: .sink, limits: InfluxSinkNode.limits
    )

    public func execute(config: JSONValue, input: [String: JSONValue], context: NodeContext) async throws -> [String: JSONValue] {
        let base = try SinkHTTP.url(config)
        try SinkHTTP.validateHeaders(config["headers"]?.objectValue ?? [:])
        if let problem = Self.endpointProblem(config) { throw NodeError(problem) }
        let precision = LineProtocolPrecision(name: config["precision"]?.stringValue ?? "ms") ?? .milliseconds
        let (body, lines, skipped) = try Self.lines(config, input: input["in"], precision: precision)
        let url = Self.writeURL(base: base, config: config, precision: precision)
        if context.dryRun {
            let value: JSONValue = [
                "dry_run": true,
                "would_write": [
                    "url": .string(HTTPRequestNode.hostDescription(base) + Self.pathAndQuery(base: base, config: config, precision: precision)),
                    "lines": .int(Int64(lines)), "body": .string(body),
                ],
                "skipped_points": .int(Int64(skipped)),
            ]
            try NodeOutput.checkSize(value, limit: Self.limits.maxOutputBytes)
            return ["out": value]
        }
        let response = try await SinkHTTP.send(
            SinkRequest(
                url: url, configuredHeaders: config["headers"]?.objectValue ?? [:],
                protocolHeaders: [("Content-Type", "text/plain; charset=utf-8")], body: Array(body.utf8),
                timeout: NodeConfig.timeout(config, default: Self.defaultTimeout, limit: Self.limits.timeout)
            ),
            http: http, context: context
        )
        return ["out": ["status": .int(Int64(response.status)), "lines": .int(Int64(lines)), "skipped_points": .int(Int64(skipped))]]
    }

    /// Both endpoint styles at once, or a name line protocol cannot carry, is reported at save time.
    public func check(config: JSONValue) async -> [WorkflowValidationError.Problem] {
        var problems: [WorkflowValidationError.Problem] = []
        if let problem = Self.endpointProblem(config) { problems.append(.init(field: "config", message: problem)) }
        if let url = config["url"]?.stringValue, !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
            problems.append(.init(field: "config.url", message: "must start with http:// or https://"))
        }
        // A probe point shows whether measurement, field and tags can be written at all.
        let probe = LineProtocolPoint(
            measurement: config["measurement"]?.stringValue ?? "m",
            tags: (config["tags"]?.objectValue ?? [:]).compactMapValues(\.stringValue),
            fields: [config["field"]?.stringValue ?? "value": .float(0)]
        )
        do {
            _ = try LineProtocolEncoder().encode(probe)
        } catch {
            problems.append(.init(field: "config", message: error.message))
        }
        return problems
    }

    static func endpointProblem(_ config: JSONValue) -> String? {
        let database = config["database"] != nil
        let bucket = config["bucket"] != nil
        if database && bucket { return "set database (InfluxDB 1.x) or bucket and org (InfluxDB 2.x), not both" }
        if !database && !bucket { return "set database (InfluxDB 1.x) or bucket and org (InfluxDB 2.x)" }
        if bucket && config["org"] == nil { return "a bucket needs its org" }
        if database && config["org"] != nil { return "org belongs to bucket (InfluxDB 2.x); with database leave it out" }
        return nil
    }

    /// The line-protocol body, its line count and the skipped null points.
    static func lines(_ config: JSONValue, input: JSONValue?, precision: LineProtocolPrecision) throws(NodeError) -> (String, Int, Int) {
        let read = try SeriesInput.read(input, maxSeries: maxSeries, maxPoints: maxPoints)
        let measurement = config["measurement"]?.stringValue ?? ""
        let field = config["field"]?.stringValue ?? "value"
        let constant = (config["tags"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
        let encoder = LineProtocolEncoder(configuration: .init(precision: precision))
        var out: [UInt8] = []
        var count = 0
        for entry in read.series {
            let tags = constant.merging(entry.labels) { _, fromSeries in fromSeries }
            for point in entry.points {
                guard abs(point.timestamp) < 9.2e9 else {
                    throw NodeError("timestamp \(point.timestamp) is outside what nanosecond line protocol can hold (years 1678-2261)")
                }
                let whole = point.timestamp.rounded(.down)
                let nanoseconds = Int64(whole) * 1_000_000_000 + Int64(((point.timestamp - whole) * 1e9).rounded())
                let line = LineProtocolPoint(measurement: measurement, tags: tags, fields: [field: .float(point.value)], timestampNanoseconds: nanoseconds)
                do {
                    try encoder.append(line, to: &out)
                } catch {
                    throw NodeError(error.description)
                }
                count += 1
            }
        }
        return (String(decoding: out, as: UTF8.self), count, read.skippedPoints)
    }

    /// The full write URL for the configured style.
    static func writeURL(base: String, config: JSONValue, precision: LineProtocolPrecision) -> String {
        var trimmed = base
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        // Keep the base's own path (a proxy prefix, VictoriaMetrics' /influx), drop a query.
        if let query = trimmed.firstIndex(of: "?") { trimmed = String(trimmed[..<query]) }
        return trimmed + pathAndQuery(base: base, config: config, precision: precision, includeBasePath: false)
    }

    /// Path (after the base's own) and query of the write request.
    static func pathAndQuery(base: String, config: JSONValue, precision: LineProtocolPrecision, includeBasePath: Bool = true) -> String {
        var basePath = ""
        if includeBasePath, let components = URLComponents(string: base) {
            basePath = components.path
            while basePath.hasSuffix("/") { basePath.removeLast() }
        }
        var items: [(String, String)] = []
        let path: String
        if let database = config["database"]?.stringValue {
            path = "/write"
            items.append(("db", database))
            if let rp = config["retention_policy"]?.stringValue { items.append(("rp", rp)) }
            // InfluxDB 1.x spells microseconds `u` (and accepts `ns`, `ms`, `s`).
            items.append(("precision", precision == .microseconds ? "u" : precision.name))
        } else {
            path = "/api/v2/write"
            items.append(("org", config["org"]?.stringValue ?? ""))
            items.append(("bucket", config["bucket"]?.stringValue ?? ""))
            items.append(("precision", precision.name))
        }
        return basePath + path + "?" + items.map { "\($0.0)=\(percentEncode($0.1))" }.joined(separator: "&")
    }

    /// Percent-encodes everything but unreserved characters (RFC 3986), for query values.
    static func percentEncode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            let unreserved = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "~")
            if unreserved {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        return out
    }
}

extension JSONValue {
    /// This schema object with its `description` replaced.
    func merging(description: String) -> JSONValue {
        guard case .object(var members) = self else { return self }
        members["description"] = .string(description)
        return .object(members)
    }
}
