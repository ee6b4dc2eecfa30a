import JSON

/// Time series as the timeseries nodes pass them, read from a node's input: either the output
/// of `timeseries.aggregate` (an object with `series`) or a bare array of series, each
/// `{"labels": {name: value}, "points": [{"timestamp": <Unix seconds or RFC 3339>, "value":
/// <number or null>}]}`.
///
/// Label values may be strings, numbers or Booleans (numbers and Booleans become their JSON
/// text; `null` drops the label). A point whose value is `null` (an aggregate without a
/// finite value) is skipped and counted; anything else malformed fails the step, naming where.
struct SeriesInput: Sendable {
    /// One series: its labels and its points, in input order.
    struct Series: Sendable {
        var labels: [String: String]
        var points: [(timestamp: Double, value: Double)]
    }

    var series: [Series]
    /// Points skipped because their value was `null`.
    var skippedPoints: Int

    /// Every point, over all series.
    var pointCount: Int { series.reduce(0) { $0 + $1.points.count } }

    /// The JSON shape of the input port of nodes that read series.
    static let portSchema: JSONValue = ["type": ["object", "array"]]

    /// Reads series from `value`, holding them to `maxSeries` series and `maxPoints` points.
    static func read(_ value: JSONValue?, maxSeries: Int, maxPoints: Int) throws(NodeError) -> SeriesInput {
        let list: [JSONValue]
        switch value {
        case .array(let array)?: list = array
        case .object(let object)?:
            guard let array = object["series"]?.arrayValue else {
                throw NodeError("the input object has no \"series\" array (connect the output of timeseries.aggregate)")
            }
            list = array
        case nil, .null?: list = []
        case let other?: throw NodeError("the input must be series (an object with \"series\", or an array), got \(other.typeName)")
        }
        guard list.count <= maxSeries else { throw NodeError("\(list.count) series exceed the limit of \(maxSeries)") }
        var result = SeriesInput(series: [], skippedPoints: 0)
        var total = 0
        for (index, entry) in list.enumerated() {
            guard case .object(let object) = entry else { throw NodeError("series[\(index)] must be an object, not \(entry.typeName)") }
            var labels: [String: String] = [:]
            switch object["labels"] {
            case .object(let members)?:
                for (name, label) in members {
                    switch label {
                    case .string(let text): labels[name] = text
                    case .int, .double, .bool: labels[name] = label.serialized()
                    case .null: break
                    default: throw NodeError("series[\(index)].labels.\(name) must be a string, number or Boolean")
                    }
                }
            case nil, .null?: break
            case let other?: throw NodeError("series[\(index)].labels must be an object, not \(other.typeName)")
            }
            guard case .array(let points)? = object["points"] else { throw NodeError("series[\(index)].points must be an array") }
            total += points.count
            guard total <= maxPoints else { throw NodeError("the series hold more than \(maxPoints) points") }
            var read: [(Double, Double)] = []
            read.reserveCapacity(points.count)
            for (position, point) in points.enumerated() {
                let path = "series[\(index)].points[\(position)]"
                let timestamp: Double
                switch point["timestamp"] {
                case .int(let i)?: timestamp = Double(i)
                case .double(let d)?: timestamp = d
                case .string(let text)?:
                    guard let parsed = RFC3339Timestamp.parse(text) else { throw NodeError("\(path).timestamp is not an RFC 3339 date-time") }
                    timestamp = parsed
                default: throw NodeError("\(path).timestamp must be Unix seconds or an RFC 3339 date-time")
                }
                // Years 1 to 9999, as the aggregator accepts.
                guard timestamp.isFinite, (-62_135_596_800...253_402_300_799).contains(timestamp) else {
                    throw NodeError("\(path).timestamp is outside years 1-9999")
                }
                switch point["value"] {
                case .int(let i)?: read.append((timestamp, Double(i)))
                case .double(let d)?: read.append((timestamp, d))
                case nil, .null?: result.skippedPoints += 1
                default: throw NodeError("\(path).value must be a number")
                }
            }
            result.series.append(Series(labels: labels, points: read))
        }
        return result
    }
}
