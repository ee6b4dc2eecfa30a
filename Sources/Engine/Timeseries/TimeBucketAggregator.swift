import JSON

/// Why an aggregation could not run. Bad *points* are not errors: they are counted in
/// ``TimeBucketAggregator/InvalidPoints``.
public struct TimeBucketAggregationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of problem; compare with the static members.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable { case invalidConfiguration, limitExceeded }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The configuration is unusable (bucket width, field names, function name).
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// More points or series than the configured limits.
        public static let limitExceeded = Code(.limitExceeded)

        public var description: String { base.rawValue }
    }

    /// What kind of problem this is.
    public let code: Code
    /// A sentence saying what is wrong.
    public let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    static func invalidConfiguration(_ message: String) -> Self { .init(.invalidConfiguration, message) }
    static func limit(_ message: String) -> Self { .init(.limitExceeded, message) }

    public var description: String { "time bucket aggregation: \(message)" }
}

/// Groups timestamped values into fixed time buckets per label set and reduces each bucket
/// with one function.
///
/// Buckets are `bucketSeconds` wide and aligned to the Unix epoch: a point at `t` falls in
/// the bucket starting at `floor(t / bucketSeconds) * bucketSeconds`, so two runs over
/// overlapping data agree on bucket edges. Points are grouped by the values of the
/// `groupBy` labels only; a point without one of those labels is grouped with other points
/// lacking it, and the output series simply has no such label.
///
/// Output is deterministic: series are sorted by their label values (labels compared in
/// name order, a missing label before any value, values by UTF-8 bytes), points by time.
public struct TimeBucketAggregator: Sendable {
    /// A point to aggregate.
    public struct Point: Sendable, Hashable {
        /// Unix seconds (fractions allowed).
        public var timestamp: Double
        /// The value.
        public var value: Double
        /// The point's labels.
        public var labels: [String: String]

        /// A point.
        public init(timestamp: Double, value: Double, labels: [String: String] = [:]) {
            self.timestamp = timestamp
            self.value = value
            self.labels = labels
        }
    }

    /// One output value: a bucket's start and its aggregate.
    public struct Bucket: Sendable, Hashable {
        /// Unix seconds of the bucket's start.
        public var timestamp: Int64
        /// The aggregate of the bucket's points.
        public var value: Double

        /// A bucket value.
        public init(timestamp: Int64, value: Double) {
            self.timestamp = timestamp
            self.value = value
        }

        /// `{"timestamp": seconds, "value": number}`; a non-finite value becomes `null`.
        public var json: JSONValue {
            ["timestamp": .int(timestamp), "value": value.isFinite ? .double(value) : .null]
        }
    }

    /// One output series: its group labels and its buckets in time order.
    public struct Series: Sendable, Hashable {
        /// The `groupBy` labels this series has.
        public var labels: [String: String]
        /// Bucket values, oldest first; buckets without enough points for the function
        /// (e.g. a single sample for `rate`) are absent.
        public var points: [Bucket]

        /// A series.
        public init(labels: [String: String], points: [Bucket]) {
            self.labels = labels
            self.points = points
        }

        /// `{"labels": {...}, "points": [...]}`.
        public var json: JSONValue {
            ["labels": .object(labels.mapValues { .string($0) }), "points": .array(points.map(\.json))]
        }
    }

    /// The items that could not be read as points, for reporting rather than failing.
    public struct InvalidPoints: Sendable, Hashable {
        /// One rejected item.
        public struct Example: Sendable, Hashable {
            /// Position of the item in the input.
            public var index: Int
            /// Why it was rejected.
            public var reason: String
        }

        /// How many items were rejected.
        public var count: Int = 0
        /// Rejections per reason kind (`missing value`, `non-numeric value`, ...).
        public var byReason: [String: Int] = [:]
        /// The first few rejections, in input order (at most
        /// ``Configuration/maximumInvalidExamples``).
        public var examples: [Example] = []

        /// An empty report.
        public init() {}

        mutating func record(index: Int, kind: String, detail: String, keep: Int) {
            count += 1
            byReason[kind, default: 0] += 1
            if examples.count < keep { examples.append(Example(index: index, reason: detail)) }
        }

        /// `{"count": n, "reasons": {kind: n}, "examples": [{"index", "reason"}]}`.
        public var json: JSONValue {
            [
                "count": .int(Int64(count)),
                "reasons": .object(byReason.mapValues { .int(Int64($0)) }),
                "examples": .array(examples.map { ["index": .int(Int64($0.index)), "reason": .string($0.reason)] }),
            ]
        }
    }

