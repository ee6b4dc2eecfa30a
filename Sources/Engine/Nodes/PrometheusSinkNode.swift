import AsyncHTTPClient
import JSON

/// `sink.prometheus`: writes series to a Prometheus remote-write endpoint (remote write 1.0:
/// a Snappy-compressed `WriteRequest` protobuf; see ``RemoteWriteEncoder``).
///
/// Each input series becomes one remote-write series: its labels, plus the configured
/// constant `labels` (a series label of the same name wins), named by `metric` (or by the
/// series' own `__name__` label when `metric` is not set). Point timestamps (Unix seconds)
/// become milliseconds; points with a `null` value are skipped and counted.
///
/// Output on `out`: `{"status": 204, "series": n, "samples": m, "skipped_points": k}`. In a
/// dry run nothing is sent and the output is `{"dry_run": true, "would_write": {"endpoint",
/// "series": [{"labels": {...}, "samples": [{"timestamp_ms", "value"}]}], "samples",
/// "bytes"}}`.
public struct PrometheusSinkNode: NodeType {
    let http: HTTPClient

    /// A sink sending through `http`.
    public init(http: HTTPClient = NodeHTTP.shared) { self.http = http }

    static let defaultTimeout = Duration.seconds(10)
    static let limits = NodeLimits(timeout: .seconds(60), maxAttempts: 3, maxOutputBytes: 8 << 20)
    /// Encoder limits: the receiver's defaults would accept more, but one step's write stays small.
    static let encoder = RemoteWriteEncoder(configuration: .init(maximumSeries: 10_000, maximumSamples: 100_000))

    public let descriptor = NodeTypeDescriptor(
        name: "sink.prometheus", title: "Prometheus remote write", category: "Sinks",
        description: "Writes series (from timeseries.aggregate) to a Prometheus remote-write endpoint (url, e.g. http://prometheus:9090/api/v1/write). The metric name is `metric` or the series' __name__ label; labels are the series labels plus `labels`. Network errors, 5xx and 429 are retryable. A dry run reports what would be written.",
        inputs: [PortSpec("in", schema: SeriesInput.portSchema, description: "Series: {series: [...]} or an array of {labels, points}")],
        outputs: [PortSpec("out", schema: ["type": "object"], description: "{status, series, samples, skipped_points}, or {dry_run, would_write}")],
        configSchema: [
            "type": "object", "required": ["url"], "additionalProperties": false,
            "properties": [
                "url": NodeConfig.urlSchema,
                "metric": ["type": "string", "minLength": 1, "maxLength": 256, "description": "Metric name ([a-zA-Z_:][a-zA-Z0-9_:]*); default: each series' __name__ label"],
                "labels": ["type": "object", "additionalProperties": ["type": "string", "maxLength": 4096], "description": "Constant labels added to every series"],
                "headers": NodeConfig.headersSchema,
                "timeout_ms": NodeConfig.timeoutSchema(limit: PrometheusSinkNode.limits.timeout, default: PrometheusSinkNode.defaultTimeout),
            ],
        ],
        mode: .sink, limits: PrometheusSinkNode.limits
    )

    public func execute(config: JSONValue, input: [String: JSONValue], context: NodeContext) async throws -> [String: JSONValue] {
        let url = try SinkHTTP.url(config)
        try SinkHTTP.validateHeaders(config["headers"]?.objectValue ?? [:])
        let series = try Self.series(config, input: input["in"])
        let body: [UInt8]
        do {
            body = try Self.encoder.encode(series.0)
        } catch {
            throw NodeError(error.description)
        }
        let samples = series.0.reduce(0) { $0 + $1.samples.count }
        if context.dryRun {
            let described: [JSONValue] = series.0.map { s in
                [
                    "labels": .object(s.labels.mapValues { .string($0) }),
                    "samples": .array(s.samples.sorted { $0.timestampMilliseconds < $1.timestampMilliseconds }.map {
                        ["timestamp_ms": .int($0.timestampMilliseconds), "value": .double($0.value)]
                    }),
                ]
            }
            let value: JSONValue = [
                "dry_run": true,
                "would_write": [
                    "endpoint": .string(HTTPRequestNode.hostDescription(url)), "series": .array(described),
                    "samples": .int(Int64(samples)), "bytes": .int(Int64(body.count)),
                ],
                "skipped_points": .int(Int64(series.skipped)),
            ]
            try NodeOutput.checkSize(value, limit: Self.limits.maxOutputBytes)
            return ["out": value]
        }
        let response = try await SinkHTTP.send(
            SinkRequest(
                url: url, configuredHeaders: config["headers"]?.objectValue ?? [:], protocolHeaders: RemoteWriteEncoder.headers.map { ($0.name, $0.value) },
                body: body, timeout: NodeConfig.timeout(config, default: Self.defaultTimeout, limit: Self.limits.timeout)
            ),
            http: http, context: context
        )
        return ["out": [
            "status": .int(Int64(response.status)), "series": .int(Int64(series.0.count)), "samples": .int(Int64(samples)),
            "skipped_points": .int(Int64(series.skipped)),
        ]]
    }

    /// A metric name Prometheus would refuse is reported at save time.
    public func check(config: JSONValue) async -> [WorkflowValidationError.Problem] {
        var problems: [WorkflowValidationError.Problem] = []
        if let metric = config["metric"]?.stringValue, !RemoteWriteEncoder.isValidMetricName(metric) {
            problems.append(.init(field: "config.metric", message: "must match [a-zA-Z_:][a-zA-Z0-9_:]*"))
        }
        for name in (config["labels"]?.objectValue ?? [:]).keys.sorted()
        where !RemoteWriteEncoder.isValidLabelName(name) || name.hasPrefix("__") {
            problems.append(.init(field: "config.labels.\(name)", message: "must match [a-zA-Z_][a-zA-Z0-9_]* and not start with __"))
        }
        if let url = config["url"]?.stringValue, !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
            problems.append(.init(field: "config.url", message: "must start with http:// or https://"))
        }
        return problems
    }

    /// The remote-write series for the input, and how many null points were skipped.
    static func series(_ config: JSONValue, input: JSONValue?) throws(NodeError) -> ([RemoteWriteSeries], skipped: Int) {
        let read = try SeriesInput.read(input, maxSeries: encoder.configuration.maximumSeries, maxPoints: encoder.configuration.maximumSamples)
        let constant = (config["labels"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
        let metric = config["metric"]?.stringValue
        var result: [RemoteWriteSeries] = []
        for (index, entry) in read.series.enumerated() where !entry.points.isEmpty {
            var labels = constant.merging(entry.labels) { _, fromSeries in fromSeries }
            if let metric { labels[RemoteWriteEncoder.metricNameLabel] = metric }
            guard labels[RemoteWriteEncoder.metricNameLabel] != nil else {
                throw NodeError("series[\(index)] has no __name__ label; set `metric` in the config")
            }
            var samples: [RemoteWriteSample] = []
            samples.reserveCapacity(entry.points.count)
            for point in entry.points {
                samples.append(RemoteWriteSample(value: point.value, timestampMilliseconds: Int64((point.timestamp * 1000).rounded())))
            }
            result.append(RemoteWriteSeries(labels: labels, samples: samples))
        }
        return (result, read.skippedPoints)
    }
}
