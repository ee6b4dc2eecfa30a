import Foundation
import JSON
import Logging
import Metrics
import Policy
import Secrets
import ServiceLifecycle
import Store

/// Settings for ``RunEngine``.
public struct RunEngineConfiguration: Sendable {
    /// Runs executed at the same time in this process. Default: 8.
    public var maxConcurrentRuns: Int
    /// Longest a run input may be, in bytes of JSON. Default: 1 MiB.
    public var maxInputBytes: Int
    /// Largest node input recorded in a step's event; larger ones are replaced by a note.
    /// Default: 64 KiB.
    public var maxRecordedInputBytes: Int
    /// How the engine waits between retries; tests pass one that does not sleep. Default: `Task.sleep`.
    public var sleep: @Sendable (Duration) async throws -> Void

    /// - Parameters:
    ///   - maxConcurrentRuns: runs executed at once (default 8).
    ///   - maxInputBytes: largest run input (default 1 MiB).
    ///   - maxRecordedInputBytes: largest step input kept in the log (default 64 KiB).
    ///   - sleep: the wait between retries (default `Task.sleep`).
    public init(
        maxConcurrentRuns: Int = 8, maxInputBytes: Int = 1 << 20, maxRecordedInputBytes: Int = 64 << 10,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.maxConcurrentRuns = maxConcurrentRuns
        self.maxInputBytes = maxInputBytes
        self.maxRecordedInputBytes = maxRecordedInputBytes
        self.sleep = sleep
    }
}

/// Why a run could not be started.
public struct RunError: Error, Sendable, CustomStringConvertible {
    private enum Code: Sendable { case notFound, invalid, quota, conflict }
    private let code: Code
    public let message: String
    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
    /// The workflow or version does not exist in the tenant.
    public static func notFound(_ what: String) -> RunError { .init(.notFound, "\(what) not found") }
    /// The workflow or its input cannot be run.
    public static func invalid(_ message: String) -> RunError { .init(.invalid, message) }
    /// The tenant's queue of waiting runs is full.
    /// The run cannot be redriven (it is not failed, or the letter was redriven already).
    public static func conflict(_ message: String) -> RunError { .init(.conflict, message) }
    public static func queueFull(_ limit: Int) -> RunError {
        .init(.quota, "the tenant already has \(limit) runs waiting; retry later or raise max_queued_runs")
    }
    public var isNotFound: Bool { code == .notFound }
    /// Whether a quota refused the run.
    public var isQuota: Bool { code == .quota }
    /// Whether the run is not in a state that allows this.
    public var isConflict: Bool { code == .conflict }
    public var description: String { message }
}

/// Executes runs: every state change is an event committed before the next step starts, so
/// a run interrupted by a crash resumes from its log without repeating a succeeded step.
public final class RunEngine: Service {
    struct RunKey: Sendable, Hashable {
        let tenant: TenantID
        let runID: String
    }

    public let store: Store
    public let registry: NodeTypeRegistry
    let configuration: RunEngineConfiguration
    let logger: Logger
    let queue = RunQueue()
    /// Runs just created here, handed to their executor so it need not read them back, and
    /// parsed workflow versions (immutable, so they never go stale).
    let handoff = RunHandoff()
    /// Node-level concurrency limits.
    let gates = NodeGates()
    /// Waiters for runs to finish.
    let completions = RunCompletions()
    /// Each tenant's quotas (concurrent and queued runs).
    let quotas: @Sendable (TenantID) async -> TenantQuotas
    /// Decides node use and secret use for every step.
    let authorizer: any Authorizer
    /// Resolves `{{ secrets.name }}` at execution time; without it, such references fail the step.
    let secrets: (any SecretResolving)?
    /// The process-wide redactor (also used by logging); each run adds its own on top.
    let redactor: Redactor

    /// Loads a tenant's policies into the authorizer before its steps are decided.
    let preparePolicies: @Sendable (TenantID) async throws -> Void

