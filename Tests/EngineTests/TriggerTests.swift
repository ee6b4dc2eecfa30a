import Engine
import FlowgateTesting
import Foundation
import JSON
import Logging
import Policy
import Store
import Testing

@Suite struct TriggerTests {
    static let tenant = TenantID("t1")
    static let principal = PrincipalInfo(entity: EntityRef("ApiToken", "saver"), tenant: "t1", roles: ["editor"])

    /// Saves a workflow whose only node is the given schedule, as the gateway does.
    static func schedule(_ store: Store, id: String, _ config: JSONValue, now: Int64) async throws {
        let definition = try WorkflowDefinition.decode(["nodes": [["id": "cron", "type": "trigger.schedule", "config": config]]])
        try WorkflowValidator(registry: .builtIn).validate(definition)
        try await store.write { db in
            if try await TenantRepository(db).get(tenant) == nil {
                try await TenantRepository(db).create(Tenant(id: tenant, slug: "acme", name: "Acme", createdAt: 1))
            }
            try await WorkflowRepository(db, tenant: tenant).create(
                WorkflowRecord(tenantID: tenant, id: id, name: id, description: "", currentVersion: 1, createdAt: now, updatedAt: now),
                definition: definition.json.serialized(), createdBy: "test")
            try await TriggerRepository(db, tenant: tenant).replace(
                workflowID: id, with: Triggers.records(for: definition, tenant: tenant, workflowID: id, principal: principal, now: now))
        }
    }

    static func engine(_ store: Store) throws -> RunEngine {
        RunEngine(store: store, registry: .builtIn, configuration: .init(maxConcurrentRuns: 4), authorizer: try FlowgateAuthorizer(),
                  logger: Logger(label: "test"))
    }

    static func runs(_ store: Store, _ workflow: String) async throws -> [JSONValue] {
        try await store.read { db in
            try await RunRepository(db, tenant: tenant).list(workflowID: workflow, limit: 1000)
        }.map { .string($0.idempotencyKey ?? "") }
    }

    @Test(arguments: TestBackend.all)
    func missedFireTimesFollowTheCatchUpPolicy(backend: TestBackend) async throws {
        let clock = ManualClock()
        try await backend.withStore(clock: clock) { store in
            let start = clock.nowMillis()
            try await Self.schedule(store, id: "none", ["cron": "* * * * *", "catch_up": "none"], now: start)
            try await Self.schedule(store, id: "latest", ["cron": "* * * * *"], now: start)
            try await Self.schedule(store, id: "all", ["cron": "* * * * *", "catch_up": "all", "max_catch_up": 3], now: start)
            let scheduler = TriggerScheduler(engine: try Self.engine(store))
            // Nothing is due yet.
            #expect(try await scheduler.fireDue() == 0)

            // The server was "down" for five minutes and ten seconds: fire times at +1..+5 min passed.
            clock.advance(millis: 5 * 60_000 + 10_000)
            #expect(try await scheduler.fireDue() == 5)
            let minute: (Int64) -> String = { "schedule:cron:\(start + $0 * 60_000)" }
            // none: only the fire time still within the grace window (+5 min, 10 s late).
            #expect(try await Self.runs(store, "none") == [.string(minute(5))])
            // latest: once, for the most recent time.
            #expect(try await Self.runs(store, "latest") == [.string(minute(5))])
            // all: each missed time, at most max_catch_up of them, the most recent ones.
            #expect(Set(try await Self.runs(store, "all")) == Set([minute(3), minute(4), minute(5)].map(JSONValue.string)))

            // A second pass at the same instant starts nothing: the schedules moved on.
            #expect(try await scheduler.fireDue() == 0)
            // On time, one run per schedule per minute.
            clock.advance(millis: 60_000)
            #expect(try await scheduler.fireDue() == 3)
            #expect(try await Self.runs(store, "latest").count == 2)
        }
    }

    @Test func schedulesFireInTheirTimeZone() async throws {
        let clock = ManualClock()  // 2027-01-15T08:00:00Z, winter: Berlin is UTC+1
        try await TestBackend.sqlite.withStore(clock: clock) { store in
            try await Self.schedule(store, id: "berlin", ["cron": "0 9 * * *", "timezone": "Europe/Berlin", "input": ["k": 1]], now: clock.nowMillis())
            try await Self.schedule(store, id: "utc", ["cron": "0 9 * * *"], now: clock.nowMillis())
            let triggers = try await store.read { db in
                try await TriggerRepository(db, tenant: Self.tenant).list(workflowID: "berlin") + TriggerRepository(db, tenant: Self.tenant).list(workflowID: "utc")
            }
            // 09:00 in Berlin is 08:00Z: tomorrow's, since today's is now. 09:00Z is in an hour.
            #expect(triggers.map(\.nextFireAt) == [clock.nowMillis() + 86_400_000, clock.nowMillis() + 3_600_000])

            let engine = try Self.engine(store)
            clock.advance(millis: 3_600_000)
            #expect(try await TriggerScheduler(engine: engine).fireDue() == 1)
            let run = try #require(try await store.read { try await RunRepository($0, tenant: Self.tenant).list(workflowID: "utc", limit: 1) }.first)
            let state = try #require(try await engine.state(tenant: Self.tenant, runID: run.id))
            #expect(state.state.input["scheduled_at"] == "2027-01-15T09:00:00Z")
            // Runs act as whoever saved the workflow.
            #expect(run.createdBy == #"ApiToken::"saver""#)
        }
    }

