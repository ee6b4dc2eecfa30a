import Engine
import Foundation
import JSON
import Testing

@Suite struct RemoteWriteEncoderTests {
    let encoder = RemoteWriteEncoder()

    @Test func goldenWriteRequest() throws {
        let bytes = try encoder.writeRequest([
            RemoteWriteSeries(name: "up", labels: ["job": "a"], samples: [RemoteWriteSample(value: 1, timestampMilliseconds: 1000)])
        ])
        // Worked out by hand from the wire format:
        let label1: [UInt8] = [0x0A, 0x08] + Array("__name__".utf8) + [0x12, 0x02] + Array("up".utf8)
        let label2: [UInt8] = [0x0A, 0x03] + Array("job".utf8) + [0x12, 0x01] + Array("a".utf8)
        let sample: [UInt8] = [0x09, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F, 0x10, 0xE8, 0x07]
        let series: [UInt8] = [0x0A, 14] + label1 + [0x0A, 8] + label2 + [0x12, 12] + sample
        #expect(bytes == [0x0A, 40] + series)
        #expect(bytes.count == 42)
    }

    @Test func defaultsAreOmittedAndNegativeTimestampsTakeTenBytes() throws {
        let bytes = try encoder.writeRequest([
            RemoteWriteSeries(name: "m", samples: [
                RemoteWriteSample(value: 0, timestampMilliseconds: 0),
                RemoteWriteSample(value: -0.0, timestampMilliseconds: -1),
            ])
        ])
        let label: [UInt8] = [0x0A, 0x08] + Array("__name__".utf8) + [0x12, 0x01, 0x6D]
        let zero: [UInt8] = []  // both fields at their defaults
        let negative: [UInt8] = [0x09, 0, 0, 0, 0, 0, 0, 0, 0x80] + [0x10] + Array(repeating: 0xFF, count: 9) + [0x01]
        // Samples sort by timestamp: -1 first.
        let series: [UInt8] = [0x0A, UInt8(label.count)] + label + [0x12, UInt8(negative.count)] + negative + [0x12, UInt8(zero.count)] + zero
        #expect(bytes == [0x0A, UInt8(series.count)] + series)
    }

    @Test func labelsSortByNameBytesAndEmptyValuesDrop() throws {
        let bytes = try encoder.writeRequest([
            RemoteWriteSeries(labels: ["zone": "eu", "__name__": "m", "Zeta": "1", "a": "2", "empty": ""], samples: [.init(value: 1, timestampMilliseconds: 5)])
        ])
        func label(_ name: String, _ value: String) -> [UInt8] {
            let body: [UInt8] = [0x0A, UInt8(name.utf8.count)] + Array(name.utf8) + [0x12, UInt8(value.utf8.count)] + Array(value.utf8)
            return [0x0A, UInt8(body.count)] + body
        }
        // Byte order: uppercase before `_` before lowercase.
        let labels = label("Zeta", "1") + label("__name__", "m") + label("a", "2") + label("zone", "eu")
        let sample: [UInt8] = [0x12, 11, 0x09, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F, 0x10, 0x05]
        #expect(bytes == [0x0A, UInt8(labels.count + sample.count)] + labels + sample)
    }

    @Test func mergesEqualLabelSetsAndSortsSamples() throws {
        let a = RemoteWriteSeries(name: "m", labels: ["k": "v"], samples: [.init(value: 3, timestampMilliseconds: 30), .init(value: 1, timestampMilliseconds: 10)])
        let b = RemoteWriteSeries(labels: ["k": "v", "__name__": "m", "blank": ""], samples: [.init(value: 2, timestampMilliseconds: 20)])
        let merged = try encoder.writeRequest([a, b])
        let single = try encoder.writeRequest([
            RemoteWriteSeries(name: "m", labels: ["k": "v"], samples: [.init(value: 1, timestampMilliseconds: 10), .init(value: 2, timestampMilliseconds: 20), .init(value: 3, timestampMilliseconds: 30)])
        ])
        #expect(merged == single)
    }