    public init(
        store: Store, registry: NodeTypeRegistry = .builtIn, configuration: RunEngineConfiguration = .init(),
        authorizer: any Authorizer, logger: Logger,
        quotas: @escaping @Sendable (TenantID) async -> TenantQuotas = { _ in .defaults },
        preparePolicies: @escaping @Sendable (TenantID) async throws -> Void = { _ in },
        secrets: (any SecretResolving)? = nil, redactor: Redactor? = nil
    ) {
        self.preparePolicies = preparePolicies
        self.store = store
        self.registry = registry
        self.configuration = configuration
        self.logger = logger
        self.quotas = quotas
        self.authorizer = authorizer
        self.secrets = secrets
        self.redactor = redactor ?? secrets?.redactor ?? Redactor()
    }

    // MARK: Starting runs

    /// Records a new run of the workflow's current version and queues it. With an idempotency
    /// key that was used before for this workflow, returns that run instead of a new one.
    public func startRun(
        tenant: TenantID, workflowID: String, input: JSONValue, idempotencyKey: String?, principal: PrincipalInfo, traceID: String
    ) async throws -> (run: RunRecord, created: Bool) {
        let result = try await createRunReturningEvent(tenant: tenant, workflowID: workflowID, input: input, idempotencyKey: idempotencyKey,
                                                       principal: principal, traceID: traceID, parentRunID: nil)
        if result.created {
            let limits = await quotas(tenant)
            if let created = result.event { handoff.put(RunKey(tenant: tenant, runID: result.run.id), run: result.run, events: [created]) }
            queue.push(RunKey(tenant: tenant, runID: result.run.id), concurrencyCap: limits.maxConcurrentRuns)
            Gauge(label: "flowgate_run_queue_depth").record(Double(queue.depth))
        }
        return (result.run, result.created)
    }

    /// Records a run (and its RunCreated event) without queueing it.
    func createRun(
        tenant: TenantID, workflowID: String, input: JSONValue, idempotencyKey: String?, principal: PrincipalInfo, traceID: String,
        parentRunID: String?
    ) async throws -> (run: RunRecord, created: Bool) {
        let result = try await createRunReturningEvent(tenant: tenant, workflowID: workflowID, input: input, idempotencyKey: idempotencyKey,
                                                       principal: principal, traceID: traceID, parentRunID: parentRunID)
        return (result.run, result.created)
    }

    /// ``createRun`` that also returns the committed RunCreated event (when it created the run).
    func createRunReturningEvent(
        tenant: TenantID, workflowID: String, input: JSONValue, idempotencyKey: String?, principal: PrincipalInfo, traceID: String,
        parentRunID: String?
    ) async throws -> (run: RunRecord, created: Bool, event: RunEventRecord?) {
        let createdBy = principal.entity.description
        if input.serializedBytes().count > configuration.maxInputBytes {
            throw RunError.invalid("run input is larger than \(configuration.maxInputBytes) bytes")
        }
        let limits = await quotas(tenant)
        if parentRunID == nil, queue.queued(tenant) >= limits.maxQueuedRuns {
            Counter(label: "flowgate_quota_rejections_total", dimensions: [("quota", "queued_runs")]).increment()
            throw RunError.queueFull(limits.maxQueuedRuns)
        }
        let now = store.clock.nowMillis()
        let runID = UUIDv7.generate(millis: now)
        // The workflow, then the run with its RunCreated event in one statement (one round
        // trip on PostgreSQL); a concurrent start with the same idempotency key loses on the
        // unique index and returns the winner's run.
        let (workflow, existing) = try await store.read { db -> (WorkflowRecord?, RunRecord?) in
            let workflow = try await WorkflowRepository(db, tenant: tenant).get(workflowID)
            guard let key = idempotencyKey else { return (workflow, nil) }
            return (workflow, try await RunRepository(db, tenant: tenant).find(workflowID: workflowID, idempotencyKey: key))
        }
        guard let workflow else { throw RunError.notFound("workflow") }
        if let existing { return (existing, false, nil) }
        let record = RunRecord(
            tenantID: tenant, id: runID, workflowID: workflowID, workflowVersion: workflow.currentVersion,
            status: RunStatus.queued.rawValue, idempotencyKey: idempotencyKey, traceID: traceID, createdBy: createdBy,
            createdAt: now, updatedAt: now, parentRunID: parentRunID
        )
        let data: JSONValue = [
            "input": input, "workflow_version": .int(workflow.currentVersion), "trace_id": .string(traceID),
            "principal": RunPrincipal.json(principal),
        ]
        let result: (run: RunRecord, created: Bool, event: RunEventRecord?)
        do {
            let event = try await store.writeStatement {
                try await RunRepository($0, tenant: tenant).create(record, firstEvent: (RunEventType.runCreated.rawValue, now, data.serialized()))
            }
            result = (record, true, event)
        } catch let error as StoreError where error.isUniqueViolation && idempotencyKey != nil {
            guard let key = idempotencyKey,
                let winner = try await store.read({ try await RunRepository($0, tenant: tenant).find(workflowID: workflowID, idempotencyKey: key) })
            else { throw error }
            result = (winner, false, nil)
        }
        if result.created { Counter(label: "flowgate_runs_started_total").increment() }
        return result
    }

