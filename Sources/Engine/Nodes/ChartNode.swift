import Foundation
import JSON

/// `chart`: renders series as a standalone SVG line chart (see ``SVGLineChart``).
///
/// Input on `in`: series, as `timeseries.aggregate` outputs them. Output on `out`:
/// `{"svg": "<svg ...>...</svg>", "series": <number of input series>}`. Every piece of text
/// that reaches the chart (title, axis labels, series names built from labels) is
/// XML-escaped, so the SVG is safe to show in a browser whatever the data held.
public struct ChartNode: NodeType {
    public init() {}

    static let limits = NodeLimits(timeout: .seconds(30), maxAttempts: 1, maxOutputBytes: 8 << 20)

    public let descriptor = NodeTypeDescriptor(
        name: "chart", title: "Line chart", category: "Timeseries",
        description: "Renders series (from timeseries.aggregate) as an SVG line chart; outputs {svg, series}. All text is escaped.",
        inputs: [PortSpec("in", schema: SeriesInput.portSchema, description: "Series: {series: [...]} or an array of {labels, points}")],
        outputs: [PortSpec("out", schema: [
            "type": "object", "required": ["svg", "series"],
            "properties": ["svg": ["type": "string"], "series": ["type": "integer"]],
        ], description: "{svg, series}")],
        configSchema: [
            "type": "object", "additionalProperties": false,
            "properties": [
                "title": ["type": "string", "maxLength": 200, "description": "Chart title (default none)"],
                "x_label": ["type": "string", "maxLength": 200, "description": "X axis label (default Time)"],
                "y_label": ["type": "string", "maxLength": 200, "description": "Y axis label (default none)"],
                "width": ["type": "integer", "minimum": 200, "maximum": 4000, "description": "Pixels (default 800)"],
                "height": ["type": "integer", "minimum": 150, "maximum": 4000, "description": "Pixels (default 400)"],
                "time_zone": ["type": "string", "minLength": 1, "maxLength": 64, "description": "IANA zone for time labels (default UTC)"],
                "max_series": ["type": "integer", "minimum": 1, "maximum": 40, "description": "Most series drawn (default 10)"],
                "max_points_per_series": ["type": "integer", "minimum": 4, "maximum": 20_000,
                                          "description": "Most points drawn per series; longer ones are downsampled (default 1000)"],
            ],
        ],
        mode: .transform, limits: ChartNode.limits
    )

    public func execute(config: JSONValue, input: [String: JSONValue], context: NodeContext) async throws -> [String: JSONValue] {
        let zone = try Self.timeZone(config)
        // The chart draws at most 40 series of 20,000 points; reading more would be wasted work.
        let read = try SeriesInput.read(input["in"], maxSeries: 10_000, maxPoints: 1_000_000)
        let series = read.series.map { entry in
            SVGLineChart.Series(
                name: Self.name(entry.labels),
                points: entry.points.map { SVGLineChart.Point(time: $0.timestamp, value: $0.value) }
            )
        }
        let chart = SVGLineChart(configuration: .init(
            width: Int(clamping: config["width"]?.intValue ?? 800), height: Int(clamping: config["height"]?.intValue ?? 400),
            title: config["title"]?.stringValue ?? "", xAxisLabel: config["x_label"]?.stringValue ?? "Time",
            yAxisLabel: config["y_label"]?.stringValue ?? "", timeZone: zone,
            maximumSeries: Int(clamping: config["max_series"]?.intValue ?? 10),
            maximumPointsPerSeries: Int(clamping: config["max_points_per_series"]?.intValue ?? 1000)
        ))
        let value: JSONValue = ["svg": .string(chart.render(series)), "series": .int(Int64(series.count))]
        try NodeOutput.checkSize(value, limit: Self.limits.maxOutputBytes)
        return ["out": value]
    }

    /// An unknown time zone is reported at save time.
    public func check(config: JSONValue) async -> [WorkflowValidationError.Problem] {
        do {
            _ = try Self.timeZone(config)
            return []
        } catch {
            return [.init(field: "config.time_zone", message: error.message)]
        }
    }

    static func timeZone(_ config: JSONValue) throws(NodeError) -> TimeZone {
        guard let identifier = config["time_zone"]?.stringValue else { return TimeZone(secondsFromGMT: 0) ?? .current }
        guard let zone = TimeZone(identifier: identifier) else { throw NodeError("unknown time zone \"\(identifier.prefix(64))\"") }
        return zone
    }

    /// A series' legend text, `{a="x",b="y"}` in label-name order (the aggregator's naming).
    static func name(_ labels: [String: String]) -> String {
        SVGLineChart.series(from: [TimeBucketAggregator.Series(labels: labels, points: [])]).first?.name ?? "series"
    }
}