    @Test func bodyIsSnappyOfTheProtobuf() throws {
        let series = (0..<50).map { i in
            RemoteWriteSeries(name: "http_requests_total", labels: ["code": "200", "instance": "host-\(i)"],
                              samples: (0..<10).map { RemoteWriteSample(value: Double($0 * i), timestampMilliseconds: 1_700_000_000_000 + Int64($0) * 15_000) })
        }
        let body = try encoder.encode(series)
        #expect(try Snappy.decompress(body) == encoder.writeRequest(series))
        #expect(try body.count < encoder.writeRequest(series).count / 2)
    }

    @Test func headersAreTheSpecConstants() {
        let headers = Dictionary(uniqueKeysWithValues: RemoteWriteEncoder.headers.map { ($0.name, $0.value) })
        #expect(headers == [
            "Content-Encoding": "snappy",
            "Content-Type": "application/x-protobuf",
            "X-Prometheus-Remote-Write-Version": "0.1.0",
        ])
    }

    @Test func sampleFromDateTruncatesToMilliseconds() {
        #expect(RemoteWriteSample(value: 1, date: Date(timeIntervalSince1970: 1.2349)).timestampMilliseconds == 1234)
        #expect(RemoteWriteSample(value: 1, date: Date(timeIntervalSince1970: -0.0005)).timestampMilliseconds == -1)
        #expect(RemoteWriteSample.staleMarkerValue.isNaN)
        #expect(RemoteWriteSample.staleMarkerValue.bitPattern == 0x7FF0_0000_0000_0002)
    }

    @Test(arguments: [
        (RemoteWriteSeries(labels: ["job": "a"], samples: [.init(value: 1, timestampMilliseconds: 1)]), RemoteWriteError.Code.missingMetricName),
        (RemoteWriteSeries(labels: ["__name__": ""], samples: [.init(value: 1, timestampMilliseconds: 1)]), .missingMetricName),
        (RemoteWriteSeries(name: "1abc", samples: [.init(value: 1, timestampMilliseconds: 1)]), .invalidMetricName),
        (RemoteWriteSeries(name: "a-b", samples: [.init(value: 1, timestampMilliseconds: 1)]), .invalidMetricName),
        (RemoteWriteSeries(name: "ok:name", labels: ["bad:label": "x"], samples: [.init(value: 1, timestampMilliseconds: 1)]), .invalidLabelName),
        (RemoteWriteSeries(name: "ok", labels: ["__reserved": "x"], samples: [.init(value: 1, timestampMilliseconds: 1)]), .invalidLabelName),
        (RemoteWriteSeries(name: "ok", labels: ["é": "x"], samples: [.init(value: 1, timestampMilliseconds: 1)]), .invalidLabelName),
        (RemoteWriteSeries(name: "ok", samples: []), .noSamples),
        (RemoteWriteSeries(name: "ok", samples: [.init(value: 1, timestampMilliseconds: 1), .init(value: 2, timestampMilliseconds: 1)]), .duplicateTimestamp),
    ])
    func invalidSeriesAreRefused(_ series: RemoteWriteSeries, code: RemoteWriteError.Code) {
        do {
            _ = try encoder.encode([series])
            Issue.record("accepted \(series)")
        } catch {
            #expect(error.code == code, "\(error)")
        }
    }

    @Test func limitsAreEnforced() {
        let small = RemoteWriteEncoder(configuration: .init(maximumSeries: 2, maximumSamples: 3, maximumLabelsPerSeries: 2, maximumLabelBytes: 8))
        let one = RemoteWriteSample(value: 1, timestampMilliseconds: 1)
        let cases: [[RemoteWriteSeries]] = [
            Array(repeating: RemoteWriteSeries(name: "m", samples: [one]), count: 3),
            [RemoteWriteSeries(name: "m", samples: (0..<4).map { RemoteWriteSample(value: 1, timestampMilliseconds: Int64($0)) })],
            [RemoteWriteSeries(name: "m", labels: ["a": "1", "b": "2"], samples: [one])],
            [RemoteWriteSeries(name: "m", labels: ["a": "123456789"], samples: [one])],
        ]
        for series in cases {
            do {
                _ = try small.encode(series)
                Issue.record("accepted")
            } catch {
                #expect(error.code == .limitExceeded, "\(error)")
            }
        }
        #expect(throws: Never.self) { _ = try small.encode([RemoteWriteSeries(name: "m", labels: ["a": "12345678"], samples: [one])]) }
    }

    @Test func nameRules() {
        #expect(RemoteWriteEncoder.isValidMetricName("http_requests_total"))
        #expect(RemoteWriteEncoder.isValidMetricName(":recording:rule"))
        #expect(!RemoteWriteEncoder.isValidMetricName(""))
        #expect(!RemoteWriteEncoder.isValidMetricName("9lives"))
        #expect(RemoteWriteEncoder.isValidLabelName("_x9"))
        #expect(!RemoteWriteEncoder.isValidLabelName("a:b"))
        #expect(!RemoteWriteEncoder.isValidLabelName("a b"))
    }

    // MARK: Peers

    /// A mixed request with awkward values: NaN (plain and the stale marker), ±0, ±infinity,
    /// subnormals, negative and zero timestamps, multi-byte lengths and non-ASCII values.
    static func awkwardSeries() -> [RemoteWriteSeries] {
        var rng = TimeseriesSeededRandom(seed: 77)
        var series = [
            RemoteWriteSeries(name: "edge_values", labels: ["kind": "special", "text": "ünïcødé ✓ \"quoted\" \\ back"], samples: [
                .init(value: .nan, timestampMilliseconds: -5),
                .init(value: RemoteWriteSample.staleMarkerValue, timestampMilliseconds: 0),
                .init(value: -0.0, timestampMilliseconds: 1),
                .init(value: 0.0, timestampMilliseconds: 2),
                .init(value: .infinity, timestampMilliseconds: 3),
                .init(value: -.infinity, timestampMilliseconds: 4),
                .init(value: .leastNonzeroMagnitude, timestampMilliseconds: 5),
                .init(value: .greatestFiniteMagnitude, timestampMilliseconds: Int64.max),
                .init(value: 0.1, timestampMilliseconds: Int64.min),
            ]),
            RemoteWriteSeries(name: "long_label", labels: ["v": String(repeating: "x", count: 300)], samples: [.init(value: 42, timestampMilliseconds: 1_700_000_000_123)]),
        ]
        for i in 0..<40 {
            series.append(RemoteWriteSeries(
                name: "random_metric_\(i % 5)", labels: ["instance": "host-\(i)", "shard": String(i % 3)],
                samples: (0..<Int.random(in: 1...30, using: &rng)).map { k in
                    RemoteWriteSample(value: Double.random(in: -1e6...1e6, using: &rng), timestampMilliseconds: 1_700_000_000_000 + Int64(k) * 1000)
                }))
        }
        return series
    }

    /// What the peer should find, label pairs in wire order and values as bit patterns.
    static func expectation(_ series: [RemoteWriteSeries]) -> JSONValue {
        var merged: [[String: String]: [RemoteWriteSample]] = [:]
        var order: [[String: String]] = []
        for s in series {
            if merged[s.labels] == nil { order.append(s.labels) }
            merged[s.labels, default: []] += s.samples
        }
        return .array(order.map { labels in
            let pairs = labels.filter { !$0.value.isEmpty }.sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
            let samples = (merged[labels] ?? []).sorted { $0.timestampMilliseconds < $1.timestampMilliseconds }
            return [
                "labels": .array(pairs.map { [.string($0.key), .string($0.value)] }),
                "samples": .array(samples.map { [.string(String($0.value.bitPattern, radix: 16)), .int($0.timestampMilliseconds)] }),
            ]
        })
    }

    /// The official protobuf runtime parses our WriteRequest to exactly the samples we put
    /// in, re-serializes it to the same bytes, and python-snappy/cramjam read our body.
    @Test(.enabled(if: TimeseriesPeerPython.enabled, "set FLOWGATE_PYTHON to a Python with protobuf, python-snappy and cramjam"))
    func pythonProtobufParsesTheRequest() async throws {
        guard TimeseriesPeerPython.interpreter != nil else {
            Issue.record("FLOWGATE_REQUIRE_PEERS=1 but FLOWGATE_PYTHON is not set")
            return
        }
        let dir = try TimeseriesPeerPython.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let series = Self.awkwardSeries()
        try Data(try encoder.encode(series)).write(to: dir.appendingPathComponent("body.snappy"))
        try Data(try encoder.writeRequest(series)).write(to: dir.appendingPathComponent("request.pb"))
        try Self.expectation(series).serialized().write(to: dir.appendingPathComponent("expected.json"), atomically: true, encoding: .utf8)
        let result = try await TimeseriesPeerPython.run(script: Self.peerScript, arguments: [dir.path], in: dir)
        if TimeseriesPeerPython.skipForMissingModules(result) { return }
        try #require(result.status == 0, "\(result.output)")
        #expect(result.output.contains("ok 42 series"), "\(result.output)")
    }

    /// Builds `prometheus.WriteRequest` from a hand-written descriptor (no protoc).
    static let peerScript = #"""
    import sys, os, json, struct
    try:
        import snappy, cramjam
        from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
    except ImportError as e:
        print("missing peer module:", e); sys.exit(3)
    d = sys.argv[1]
    F = descriptor_pb2.FieldDescriptorProto
    fdp = descriptor_pb2.FileDescriptorProto(name="flowgate_remote.proto", package="prometheus", syntax="proto3")
    def message(name, fields):
        m = fdp.message_type.add(name=name)
        for fname, number, ftype, label, type_name in fields:
            f = m.field.add(name=fname, number=number, type=ftype, label=label)
            if type_name: f.type_name = type_name
    message("Label", [("name", 1, F.TYPE_STRING, F.LABEL_OPTIONAL, None), ("value", 2, F.TYPE_STRING, F.LABEL_OPTIONAL, None)])
    message("Sample", [("value", 1, F.TYPE_DOUBLE, F.LABEL_OPTIONAL, None), ("timestamp", 2, F.TYPE_INT64, F.LABEL_OPTIONAL, None)])
    message("TimeSeries", [("labels", 1, F.TYPE_MESSAGE, F.LABEL_REPEATED, ".prometheus.Label"),
                           ("samples", 2, F.TYPE_MESSAGE, F.LABEL_REPEATED, ".prometheus.Sample")])
    message("WriteRequest", [("timeseries", 1, F.TYPE_MESSAGE, F.LABEL_REPEATED, ".prometheus.TimeSeries")])
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    WriteRequest = message_factory.GetMessageClass(pool.FindMessageTypeByName("prometheus.WriteRequest"))

    body = open(os.path.join(d, "body.snappy"), "rb").read()
    raw = open(os.path.join(d, "request.pb"), "rb").read()
    expected = json.load(open(os.path.join(d, "expected.json")))
    if snappy.decompress(body) != raw or bytes(cramjam.snappy.decompress_raw(body)) != raw:
        print("snappy body does not decompress to the protobuf"); sys.exit(1)
    req = WriteRequest()
    req.ParseFromString(raw)
    got = []
    for ts in req.timeseries:
        got.append({
            "labels": [[l.name, l.value] for l in ts.labels],
            "samples": [[format(struct.unpack("<Q", struct.pack("<d", s.value))[0], "x"), s.timestamp] for s in ts.samples],
        })
    if got != expected:
        for i, (g, e) in enumerate(zip(got, expected)):
            if g != e: print("series", i, "differs:\n got", g, "\n want", e); break
        print("got", len(got), "series, want", len(expected)); sys.exit(1)
    again = req.SerializeToString(deterministic=True)
    if again != raw:
        print("re-serialized bytes differ: ours", len(raw), "theirs", len(again)); sys.exit(1)
    print("ok", len(got), "series")
    """#
}
