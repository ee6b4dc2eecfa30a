import Foundation

/// One sample of a remote-write series: a value at a millisecond timestamp.
public struct RemoteWriteSample: Sendable, Hashable {
    /// The value; NaN and ±infinity are legal in Prometheus.
    public var value: Double
    /// Milliseconds since the Unix epoch.
    public var timestampMilliseconds: Int64

    /// A sample at a millisecond timestamp.
    public init(value: Double, timestampMilliseconds: Int64) {
        self.value = value
        self.timestampMilliseconds = timestampMilliseconds
    }

    /// A sample at `date`, truncated to the millisecond (toward the past).
    public init(value: Double, date: Date) {
        self.value = value
        let ms = (date.timeIntervalSince1970 * 1000).rounded(.down)
        // Dates are bounded far inside Int64 milliseconds; clamp so a nonsense Date cannot trap.
        self.timestampMilliseconds = ms.isFinite ? Int64(max(-9.2e18, min(9.2e18, ms))) : 0
    }

    /// Prometheus's staleness marker: a NaN with this exact bit pattern tells the receiver
    /// that the series ended (distinct from an ordinary NaN value).
    public static let staleMarkerValue = Double(bitPattern: 0x7FF0_0000_0000_0002)
}

/// A series to send: its full label set, including the metric name as `__name__`, and its
/// samples.
public struct RemoteWriteSeries: Sendable, Hashable {
    /// Every label of the series, `__name__` included. Labels with an empty value are
    /// dropped when encoding: Prometheus treats an empty value as an absent label.
    public var labels: [String: String]
    /// The samples, in any order; encoding sorts them by timestamp.
    public var samples: [RemoteWriteSample]

    /// A series from a complete label set (which must hold `__name__`).
    public init(labels: [String: String], samples: [RemoteWriteSample]) {
        self.labels = labels
        self.samples = samples
    }

    /// A series named `name` with further `labels`.
    public init(name: String, labels: [String: String] = [:], samples: [RemoteWriteSample]) {
        var all = labels
        all[RemoteWriteEncoder.metricNameLabel] = name
        self.init(labels: all, samples: samples)
    }
}

/// Why a remote-write request could not be built.
public struct RemoteWriteError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of problem; compare with the static members.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case missingMetricName, invalidMetricName, invalidLabelName, noSamples, duplicateTimestamp, limitExceeded, compression
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A series has no `__name__` label.
        public static let missingMetricName = Code(.missingMetricName)
        /// `__name__` does not match `[a-zA-Z_:][a-zA-Z0-9_:]*`.
        public static let invalidMetricName = Code(.invalidMetricName)
        /// A label name does not match `[a-zA-Z_][a-zA-Z0-9_]*` or uses the reserved `__` prefix.
        public static let invalidLabelName = Code(.invalidLabelName)
        /// A series has no samples.
        public static let noSamples = Code(.noSamples)
        /// Two samples of one series share a timestamp.
        public static let duplicateTimestamp = Code(.duplicateTimestamp)
        /// A configured size limit was exceeded.
        public static let limitExceeded = Code(.limitExceeded)
        /// The payload could not be compressed.
        public static let compression = Code(.compression)

        public var description: String { base.rawValue }
    }

    /// What kind of problem this is.
    public let code: Code
    /// A sentence saying what is wrong and in which series.
    public let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    static func missingMetricName(series: Int) -> Self { .init(.missingMetricName, "series \(series) has no \(RemoteWriteEncoder.metricNameLabel) label") }
    static func invalidMetricName(_ name: String, series: Int) -> Self {
        .init(.invalidMetricName, "series \(series): metric name \(quoted(name)) must match [a-zA-Z_:][a-zA-Z0-9_:]*")
    }
    static func invalidLabelName(_ name: String, series: Int, reason: String) -> Self {
        .init(.invalidLabelName, "series \(series): label name \(quoted(name)) \(reason)")
    }
    static func noSamples(series: Int) -> Self { .init(.noSamples, "series \(series) has no samples") }
    static func duplicateTimestamp(_ ms: Int64, series: String) -> Self {
        .init(.duplicateTimestamp, "series \(series) has two samples at timestamp \(ms) ms")
    }
    static func limit(_ what: String) -> Self { .init(.limitExceeded, what) }
    static func compression(_ error: SnappyError) -> Self { .init(.compression, error.message) }

    /// Labels can be anything a user typed; keep messages one line and bounded.
    static func quoted(_ s: String) -> String {
        let clipped = s.count > 64 ? String(s.prefix(64)) + "…" : s
        return "\"" + clipped.replacingOccurrences(of: "\n", with: "\\n") + "\""
    }

    public var description: String { "remote write: \(message)" }
}