    /// What ``TimeBucketAggregator/aggregate(items:)`` produces.
    public struct Result: Sendable, Hashable {
        /// The aggregated series.
        public var series: [Series]
        /// The items that were skipped, and why.
        public var invalid: InvalidPoints
        /// The function that was applied.
        public var function: Function
        /// The bucket width in seconds.
        public var bucketSeconds: Int

        /// `{"function", "bucket_seconds", "series", "invalid"}`.
        public var json: JSONValue {
            [
                "function": .string(function.name), "bucket_seconds": .int(Int64(bucketSeconds)),
                "series": .array(series.map(\.json)), "invalid": invalid.json,
            ]
        }
    }

    /// The reduction applied to each bucket.
    public struct Function: Sendable, Hashable, CustomStringConvertible {
        enum Kind: Sendable, Hashable { case count, sum, avg, min, max, rate, quantile(Double) }
        let kind: Kind
        /// The name used in configuration (`avg`, `p99`, ...).
        public let name: String

        private init(_ kind: Kind, _ name: String) {
            self.kind = kind
            self.name = name
        }

        /// Number of points.
        public static let count = Function(.count, "count")
        /// Sum of values.
        public static let sum = Function(.sum, "sum")
        /// Arithmetic mean.
        public static let avg = Function(.avg, "avg")
        /// Smallest value.
        public static let min = Function(.min, "min")
        /// Largest value.
        public static let max = Function(.max, "max")
        /// Per-second increase of a counter within the bucket. Counter resets are handled as
        /// in Prometheus: a value lower than its predecessor means the counter restarted from
        /// zero, so the increase over that step is the new value itself. The increase is
        /// divided by the time between the bucket's first and last sample; unlike
        /// Prometheus's `rate()` it is not extrapolated to the bucket's edges. A bucket needs
        /// two samples at different times to have a rate.
        public static let rate = Function(.rate, "rate")
        /// Median; see ``quantile(_:)``.
        public static let p50 = Function(.quantile(0.5), "p50")
        /// 90th percentile; see ``quantile(_:)``.
        public static let p90 = Function(.quantile(0.9), "p90")
        /// 99th percentile; see ``quantile(_:)``.
        public static let p99 = Function(.quantile(0.99), "p99")

        /// The `q`-quantile (0 ≤ q ≤ 1) by linear interpolation between closest ranks, the
        /// method numpy's `percentile` uses by default: with the `n` values sorted as
        /// `x[0...n-1]` and `h = (n - 1) * q`, the result is
        /// `x[⌊h⌋] + (h - ⌊h⌋) * (x[⌊h⌋ + 1] - x[⌊h⌋])`.
        public static func quantile(_ q: Double) -> Function? {
            guard q >= 0, q <= 1 else { return nil }
            return Function(.quantile(q), "p" + Function.percentText(q * 100))
        }

        /// The function named `count`, `sum`, `avg` (or `mean`), `min`, `max`, `rate`, or `pN`
        /// with `0 <= N <= 100` (decimals allowed: `p99.9`).
        public init?(name: String) {
            switch name {
            case "count": self = .count
            case "sum": self = .sum
            case "avg", "mean": self = .avg
            case "min": self = .min
            case "max": self = .max
            case "rate": self = .rate
            default:
                guard name.hasPrefix("p"), name.count <= 12 else { return nil }
                let digits = name.dropFirst()
                guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
                      let percent = Double(digits), let f = Function.quantile(percent / 100)
                else { return nil }
                self = f
            }
        }

        public var description: String { name }

        static func percentText(_ percent: Double) -> String {
            let rounded = (percent * 1000).rounded() / 1000
            if rounded == rounded.rounded() { return String(Int(rounded)) }
            return String(rounded)
        }
    }

    /// Where points come from in JSON items, how to bucket and group them, and limits.
    /// Each default is stated on its property.
    public struct Configuration: Sendable, Hashable {
        /// Path of the timestamp: Unix seconds as a number, or an RFC 3339 string. A path is
        /// a key, or dot-separated keys into nested objects (a key that itself contains a
        /// dot is matched first). Default `timestamp`.
        public var timestampField: String
        /// Path of the numeric value. Default `value`.
        public var valueField: String
        /// Path of an object whose members are labels, or `nil` for none. Default `labels`.
        public var labelsField: String?
        /// Further paths whose scalar values become labels named by the path. Default none.
        public var labelFields: [String]
        /// Bucket width in seconds, 1 ... 315,360,000 (ten years). Default 60.
        public var bucketSeconds: Int
        /// Label names to group by. Default none (one series).
        public var groupBy: [String]
        /// The reduction. Default ``Function/avg``.
        public var function: Function
        /// Whether numeric timestamps are milliseconds rather than seconds. Default `false`.
        public var numericTimestampsInMilliseconds: Bool
        /// Whether a value given as a decimal string (`"1.5"`) is accepted. Default `false`.
        public var acceptNumericStrings: Bool
        /// Most input items. Default 1,000,000.
        public var maximumPoints: Int
        /// Most output series. Default 10,000.
        public var maximumSeries: Int
        /// Most invalid items described individually. Default 20.
        public var maximumInvalidExamples: Int

