import Engine
import FlowgateTesting
import JSON
import Logging
import Policy
import Store
import Synchronization
import Testing

/// Counts executions per node id, as a side-effect receiver would.
final class ExecutionCounter: Sendable {
    let counts = Mutex<[String: Int]>([:])
    func hit(_ node: String) { counts.withLock { $0[node, default: 0] += 1 } }
    var snapshot: [String: Int] { counts.withLock { $0 } }
}

struct CountingNode: NodeType {
    let counter: ExecutionCounter
    let descriptor = NodeTypeDescriptor(
        name: "test.count", title: "Count", category: "Test", description: "", inputs: [PortSpec("in")], outputs: [PortSpec("out")],
        configSchema: ["type": "object", "properties": ["fail": ["type": "boolean"]]]
    )
    func execute(config: JSONValue, input: [String: JSONValue], context: NodeContext) async throws -> [String: JSONValue] {
        counter.hit(context.nodeID)
        if config["fail"] == .bool(true) { throw NodeError("asked to fail") }
        var seen = input["in"]?["seen"]?.arrayValue ?? []
        seen.append(.string(context.nodeID))
        return ["out": ["seen": .array(seen)]]
    }
}

@Suite struct RunEngineTests {
    static let principal = PrincipalInfo(entity: EntityRef("ApiToken", "me"), tenant: "t1", roles: ["editor"])
    static func setUp(_ store: Store, definition: String) async throws -> (TenantID, String) {
        let tenant = Tenant(id: TenantID("t1"), slug: "acme", name: "Acme", createdAt: 1)
        try await store.write { db in
            try await TenantRepository(db).create(tenant)
            try await WorkflowRepository(db, tenant: tenant.id).create(
                WorkflowRecord(tenantID: tenant.id, id: "w1", name: "wf", description: "", currentVersion: 1, createdAt: 1, updatedAt: 1),
                definition: definition, createdBy: "test"
            )
        }
        return (tenant.id, "w1")
    }

    static func registry(_ counter: ExecutionCounter) -> NodeTypeRegistry {
        var registry = NodeTypeRegistry.builtIn
        registry.register(CountingNode(counter: counter))
        return registry
    }

