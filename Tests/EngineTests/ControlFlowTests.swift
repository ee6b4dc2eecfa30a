import Engine
import FlowgateTesting
import JSON
import Logging
import Policy
import Store
import Synchronization
import Testing

/// Fails the first `failures` attempts of each (node, item) with a retryable error, unless the
/// input says otherwise; counts every attempt.
final class FlakyCounter: Sendable {
    let attempts = Mutex<[String: Int]>([:])
    let failures = Mutex<Int>(0)
    func attempt(_ key: String) -> Int { attempts.withLock { $0[key, default: 0] += 1; return $0[key] ?? 0 } }
    var snapshot: [String: Int] { attempts.withLock { $0 } }
}

struct FlakyNode: NodeType {
    let counter: FlakyCounter
    let descriptor = NodeTypeDescriptor(
        name: "test.flaky", title: "Flaky", category: "Test", description: "", inputs: [PortSpec("in")], outputs: [PortSpec("out")],
        configSchema: ["type": "object"], limits: NodeLimits(timeout: .seconds(5), maxAttempts: 1)
    )
    func execute(config: JSONValue, input: [String: JSONValue], context: NodeContext) async throws -> [String: JSONValue] {
        let n = counter.attempt(context.idempotencyKey)
        let failures = Int(config["fail_times"]?.intValue ?? 0) + counter.failures.withLock { $0 }
        if config["sleep_ms"]?.intValue.map({ $0 > 0 }) == true { try await Task.sleep(for: .milliseconds(config["sleep_ms"]?.intValue ?? 0)) }
        if let bad = config["fail_on"], input["in"] == bad { throw NodeError(config["permanent"] == true ? "bad item" : "bad item (retryable)") }
        if n <= failures { throw config["permanent"] == true ? NodeError("permanent failure \(n)") : NodeError.retryable("transient failure \(n)") }
        let v = input["in"]?["v"]?.intValue ?? input["in"]?.intValue ?? 0
        return ["out": config["double"] == true ? .int(v * 2) : ["v": .int(v + 1), "seen": .string(context.idempotencyKey)]]
    }
}

/// Records what it would write; in a dry run writes nothing.
final class SinkLedger: Sendable {
    let writes = Mutex<[JSONValue]>([])
    var snapshot: [JSONValue] { writes.withLock { $0 } }
}

struct LedgerSink: NodeType {
    let ledger: SinkLedger
    let descriptor = NodeTypeDescriptor(name: "test.sink", title: "Sink", category: "Test", description: "", inputs: [PortSpec("in")],
                                        outputs: [PortSpec("out")], configSchema: ["type": "object"], mode: .sink)
    func execute(config: JSONValue, input: [String: JSONValue], context: NodeContext) async throws -> [String: JSONValue] {
        if context.dryRun { return ["out": ["dry_run": true, "would_write": input["in"] ?? .null]] }
        ledger.writes.withLock { $0.append(input["in"] ?? .null) }
        return ["out": ["written": true]]
    }
}

@Suite struct ControlFlowTests {
    static let principal = PrincipalInfo(entity: EntityRef("ApiToken", "me"), tenant: "t1", roles: ["editor"])
    static let tenant = TenantID("t1")

    struct Harness {
        let store: Store
        let engine: RunEngine
        let counter = FlakyCounter()
        let ledger = SinkLedger()
    }

    static func harness(_ store: Store, _ counter: FlakyCounter = FlakyCounter(), _ ledger: SinkLedger = SinkLedger()) throws -> RunEngine {
        var registry = NodeTypeRegistry.builtIn
        registry.register(FlakyNode(counter: counter))
        registry.register(LedgerSink(ledger: ledger))
        return RunEngine(store: store, registry: registry, configuration: .init(maxConcurrentRuns: 4, sleep: { _ in }),
                         authorizer: try FlowgateAuthorizer(), logger: Logger(label: "test"))
    }

