import Engine
import FlowgateTesting
import JSON
import Logging
import Policy
import Store
import Synchronization
import Testing

/// Tracks how many steps of each tenant run at once.
final class ConcurrencyProbe: Sendable {
    struct State { var current: [String: Int] = [:]; var peak: [String: Int] = [:]; var finished: [String] = [] }
    let state = Mutex(State())
    func enter(_ tenant: String) { state.withLock { $0.current[tenant, default: 0] += 1; $0.peak[tenant] = max($0.peak[tenant] ?? 0, $0.current[tenant] ?? 0) } }
    func leave(_ tenant: String, _ run: String) { state.withLock { $0.current[tenant, default: 0] -= 1; $0.finished.append(run) } }
    var snapshot: State { state.withLock { $0 } }
}

struct SlowNode: NodeType {
    let probe: ConcurrencyProbe
    let descriptor = NodeTypeDescriptor(name: "test.slow", title: "Slow", category: "Test", description: "", inputs: [PortSpec("in")],
                                        outputs: [PortSpec("out")], configSchema: ["type": "object"])
    func execute(config: JSONValue, input: [String: JSONValue], context: NodeContext) async throws -> [String: JSONValue] {
        probe.enter(context.tenant)
        try await Task.sleep(for: .milliseconds(40))
        probe.leave(context.tenant, context.runID)
        return ["out": [:]]
    }
}

@Suite struct FairSchedulingTests {
    static let principal = PrincipalInfo(entity: EntityRef("ApiToken", "x"), tenant: nil, roles: ["editor"], isPlatformAdmin: true)
    static let definition = #"{"nodes":[{"id":"s","type":"test.slow"}],"edges":[]}"#

    static func tenant(_ store: Store, _ slug: String) async throws -> TenantID {
        let id = TenantID("t-\(slug)")
        try await store.write { db in
            try await TenantRepository(db).create(Tenant(id: id, slug: slug, name: slug, createdAt: 1))
            try await WorkflowRepository(db, tenant: id).create(
                WorkflowRecord(tenantID: id, id: "w", name: "w", description: "", currentVersion: 1, createdAt: 1, updatedAt: 1),
                definition: definition, createdBy: "test")
        }
        return id
    }

    @Test func oneTenantsFloodDoesNotStarveAnotherAndCapsHold() async throws {
        try await TestBackend.sqlite.withStore { store in
            let a = try await Self.tenant(store, "flood")
            let b = try await Self.tenant(store, "quiet")
            let probe = ConcurrencyProbe()
            var registry = NodeTypeRegistry.builtIn
            registry.register(SlowNode(probe: probe))
            var quotas = TenantQuotas.defaults
            quotas.maxConcurrentRuns = 2
            let limits = quotas
            let engine = RunEngine(store: store, registry: registry, configuration: .init(maxConcurrentRuns: 4), authorizer: try FlowgateAuthorizer(), logger: Logger(label: "t"),
                                   quotas: { _ in limits })
            // Both tenants' runs are queued before any worker starts, so the order in which
            // they finish shows the scheduling, not how fast they were submitted.
            var flood: [String] = []
            for _ in 0..<20 {
                flood.append(try await engine.startRun(tenant: a, workflowID: "w", input: [:], idempotencyKey: nil, principal: Self.principal, traceID: "t").run.id)
            }
            var quiet: [String] = []
            for _ in 0..<2 {
                quiet.append(try await engine.startRun(tenant: b, workflowID: "w", input: [:], idempotencyKey: nil, principal: Self.principal, traceID: "t").run.id)
            }
            let queuedRuns = flood + quiet
            let quietRuns = quiet
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await engine.run() }
                for id in queuedRuns {
                    let tenant = quietRuns.contains(id) ? b : a
                    for _ in 0..<1000 {
                        if try await engine.state(tenant: tenant, runID: id)?.state.status.isTerminal == true { break }
                        try await Task.sleep(for: .milliseconds(10))
                    }
                }
                let snapshot = probe.snapshot
                // The quiet tenant's runs finished among the first few, not after the flood.
                // With 4 workers and a cap of 2 per tenant, the first wave is two runs of each
                // tenant: the quiet tenant's runs are among the first four to finish, although
                // twenty of the other tenant's were queued before them.
                let positions = quietRuns.compactMap { snapshot.finished.firstIndex(of: $0) }
                #expect(positions.count == 2)
                #expect(positions.allSatisfy { $0 < 4 }, "quiet runs finished at positions \(positions) of \(snapshot.finished.count)")
                #expect(snapshot.finished.count == 22)
                // Neither tenant ever exceeded its cap of 2 concurrent runs.
                #expect(snapshot.peak["t-flood"] == 2)
                #expect((snapshot.peak["t-quiet"] ?? 0) <= 2)
                group.cancelAll()
            }
        }
    }

    @Test func aFullQueueRefusesNewRuns() async throws {
        try await TestBackend.sqlite.withStore { store in
            let a = try await Self.tenant(store, "busy")
            var quotas = TenantQuotas.defaults
            quotas.maxQueuedRuns = 3
            let limits = quotas
            let probe = ConcurrencyProbe()
            var registry = NodeTypeRegistry.builtIn
            registry.register(SlowNode(probe: probe))
            // No worker runs, so everything stays queued.
            let engine = RunEngine(store: store, registry: registry, authorizer: try FlowgateAuthorizer(), logger: Logger(label: "t"), quotas: { _ in limits })
            for _ in 0..<3 {
                _ = try await engine.startRun(tenant: a, workflowID: "w", input: [:], idempotencyKey: nil, principal: Self.principal, traceID: "t")
            }
            do {
                _ = try await engine.startRun(tenant: a, workflowID: "w", input: [:], idempotencyKey: nil, principal: Self.principal, traceID: "t")
                Issue.record("a fourth run was accepted")
            } catch let error as RunError {
                #expect(error.isQuota)
            }
            #expect(engine.load(of: a).queued == 3)
            let rows = try await store.read { try await $0.query("SELECT id FROM runs") }
            #expect(rows.count == 3)
        }
    }
}
