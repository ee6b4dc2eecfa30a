import Engine
import Foundation
import JSON
import Logging
import Policy
import Store

/// `flowgate-bench engine [postgres-url]`: the durable engine's costs, on SQLite (a file in a
/// temporary folder) and, given a URL, on PostgreSQL. Each run goes the whole durable path:
/// RunCreated committed, queued, every step's start and result committed before the next.
///   chain-400: a chain of 400 `core.noop` steps; milliseconds per durable step.
///   three-node: `trigger.manual -> core.set -> core.noop`, one run at a time; latency from the
///     start request to the run's end (p50, p99).
///   fan-out-10k: `core.map` over 10,000 items (each item's result a committed event, 64 at
///     once) into a join step; items per second.
/// Prints one JSON line per measurement.
extension BenchMain {
    static let benchTenant = TenantID("bench")
    static let benchPrincipal = PrincipalInfo(entity: EntityRef("ApiToken", "bench"), tenant: "bench", roles: ["editor"])

    static func engine(postgresURL: String?) async throws {
        var quiet = Logger(label: "bench")
        quiet.logLevel = .error
        let logger = quiet
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flowgate-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var backends: [(String, StoreConfiguration)] = [("sqlite", .sqlite(path: dir.appendingPathComponent("db.sqlite").path))]
        if let postgresURL, !postgresURL.isEmpty { backends.append(("postgres", .postgres(url: postgresURL))) }
        for (name, configuration) in backends {
            try await Store.withOpened(configuration, logger: logger) { store in
                try await store.migrate()
                try await engineScenarios(store: store, backend: name, logger: logger)
            }
        }
    }

    static func engineScenarios(store: Store, backend: String, logger: Logger) async throws {
        let suffix = UUID().uuidString.prefix(8).lowercased()
        try await store.write { db in
            if try await TenantRepository(db).get(benchTenant) == nil {
                try await TenantRepository(db).create(Tenant(id: benchTenant, slug: "bench", name: "Bench", createdAt: 0))
            }
        }
        func save(_ id: String, _ definition: JSONValue) async throws -> String {
            let workflowID = "\(id)-\(suffix)"
            try await store.write { db in
                try await WorkflowRepository(db, tenant: benchTenant).create(
                    WorkflowRecord(tenantID: benchTenant, id: workflowID, name: id, description: "", currentVersion: 1, createdAt: 0, updatedAt: 0),
                    definition: definition.serialized(), createdBy: "bench")
            }
            return workflowID
        }
        let chainNodes: [JSONValue] = (0..<400).map { ["id": .string("n\($0)"), "type": "core.noop"] }
        let chainEdges: [JSONValue] = (1..<400).map { ["from": .string("n\($0 - 1)"), "to": .string("n\($0)")] }
        let chain = try await save("chain", ["nodes": .array(chainNodes), "edges": .array(chainEdges)])
        let three = try await save("three", [
            "nodes": [["id": "t", "type": "trigger.manual"], ["id": "s", "type": "core.set", "config": ["fields": ["ok": true]]], ["id": "z", "type": "core.noop"]],
            "edges": [["from": "t", "to": "s"], ["from": "s", "to": "z"]],
        ])
        let fan = try await save("fan", [
            "nodes": [["id": "m", "type": "core.map", "config": ["concurrency": 64, "child": ["node": ["type": "core.noop"]]]], ["id": "join", "type": "core.noop"]],
            "edges": [["from": "m", "to": "join"]],
        ])

        let engine = RunEngine(store: store, registry: .builtIn, configuration: RunEngineConfiguration(maxConcurrentRuns: 8),
                               authorizer: try FlowgateAuthorizer(), logger: logger)
        let clock = ContinuousClock()
        func run(_ workflow: String, _ input: JSONValue) async throws -> Duration {
            let start = clock.now
            let (record, _) = try await engine.startRun(tenant: benchTenant, workflowID: workflow, input: input, idempotencyKey: nil,
                                                         principal: benchPrincipal, traceID: "0af7651916cd43dd8448eb211c80319c")
            let state = try await engine.finalState(tenant: benchTenant, runID: record.id)
            guard let state, state.status == .succeeded else {
                throw BenchError("run \(record.id) of \(workflow) did not succeed: \(state?.error ?? "unknown run")")
            }
            return clock.now - start
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await engine.run() }
            defer { group.cancelAll() }

            _ = try await run(chain, [:])
            var perStep: [Double] = []
            for _ in 0..<5 { perStep.append(millis(try await run(chain, [:])) / 400) }
            perStep.sort()
            printJSON(["scenario": "chain-400", "backend": .string(backend), "runs": 5, "steps": 400,
                       "ms_per_step_median": .double(perStep[perStep.count / 2]), "ms_per_step_best": .double(perStep[0]),
                       "steps_per_second": .double(1000 / perStep[perStep.count / 2])])

            for _ in 0..<20 { _ = try await run(three, ["k": 1]) }
            var latencies: [Double] = []
            for _ in 0..<300 { latencies.append(millis(try await run(three, ["k": 1]))) }
            latencies.sort()
            printJSON(["scenario": "three-node", "backend": .string(backend), "runs": 300,
                       "p50_ms": .double(percentile(latencies, 0.50)), "p99_ms": .double(percentile(latencies, 0.99)),
                       "max_ms": .double(latencies.last ?? 0)])

            let items = JSONValue.array((0..<10_000).map { .int(Int64($0)) })
            let elapsed = millis(try await run(fan, items))
            printJSON(["scenario": "fan-out-10k", "backend": .string(backend), "items": 10_000, "seconds": .double(elapsed / 1000),
                       "items_per_second": .double(10_000 / (elapsed / 1000))])
        }
    }

    static func millis(_ d: Duration) -> Double {
        let (s, a) = d.components
        return Double(s) * 1000 + Double(a) / 1e15
    }

    /// Linear interpolation between closest ranks of sorted samples.
    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let rank = p * Double(sorted.count - 1)
        let low = Int(rank.rounded(.down))
        let high = min(low + 1, sorted.count - 1)
        return sorted[low] + (sorted[high] - sorted[low]) * (rank - Double(low))
    }

    static func printJSON(_ value: JSONValue) {
        // One line per write: the shell script reads them as they come.
        FileHandle.standardOutput.write(Data((value.serialized() + "\n").utf8))
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