/// Builds Prometheus remote write 1.0 request bodies: a `prometheus.WriteRequest` protobuf,
/// Snappy-compressed in the block format.
///
/// Per the specification, each series carries its complete label set with `__name__`,
/// labels sorted by name, samples sorted by timestamp in milliseconds. Series with the same
/// label set are merged into one. The HTTP request is a `POST` with ``headers``.
public struct RemoteWriteEncoder: Sendable {
    /// Size limits; each default is stated on its property.
    public struct Configuration: Sendable, Hashable {
        /// Most series in one request. Default 10,000.
        public var maximumSeries: Int
        /// Most samples in one request, over all series. Default 100,000.
        public var maximumSamples: Int
        /// Most labels on one series, `__name__` included. Default 64.
        public var maximumLabelsPerSeries: Int
        /// Longest label name or value, in UTF-8 bytes. Default 4,096.
        public var maximumLabelBytes: Int

        /// - Parameters:
        ///   - maximumSeries: most series per request (default 10,000).
        ///   - maximumSamples: most samples per request (default 100,000).
        ///   - maximumLabelsPerSeries: most labels per series (default 64).
        ///   - maximumLabelBytes: longest label name or value in bytes (default 4,096).
        public init(maximumSeries: Int = 10_000, maximumSamples: Int = 100_000, maximumLabelsPerSeries: Int = 64, maximumLabelBytes: Int = 4096) {
            self.maximumSeries = maximumSeries
            self.maximumSamples = maximumSamples
            self.maximumLabelsPerSeries = maximumLabelsPerSeries
            self.maximumLabelBytes = maximumLabelBytes
        }
    }

    /// The label that holds the metric name.
    public static let metricNameLabel = "__name__"
    /// `Content-Encoding` of the body.
    public static let contentEncoding = "snappy"
    /// `Content-Type` of the body.
    public static let contentType = "application/x-protobuf"
    /// Name of the header carrying the protocol version.
    public static let versionHeaderName = "X-Prometheus-Remote-Write-Version"
    /// The protocol version remote write 1.0 senders announce.
    public static let protocolVersion = "0.1.0"
    /// Every header a remote-write `POST` needs (besides `User-Agent`, which the spec asks
    /// senders to set to their own name and version).
    public static let headers: [(name: String, value: String)] = [
        ("Content-Encoding", contentEncoding),
        ("Content-Type", contentType),
        (versionHeaderName, protocolVersion),
    ]

    /// The limits in force.
    public let configuration: Configuration

    /// An encoder with the given limits.
    public init(configuration: Configuration = .init()) {
        self.configuration = configuration
    }

    /// The request body: the `WriteRequest` protobuf, Snappy block-compressed.
    public func encode(_ series: [RemoteWriteSeries]) throws(RemoteWriteError) -> [UInt8] {
        let message = try writeRequest(series)
        do {
            return try Snappy.compress(message)
        } catch {
            throw .compression(error)
        }
    }

    /// The uncompressed `WriteRequest` protobuf.
    ///
    /// Wire layout: `WriteRequest { repeated TimeSeries timeseries = 1; }`,
    /// `TimeSeries { repeated Label labels = 1; repeated Sample samples = 2; }`,
    /// `Label { string name = 1; string value = 2; }`,
    /// `Sample { double value = 1; int64 timestamp = 2; }`. Fields holding their proto3
    /// default (a `+0.0` value, a zero timestamp) are left out, as protobuf encoders do.
    public func writeRequest(_ series: [RemoteWriteSeries]) throws(RemoteWriteError) -> [UInt8] {
        let normalized = try normalize(series)
        var writer = ProtobufWriter()
        for entry in normalized {
            writer.message(1) { ts in
                for (name, value) in entry.labels {
                    ts.message(1) { label in
                        label.string(1, name)
                        label.string(2, value)
                    }
                }
                for sample in entry.samples {
                    ts.message(2) { s in
                        // Bit test rather than `!= 0` so that -0.0 keeps its sign.
                        if sample.value.bitPattern != 0 { s.double(1, sample.value) }
                        if sample.timestampMilliseconds != 0 { s.int64(2, sample.timestampMilliseconds) }
                    }
                }
            }
        }
        return writer.bytes
    }

