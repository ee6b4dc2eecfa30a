import JSON

/// `timeseries.aggregate`: groups timestamped values into fixed, epoch-aligned time buckets
/// per label set and reduces each bucket with one function (see ``TimeBucketAggregator``).
///
/// Input on `in`: an array of items such as `{"timestamp": 1700000000, "value": 1.5,
/// "labels": {"host": "a"}}` (field paths configurable; timestamps as Unix seconds or RFC 3339
/// text). Output on `out`:
/// `{"function": "avg", "bucket_seconds": 60, "series": [{"labels": {...}, "points":
/// [{"timestamp": <bucket start, Unix s>, "value": <number or null>}]}], "invalid": {"count",
/// "reasons", "examples"}}`. Items that are not points are counted in `invalid`, not fatal.
public struct TimeseriesAggregateNode: NodeType {
    public init() {}

    static let limits = NodeLimits(timeout: .seconds(60), maxAttempts: 1, maxOutputBytes: 8 << 20)

    public let descriptor = NodeTypeDescriptor(
        name: "timeseries.aggregate", title: "Aggregate time series", category: "Timeseries",
        description: "Buckets points by time (bucket_seconds, aligned to the Unix epoch) and by the group_by labels, and reduces each bucket with count, sum, avg, min, max, rate, p50, p90, p99 (or any pN). Outputs {function, bucket_seconds, series: [{labels, points: [{timestamp, value}]}], invalid}.",
        inputs: [PortSpec("in", schema: ["type": "array"], description: "Items holding a timestamp, a value and labels")],
        outputs: [PortSpec("out", schema: [
            "type": "object", "required": ["function", "bucket_seconds", "series", "invalid"],
            "properties": [
                "function": ["type": "string"], "bucket_seconds": ["type": "integer"], "invalid": ["type": "object"],
                "series": ["type": "array", "items": [
                    "type": "object", "required": ["labels", "points"],
                    "properties": ["labels": ["type": "object"], "points": ["type": "array"]],
                ]],
            ],
        ], description: "The aggregated series")],
        configSchema: [
            "type": "object", "additionalProperties": false,
            "properties": [
                "bucket_seconds": ["type": "integer", "minimum": 1, "maximum": 315_360_000, "description": "Bucket width in seconds (default 60)"],
                "function": ["type": "string", "minLength": 1, "maxLength": 12,
                             "description": "count, sum, avg, min, max, rate, p50, p90, p99 or pN with 0 <= N <= 100 (default avg)"],
                "group_by": ["type": "array", "maxItems": 64, "items": ["type": "string", "minLength": 1, "maxLength": 256],
                             "description": "Label names to group by (default none: one series)"],
                "timestamp_field": ["type": "string", "minLength": 1, "maxLength": 256, "description": "Path of the timestamp (default timestamp)"],
                "value_field": ["type": "string", "minLength": 1, "maxLength": 256, "description": "Path of the value (default value)"],
                "labels_field": ["type": ["string", "null"], "minLength": 1, "maxLength": 256,
                                 "description": "Path of the labels object (default labels; null for none)"],
                "label_fields": ["type": "array", "maxItems": 64, "items": ["type": "string", "minLength": 1, "maxLength": 256],
                                 "description": "Further paths whose scalar values become labels named by the path"],
                "timestamps_in_milliseconds": ["type": "boolean", "description": "Numeric timestamps are milliseconds (default false)"],
                "accept_numeric_strings": ["type": "boolean", "description": "Accept values given as decimal strings (default false)"],
                "max_series": ["type": "integer", "minimum": 1, "maximum": 10_000, "description": "Most output series (default 10000)"],
            ],
        ],
        mode: .transform, limits: TimeseriesAggregateNode.limits
    )

    public func execute(config: JSONValue, input: [String: JSONValue], context: NodeContext) async throws -> [String: JSONValue] {
        let items: [JSONValue]
        switch input["in"] {
        case .array(let array)?: items = array
        case nil, .null?: items = []
        case let other?: throw NodeError("timeseries.aggregate needs an array of items as input, got \(other.typeName)")
        }
        let aggregator = try Self.aggregator(config)
        let result: TimeBucketAggregator.Result
        do {
            result = try aggregator.aggregate(items: items)
        } catch {
            throw NodeError(error.description)
        }
        let value = result.json
        try NodeOutput.checkSize(value, limit: Self.limits.maxOutputBytes)
        return ["out": value]
    }

    /// An unknown function name is reported at save time (the schema cannot spell `pN`).
    public func check(config: JSONValue) async -> [WorkflowValidationError.Problem] {
        if let name = config["function"]?.stringValue, TimeBucketAggregator.Function(name: name) == nil {
            return [.init(field: "config.function", message: Self.unknownFunction(name))]
        }
        return []
    }

    static func unknownFunction(_ name: String) -> String {
        "unknown function \"\(name)\"; use count, sum, avg, min, max, rate, p50, p90, p99 or pN with 0 <= N <= 100"
    }

    /// The aggregator a config describes.
    static func aggregator(_ config: JSONValue) throws(NodeError) -> TimeBucketAggregator {
        var function = TimeBucketAggregator.Function.avg
        if let name = config["function"]?.stringValue {
            guard let named = TimeBucketAggregator.Function(name: name) else { throw NodeError(unknownFunction(name)) }
            function = named
        }
        let labelsField: String? = config["labels_field"].map { $0.stringValue } ?? "labels"
        let configuration = TimeBucketAggregator.Configuration(
            timestampField: config["timestamp_field"]?.stringValue ?? "timestamp",
            valueField: config["value_field"]?.stringValue ?? "value",
            labelsField: labelsField,
            labelFields: config["label_fields"]?.arrayValue?.compactMap(\.stringValue) ?? [],
            bucketSeconds: Int(clamping: config["bucket_seconds"]?.intValue ?? 60),
            groupBy: config["group_by"]?.arrayValue?.compactMap(\.stringValue) ?? [],
            function: function,
            numericTimestampsInMilliseconds: config["timestamps_in_milliseconds"]?.boolValue ?? false,
            acceptNumericStrings: config["accept_numeric_strings"]?.boolValue ?? false,
            maximumSeries: Int(clamping: config["max_series"]?.intValue ?? 10_000)
        )
        do {
            return try TimeBucketAggregator(configuration: configuration)
        } catch {
            throw NodeError(error.description)
        }
    }
}