    /// Waits until a run this process executes has finished and returns its final state; `nil`
    /// for an unknown run. Meant for callers in the same process (benchmarks, a synchronous
    /// API); a run that another server instance executes is not noticed here.
    public func finalState(tenant: TenantID, runID: String) async throws -> RunState? {
        // A run this process queued or executes is waited for without reading it first.
        if !queue.holds(RunKey(tenant: tenant, runID: runID)) {
            guard let current = try await state(tenant: tenant, runID: runID)?.state else { return nil }
            if current.status.isTerminal { return current }
        }
        await completions.wait(for: runID)
        return try await state(tenant: tenant, runID: runID)?.state
    }

    /// The run's header and its state folded from its events.
    public func state(tenant: TenantID, runID: String) async throws -> (run: RunRecord, state: RunState, events: [RunEventRecord])? {
        try await store.read { db in
            let runs = RunRepository(db, tenant: tenant)
            guard let run = try await runs.get(runID) else { return nil }
            let events = try await runs.allEvents(runID)
            return (run, RunState.fold(events), events)
        }
    }

    /// Runs of `tenant` waiting for a slot, and executing.
    public func load(of tenant: TenantID) -> (queued: Int, executing: Int) {
        (queue.queued(tenant), queue.executing(tenant))
    }

    // MARK: Service