    /// A series ready to encode: labels sorted by name, samples sorted by time.
    struct NormalizedSeries {
        var labels: [(String, String)]
        var samples: [RemoteWriteSample]
    }

    /// Validates, drops empty-valued labels, merges series with equal label sets and sorts.
    func normalize(_ series: [RemoteWriteSeries]) throws(RemoteWriteError) -> [NormalizedSeries] {
        guard series.count <= configuration.maximumSeries else {
            throw .limit("\(series.count) series exceed the limit of \(configuration.maximumSeries)")
        }
        var order: [[String: String]] = []
        var merged: [[String: String]: [RemoteWriteSample]] = [:]
        var sampleCount = 0
        for (index, entry) in series.enumerated() {
            let labels = entry.labels.filter { !$0.value.isEmpty }
            try validate(labels, series: index)
            guard !entry.samples.isEmpty else { throw .noSamples(series: index) }
            sampleCount += entry.samples.count
            guard sampleCount <= configuration.maximumSamples else {
                throw .limit("more than \(configuration.maximumSamples) samples in one request")
            }
            if merged[labels] == nil { order.append(labels) }
            merged[labels, default: []].append(contentsOf: entry.samples)
        }
        var result: [NormalizedSeries] = []
        result.reserveCapacity(order.count)
        for labels in order {
            // Stable sort so equal timestamps keep input order for the error message.
            let samples = (merged[labels] ?? []).enumerated()
                .sorted { ($0.element.timestampMilliseconds, $0.offset) < ($1.element.timestampMilliseconds, $1.offset) }
                .map(\.element)
            for i in samples.indices.dropFirst() where samples[i].timestampMilliseconds == samples[i - 1].timestampMilliseconds {
                throw .duplicateTimestamp(samples[i].timestampMilliseconds, series: RemoteWriteEncoder.describe(labels))
            }
            // Byte order of the UTF-8 names: the order Prometheus's Go code sorts by.
            let sortedLabels = labels.sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
            result.append(NormalizedSeries(labels: sortedLabels.map { ($0.key, $0.value) }, samples: samples))
        }
        return result
    }

    private func validate(_ labels: [String: String], series index: Int) throws(RemoteWriteError) {
        guard labels.count <= configuration.maximumLabelsPerSeries else {
            throw .limit("series \(index) has \(labels.count) labels, more than the limit of \(configuration.maximumLabelsPerSeries)")
        }
        guard let name = labels[RemoteWriteEncoder.metricNameLabel] else { throw .missingMetricName(series: index) }
        guard RemoteWriteEncoder.isValidMetricName(name) else { throw .invalidMetricName(name, series: index) }
        for (key, value) in labels {
            guard key.utf8.count <= configuration.maximumLabelBytes, value.utf8.count <= configuration.maximumLabelBytes else {
                throw .limit("series \(index): label \(RemoteWriteError.quoted(key)) is longer than \(configuration.maximumLabelBytes) bytes")
            }
            if key == RemoteWriteEncoder.metricNameLabel { continue }
            guard RemoteWriteEncoder.isValidLabelName(key) else {
                throw .invalidLabelName(key, series: index, reason: "must match [a-zA-Z_][a-zA-Z0-9_]*")
            }
            guard !key.hasPrefix("__") else {
                throw .invalidLabelName(key, series: index, reason: "starts with __, which Prometheus reserves for internal use")
            }
        }
    }

    /// Whether `name` matches `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    public static func isValidMetricName(_ name: String) -> Bool {
        isName(name, extra: UInt8(ascii: ":"))
    }

    /// Whether `name` matches `[a-zA-Z_][a-zA-Z0-9_]*`.
    public static func isValidLabelName(_ name: String) -> Bool {
        isName(name, extra: nil)
    }

    private static func isName(_ name: String, extra: UInt8?) -> Bool {
        var first = true
        for b in name.utf8 {
            let letter = (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) || b == UInt8(ascii: "_") || b == extra
            let digit = (0x30...0x39).contains(b)
            guard letter || (digit && !first) else { return false }
            first = false
        }
        return !first
    }

    /// `name{a="b",...}` for error messages.
    static func describe(_ labels: [String: String]) -> String {
        let name = labels[metricNameLabel] ?? ""
        let rest = labels.filter { $0.key != metricNameLabel }.sorted { $0.key < $1.key }.map { "\($0.key)=\(RemoteWriteError.quoted($0.value))" }
        return rest.isEmpty ? name : "\(name){\(rest.joined(separator: ","))}"
    }
}
