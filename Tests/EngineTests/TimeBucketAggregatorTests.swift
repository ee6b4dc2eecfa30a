import Engine
import JSON
import Testing

@Suite struct TimeBucketAggregatorTests {
    typealias Aggregator = TimeBucketAggregator

    func aggregator(_ function: Aggregator.Function, bucket: Int = 60, groupBy: [String] = []) throws -> Aggregator {
        try Aggregator(configuration: .init(bucketSeconds: bucket, groupBy: groupBy, function: function))
    }

    func values(_ function: Aggregator.Function, _ samples: [(Double, Double)], bucket: Int = 60) throws -> [Aggregator.Bucket] {
        let points = samples.map { Aggregator.Point(timestamp: $0.0, value: $0.1) }
        return try aggregator(function, bucket: bucket).aggregate(points).first?.points ?? []
    }

    // MARK: Functions

    @Test func basicReductions() throws {
        let samples: [(Double, Double)] = [(0, 4), (10, 1), (20, 7), (59.9, 3), (60, 100)]
        #expect(try values(.count, samples) == [.init(timestamp: 0, value: 4), .init(timestamp: 60, value: 1)])
        #expect(try values(.sum, samples) == [.init(timestamp: 0, value: 15), .init(timestamp: 60, value: 100)])
        #expect(try values(.avg, samples) == [.init(timestamp: 0, value: 3.75), .init(timestamp: 60, value: 100)])
        #expect(try values(.min, samples) == [.init(timestamp: 0, value: 1), .init(timestamp: 60, value: 100)])
        #expect(try values(.max, samples) == [.init(timestamp: 0, value: 7), .init(timestamp: 60, value: 100)])
    }

