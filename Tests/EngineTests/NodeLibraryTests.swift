import FlowgateTesting
import Foundation
import JSON
import Logging
import Testing

@testable import Engine

/// What the node tests share: a step context and error capture.
enum NodeTestSupport {
    /// The context of step `n` of run `run-1`; its idempotency key is `run-1:n:0`.
    static func context(dryRun: Bool = false) -> NodeContext {
        NodeContext(
            tenant: "acme", runID: "run-1", nodeID: "n", traceID: String(repeating: "a", count: 32), spanID: String(repeating: "b", count: 16),
            idempotencyKey: "run-1:n:0", logger: Logger(label: "node-test"), dryRun: dryRun
        )
    }

    /// Runs `node` on `input` (on port `in`) and returns the value on `out`.
    static func run(_ node: some NodeType, _ config: JSONValue, _ input: JSONValue, dryRun: Bool = false) async throws -> JSONValue {
        // Configs in tests must be what a saved workflow could hold.
        let violations = JSONSchemaValidator.validate(config, against: node.descriptor.configSchema, path: "config")
        #expect(violations.isEmpty, "\(violations)")
        let outputs = try await node.execute(config: config, input: ["in": input], context: context(dryRun: dryRun))
        return outputs["out"] ?? .null
    }

    /// The ``NodeError`` `body` throws; records an issue when it throws nothing or another error.
    static func failure(_ body: () async throws -> Void) async -> NodeError? {
        do {
            try await body()
            Issue.record("expected a NodeError, got success")
        } catch let error as NodeError {
            return error
        } catch {
            Issue.record("expected a NodeError, got \(error)")
        }
        return nil
    }

    /// Aggregator-shaped series: two hosts, points at whole minutes.
    static let series: JSONValue = [
        "function": "avg", "bucket_seconds": 60,
        "series": [
            ["labels": ["host": "a", "region": "eu"], "points": [["timestamp": 1_700_000_040, "value": 2.0], ["timestamp": 1_700_000_100, "value": 2.5]]],
            ["labels": ["host": "b"], "points": [["timestamp": 1_700_000_040, "value": -1], ["timestamp": 1_700_000_100, "value": nil]]],
        ],
        "invalid": ["count": 0, "reasons": [:], "examples": []],
    ]
}