    @Test func badSchedulesAreRefusedAtSave() async throws {
        let registry = NodeTypeRegistry.builtIn
        for (config, field) in [(["cron": "61 * * * *"] as JSONValue, "config.cron"), (["cron": "* * * * *", "timezone": "Mars/Olympus"], "config.timezone")] {
            let definition = try WorkflowDefinition.decode(["nodes": [["id": "s", "type": "trigger.schedule", "config": config]]])
            try WorkflowValidator(registry: registry).validate(definition)
            do {
                try await registry.check(definition)
                Issue.record("\(config) was accepted")
            } catch {
                #expect(error.problems.first?.field == field)
                #expect(error.problems.first?.node == "s")
            }
        }
        let badPath = try WorkflowDefinition.decode(["nodes": [["id": "w", "type": "trigger.webhook", "config": ["path": "../etc"]]]])
        await #expect(throws: WorkflowValidationError.self) { try await registry.check(badPath) }
        #expect(WebhookTriggerNode.isValidPath("alerts/grafana-1.v2"))
        #expect(!WebhookTriggerNode.isValidPath("alerts//x") && !WebhookTriggerNode.isValidPath("/x") && !WebhookTriggerNode.isValidPath("a b"))
    }

    @Test(arguments: TestBackend.all)
    func retentionDeletesOldAndSurplusFinishedRunsOnly(backend: TestBackend) async throws {
        let clock = ManualClock()
        try await backend.withStore(clock: clock) { store in
            let day: Int64 = 86_400_000
            try await store.write { db in
                try await TenantRepository(db).create(Tenant(id: Self.tenant, slug: "acme", name: "Acme",
                                                             settings: #"{"retention":{"max_age_days":7,"max_runs":3}}"#, createdAt: 1))
                try await TenantRepository(db).create(Tenant(id: TenantID("t2"), slug: "other", name: "Other", createdAt: 1))
                for t in [Self.tenant, TenantID("t2")] {
                    try await WorkflowRepository(db, tenant: t).create(
                        WorkflowRecord(tenantID: t, id: "w", name: "w", description: "", currentVersion: 1, createdAt: 1, updatedAt: 1),
                        definition: #"{"nodes":[{"id":"a","type":"core.noop"}]}"#, createdBy: "test")
                    let runs = RunRepository(db, tenant: t)
                    // Ten days of runs, one a day; the oldest still running.
                    for i in 0..<10 {
                        let at = clock.nowMillis() - Int64(10 - i) * day
                        _ = try await runs.create(RunRecord(tenantID: t, id: "r\(i)", workflowID: "w", workflowVersion: 1, status: i == 0 ? "running" : "succeeded",
                                                            idempotencyKey: nil, traceID: "t", createdBy: "x", createdAt: at, updatedAt: at))
                        try await runs.append("r\(i)", [(type: "RunCreated", nodeID: nil, at: at, data: "{}")])
                    }
                    _ = try await runs.create(RunRecord(tenantID: t, id: "child", workflowID: "w", workflowVersion: 1, status: "succeeded", idempotencyKey: nil,
                                                        traceID: "t", createdBy: "x", createdAt: 0, updatedAt: 0, parentRunID: "r1"))
                }
            }
            let deleted = try await RetentionService(engine: try Self.engine(store)).pruneAll()
            #expect(deleted == 6)
            let left = try await store.read { db in try await RunRepository(db, tenant: Self.tenant).list(workflowID: "w", limit: 100).map(\.id) }
            // The unfinished r0 stays whatever its age; of the finished, the newest three.
            #expect(Set(left) == ["r0", "r7", "r8", "r9"])
            let events = try await store.read { try await $0.query("SELECT run_id FROM run_events WHERE tenant_id = 't1'") }
            let eventRuns = events.compactMap { row -> String? in
                if case .text(let id) = row["run_id"] { return id }
                return nil
            }
            #expect(Set(eventRuns) == ["r0", "r7", "r8", "r9"])
            // The other tenant has no retention set: untouched.
            let other = try await store.read { try await RunRepository($0, tenant: TenantID("t2")).list(workflowID: "w", limit: 100) }
            #expect(other.count == 11)
        }
    }
}