    /// Expected values are numpy.percentile's default (linear) results, worked by hand:
    /// for [1, 2, 3, 4], p90 has h = 3 × 0.9 = 2.7, so 3 + 0.7 × (4 − 3) = 3.7.
    @Test(arguments: [
        ([1.0, 2, 3, 4], 0.9, 3.7),
        ([1.0, 2, 3, 4], 0.5, 2.5),
        ([4.0, 1, 3, 2], 0.5, 2.5),
        ([10.0, 20], 0.99, 19.9),
        ([1.0, 2, 3, 4, 5], 0.5, 3.0),
        ([1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.99, 9.91),
        ([1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9, 9.1),
        ([7.0], 0.99, 7.0),
        ([3.0, 1, 2], 0.0, 1.0),
        ([3.0, 1, 2], 1.0, 3.0),
        ([-5.0, 5], 0.25, -2.5),
    ])
    func quantilesInterpolateLinearly(_ input: [Double], _ q: Double, _ expected: Double) throws {
        let function = try #require(Aggregator.Function.quantile(q))
        let result = try values(function, input.enumerated().map { (Double($0.offset), $0.element) })
        let value = try #require(result.first?.value)
        #expect(abs(value - expected) < 1e-12, "q=\(q) of \(input): \(value)")
    }

    @Test func namedPercentiles() throws {
        let samples = (1...100).map { (Double($0 % 60), Double($0)) }  // one bucket, values 1...100
        #expect(try values(.p50, samples).first?.value == 50.5)
        #expect(try abs((values(.p90, samples).first?.value ?? 0) - 90.1) < 1e-9)
        #expect(try abs((values(.p99, samples).first?.value ?? 0) - 99.01) < 1e-9)
    }

    @Test func functionNames() throws {
        #expect(Aggregator.Function(name: "avg") == .avg)
        #expect(Aggregator.Function(name: "mean") == .avg)
        #expect(Aggregator.Function(name: "p99") == .p99)
        #expect(Aggregator.Function(name: "p95")?.name == "p95")
        #expect(Aggregator.Function(name: "p99.9")?.name == "p99.9")
        #expect(Aggregator.Function(name: "p0")?.name == "p0")
        #expect(Aggregator.Function(name: "p100")?.name == "p100")
        #expect(Aggregator.Function(name: "p101") == nil)
        #expect(Aggregator.Function(name: "p") == nil)
        #expect(Aggregator.Function(name: "p-1") == nil)
        #expect(Aggregator.Function(name: "pnan") == nil)
        #expect(Aggregator.Function(name: "median") == nil)
        #expect(Aggregator.Function.quantile(1.5) == nil)
        #expect(Aggregator.Function.quantile(0.5) == .p50)
    }

    @Test func rateHandlesCounterResets() throws {
        // 10 → 20 (+10), reset to 5 (+5), 5 → 15 (+10): 25 over 30 s.
        let rate = try values(.rate, [(0, 10), (10, 20), (20, 5), (30, 15)])
        #expect(rate.count == 1)
        #expect(abs((rate.first?.value ?? 0) - 25.0 / 30.0) < 1e-12)
        // Out-of-order input is sorted by time first.
        #expect(try values(.rate, [(30, 15), (0, 10), (20, 5), (10, 20)]) == rate)
        // A plain increasing counter.
        #expect(try values(.rate, [(0, 100), (60, 160)], bucket: 120) == [.init(timestamp: 0, value: 1)])
    }

    @Test func rateNeedsTwoSamplesAtDifferentTimes() throws {
        #expect(try values(.rate, [(5, 1)]).isEmpty)
        #expect(try values(.rate, [(5, 1), (5, 3)]).isEmpty)
        // A bucket without a rate is left out; its neighbours stay.
        #expect(try values(.rate, [(0, 0), (30, 30), (65, 1), (125, 0), (130, 10)]).map(\.timestamp) == [0, 120])
    }

    @Test func sumsAreCompensated() throws {
        let sum = try values(.sum, [(0, 1e16), (1, 1), (2, -1e16)])
        #expect(sum.first?.value == 1)
        let avg = try values(.avg, Array(repeating: (0.0, 0.1), count: 10))
        #expect(avg.first?.value == 0.1)
    }

    // MARK: Buckets and groups

    @Test func bucketsAlignToTheEpochIncludingNegativeTimes() throws {
        let result = try values(.count, [(-0.5, 1), (-60, 1), (-61, 1), (0, 1), (299.999, 1), (300, 1)], bucket: 300)
        #expect(result == [.init(timestamp: -300, value: 3), .init(timestamp: 0, value: 2), .init(timestamp: 300, value: 1)])
        let hour = try values(.count, [(1_700_000_123, 1)], bucket: 3600)
        #expect(hour.first?.timestamp == 1_699_999_200)
    }

    @Test func groupsBySelectedLabelsOnly() throws {
        let points = [
            Aggregator.Point(timestamp: 0, value: 1, labels: ["host": "b", "path": "/x"]),
            Aggregator.Point(timestamp: 1, value: 2, labels: ["host": "a", "path": "/y"]),
            Aggregator.Point(timestamp: 2, value: 3, labels: ["host": "b", "path": "/z"]),
            Aggregator.Point(timestamp: 3, value: 4, labels: ["path": "/x"]),
            Aggregator.Point(timestamp: 4, value: 5, labels: ["host": "", "path": "/x"]),
        ]
        let series = try aggregator(.sum, groupBy: ["host"]).aggregate(points)
        // Missing label first, then values in byte order; the empty string is a value.
        #expect(series.map(\.labels) == [[:], ["host": ""], ["host": "a"], ["host": "b"]])
        #expect(series.map { $0.points.map(\.value) } == [[4], [5], [2], [4]])
        // No grouping: one series.
        #expect(try aggregator(.sum).aggregate(points).map(\.points) == [[.init(timestamp: 0, value: 15)]])
    }

    @Test func seriesOrderComparesLabelsByName() throws {
        let points = [
            Aggregator.Point(timestamp: 0, value: 1, labels: ["b": "1", "a": "2"]),
            Aggregator.Point(timestamp: 0, value: 1, labels: ["b": "2", "a": "1"]),
            Aggregator.Point(timestamp: 0, value: 1, labels: ["b": "1", "a": "1"]),
        ]
        // groupBy order does not matter: labels compare in name order (a, then b).
        let series = try aggregator(.count, groupBy: ["b", "a", "b"]).aggregate(points)
        #expect(series.map(\.labels) == [["a": "1", "b": "1"], ["a": "1", "b": "2"], ["a": "2", "b": "1"]])
    }

    // MARK: JSON

    @Test func extractsFromJSONAndReportsInvalidItems() throws {
        let items = try JSONValue.parse(#"""
        [
          {"timestamp": 1700000000, "value": 1, "labels": {"host": "a", "code": 200}},
          {"timestamp": "2023-11-14T22:13:30Z", "value": 2.5, "labels": {"host": "a"}},
          {"timestamp": 1700000010.5, "labels": {"host": "a"}},
          {"timestamp": 1700000010, "value": "12", "labels": {"host": "a"}},
          {"timestamp": 1700000010, "value": true},
          {"timestamp": "yesterday", "value": 1},
          {"timestamp": 1700000000000, "value": 1},
          {"value": 1},
          {"timestamp": 1700000000, "value": 1, "labels": ["host", "a"]},
          {"timestamp": 1700000000, "value": 1, "labels": {"host": {"nested": 1}}},
          {"timestamp": 1700000075, "value": null, "labels": {"host": "b"}},
          {"timestamp": 1700000075, "value": 9, "labels": {"host": "b", "gone": null}},
          "not an object"
        ]
        """#).arrayValue ?? []
        let agg = try Aggregator(configuration: .init(bucketSeconds: 60, groupBy: ["host"], function: .sum))
        let result = try agg.aggregate(items: items)
        #expect(result.series == [
            .init(labels: ["host": "a"], points: [.init(timestamp: 1_699_999_980, value: 3.5)]),
            .init(labels: ["host": "b"], points: [.init(timestamp: 1_700_000_040, value: 9)]),
        ])
        #expect(result.invalid.count == 10)
        #expect(result.invalid.byReason == [
            "missing value": 3, "non-numeric value": 2, "invalid timestamp": 2, "missing timestamp": 1, "invalid labels": 2,
        ])
        #expect(result.invalid.examples.map(\.index) == [2, 3, 4, 5, 6, 7, 8, 9, 10, 12])
        #expect(result.invalid.examples.first { $0.index == 6 }?.reason.contains("milliseconds given as seconds?") == true)
        #expect(result.invalid.examples.first { $0.index == 3 }?.reason == "value is a string, not a number")
    }

    @Test func jsonOutputIsStable() throws {
        let items: [JSONValue] = [
            ["timestamp": 120, "value": 2, "labels": ["job": "api"]],
            ["timestamp": 130, "value": 4, "labels": ["job": "api"]],
            ["timestamp": 10, "value": 1, "labels": ["job": "db"]],
            ["timestamp": 10],
        ]
        let agg = try Aggregator(configuration: .init(bucketSeconds: 60, groupBy: ["job"], function: .max))
        let json = try agg.aggregate(items: items).json.serialized()
        #expect(json == #"{"bucket_seconds":60,"function":"max","invalid":{"count":1,"examples":[{"index":3,"reason":"no value at value"}],"reasons":{"missing value":1}},"series":[{"labels":{"job":"api"},"points":[{"timestamp":120,"value":4.0}]},{"labels":{"job":"db"},"points":[{"timestamp":0,"value":1.0}]}]}"#)
    }

    @Test func configurableFieldPaths() throws {
        let items: [JSONValue] = [
            ["payload": ["ts": "2024-01-01T00:00:30+01:00", "reading": ["celsius": 20]], "host": "a", "dotted.key": "x"],
            ["payload": ["ts": "2024-01-01T00:00:45.5+01:00", "reading": ["celsius": 22]], "host": "a", "dotted.key": "x"],
        ]
        let agg = try Aggregator(configuration: .init(
            timestampField: "payload.ts", valueField: "payload.reading.celsius", labelsField: nil, labelFields: ["host", "dotted.key"],
            bucketSeconds: 60, groupBy: ["host", "dotted.key"], function: .avg))
        let result = try agg.aggregate(items: items)
        #expect(result.invalid.count == 0)
        #expect(result.series == [.init(labels: ["host": "a", "dotted.key": "x"], points: [.init(timestamp: 1_704_063_600, value: 21)])])
    }

    @Test func millisecondTimestampsAndNumericStrings() throws {
        let agg = try Aggregator(configuration: .init(bucketSeconds: 1, function: .sum, numericTimestampsInMilliseconds: true, acceptNumericStrings: true))
        let result = try agg.aggregate(items: [
            ["timestamp": 1500, "value": "2.5"], ["timestamp": 1999, "value": "-1e1"], ["timestamp": 1000, "value": "nan"], ["timestamp": 1000, "value": "0x10"],
        ])
        #expect(result.series.first?.points == [.init(timestamp: 1, value: -7.5)])
        #expect(result.invalid.byReason == ["non-numeric value": 2])
    }

    @Test func rfc3339Parsing() throws {
        let agg = try Aggregator(configuration: .init(bucketSeconds: 1, function: .count))
        func bucket(_ text: String) throws -> Int64? {
            try agg.aggregate(items: [["timestamp": .string(text), "value": 1]]).series.first?.points.first?.timestamp
        }
        #expect(try bucket("2024-03-10T07:00:00Z") == 1_710_054_000)
        #expect(try bucket("2024-03-10t07:00:00z") == 1_710_054_000)
        #expect(try bucket("2024-03-10 02:00:00-05:00") == 1_710_054_000)
        #expect(try bucket("2024-03-10T07:00:00.999999999Z") == 1_710_054_000)
        #expect(try bucket("1969-12-31T23:59:59.5Z") == -1)
        #expect(try bucket("2024-02-29T00:00:00Z") == 1_709_164_800)
        for bad in ["2023-02-29T00:00:00Z", "2024-03-10T24:00:00Z", "2024-03-10T07:00:00", "2024-03-10T07:00:60Z", "2024-3-10T07:00:00Z",
                    "2024-03-10T07:00:00.Z", "2024-03-10T07:00:00+0500", "2024-03-10T07:00:00Zjunk", "2024-13-01T00:00:00Z"] {
            #expect(try bucket(bad) == nil, "\(bad)")
        }
    }

    // MARK: Limits

    @Test func configurationIsChecked() {
        for config in [
            Aggregator.Configuration(bucketSeconds: 0), .init(bucketSeconds: 315_360_001), .init(timestampField: ""),
            .init(labelsField: ""), .init(groupBy: (0..<65).map(String.init)), .init(maximumPoints: -1),
        ] {
            do {
                _ = try Aggregator(configuration: config)
                Issue.record("accepted \(config)")
            } catch {
                #expect(error.code == .invalidConfiguration)
            }
        }
    }

    @Test func limitsThrowInsteadOfGrowing() throws {
        let agg = try Aggregator(configuration: .init(groupBy: ["id"], function: .count, maximumPoints: 100, maximumSeries: 5))
        let tooManySeries = (0..<6).map { Aggregator.Point(timestamp: 0, value: 1, labels: ["id": String($0)]) }
        #expect(throws: TimeBucketAggregationError.self) { _ = try agg.aggregate(tooManySeries) }
        let tooManyPoints = (0..<101).map { _ in Aggregator.Point(timestamp: 0, value: 1) }
        do {
            _ = try agg.aggregate(tooManyPoints)
            Issue.record("accepted")
        } catch {
            #expect(error.code == .limitExceeded)
        }
        #expect(throws: TimeBucketAggregationError.self) { _ = try agg.aggregate(items: Array(repeating: .null, count: 101)) }
    }

    @Test func invalidExamplesAreCapped() throws {
        let agg = try Aggregator(configuration: .init(maximumInvalidExamples: 3))
        let result = try agg.aggregate(items: Array(repeating: ["timestamp": 1], count: 50))
        #expect(result.invalid.count == 50)
        #expect(result.invalid.examples.count == 3)
    }

    @Test func nonFiniteAndOutOfRangePointsAreSkipped() throws {
        let points = [
            Aggregator.Point(timestamp: 0, value: .nan), Aggregator.Point(timestamp: .infinity, value: 1),
            Aggregator.Point(timestamp: 1e300, value: 1), Aggregator.Point(timestamp: 0, value: 2),
        ]
        #expect(try aggregator(.sum).aggregate(points) == [.init(labels: [:], points: [.init(timestamp: 0, value: 2)])])
    }

    /// Randomized: every function agrees with a direct computation per bucket.
    @Test func randomizedAgainstDirectComputation() throws {
        var rng = TimeseriesSeededRandom(seed: 123)
        for _ in 0..<50 {
            let width = [1, 10, 60, 3600][Int.random(in: 0..<4, using: &rng)]
            let points = (0..<Int.random(in: 1...200, using: &rng)).map { _ in
                Aggregator.Point(timestamp: Double.random(in: -10_000...10_000, using: &rng), value: Double(Int.random(in: -50...50, using: &rng)))
            }
            var byBucket: [Int64: [Double]] = [:]
            for p in points {
                let b = Int64((p.timestamp / Double(width)).rounded(.down)) * Int64(width)
                byBucket[b, default: []].append(p.value)
            }
            let keys = byBucket.keys.sorted()
            #expect(try values(.count, points.map { ($0.timestamp, $0.value) }, bucket: width).map(\.value) == keys.map { Double(byBucket[$0]?.count ?? 0) })
            #expect(try values(.sum, points.map { ($0.timestamp, $0.value) }, bucket: width).map(\.value) == keys.map { byBucket[$0]?.reduce(0, +) ?? 0 })
            #expect(try values(.max, points.map { ($0.timestamp, $0.value) }, bucket: width).map(\.value) == keys.map { byBucket[$0]?.max() ?? 0 })
            #expect(try values(.p50, points.map { ($0.timestamp, $0.value) }, bucket: width).map(\.timestamp) == keys)
        }
    }
}