@Suite struct NodeRegistryTests {
    @Test func theStandardCatalogHasEveryNodeWithStrictSchemas() {
        let registry = NodeTypeRegistry.standard(jq: nil, sql: nil)
        let names = Set(registry.descriptors.map(\.name))
        for name in ["jq", "sql", "timeseries.aggregate", "sink.prometheus", "sink.influx", "sink.http", "chart", "http.request", "core.set"] {
            #expect(names.contains(name), "\(name)")
        }
        #expect(NodeTypeRegistry.builtIn["jq"] == nil, "script nodes need runners")
        for descriptor in registry.descriptors {
            #expect(descriptor.configSchema["type"] == "object", "\(descriptor.name)")
            #expect(descriptor.configSchema["additionalProperties"] == false, "\(descriptor.name)")
        }
        for name in ["sink.prometheus", "sink.influx", "sink.http"] { #expect(registry[name]?.descriptor.mode == .sink) }
        for name in ["jq", "sql"] { #expect(registry[name]?.descriptor.mode == .script) }
        // Sinks' network failures are worth retrying; scripts' failures are not.
        #expect(registry["sink.prometheus"]?.descriptor.limits.maxAttempts == 3)
        #expect(registry["jq"]?.descriptor.limits.maxAttempts == 1)
    }

    @Test func checksNameTheNodeAndFieldOfEachProblem() async throws {
        let executor = SQLBatchExecutor()
        defer { executor.shutdown() }
        try await JQTestSupport.withRunner(workers: 1) { (runner) async throws in
            let registry = NodeTypeRegistry.standard(jq: runner, sql: executor)
            let definition = try WorkflowDefinition.decode([
                "nodes": [
                    ["id": "extract", "type": "jq", "config": ["program": ".samples | map(.v"]],
                    ["id": "fine", "type": "jq", "config": ["program": ".samples"]],
                    ["id": "query", "type": "sql", "config": ["query": "SELEC * FROM items"]],
                    ["id": "agg", "type": "timeseries.aggregate", "config": ["function": "median"]],
                ],
                "edges": [],
            ])
            try WorkflowValidator(registry: registry).validate(definition)
            do {
                try await registry.check(definition)
                Issue.record("expected problems")
            } catch let error as WorkflowValidationError {
                #expect(error.problems.map(\.node) == ["extract", "query", "agg"])
                #expect(error.problems.map(\.field) == ["config.program", "config.query", "config.function"])
                #expect(error.problems[0].message.contains("does not compile"), "\(error.problems[0].message)")
                #expect(error.problems[1].message.contains("syntax error"), "\(error.problems[1].message)")
            } catch {
                Issue.record("expected a WorkflowValidationError, got \(error)")
            }
        }
    }

    @Test func scriptNodesWithoutRunnersFailCleanly() async throws {
        let registry = NodeTypeRegistry.standard(jq: nil, sql: nil)
        let jq = try #require(registry["jq"])
        let jqFailure = await NodeTestSupport.failure { _ = try await NodeTestSupport.run(jq, ["program": "."], 1) }
        #expect(jqFailure?.message.contains("not available") == true)
        // Nothing can be checked without a runner; the step says so when it runs.
        #expect(await jq.check(config: ["program": "((("]).isEmpty)
    }
}

@Suite struct JQNodeTests {
    @Test func emitsAllResultsOrTheFirst() async throws {
        try await JQTestSupport.withRunner(workers: 1) { (runner) async throws in
            let node = JQNode(runner: runner)
            let input: JSONValue = ["samples": [["v": 1], ["v": 2.5], ["v": 3]]]
            #expect(try await NodeTestSupport.run(node, ["program": ".samples[] | .v"], input) == [1, 2.5, 3])
            #expect(try await NodeTestSupport.run(node, ["program": ".samples[] | .v", "emit": "all"], input) == [1, 2.5, 3])
            #expect(try await NodeTestSupport.run(node, ["program": ".samples[] | .v", "emit": "first"], input) == 1)
            #expect(try await NodeTestSupport.run(node, ["program": "empty", "emit": "first"], input) == .null)
            #expect(try await NodeTestSupport.run(node, ["program": "empty"], input) == [])
            let samples = input["samples"] ?? .null
            #expect(try await NodeTestSupport.run(node, ["program": "map(.v) | add", "emit": "first"], samples) == 6.5)
        }
    }

    @Test func jqErrorsFailTheStepWithJQsMessage() async throws {
        try await JQTestSupport.withRunner(workers: 1) { (runner) async throws in
            let node = JQNode(runner: runner)
            let failure = await NodeTestSupport.failure { _ = try await NodeTestSupport.run(node, ["program": #"error("bad sample")"#], 1) }
            #expect(failure?.message == "jq error: bad sample")
            #expect(failure?.isRetryable == false)
            let typeError = await NodeTestSupport.failure { _ = try await NodeTestSupport.run(node, ["program": ".a + 1"], "text") }
            #expect(typeError?.message.contains("Cannot index string") == true, "\(String(describing: typeError))")
        }
    }

    @Test func runawayProgramsFailTheStepAndTheRunnerCarriesOn() async throws {
        try await JQTestSupport.withRunner(workers: 1) { (runner) async throws in
            let node = JQNode(runner: runner)
            let started = ContinuousClock.now
            let timeout = await NodeTestSupport.failure {
                _ = try await NodeTestSupport.run(node, ["program": "last(range(1e12))", "timeout_ms": 300], nil)
            }
            #expect(timeout?.message.contains("did not finish") == true, "\(String(describing: timeout))")
            #expect(timeout?.isRetryable == false)
            // Generous: in a full parallel test run on two cores, synchronous tests can hold the
            // cooperative pool for many seconds; the runaway itself would run for hours.
            #expect(ContinuousClock.now - started < .seconds(60))
            // A memory bomb dies at the worker's address-space limit.
            let memory = await NodeTestSupport.failure {
                _ = try await NodeTestSupport.run(node, ["program": #"reduce range(40) as $i ("x"; . + .) | length"#, "timeout_ms": 10_000], nil)
            }
            #expect(memory?.isRetryable == false)
            #expect(memory?.message.contains("memory") == true, "\(String(describing: memory))")
            // The next step gets a fresh worker.
            #expect(try await NodeTestSupport.run(node, ["program": ". + 1", "emit": "first"], 41) == 42)
        }
    }

    @Test func oversizedOutputsFailTheStep() async throws {
        try await JQTestSupport.withRunner(workers: 1) { (runner) async throws in
            let node = JQNode(runner: runner)
            let failure = await NodeTestSupport.failure {
                _ = try await NodeTestSupport.run(node, ["program": "[range(1000)]", "max_output_bytes": 100], nil)
            }
            #expect(failure?.message.contains("more than the limit of 100 bytes") == true, "\(String(describing: failure))")
        }
    }

    @Test func theWorkerLimitsFitTheFlowgateBinary() async throws {
        // The server's address-space limit must leave jq room above the binary's own mappings.
        let limits = ScriptRunners.Configuration.serverJQLimits
        try await JQTestSupport.withRunner(workers: 1, limits: limits) { (runner) async throws in
            let outputs = try await runner.run("[range(200000)] | length", inputs: [nil], timeout: .seconds(20))
            #expect(outputs == [[200_000]])
            let pid = try #require(runner.workerPIDs.first)
            let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
            // One thread: the worker was dispatched before anything started another.
            #expect(status.contains("Threads:\t1\n"), "\(status)")
        }
    }
}

@Suite struct TimeseriesAggregateNodeTests {
    static let items: [JSONValue] = [
        ["ts": 120, "v": 1, "host": "a"], ["ts": 150, "v": 3, "host": "a"], ["ts": 185, "v": 10, "host": "a"],
        ["ts": 121, "v": 5, "host": "b"], ["ts": "1970-01-01T00:02:59Z", "v": 7, "host": "b"], ["host": "c"],
    ]

    @Test func bucketsGroupsAndReduces() async throws {
        let config: JSONValue = [
            "bucket_seconds": 60, "function": "avg", "group_by": ["host"], "timestamp_field": "ts", "value_field": "v",
            "labels_field": nil, "label_fields": ["host"],
        ]
        let out = try await NodeTestSupport.run(TimeseriesAggregateNode(), config, .array(Self.items))
        #expect(out["function"] == "avg")
        #expect(out["bucket_seconds"] == 60)
        #expect(out["series"] == [
            ["labels": ["host": "a"], "points": [["timestamp": 120, "value": 2.0], ["timestamp": 180, "value": 10.0]]],
            ["labels": ["host": "b"], "points": [["timestamp": 120, "value": 6.0]]],
        ])
        #expect(out["invalid"]?["count"] == 1)
        #expect(out["invalid"]?["reasons"] == ["missing value": 1])
    }

    @Test(arguments: [
        ("count", 4.0), ("sum", 10.0), ("avg", 2.5), ("min", 1.0), ("max", 4.0), ("p50", 2.5), ("p90", 3.7), ("p99", 3.97),
    ])
    func everyFunctionReducesABucket(function: String, expected: Double) async throws {
        let items: [JSONValue] = [1, 4, 2, 3].enumerated().map { ["timestamp": .int(Int64(600 + $0.offset)), "value": .int(Int64($0.element))] }
        let out = try await NodeTestSupport.run(TimeseriesAggregateNode(), ["function": .string(function)], .array(items))
        let value = try #require(out["series"]?[0]?["points"]?[0]?["value"]?.doubleValue)
        #expect(abs(value - expected) < 1e-9, "\(function): \(value)")
    }

    @Test func rateHandlesCounterResets() async throws {
        // 10 -> 20 (+10) -> 5 (reset: +5) over 20 s.
        let items: [JSONValue] = [["timestamp": 0, "value": 10], ["timestamp": 10, "value": 20], ["timestamp": 20, "value": 5]]
        let out = try await NodeTestSupport.run(TimeseriesAggregateNode(), ["function": "rate", "bucket_seconds": 60], .array(items))
        #expect(out["series"]?[0]?["points"] == [["timestamp": 0, "value": 0.75]])
    }

    @Test func badConfigsAndInputsAreRefused() async throws {
        let node = TimeseriesAggregateNode()
        #expect(await node.check(config: ["function": "median"]).map(\.field) == ["config.function"])
        #expect(await node.check(config: ["function": "p99.9"]).isEmpty)
        let notArray = await NodeTestSupport.failure { _ = try await NodeTestSupport.run(node, [:], ["a": 1]) }
        #expect(notArray?.message.contains("array") == true)
        let tooMany = await NodeTestSupport.failure {
            _ = try await NodeTestSupport.run(node, ["max_series": 1, "group_by": ["host"]], .array(Self.items.map { item in
                ["timestamp": item["ts"] ?? .null, "value": item["v"] ?? .null, "labels": ["host": item["host"] ?? .null]]
            }))
        }
        #expect(tooMany?.message.contains("more than 1 series") == true, "\(String(describing: tooMany))")
    }
}

@Suite struct PrometheusSinkNodeTests {
    @Test func writesTheSeriesAsRemoteWrite() async throws {
        let server = RecordingServer()
        try await server.run { (base) async throws in
            let config: JSONValue = [
                "url": .string(base + "/api/v1/write"), "metric": "flowgate_cpu", "labels": ["job": "pipeline"],
                "headers": ["X-Scope-OrgID": "acme", "Content-Type": "text/plain"],
            ]
            let out = try await NodeTestSupport.run(PrometheusSinkNode(), config, NodeTestSupport.series)
            #expect(out == ["status": 204, "series": 2, "samples": 3, "skipped_points": 1])
        }
        let request = try #require(server.requests.first)
        #expect(server.requests.count == 1)
        #expect(request.method == "POST")
        #expect(request.uri == "/api/v1/write")
        #expect(request.headers["content-encoding"] == "snappy")
        // The protocol's content type wins over a configured one.
        #expect(request.headers["content-type"] == "application/x-protobuf")
        #expect(request.headers["x-prometheus-remote-write-version"] == "0.1.0")
        #expect(request.headers["idempotency-key"] == "run-1:n:0")
        #expect(request.headers["x-scope-orgid"] == "acme")
        #expect(request.headers["traceparent"] == "00-\(String(repeating: "a", count: 32))-\(String(repeating: "b", count: 16))-01")
        let expected = try RemoteWriteEncoder().writeRequest([
            RemoteWriteSeries(name: "flowgate_cpu", labels: ["job": "pipeline", "host": "a", "region": "eu"], samples: [
                .init(value: 2.0, timestampMilliseconds: 1_700_000_040_000), .init(value: 2.5, timestampMilliseconds: 1_700_000_100_000),
            ]),
            RemoteWriteSeries(name: "flowgate_cpu", labels: ["job": "pipeline", "host": "b"], samples: [
                .init(value: -1, timestampMilliseconds: 1_700_000_040_000),
            ]),
        ])
        #expect(try Snappy.decompress(request.body) == expected)
    }

    @Test func aDryRunWritesNothingAndShowsWhatItWould() async throws {
        let server = RecordingServer()
        try await server.run { (base) async throws in
            let out = try await NodeTestSupport.run(
                PrometheusSinkNode(), ["url": .string(base + "/api/v1/write"), "metric": "m"], NodeTestSupport.series, dryRun: true
            )
            #expect(out["dry_run"] == true)
            #expect(out["would_write"]?["samples"] == 3)
            #expect(out["would_write"]?["series"]?[0] == [
                "labels": ["__name__": "m", "host": "a", "region": "eu"],
                "samples": [["timestamp_ms": 1_700_000_040_000, "value": 2.0], ["timestamp_ms": 1_700_000_100_000, "value": 2.5]],
            ])
        }
        #expect(server.requests.isEmpty)
    }

    @Test func serverErrorsAndUnreachableHostsAreRetryableClientErrorsAreNot() async throws {
        for (status, retryable) in [(503, true), (429, true), (400, false)] {
            let server = RecordingServer { _ in .init(status: status, contentType: "text/plain", body: Array("out of order sample".utf8)) }
            let failure = try await server.run { (base) async throws in
                await NodeTestSupport.failure { _ = try await NodeTestSupport.run(PrometheusSinkNode(), ["url": .string(base), "metric": "m"], NodeTestSupport.series) }
            }
            #expect(failure?.isRetryable == retryable, "\(status)")
            #expect(failure?.message.contains("HTTP \(status)") == true)
            #expect(failure?.message.contains("out of order sample") == true)
        }
        let unreachable = try unreachableURL()
        let failure = await NodeTestSupport.failure {
            // With a long deadline: a refused connection fails the attempt at once (the engine's
            // retry policy decides what next), not after the client retried until the deadline.
            _ = try await NodeTestSupport.run(PrometheusSinkNode(), ["url": .string(unreachable), "metric": "m", "timeout_ms": 60_000], NodeTestSupport.series)
        }
        #expect(failure?.isRetryable == true)
        #expect(failure?.message == "write to \(unreachable) failed: connection refused", "\(String(describing: failure))")
        let fetch = await NodeTestSupport.failure {
            _ = try await NodeTestSupport.run(HTTPRequestNode(), ["url": .string(unreachable + "/metrics"), "timeout_ms": 60_000], [:])
        }
        #expect(fetch?.isRetryable == true)
        #expect(fetch?.message.hasSuffix("failed: connection refused") == true, "\(String(describing: fetch))")
    }

    @Test func badSeriesAndNamesAreTheAuthorsMistake() async throws {
        let node = PrometheusSinkNode()
        let noName = await NodeTestSupport.failure { _ = try await NodeTestSupport.run(node, ["url": "http://127.0.0.1:1"], NodeTestSupport.series) }
        #expect(noName?.message.contains("__name__") == true)
        #expect(noName?.isRetryable == false)
        let badPoint = await NodeTestSupport.failure {
            _ = try await NodeTestSupport.run(node, ["url": "http://127.0.0.1:1", "metric": "m"], [["labels": [:], "points": [["timestamp": "yesterday", "value": 1]]]])
        }
        #expect(badPoint?.message == "series[0].points[0].timestamp is not an RFC 3339 date-time")
        #expect(await node.check(config: ["url": "http://x", "metric": "1bad", "labels": ["__x": "y"]]).map(\.field) == ["config.metric", "config.labels.__x"])
        let badHeader = await NodeTestSupport.failure {
            _ = try await NodeTestSupport.run(node, ["url": "http://127.0.0.1:1", "metric": "m", "headers": ["X-A": "a\r\nX-B: b"]], NodeTestSupport.series)
        }
        #expect(badHeader?.isRetryable == false)
    }
}

@Suite struct InfluxSinkNodeTests {
    @Test func writesLineProtocolInTheInfluxDB1Style() async throws {
        let server = RecordingServer()
        try await server.run { (base) async throws in
            let config: JSONValue = ["url": .string(base + "/"), "database": "metrics", "measurement": "cpu", "tags": ["dc": "x y"]]
            let out = try await NodeTestSupport.run(InfluxSinkNode(), config, NodeTestSupport.series)
            #expect(out == ["status": 204, "lines": 3, "skipped_points": 1])
        }
        let request = try #require(server.requests.first)
        #expect(request.uri == "/write?db=metrics&precision=ms")
        #expect(request.headers["idempotency-key"] == "run-1:n:0")
        #expect(String(decoding: request.body, as: UTF8.self) == """
            cpu,dc=x\\ y,host=a,region=eu value=2.0 1700000040000
            cpu,dc=x\\ y,host=a,region=eu value=2.5 1700000100000
            cpu,dc=x\\ y,host=b value=-1.0 1700000040000

            """)
    }

    @Test func writesToInfluxDB2WithATokenHeader() async throws {
        let server = RecordingServer()
        try await server.run { (base) async throws in
            let config: JSONValue = [
                "url": .string(base), "bucket": "ops metrics", "org": "acme", "measurement": "cpu", "field": "avg", "precision": "s",
                "headers": ["Authorization": "Token t0ken"],
            ]
            _ = try await NodeTestSupport.run(InfluxSinkNode(), config, NodeTestSupport.series)
        }
        let request = try #require(server.requests.first)
        #expect(request.uri == "/api/v2/write?org=acme&bucket=ops%20metrics&precision=s")
        #expect(request.headers["authorization"] == "Token t0ken")
        #expect(String(decoding: request.body, as: UTF8.self).hasPrefix("cpu,host=a,region=eu avg=2.0 1700000040\n"))
    }

    @Test func aDryRunWritesNothing() async throws {
        let server = RecordingServer()
        try await server.run { (base) async throws in
            let out = try await NodeTestSupport.run(
                InfluxSinkNode(), ["url": .string(base + "/prefix"), "database": "db", "retention_policy": "week", "measurement": "m", "precision": "us"],
                NodeTestSupport.series, dryRun: true
            )
            #expect(out["dry_run"] == true)
            #expect(out["would_write"]?["url"] == .string(base + "/prefix/write?db=db&rp=week&precision=u"))
            #expect(out["would_write"]?["lines"] == 3)
            #expect(out["would_write"]?["body"]?.stringValue?.hasPrefix("m,host=a,region=eu value=2.0 1700000040000000\n") == true)
        }
        #expect(server.requests.isEmpty)
    }

    @Test func endpointStylesAreExclusive() async {
        let node = InfluxSinkNode()
        #expect(await node.check(config: ["url": "http://x", "database": "d", "bucket": "b", "org": "o", "measurement": "m"]).map(\.field) == ["config"])
        #expect(await node.check(config: ["url": "http://x", "database": "d", "measurement": "_m"]).map(\.message) == [
            "measurement \"_m\" starts with _, which InfluxDB reserves for system use",
        ])
        #expect(await node.check(config: ["url": "http://x", "database": "d", "measurement": "m"]).isEmpty)
        let schema = node.descriptor.configSchema
        #expect(!JSONSchemaValidator.validate(["url": "http://x", "measurement": "m"], against: schema).isEmpty)
        #expect(!JSONSchemaValidator.validate(["url": "http://x", "bucket": "b", "measurement": "m"], against: schema).isEmpty)
    }
}

@Suite struct HTTPSinkNodeTests {
    @Test func sendsTheInputAsJSON() async throws {
        let server = RecordingServer { _ in .json(["accepted": true], status: 202) }
        let input: JSONValue = ["alert": "cpu high", "value": 97.5]
        try await server.run { (base) async throws in
            let out = try await NodeTestSupport.run(HTTPSinkNode(), ["url": .string(base + "/hook"), "method": "PUT", "headers": ["X-Token": "abc"]], input)
            #expect(out == ["status": 202, "body": ["accepted": true]])
        }
        let request = try #require(server.requests.first)
        #expect(request.method == "PUT")
        #expect(request.uri == "/hook")
        #expect(request.headers["content-type"] == "application/json")
        #expect(request.headers["x-token"] == "abc")
        #expect(request.headers["idempotency-key"] == "run-1:n:0")
        #expect(try JSONValue.parse(request.body) == input)
    }

    @Test func failuresAndDryRuns() async throws {
        let server = RecordingServer { _ in .init(status: 500) }
        try await server.run { (base) async throws in
            let failure = await NodeTestSupport.failure { _ = try await NodeTestSupport.run(HTTPSinkNode(), ["url": .string(base)], ["a": 1]) }
            #expect(failure?.isRetryable == true)
            #expect(server.requests.count == 1)
            let dry = try await NodeTestSupport.run(HTTPSinkNode(), ["url": .string(base + "/x?secret=1"), "headers": ["Authorization": "Bearer t"]], ["a": 1], dryRun: true)
            #expect(dry == ["dry_run": true, "would_write": ["method": "POST", "endpoint": .string(base), "headers": ["Authorization"], "body": ["a": 1]]])
            #expect(server.requests.count == 1)
        }
        let refused = await NodeTestSupport.failure { _ = try await NodeTestSupport.run(HTTPSinkNode(), ["url": "ftp://x"], nil) }
        #expect(refused?.isRetryable == false)
    }
}

@Suite struct ChartNodeTests {
    @Test func rendersSeriesWithEveryTextEscaped() async throws {
        let hostile = #"<script>alert("x")</script>"#
        let input: JSONValue = [
            "series": [
                ["labels": ["host": .string(hostile)], "points": [["timestamp": 1_700_000_040, "value": 1], ["timestamp": 1_700_000_100, "value": 3]]],
                ["labels": ["host": "b&c"], "points": [["timestamp": 1_700_000_040, "value": 2]]],
            ],
        ]
        let out = try await NodeTestSupport.run(ChartNode(), ["title": .string(hostile), "y_label": "<b>cpu</b>", "width": 640], input)
        #expect(out["series"] == 2)
        let svg = try #require(out["svg"]?.stringValue)
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\""))
        #expect(!svg.contains("<script"))
        #expect(!svg.contains("<b>"))
        #expect(svg.contains("&lt;script&gt;"))
        #expect(svg.contains("b&amp;c"))
        // Deterministic: the same input gives the same bytes.
        #expect(try await NodeTestSupport.run(ChartNode(), ["title": .string(hostile), "y_label": "<b>cpu</b>", "width": 640], input)["svg"] == out["svg"])
    }

    @Test func unknownTimeZonesAreRefused() async {
        #expect(await ChartNode().check(config: ["time_zone": "Mars/Olympus"]).map(\.field) == ["config.time_zone"])
        #expect(await ChartNode().check(config: ["time_zone": "Europe/Berlin"]).isEmpty)
    }
}