        /// - Parameters:
        ///   - timestampField: path of the timestamp (default `timestamp`).
        ///   - valueField: path of the value (default `value`).
        ///   - labelsField: path of the labels object (default `labels`; `nil` for none).
        ///   - labelFields: further paths taken as labels (default none).
        ///   - bucketSeconds: bucket width (default 60).
        ///   - groupBy: label names to group by (default none).
        ///   - function: the reduction (default `avg`).
        ///   - numericTimestampsInMilliseconds: numeric timestamps are ms (default `false`).
        ///   - acceptNumericStrings: accept `"1.5"` as a value (default `false`).
        ///   - maximumPoints: most input items (default 1,000,000).
        ///   - maximumSeries: most output series (default 10,000).
        ///   - maximumInvalidExamples: most invalid items described (default 20).
        public init(
            timestampField: String = "timestamp", valueField: String = "value", labelsField: String? = "labels",
            labelFields: [String] = [], bucketSeconds: Int = 60, groupBy: [String] = [], function: Function = .avg,
            numericTimestampsInMilliseconds: Bool = false, acceptNumericStrings: Bool = false,
            maximumPoints: Int = 1_000_000, maximumSeries: Int = 10_000, maximumInvalidExamples: Int = 20
        ) {
            self.timestampField = timestampField
            self.valueField = valueField
            self.labelsField = labelsField
            self.labelFields = labelFields
            self.bucketSeconds = bucketSeconds
            self.groupBy = groupBy
            self.function = function
            self.numericTimestampsInMilliseconds = numericTimestampsInMilliseconds
            self.acceptNumericStrings = acceptNumericStrings
            self.maximumPoints = maximumPoints
            self.maximumSeries = maximumSeries
            self.maximumInvalidExamples = maximumInvalidExamples
        }
    }

    /// The configuration in force.
    public let configuration: Configuration
    /// `groupBy` without duplicates, in name order: the order series are compared in.
    let groupNames: [String]

    /// Most `groupBy` labels and `labelFields`; more would only make keys huge.
    static let maximumGroupLabels = 64
    /// Timestamps must fall in years 1 ... 9999.
    static let timestampRange: ClosedRange<Double> = -62_135_596_800...253_402_300_799

    /// An aggregator; checks the configuration up front so that running it can fail only on
    /// limits.
    public init(configuration: Configuration) throws(TimeBucketAggregationError) {
        guard (1...315_360_000).contains(configuration.bucketSeconds) else {
            throw .invalidConfiguration("bucket width \(configuration.bucketSeconds) s must be between 1 s and 315360000 s (ten years)")
        }
        guard !configuration.timestampField.isEmpty, !configuration.valueField.isEmpty, configuration.labelsField?.isEmpty != true,
              !configuration.labelFields.contains(where: \.isEmpty)
        else { throw .invalidConfiguration("field paths must not be empty") }
        guard configuration.groupBy.count <= Self.maximumGroupLabels, configuration.labelFields.count <= Self.maximumGroupLabels else {
            throw .invalidConfiguration("at most \(Self.maximumGroupLabels) group-by labels and label fields")
        }
        guard configuration.maximumPoints >= 0, configuration.maximumSeries >= 0, configuration.maximumInvalidExamples >= 0 else {
            throw .invalidConfiguration("limits must not be negative")
        }
        self.configuration = configuration
        self.groupNames = Array(Set(configuration.groupBy)).sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }

    // MARK: Running

    /// Extracts points from `items` and aggregates them.
    public func aggregate(items: [JSONValue]) throws(TimeBucketAggregationError) -> Result {
        guard items.count <= configuration.maximumPoints else {
            throw .limit("\(items.count) items exceed the limit of \(configuration.maximumPoints)")
        }
        let (points, invalid) = extract(items)
        let series = try aggregate(points)
        return Result(series: series, invalid: invalid, function: configuration.function, bucketSeconds: configuration.bucketSeconds)
    }

