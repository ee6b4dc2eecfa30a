import FlowgateTesting
import Foundation
import JSON
import Testing

/// The canonical observability pipeline through the real `flowgate` binary: an HTTP source
/// serving metrics JSON, jq extraction, 60 s aggregation, writes to a real Prometheus (remote
/// write) and a real VictoriaMetrics (InfluxDB line protocol), and a chart; then the stores'
/// own query APIs prove the exact samples arrived. Also the failure paths a tenant can cause:
/// scripts that do not compile (422 at save), runaway scripts and failing sinks (the step
/// fails, the server carries on).
@Suite(.serialized) struct PipelineEndToEndTests {
    /// A fresh server with a tenant `obs`; `body` gets the tenant owner's client and the server.
    static func withTenant(_ body: (APIClient, ServerProcess) async throws -> Void) async throws {
        let dir = try TestEnvironment.temporaryDirectory("flowgate-pipeline")
        defer { try? FileManager.default.removeItem(at: dir) }
        let server = try await ServerProcess.start(dataDirectory: dir.path)
        do {
            let token = try String(contentsOfFile: dir.appendingPathComponent("bootstrap-token").path, encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let admin = APIClient(baseURL: server.baseURL, token: token)
            #expect(try await admin.post("/api/v1/tenants", ["slug": "obs", "name": "Observability"]).status == 201)
            let owner = admin.with(token: try await admin.post("/api/v1/tenants/obs/tokens", ["name": "owner", "role": "owner"]).json["token"]?.stringValue)
            try await body(owner, server)
        } catch {
            print("flowgate output:\n\(server.outputText.suffix(4000))")
            await server.stop()
            throw error
        }
        // Graceful shutdown stops the jq workers with the server.
        let workers = Self.jqWorkers(of: server.process.processIdentifier)
        #expect(await server.stop() == 0, "\(server.outputText.suffix(2000))")
        for pid in workers { #expect(kill(pid, 0) != 0, "jq worker \(pid) outlived the server") }
    }

    /// Process ids of the `flowgate jq-worker` children of `parent`.
    static func jqWorkers(of parent: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return false }
            // Fields after the command name: state, then the parent's pid.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 1, Int32(fields[1]) == parent,
                  let command = try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8) else { return false }
            return command.contains("jq-worker")
        }
    }

    /// Creates a workflow and runs it with `input`; returns the finished run.
    static func run(_ owner: APIClient, _ definition: JSONValue, input: JSONValue = [:]) async throws -> JSONValue {
        let created = try await owner.post("/api/v1/tenants/obs/workflows", ["name": "pipeline", "definition": definition])
        #expect(created.status == 201, "\(created.json)")
        let id = try #require(created.json["id"]?.stringValue)
        let run = try await owner.post("/api/v1/tenants/obs/workflows/\(id)/runs", ["input": input])
        #expect(run.status == 201, "\(run.json)")
        let runID = try #require(run.json["id"]?.stringValue)
        return try await owner.waitForRun("/api/v1/tenants/obs/runs/\(runID)", timeout: .seconds(60))
    }

    @Test func metricsFlowFromAnAPIIntoPrometheusVictoriaMetricsAndAChart() async throws {
        guard let prometheus = try PrometheusTestServer.fromEnvironment(), let victoria = try VictoriaMetricsTestServer.fromEnvironment() else { return }
        let runLabel = "e2e-\(UUID().uuidString.lowercased().prefix(8))"
        // Whole minutes, ten minutes ago: recent enough for Prometheus's head block.
        let base = (Int64(Date().timeIntervalSince1970) / 60) * 60 - 600
        let samples: [JSONValue] = [
            ["ts": .int(base + 5), "host": "a", "cpu": 1.0], ["ts": .int(base + 35), "host": "a", "cpu": 2.0],
            ["ts": .int(base + 65), "host": "a", "cpu": 4.0], ["ts": .int(base + 95), "host": "a", "cpu": 4.5],
            ["ts": .int(base + 125), "host": "a", "cpu": 8],
            ["ts": .int(base + 10), "host": "b", "cpu": 10], ["ts": .int(base + 20), "host": "b", "cpu": 20],
            ["ts": .int(base + 50), "host": "b", "cpu": 30], ["ts": .int(base + 70), "host": "b", "cpu": 0.5],
            ["ts": .int(base + 80), "host": "b", "cpu": "n/a"],
        ]
        let source = RecordingServer { request in
            request.uri == "/metrics" ? .json(["run": .string(runLabel), "samples": .array(samples)]) : .init(status: 404)
        }
        try await source.run { (sourceURL) async throws in
            try await Self.withTenant { (owner, server) async throws in
                let secret = try await owner.post("/api/v1/tenants/obs/secrets", ["name": "influx_token", "value": "influx-token-0123456789"])
                #expect(secret.status == 201)
                let definition: JSONValue = [
                    "nodes": [
                        ["id": "fetch", "type": "http.request", "config": ["url": .string(sourceURL + "/metrics")]],
                        ["id": "extract", "type": "jq", "config": [
                            "program": ".body.run as $run | [.body.samples[] | {timestamp: .ts, value: .cpu, labels: {host, run: $run}}]",
                            "emit": "first",
                        ]],
                        ["id": "aggregate", "type": "timeseries.aggregate", "config": ["bucket_seconds": 60, "function": "avg", "group_by": ["host", "run"]]],
                        ["id": "prometheus", "type": "sink.prometheus", "config": [
                            "url": .string(prometheus.writeURL), "metric": "flowgate_pipeline_cpu", "labels": ["source": "flowgate-e2e"],
                        ]],
                        ["id": "victoria", "type": "sink.influx", "config": [
                            "url": .string(victoria.baseURL), "database": "flowgate", "measurement": "pipeline_cpu",
                            "headers": ["Authorization": "Token {{ secrets.influx_token }}"],
                        ]],
                        ["id": "chart", "type": "chart", "config": ["title": "CPU <by host>", "y_label": "cpu"]],
                    ],
                    "edges": [
                        ["from": "fetch.out", "to": "extract.in"], ["from": "extract.out", "to": "aggregate.in"],
                        ["from": "aggregate.out", "to": "prometheus.in"], ["from": "aggregate.out", "to": "victoria.in"],
                        ["from": "aggregate.out", "to": "chart.in"],
                    ],
                ]
                let run = try await Self.run(owner, definition)
                #expect(run["status"] == "succeeded", "\(run)")
                let nodes = run["nodes"]
                #expect(nodes?["aggregate"]?["output"]?["invalid"]?["count"] == 1)
                #expect(nodes?["prometheus"]?["output"] == ["status": 204, "series": 2, "samples": 5, "skipped_points": 0])
                #expect(nodes?["victoria"]?["output"] == ["status": 204, "lines": 5, "skipped_points": 0])
                #expect(nodes?["chart"]?["output"]?["series"] == 2)
                let svg = nodes?["chart"]?["output"]?["svg"]?.stringValue ?? ""
                #expect(svg.hasPrefix("<svg") && svg.contains("CPU &lt;by host&gt;") && !svg.contains("<by host>"))

                // The buckets: a = avg(1, 2), avg(4, 4.5), 8; b = avg(10, 20, 30), 0.5 ("n/a" is not a value).
                let ms = { (offset: Int64) in (base + offset) * 1000 }
                let expected: [String: [(Int64, Double)]] = [
                    "a": [(ms(0), 1.5), (ms(60), 4.25), (ms(120), 8)],
                    "b": [(ms(0), 20), (ms(60), 0.5)],
                ]

                // Prometheus: the raw samples of the run's series, labels and all.
                let stored = try await prometheus.rawSamples("flowgate_pipeline_cpu{run=\"\(runLabel)\"}", time: Double(base + 900))
                #expect(stored.count == 2)
                for series in stored {
                    let host = series.labels["host"] ?? ""
                    #expect(series.labels == ["__name__": "flowgate_pipeline_cpu", "host": host, "run": runLabel, "source": "flowgate-e2e"])
                    let want = try #require(expected[host], "unexpected host \(host)")
                    #expect(series.samples.map { $0.0 } == want.map { $0.0 }, "host \(host)")
                    #expect(series.samples.map { Double($0.1) ?? .nan } == want.map { $0.1 }, "host \(host)")
                }

                // VictoriaMetrics: line protocol's measurement_field naming and the db label.
                let exported = try await victoria.waitForSamples("{__name__=\"pipeline_cpu_value\",run=\"\(runLabel)\"}", count: 5)
                #expect(exported.count == 2)
                for series in exported {
                    let host = series.labels["host"] ?? ""
                    #expect(series.labels == ["__name__": "pipeline_cpu_value", "db": "flowgate", "host": host, "run": runLabel])
                    let want = try #require(expected[host], "unexpected host \(host)")
                    #expect(series.timestamps == want.map { $0.0 }, "host \(host)")
                    #expect(series.values == want.map { $0.1 }, "host \(host)")
                }
            }
        }
        #expect(source.requests.count == 1)
    }

    @Test func scriptsThatDoNotCompileAreRefusedWhenSaved() async throws {
        try await Self.withTenant { (owner, server) async throws in
            let badJQ: JSONValue = ["nodes": [["id": "extract", "type": "jq", "config": ["program": ".samples | map(.v"]]], "edges": []]
            let created = try await owner.post("/api/v1/tenants/obs/workflows", ["name": "bad", "definition": badJQ])
            #expect(created.status == 422)
            #expect(created.header("Content-Type")?.hasPrefix("application/problem+json") == true)
            let problem = try #require(created.json["errors"]?[0])
            #expect(problem["node"] == "extract")
            #expect(problem["field"] == "config.program")
            #expect(problem["message"]?.stringValue?.contains("does not compile") == true, "\(created.json)")

            let badSQL: JSONValue = ["nodes": [["id": "query", "type": "sql", "config": ["query": "SELECT * FROM items; DROP TABLE items"]]], "edges": []]
            let refused = try await owner.post("/api/v1/tenants/obs/workflows", ["name": "bad", "definition": badSQL])
            #expect(refused.status == 422)
            #expect(refused.json["errors"]?[0]?["node"] == "query")
            #expect(refused.json["errors"]?[0]?["field"] == "config.query")

            // Replacing a good workflow with a bad script is refused too, and changes nothing.
            let good: JSONValue = ["nodes": [["id": "extract", "type": "jq", "config": ["program": ".samples"]]], "edges": []]
            let workflow = try await owner.post("/api/v1/tenants/obs/workflows", ["name": "good", "definition": good])
            #expect(workflow.status == 201)
            let path = "/api/v1/tenants/obs/workflows/\(workflow.json["id"]?.stringValue ?? "")"
            let replaced = try await owner.put(path, ["definition": badJQ])
            #expect(replaced.status == 422)
            #expect(replaced.json["errors"]?[0]?["node"] == "extract")
            #expect(try await owner.get(path).json["version"] == 1)
        }
    }

    @Test func runawayScriptsAndFailingSinksFailTheirStepAndTheServerCarriesOn() async throws {
        let failing = RecordingServer { _ in .init(status: 503, contentType: "text/plain", body: Array("overloaded".utf8)) }
        let unreachable = try unreachableURL()
        try await failing.run { (failingURL) async throws in
            try await Self.withTenant { (owner, server) async throws in
                let cases: [(String, JSONValue, String)] = [
                    ("jq", ["program": "last(range(1e12))", "timeout_ms": 500], "did not finish within"),
                    ("jq", ["program": #"reduce range(40) as $i ("x"; . + .) | length"#], "memory"),
                    ("sql", ["query": "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) SELECT count(*) FROM r", "timeout_ms": 300], "sql "),
                    ("sink.http", ["url": .string(failingURL + "/hook")], "HTTP 503 from \(failingURL): overloaded"),
                    ("sink.http", ["url": .string(unreachable + "/hook"), "timeout_ms": 1000], "write to \(unreachable) failed"),
                ]
                for (type, config, message) in cases {
                    let run = try await Self.run(owner, ["nodes": [["id": "step", "type": .string(type), "config": config]], "edges": []])
                    #expect(run["status"] == "failed", "\(type): \(run)")
                    #expect(run["nodes"]?["step"]?["status"] == "failed")
                    let error = run["nodes"]?["step"]?["error"]?.stringValue ?? ""
                    #expect(error.contains(message), "\(type): \(error)")
                }
                // The server is fine and its jq workers too.
                let after = try await Self.run(owner, ["nodes": [["id": "step", "type": "jq", "config": ["program": ".x + 1", "emit": "first"]]], "edges": []],
                                               input: ["x": 41])
                #expect(after["status"] == "succeeded")
                #expect(after["nodes"]?["step"]?["output"] == 42)
                #expect(!Self.jqWorkers(of: server.process.processIdentifier).isEmpty)
                #expect(try await owner.get("/healthz").status == 200)
            }
        }
        // A 503 is retryable: the sink's three attempts (its type's limit), then the step fails.
        #expect(failing.requests.count == 3)
    }
}