    /// Resumes runs left unfinished by an earlier process, then executes queued runs until
    /// graceful shutdown.
    public func run() async throws {
        let unfinished = try await store.read { try await UnfinishedRuns($0).list(limit: 100_000) }
        if !unfinished.isEmpty {
            logger.info("resuming unfinished runs", metadata: ["fg.runs": "\(unfinished.count)"])
        }
        for run in unfinished {
            queue.push(RunKey(tenant: run.tenantID, runID: run.id), concurrencyCap: await quotas(run.tenantID).maxConcurrentRuns)
        }
        // Graceful shutdown and cancellation both close the queue: workers finish the step in
        // hand and stop; anything unfinished resumes from its log at the next start.
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await withDiscardingTaskGroup { group in
                    for _ in 0..<max(1, configuration.maxConcurrentRuns) {
                        group.addTask {
                            while let key = await self.queue.pop() {
                                await self.execute(key)
                                self.queue.done(key)
                            }
                        }
                    }
                }
            } onGracefulShutdown: {
                self.queue.close()
            }
        } onCancel: {
            self.queue.close()
        }
    }

    // MARK: Redrive

    /// Re-drives a dead letter: the failed node (and everything downstream of it) runs again
    /// in the same run; items and steps that succeeded are not repeated, and side effects
    /// carry the same idempotency keys as before.
    public func redrive(tenant: TenantID, deadLetterID: String, principal: PrincipalInfo) async throws -> RunRecord {
        let now = store.clock.nowMillis()
        let run: RunRecord = try await store.write { db in
            let letters = DeadLetterRepository(db, tenant: tenant)
            guard let letter = try await letters.get(deadLetterID) else { throw RunError.notFound("dead letter") }
            guard letter.status == "open" else { throw RunError.conflict("this dead letter was redriven already") }
            let runs = RunRepository(db, tenant: tenant)
            guard let run = try await runs.get(letter.runID) else { throw RunError.notFound("run") }
            guard let version = try await WorkflowRepository(db, tenant: tenant).version(run.workflowID, run.workflowVersion),
                  let json = try? JSONValue.parse(version.definition), let definition = try? WorkflowDefinition.decode(json)
            else { throw RunError.invalid("the run's workflow version is unreadable") }
            let events = try await runs.allEvents(run.id)
            let state = RunState.fold(events)
            if !state.status.isTerminal { throw RunError.conflict("the run is still in progress") }
            let reset = [letter.nodeID] + Self.descendants(of: letter.nodeID, in: definition)
            try await runs.append(run.id, [(RunEventType.runRedriven.rawValue, letter.nodeID, now, JSONValue.object([
                "reset": .array(reset.map(JSONValue.string)), "dead_letter": .string(letter.id),
                "by": .string(principal.entity.description),
            ]).serialized())])
            try await runs.setStatus(run.id, RunStatus.queued.rawValue, at: now)
            for open in try await letters.open(ofRun: run.id) { try await letters.markRedriven(open.id, at: now) }
            return run
        }
        completions.reopened(run.id)
        if run.parentRunID == nil {
            queue.push(RunKey(tenant: tenant, runID: run.id), concurrencyCap: await quotas(tenant).maxConcurrentRuns)
        }
        return run
    }

    static func descendants(of node: String, in definition: WorkflowDefinition) -> [String] {
        var seen: Set<String> = [node]
        var frontier = [node]
        var out: [String] = []
        while let current = frontier.popLast() {
            for edge in definition.edges where edge.from.node == current && seen.insert(edge.to.node).inserted {
                out.append(edge.to.node)
                frontier.append(edge.to.node)
            }
        }
        return out
    }

    // MARK: Test runs

    /// What a test run did: the state of each node (with its input), and its events.
    public struct TestRun: Sendable {
        public var state: RunState
        public var events: [RunEventRecord]
    }

    /// Runs a definition (or the nodes `only` of it) once with `input`, in dry-run mode: sinks
    /// report what they would write instead of writing, nothing is stored, and the result holds
    /// each node's input and output. The entry nodes of the subgraph get `input`.
    public func test(
        tenant: TenantID, workflowID: String, definition: WorkflowDefinition, input: JSONValue, only: Set<String>?, principal: PrincipalInfo,
        traceID: String, depth: Int = 0
    ) async throws -> TestRun {
        let now = store.clock.nowMillis()
        let runID = "test-" + UUIDv7.generate(millis: now)
        let record = RunRecord(tenantID: tenant, id: runID, workflowID: workflowID, workflowVersion: 0, status: "queued", idempotencyKey: nil,
                               traceID: traceID, createdBy: principal.entity.description, createdAt: now, updatedAt: now)
        let log = MemoryRunLog(runID: runID, clock: store.clock)
        var state = RunState()
        state.apply(try await log.append(.runCreated, data: ["input": input, "principal": RunPrincipal.json(principal), "dry_run": true]))
        var execution = Execution(key: RunKey(tenant: tenant, runID: runID), run: record, definition: definition, state: state, log: log,
                                  dryRun: true, only: only, logger: logger)
        execution.depth = depth
        try await drive(&execution)
        return TestRun(state: execution.state, events: log.recorded)
    }
}

/// Time-ordered UUIDs (RFC 9562 version 7), so that run ids sort by creation time.
public enum UUIDv7 {
    public static func generate(millis: Int64) -> String {
        var rng = SystemRandomNumberGenerator()
        var bytes = [UInt8](repeating: 0, count: 16)
        for i in 0..<6 { bytes[i] = UInt8(truncatingIfNeeded: millis >> (8 * (5 - i))) }
        for i in 6..<16 { bytes[i] = UInt8.random(in: .min ... .max, using: &rng) }
        bytes[6] = (bytes[6] & 0x0F) | 0x70
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = bytes.map { String($0, radix: 16) }.map { $0.count == 1 ? "0" + $0 : $0 }.joined()
        let h = Array(hex)
        return String(h[0..<8]) + "-" + String(h[8..<12]) + "-" + String(h[12..<16]) + "-" + String(h[16..<20]) + "-" + String(h[20..<32])
    }
}