    /// Aggregates points that are already extracted. Points with a non-finite value or a
    /// timestamp outside years 1...9999 are skipped (``extract(_:)`` never produces them).
    public func aggregate(_ points: [Point]) throws(TimeBucketAggregationError) -> [Series] {
        guard points.count <= configuration.maximumPoints else {
            throw .limit("\(points.count) points exceed the limit of \(configuration.maximumPoints)")
        }
        let width = Int64(configuration.bucketSeconds)
        // Per series key, per bucket start: (timestamp, value) in input order.
        var groups: [[String?]: [Int64: [(Double, Double)]]] = [:]
        for point in points {
            guard point.value.isFinite, Self.timestampRange.contains(point.timestamp) else { continue }
            let key = groupNames.map { point.labels[$0] }
            if groups[key] == nil, groups.count >= configuration.maximumSeries {
                throw .limit("more than \(configuration.maximumSeries) series; group by fewer labels")
            }
            let bucket = CivilCalendar.floorDiv(Int64(point.timestamp.rounded(.down)), width) * width
            groups[key, default: [:]][bucket, default: []].append((point.timestamp, point.value))
        }
        var result: [Series] = []
        result.reserveCapacity(groups.count)
        for (key, buckets) in groups {
            var labels: [String: String] = [:]
            for (name, value) in zip(groupNames, key) { if let value { labels[name] = value } }
            var values: [Bucket] = []
            for start in buckets.keys.sorted() {
                if let v = Self.reduce(buckets[start] ?? [], with: configuration.function) {
                    values.append(Bucket(timestamp: start, value: v))
                }
            }
            result.append(Series(labels: labels, points: values))
        }
        return result.sorted { Self.precedes($0.labels, $1.labels, names: groupNames) }
    }

    /// Orders series: labels compared in `names` order, absent before present, values by
    /// UTF-8 bytes.
    static func precedes(_ a: [String: String], _ b: [String: String], names: [String]) -> Bool {
        for name in names {
            switch (a[name], b[name]) {
            case (nil, nil): continue
            case (nil, _): return true
            case (_, nil): return false
            case (let x?, let y?):
                if x == y { continue }
                return Array(x.utf8).lexicographicallyPrecedes(Array(y.utf8))
            }
        }
        return false
    }

    // MARK: Reductions

    /// The aggregate of one bucket's `(timestamp, value)` samples, or `nil` when the
    /// function has no value for them.
    static func reduce(_ samples: [(Double, Double)], with function: Function) -> Double? {
        guard !samples.isEmpty else { return nil }
        switch function.kind {
        case .count: return Double(samples.count)
        case .sum: return compensatedSum(samples.lazy.map(\.1))
        case .avg: return compensatedSum(samples.lazy.map(\.1)) / Double(samples.count)
        case .min: return samples.lazy.map(\.1).min()
        case .max: return samples.lazy.map(\.1).max()
        case .quantile(let q): return quantile(samples.map(\.1).sorted(), q)
        case .rate: return rate(samples)
        }
    }

    /// Neumaier's compensated sum: keeps the error of adding small values to a large
    /// running total, which plain summation loses.
    static func compensatedSum(_ values: some Sequence<Double>) -> Double {
        var sum = 0.0
        var compensation = 0.0
        for v in values {
            let t = sum + v
            if abs(sum) >= abs(v) { compensation += (sum - t) + v } else { compensation += (v - t) + sum }
            sum = t
        }
        return sum + compensation
    }

    /// Linear interpolation between closest ranks (numpy's default) on sorted values.
    static func quantile(_ sorted: [Double], _ q: Double) -> Double? {
        guard let first = sorted.first else { return nil }
        if sorted.count == 1 { return first }
        let h = Double(sorted.count - 1) * q
        let lower = Int(h.rounded(.down))
        if lower >= sorted.count - 1 { return sorted[sorted.count - 1] }
        let fraction = h - Double(lower)
        return sorted[lower] + fraction * (sorted[lower + 1] - sorted[lower])
    }

    /// Per-second counter increase with resets, over the span of the samples.
    static func rate(_ samples: [(Double, Double)]) -> Double? {
        guard samples.count >= 2 else { return nil }
        // Stable by time so that equal timestamps keep their input order.
        let ordered = samples.enumerated().sorted { ($0.element.0, $0.offset) < ($1.element.0, $1.offset) }.map(\.element)
        guard let first = ordered.first, let last = ordered.last, last.0 > first.0 else { return nil }
        var increase = 0.0
        for i in 1..<ordered.count {
            let previous = ordered[i - 1].1
            let current = ordered[i].1
            increase += current >= previous ? current - previous : current
        }
        return increase / (last.0 - first.0)
    }
}