    static func workflow(_ store: Store, id: String = "w", _ definition: String) async throws {
        try await store.write { db in
            if try await TenantRepository(db).get(tenant) == nil {
                try await TenantRepository(db).create(Tenant(id: tenant, slug: "acme", name: "Acme", createdAt: 1))
            }
            try await WorkflowRepository(db, tenant: tenant).create(
                WorkflowRecord(tenantID: tenant, id: id, name: id, description: "", currentVersion: 1, createdAt: 1, updatedAt: 1),
                definition: definition, createdBy: "test")
        }
    }

    static func run(_ engine: RunEngine, workflow: String = "w", input: JSONValue = [:]) async throws -> (String, RunState) {
        let (run, _) = try await engine.startRun(tenant: tenant, workflowID: workflow, input: input, idempotencyKey: nil, principal: principal, traceID: "t")
        return (run.id, try await wait(engine, run.id))
    }

    static func wait(_ engine: RunEngine, _ id: String) async throws -> RunState {
        for _ in 0..<1000 {
            if let state = try await engine.state(tenant: tenant, runID: id)?.state, state.status.isTerminal { return state }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw TestSetupError("run \(id) did not finish")
    }

    static func serving<R: Sendable>(_ engine: RunEngine, _ body: @Sendable () async throws -> R) async throws -> R {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await engine.run() }
            defer { group.cancelAll() }
            return try await body()
        }
    }

    @Test(arguments: TestBackend.all)
    func retriesWithBackoffThenDeadLetterAndRedrive(backend: TestBackend) async throws {
        try await backend.withStore { store in
            let counter = FlakyCounter()
            let engine = try Self.harness(store, counter)
            try await Self.workflow(store, #"{"nodes":[{"id":"a","type":"test.flaky","config":{"fail_times":2},"retry":{"max_attempts":3,"initial_backoff_ms":1}},{"id":"b","type":"test.flaky","config":{"fail_times":5},"retry":{"max_attempts":2}}],"edges":[{"from":"a","to":"b"}]}"#)
            try await Self.serving(engine) {
                let (runID, state) = try await Self.run(engine)
                #expect(state.nodes["a"]?.status == "succeeded")
                #expect(state.nodes["a"]?.attempts == 3)
                #expect(state.status == .failed)
                #expect(state.nodes["b"]?.attempts == 2)
                let events = try #require(try await engine.state(tenant: Self.tenant, runID: runID)?.events)
                let failures = events.filter { $0.type == "StepFailed" }.compactMap { try? JSONValue.parse($0.data) }
                #expect(failures.map { $0["will_retry"] } == [true, true, true, false])
                #expect(failures.first?["retry_in_ms"]?.intValue != nil)
                // The run is in the tenant's dead-letter list, with its error.
                let letters = try await store.read { try await DeadLetterRepository($0, tenant: Self.tenant).list(limit: 10, openOnly: true) }
                #expect(letters.count == 1)
                #expect(letters.first?.nodeID == "b")
                #expect(letters.first?.error == "transient failure 2")
                // Redrive: b runs again (now it succeeds), a is not repeated.
                counter.failures.withLock { $0 = -10 }
                _ = try await engine.redrive(tenant: Self.tenant, deadLetterID: letters[0].id, principal: Self.principal)
                let after = try await Self.wait(engine, runID)
                #expect(after.status == .succeeded)
                #expect(counter.snapshot["\(runID):a:0"] == 3)
                #expect(counter.snapshot["\(runID):b:0"] == 3)
                await #expect(throws: RunError.self) { _ = try await engine.redrive(tenant: Self.tenant, deadLetterID: letters[0].id, principal: Self.principal) }
            }
        }
    }

    @Test func permanentFailuresAreNotRetriedAndTimeoutsFail() async throws {
        try await TestBackend.sqlite.withStore { store in
            let engine = try Self.harness(store)
            try await Self.workflow(store, #"{"nodes":[{"id":"a","type":"test.flaky","config":{"fail_times":1,"permanent":true},"retry":{"max_attempts":5}}]}"#)
            try await Self.workflow(store, id: "slow", #"{"nodes":[{"id":"a","type":"test.flaky","config":{"sleep_ms":2000},"timeout_ms":50}]}"#)
            try await Self.serving(engine) {
                let (_, state) = try await Self.run(engine)
                #expect(state.status == .failed)
                #expect(state.nodes["a"]?.attempts == 1)
                let (_, slow) = try await Self.run(engine, workflow: "slow")
                #expect(slow.status == .failed)
                #expect(slow.error?.contains("timed out") == true)
            }
        }
    }

    @Test func branchesSkipTheUntakenPathAndMergeWaitsForBoth() async throws {
        try await TestBackend.sqlite.withStore { store in
            let engine = try Self.harness(store)
            try await Self.workflow(store, #"""
                {"nodes":[{"id":"check","type":"core.if","config":{"condition":{"path":"level","op":"ge","value":3}}},
                          {"id":"alert","type":"core.set","config":{"fields":{"alert":true}}},
                          {"id":"quiet","type":"core.set","config":{"fields":{"alert":false}}},
                          {"id":"after_alert","type":"core.noop"},
                          {"id":"split","type":"core.switch","config":{"cases":[{"port":"a","when":{"path":"level","op":"eq","value":5}}]}},
                          {"id":"five","type":"core.set","config":{"fields":{"five":true}}},
                          {"id":"join","type":"core.merge"}],
                 "edges":[{"from":"check.true","to":"alert"},{"from":"check.false","to":"quiet"},{"from":"alert","to":"after_alert"},
                          {"from":"check.true","to":"split"},{"from":"split.a","to":"five"},
                          {"from":"after_alert","to":"join"},{"from":"quiet","to":"join"},{"from":"five","to":"join"}]}
                """#)
            try await Self.serving(engine) {
                let (_, high) = try await Self.run(engine, input: ["level": 5])
                #expect(high.status == .succeeded)
                #expect(high.nodes["quiet"]?.status == "skipped")
                #expect(high.nodes["join"]?.outputs["out"] == ["level": 5, "alert": true, "five": true])
                let (_, low) = try await Self.run(engine, input: ["level": 1])
                #expect(low.nodes["alert"]?.status == "skipped")
                #expect(low.nodes["after_alert"]?.status == "skipped")
                #expect(low.nodes["five"]?.status == "skipped")
                #expect(low.nodes["join"]?.outputs["out"] == ["level": 1, "alert": false])
            }
        }
    }

    @Test(arguments: TestBackend.all)
    func mapFansOutWithALimitAndResumesOnlyMissingItems(backend: TestBackend) async throws {
        try await backend.withStore { store in
            let counter = FlakyCounter()
            let engine = try Self.harness(store, counter)
            try await Self.workflow(store, #"{"nodes":[{"id":"m","type":"core.map","config":{"concurrency":3,"child":{"node":{"type":"test.flaky","config":{"double":true}}}}},{"id":"f","type":"core.filter","config":{"condition":{"path":"","op":"gt","value":20}}}],"edges":[{"from":"m","to":"f"}]}"#)
            // A log left behind mid-map: items 0...9 done, the process gone.
            try await store.write { db in
                let runs = RunRepository(db, tenant: Self.tenant)
                _ = try await runs.create(RunRecord(tenantID: Self.tenant, id: "r1", workflowID: "w", workflowVersion: 1, status: "running",
                                                    idempotencyKey: nil, traceID: "t", createdBy: "me", createdAt: 1, updatedAt: 1))
                var events: [(String, String?, Int64, String)] = [
                    ("RunCreated", nil, 1, #"{"input":[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19],"principal":{"type":"ApiToken","id":"me","tenant":"t1","roles":["editor"]}}"#),
                    ("RunStarted", nil, 2, "{}"), ("StepStarted", "m", 3, #"{"attempt":1}"#),
                ]
                for i in 0..<10 { events.append(("ItemSucceeded", "m", 4, #"{"index":\#(i),"output":\#(i * 2)}"#)) }
                try await runs.append("r1", events)
            }
            try await Self.serving(engine) {
                let state = try await Self.wait(engine, "r1")
                #expect(state.status == .succeeded)
                #expect(state.nodes["m"]?.outputs["out"] == .array((0..<20).map { .int(Int64($0 * 2)) }))
                #expect(state.nodes["f"]?.outputs["out"] == [22, 24, 26, 28, 30, 32, 34, 36, 38])
                // Only the ten missing items ran, each once, each with its own idempotency key.
                #expect(counter.snapshot.count == 10)
                #expect(Set(counter.snapshot.keys) == Set((10..<20).map { "r1:m:\($0)" }))
                #expect(counter.snapshot.values.allSatisfy { $0 == 1 })
            }
        }
    }

    @Test func mapItemsGoToTheDeadLetterListAndAreRedrivenAlone() async throws {
        try await TestBackend.sqlite.withStore { store in
            let counter = FlakyCounter()
            let engine = try Self.harness(store, counter)
            try await Self.workflow(store, #"{"nodes":[{"id":"m","type":"core.map","config":{"on_item_error":"dead_letter","child":{"node":{"type":"test.flaky","config":{"fail_on":3,"permanent":true,"double":true}}}}}]}"#)
            try await Self.serving(engine) {
                let (runID, state) = try await Self.run(engine, input: [1, 2, 3, 4])
                #expect(state.status == .succeeded)
                #expect(state.nodes["m"]?.outputs["out"] == [2, 4, .null, 8])
                let letters = try await store.read { try await DeadLetterRepository($0, tenant: Self.tenant).list(limit: 10, openOnly: true) }
                #expect(letters.count == 1)
                #expect(letters.first?.itemIndex == 2)
                #expect(counter.snapshot["\(runID):m:2"] == 1)
            }
        }
    }

    @Test func loopsStopAtTheConditionOrTheLimit() async throws {
        try await TestBackend.sqlite.withStore { store in
            let engine = try Self.harness(store)
            try await Self.workflow(store, #"{"nodes":[{"id":"l","type":"core.loop","config":{"max_iterations":10,"while":{"path":"v","op":"lt","value":5},"child":{"node":{"type":"test.flaky"}}}}]}"#)
            try await Self.workflow(store, id: "capped", #"{"nodes":[{"id":"l","type":"core.loop","config":{"max_iterations":3,"while":{"path":"v","op":"lt","value":100},"child":{"node":{"type":"test.flaky"}}}}]}"#)
            try await Self.serving(engine) {
                let (_, state) = try await Self.run(engine, input: ["v": 0])
                #expect(state.nodes["l"]?.outputs["out"]?["iterations"] == 5)
                #expect(state.nodes["l"]?.outputs["out"]?["value"]?["v"] == 5)
                #expect(state.nodes["l"]?.outputs["out"]?["exhausted"] == false)
                let (_, capped) = try await Self.run(engine, workflow: "capped", input: ["v": 0])
                #expect(capped.nodes["l"]?.outputs["out"]?["iterations"] == 3)
                #expect(capped.nodes["l"]?.outputs["out"]?["exhausted"] == true)
            }
        }
    }

    @Test(arguments: TestBackend.all)
    func subWorkflowsRunAsChildRunsOnce(backend: TestBackend) async throws {
        try await backend.withStore { store in
            let counter = FlakyCounter()
            let engine = try Self.harness(store, counter)
            try await Self.workflow(store, id: "child", #"{"nodes":[{"id":"x","type":"test.flaky"},{"id":"y","type":"core.set","config":{"fields":{"from":"child"}}}],"edges":[{"from":"x","to":"y"}]}"#)
            try await Self.workflow(store, #"{"nodes":[{"id":"s","type":"core.subworkflow","config":{"workflow":"child"}}]}"#)
            try await Self.workflow(store, id: "each", #"{"nodes":[{"id":"m","type":"core.map","config":{"child":{"workflow":"child"}}}]}"#)
            try await Self.serving(engine) {
                let (runID, state) = try await Self.run(engine, input: ["v": 1])
                #expect(state.status == .succeeded, "\(state.error ?? "")")
                #expect(state.nodes["s"]?.outputs["out"]?["from"] == "child")
                #expect(state.nodes["s"]?.outputs["out"]?["v"] == 2)
                let children = try await store.read { try await $0.query("SELECT id, parent_run_id, status FROM runs WHERE parent_run_id IS NOT NULL") }
                #expect(children.count == 1)
                #expect(children.first?["parent_run_id"] == .text(runID))
                #expect(children.first?["status"] == .text("succeeded"))

                // A map over a workflow starts one child run per item.
                let (eachID, each) = try await Self.run(engine, workflow: "each", input: [["v": 1], ["v": 5]])
                #expect(each.status == .succeeded, "\(each.error ?? "")")
                #expect(each.nodes["m"]?.outputs["out"]?[1]?["v"] == 6)
                let mapped = try await store.read { try await $0.query("SELECT id FROM runs WHERE parent_run_id = \(eachID)") }
                #expect(mapped.count == 2)
            }
        }
    }

    @Test func testRunsReportWhatSinksWouldWriteAndStoreNothing() async throws {
        try await TestBackend.sqlite.withStore { store in
            let ledger = SinkLedger()
            let engine = try Self.harness(store, FlakyCounter(), ledger)
            try await Self.workflow(store, "{}")
            let definition = try WorkflowDefinition.decode(try JSONValue.parse(#"{"nodes":[{"id":"a","type":"core.set","config":{"fields":{"k":1}}},{"id":"s","type":"test.sink"},{"id":"z","type":"core.noop"}],"edges":[{"from":"a","to":"s"},{"from":"s","to":"z"}]}"#))
            let result = try await engine.test(tenant: Self.tenant, workflowID: "w", definition: definition, input: ["x": 1], only: ["a", "s"],
                                               principal: Self.principal, traceID: "t")
            #expect(result.state.status == .succeeded)
            #expect(result.state.nodes["a"]?.input == ["in": ["x": 1]])
            #expect(result.state.nodes["s"]?.outputs["out"] == ["dry_run": true, "would_write": ["x": 1, "k": 1]])
            #expect(result.state.nodes["z"] == nil)
            #expect(ledger.snapshot.isEmpty)
            let stored = try await store.read { try await $0.query("SELECT * FROM run_events") }
            #expect(stored.isEmpty)
        }
    }

    @Test func nodeConcurrencyLimitsHoldAcrossRuns() async throws {
        try await TestBackend.sqlite.withStore { store in
            let probe = ConcurrencyProbe()
            var registry = NodeTypeRegistry.builtIn
            registry.register(SlowNode(probe: probe))
            let engine = RunEngine(store: store, registry: registry, configuration: .init(maxConcurrentRuns: 4, sleep: { _ in }),
                                   authorizer: try FlowgateAuthorizer(), logger: Logger(label: "t"))
            try await Self.workflow(store, #"{"nodes":[{"id":"s","type":"test.slow","concurrency":1}]}"#)
            try await Self.serving(engine) {
                var ids: [String] = []
                for _ in 0..<4 {
                    ids.append(try await engine.startRun(tenant: Self.tenant, workflowID: "w", input: [:], idempotencyKey: nil, principal: Self.principal, traceID: "t").run.id)
                }
                for id in ids {
                    let state = try await Self.wait(engine, id)
                    #expect(state.status == .succeeded, "\(state.error ?? "")")
                }
                #expect(probe.snapshot.peak["t1"] == 1)
                #expect(probe.snapshot.finished.count == 4)
            }
        }
    }
}