    static func waitFor(_ engine: RunEngine, _ tenant: TenantID, _ run: String) async throws -> RunState {
        for _ in 0..<500 {
            if let state = try await engine.state(tenant: tenant, runID: run)?.state, state.status.isTerminal { return state }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw TestSetupError("run did not finish")
    }

    static let chain = #"{"nodes":[{"id":"a","type":"test.count"},{"id":"b","type":"test.count"},{"id":"c","type":"test.count"}],"edges":[{"from":"a","to":"b"},{"from":"b","to":"c"}]}"#

    @Test(arguments: TestBackend.all)
    func runsExecuteInOrderAndRecordEveryStep(backend: TestBackend) async throws {
        try await backend.withStore { store in
            let (tenant, workflow) = try await Self.setUp(store, definition: Self.chain)
            let counter = ExecutionCounter()
            let engine = RunEngine(store: store, registry: Self.registry(counter), authorizer: try FlowgateAuthorizer(), logger: Logger(label: "test"))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await engine.run() }
                let (run, created) = try await engine.startRun(tenant: tenant, workflowID: workflow, input: ["seen": []], idempotencyKey: "k", principal: Self.principal, traceID: "t")
                #expect(created)
                let again = try await engine.startRun(tenant: tenant, workflowID: workflow, input: ["seen": []], idempotencyKey: "k", principal: Self.principal, traceID: "t")
                #expect(!again.created && again.run.id == run.id)
                let state = try await Self.waitFor(engine, tenant, run.id)
                #expect(state.status == .succeeded)
                #expect(state.nodes["c"]?.outputs["out"] == ["seen": ["a", "b", "c"]])
                let events = try #require(try await engine.state(tenant: tenant, runID: run.id)?.events)
                #expect(events.map(\.type) == ["RunCreated", "RunStarted", "StepStarted", "StepSucceeded", "StepStarted", "StepSucceeded", "StepStarted", "StepSucceeded", "RunSucceeded"])
                #expect(counter.snapshot == ["a": 1, "b": 1, "c": 1])
                // Finishing a run is audited.
                let audit = try await store.read { try await AuditLog.page(tenant: tenant, afterSeq: 0, limit: 10, in: $0) }
                #expect(audit.contains { $0.record.action == "run.complete" && $0.record.outcome == "succeeded" })
                group.cancelAll()
            }
        }
    }

    @Test(arguments: TestBackend.all)
    func aResumedRunNeverRepeatsASucceededStep(backend: TestBackend) async throws {
        try await backend.withStore { store in
            let (tenant, workflow) = try await Self.setUp(store, definition: Self.chain)
            // The log a process killed in the middle of step b leaves behind.
            try await store.write { db in
                _ = try await RunRepository(db, tenant: tenant).create(RunRecord(
                    tenantID: tenant, id: "r1", workflowID: workflow, workflowVersion: 1, status: "running", idempotencyKey: nil,
                    traceID: "t", createdBy: "me", createdAt: 1, updatedAt: 1))
                try await RunRepository(db, tenant: tenant).append("r1", [
                    ("RunCreated", nil, 1, #"{"input":{"seen":[]},"principal":{"type":"ApiToken","id":"me","tenant":"t1","roles":["editor"]}}"#), ("RunStarted", nil, 2, "{}"),
                    ("StepStarted", "a", 3, #"{"attempt":1}"#), ("StepSucceeded", "a", 4, #"{"outputs":{"out":{"seen":["a"]}}}"#),
                    ("StepStarted", "b", 5, #"{"attempt":1}"#),
                ])
            }
            let counter = ExecutionCounter()
            let engine = RunEngine(store: store, registry: Self.registry(counter), authorizer: try FlowgateAuthorizer(), logger: Logger(label: "test"))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await engine.run() }
                let state = try await Self.waitFor(engine, tenant, "r1")
                #expect(state.status == .succeeded)
                #expect(counter.snapshot == ["b": 1, "c": 1])
                #expect(state.nodes["b"]?.attempts == 2)
                #expect(state.nodes["c"]?.outputs["out"] == ["seen": ["a", "b", "c"]])
                group.cancelAll()
            }
        }
    }

    @Test(arguments: TestBackend.all)
    func aFailingStepFailsTheRunWithItsMessage(backend: TestBackend) async throws {
        try await backend.withStore { store in
            let (tenant, workflow) = try await Self.setUp(store, definition: #"{"nodes":[{"id":"a","type":"test.count"},{"id":"b","type":"test.count","config":{"fail":true}},{"id":"c","type":"test.count"}],"edges":[{"from":"a","to":"b"},{"from":"b","to":"c"}]}"#)
            let counter = ExecutionCounter()
            let engine = RunEngine(store: store, registry: Self.registry(counter), authorizer: try FlowgateAuthorizer(), logger: Logger(label: "test"))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await engine.run() }
                let (run, _) = try await engine.startRun(tenant: tenant, workflowID: workflow, input: [:], idempotencyKey: nil, principal: Self.principal, traceID: "t")
                let state = try await Self.waitFor(engine, tenant, run.id)
                #expect(state.status == .failed)
                #expect(state.error == "asked to fail")
                #expect(state.nodes["b"]?.status == "failed")
                #expect(state.nodes["c"] == nil)
                #expect(counter.snapshot == ["a": 1, "b": 1])
                group.cancelAll()
            }
        }
    }

    @Test(arguments: TestBackend.all)
    func runsOfAnotherTenantAreInvisible(backend: TestBackend) async throws {
        try await backend.withStore { store in
            let (tenant, workflow) = try await Self.setUp(store, definition: Self.chain)
            let engine = RunEngine(store: store, registry: Self.registry(ExecutionCounter()), authorizer: try FlowgateAuthorizer(), logger: Logger(label: "test"))
            let (run, _) = try await engine.startRun(tenant: tenant, workflowID: workflow, input: [:], idempotencyKey: nil, principal: Self.principal, traceID: "t")
            #expect(try await engine.state(tenant: TenantID("other"), runID: run.id) == nil)
            await #expect(throws: RunError.self) {
                _ = try await engine.startRun(tenant: TenantID("other"), workflowID: workflow, input: [:], idempotencyKey: nil, principal: Self.principal, traceID: "t")
            }
        }
    }

    @Test func foldIgnoresNothingAndOrdersByEvents() {
        let events = [
            RunEventRecord(runID: "r", seq: 1, type: "RunCreated", nodeID: nil, at: 1, data: #"{"input":{"x":1}}"#),
            RunEventRecord(runID: "r", seq: 2, type: "RunStarted", nodeID: nil, at: 2, data: "{}"),
            RunEventRecord(runID: "r", seq: 3, type: "StepStarted", nodeID: "a", at: 3, data: "{}"),
            RunEventRecord(runID: "r", seq: 4, type: "StepFailed", nodeID: "a", at: 4, data: #"{"error":"boom"}"#),
            RunEventRecord(runID: "r", seq: 5, type: "StepStarted", nodeID: "a", at: 5, data: "{}"),
            RunEventRecord(runID: "r", seq: 6, type: "StepSucceeded", nodeID: "a", at: 6, data: #"{"outputs":{"out":1}}"#),
        ]
        let state = RunState.fold(events)
        #expect(state.status == .running)
        #expect(state.input == ["x": 1])
        var expected = NodeRunState(status: "succeeded", outputs: ["out": 1], error: nil, attempts: 2)
        expected.failures = 1
        #expect(state.nodes["a"] == expected)
        #expect(state.lastSeq == 6)
    }
}
