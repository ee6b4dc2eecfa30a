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

    /// - Parameters:
    ///   - maxConcurrentRuns: runs executed at once (default 8).
    ///   - maxInputBytes: largest run input (default 1 MiB).
    public init(maxConcurrentRuns: Int = 8, maxInputBytes: Int = 1 << 20) {
        self.maxConcurrentRuns = maxConcurrentRuns
        self.maxInputBytes = maxInputBytes
    }
}

/// Why a run could not be started.
public struct RunError: Error, Sendable, CustomStringConvertible {
    private enum Code: Sendable { case notFound, invalid, quota }
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
    public static func queueFull(_ limit: Int) -> RunError {
        .init(.quota, "the tenant already has \(limit) runs waiting; retry later or raise max_queued_runs")
    }
    public var isNotFound: Bool { code == .notFound }
    /// Whether a quota refused the run.
    public var isQuota: Bool { code == .quota }
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
    private let queue = RunQueue()
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
        let createdBy = principal.entity.description
        if input.serializedBytes().count > configuration.maxInputBytes {
            throw RunError.invalid("run input is larger than \(configuration.maxInputBytes) bytes")
        }
        let limits = await quotas(tenant)
        if queue.queued(tenant) >= limits.maxQueuedRuns {
            Counter(label: "flowgate_quota_rejections_total", dimensions: [("quota", "queued_runs")]).increment()
            throw RunError.queueFull(limits.maxQueuedRuns)
        }
        let now = store.clock.nowMillis()
        let runID = UUIDv7.generate(millis: now)
        let result: (run: RunRecord, created: Bool) = try await store.write { db in
            let workflows = WorkflowRepository(db, tenant: tenant)
            guard let workflow = try await workflows.get(workflowID) else { throw RunError.notFound("workflow") }
            let record = RunRecord(
                tenantID: tenant, id: runID, workflowID: workflowID, workflowVersion: workflow.currentVersion,
                status: RunStatus.queued.rawValue, idempotencyKey: idempotencyKey, traceID: traceID, createdBy: createdBy,
                createdAt: now, updatedAt: now
            )
            let runs = RunRepository(db, tenant: tenant)
            let outcome = try await runs.create(record)
            if outcome.created {
                let data: JSONValue = [
                    "input": input, "workflow_version": .int(workflow.currentVersion), "trace_id": .string(traceID),
                    "principal": RunPrincipal.json(principal),
                ]
                try await runs.append(runID, [(RunEventType.runCreated.rawValue, nil, now, data.serialized())])
            }
            return outcome
        }
        if result.created {
            Counter(label: "flowgate_runs_started_total").increment()
            queue.push(RunKey(tenant: tenant, runID: result.run.id), concurrencyCap: limits.maxConcurrentRuns)
        }
        return result
    }

    /// The run's header and its state folded from its events.
    public func state(tenant: TenantID, runID: String) async throws -> (run: RunRecord, state: RunState, events: [RunEventRecord])? {
        try await store.read { db in
            let runs = RunRepository(db, tenant: tenant)
            guard let run = try await runs.get(runID) else { return nil }
            let events = try await runs.events(runID)
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

    // MARK: Execution

    func execute(_ key: RunKey) async {
        var logger = self.logger
        logger[metadataKey: "fg.tenant"] = "\(key.tenant)"
        logger[metadataKey: "fg.run.id"] = "\(key.runID)"
        do {
            try await executeRun(key, logger: logger)
        } catch {
            // Storage failed mid-run; the run stays unfinished and resumes at the next start.
            logger.error("run execution stopped", metadata: ["error": "\(error)"])
        }
    }

    private func append(_ key: RunKey, _ type: RunEventType, node: String? = nil, data: JSONValue = [:], status: RunStatus? = nil,
                        audit: AuditRecord? = nil) async throws -> RunEventRecord {
        let now = store.clock.nowMillis()
        return try await store.write { db in
            let runs = RunRepository(db, tenant: key.tenant)
            let records = try await runs.append(key.runID, [(type.rawValue, node, now, data.serialized())])
            if let status { try await runs.setStatus(key.runID, status.rawValue, at: now) }
            if let audit { try await AuditLog.append([audit], in: db) }
            return records[0]
        }
    }

    private func executeRun(_ key: RunKey, logger: Logger) async throws {
        guard let loaded = try await state(tenant: key.tenant, runID: key.runID) else { return }
        var state = loaded.state
        let run = loaded.run
        if state.status.isTerminal { return }
        let version = try await store.read { try await WorkflowRepository($0, tenant: key.tenant).version(run.workflowID, run.workflowVersion) }
        guard let version, let json = try? JSONValue.parse(version.definition),
              let definition = try? WorkflowDefinition.decode(json)
        else {
            try await finish(key, run: run, &state, failure: "workflow version \(run.workflowVersion) is missing or unreadable", node: nil)
            return
        }
        if state.status == .queued {
            state.apply(try await append(key, .runStarted, status: .running))
        }
        let order = WorkflowValidator.topologicalOrder(definition).order
        let runRedactor = Redactor()
        var incoming: [String: [WorkflowDefinition.Edge]] = [:]
        for edge in definition.edges { incoming[edge.to.node, default: []].append(edge) }

        for nodeID in order {
            if state.nodes[nodeID]?.status == "succeeded" { continue }
            guard let node = definition.node(nodeID), let type = registry[node.type] else {
                try await finish(key, run: run, &state, failure: "node type is not available", node: nodeID)
                return
            }
            let input = Self.inputs(for: nodeID, edges: incoming[nodeID] ?? [], state: state)
            let attempt = (state.nodes[nodeID]?.attempts ?? 0) + 1
            state.apply(try await append(key, .stepStarted, node: nodeID, data: ["attempt": .int(Int64(attempt))]))
            var spanGenerator = SystemRandomNumberGenerator()
            let context = NodeContext(
                tenant: key.tenant.rawValue, runID: key.runID, nodeID: nodeID, traceID: run.traceID,
                spanID: String(format: "%016llx", UInt64.random(in: 1 ... .max, using: &spanGenerator)),
                idempotencyKey: "\(key.runID):\(nodeID):0", logger: logger
            )
            let started = ContinuousClock.now
            do {
                let config = try await prepare(node, run: run, state: state, key: key, redactor: runRedactor)
                let outputs = try await type.execute(config: config, input: input, context: context)
                Timer(label: "flowgate_step_duration_seconds", dimensions: [("node_type", node.type)], preferredDisplayUnit: .seconds)
                    .record(duration: ContinuousClock.now - started)
                let redacted = redactor.redact(runRedactor.redact(JSONValue.object(outputs)))
                state.apply(try await append(key, .stepSucceeded, node: nodeID, data: ["outputs": redacted]))
            } catch {
                let message = redactor.redact(runRedactor.redact((error as? NodeError)?.message ?? Self.describe(error)))
                state.apply(try await append(key, .stepFailed, node: nodeID, data: ["error": .string(message), "attempt": .int(Int64(attempt))]))
                try await finish(key, run: run, &state, failure: message, node: nodeID)
                return
            }
        }
        try await finish(key, run: run, &state, failure: nil, node: nil)
    }

    private func finish(_ key: RunKey, run: RunRecord, _ state: inout RunState, failure: String?, node: String?) async throws {
        let status: RunStatus = failure == nil ? .succeeded : .failed
        let audit = AuditRecord(
            tenant: key.tenant, at: store.clock.nowMillis(), principal: run.createdBy, action: "run.complete",
            resource: "Run::\"\(run.id)\"", decision: "allow", outcome: status.rawValue, status: 0, requestID: run.id, sourceIP: "",
            detail: ["workflow": .string(run.workflowID), "version": .int(run.workflowVersion)]
        )
        var data: JSONValue = [:]
        if let failure { data = ["error": .string(failure), "node": node.map(JSONValue.string) ?? .null] }
        state.apply(try await append(key, failure == nil ? .runSucceeded : .runFailed, data: data, status: status, audit: audit))
        Counter(label: "flowgate_runs_total", dimensions: [("status", status.rawValue)]).increment()
    }

    /// Decides whether the run's principal may use this node type and each secret the node's
    /// config refers to, resolves those secrets and returns the config with them substituted.
    /// The substituted config lives only for the call; it is never stored.
    func prepare(_ node: WorkflowDefinition.Node, run: RunRecord, state: RunState, key: RunKey, redactor runRedactor: Redactor) async throws -> JSONValue {
        try await preparePolicies(key.tenant)
        let principal = RunPrincipal.info(state.principal, fallback: run.createdBy, tenant: key.tenant.rawValue)
        let context: [String: JSONValue] = ["workflow": .string(run.workflowID), "run": .string(run.id)]
        let nodeDecision = authorizer.authorize(AuthorizationRequest(
            principal: principal, action: "node.execute",
            resource: ResourceInfo(entity: EntityRef("NodeType", node.type), tenant: key.tenant.rawValue), context: context
        ))
        if !nodeDecision.isAllowed {
            try await auditDenial(key, run: run, action: "node.execute", resource: EntityRef("NodeType", node.type), decision: nodeDecision)
            throw NodeError("the run's principal is not allowed to use node type \(node.type)")
        }
        let names = SecretReferences.names(in: node.config)
        if names.isEmpty { return node.config }
        guard let secrets else { throw NodeError("this node refers to secrets, but no secret store is configured") }
        var values: [String: String] = [:]
        for name in names {
            let resolved: (id: String, workflowIDs: [String]?, value: SecretValue)
            do {
                resolved = try await secrets.resolveSecret(in: key.tenant, name: name)
            } catch let error as SecretsError {
                throw NodeError(error.isNotFound ? "secret \"\(name)\" does not exist" : "secret \"\(name)\": \(error.message)")
            } catch let error as VaultError {
                throw NodeError.retryable("secret \"\(name)\": \(error.message)")
            }
            let resource = ResourceInfo(
                entity: EntityRef("Secret", resolved.id), tenant: key.tenant.rawValue,
                attributes: ["name": .string(name), "workflows": resolved.workflowIDs.map { .array($0.map(JSONValue.string)) } ?? .null]
            )
            let decision = authorizer.authorize(AuthorizationRequest(principal: principal, action: "secret.use", resource: resource, context: context))
            if !decision.isAllowed {
                try await auditDenial(key, run: run, action: "secret.use", resource: resource.entity, decision: decision)
                throw NodeError("the run may not use secret \"\(name)\"")
            }
            runRedactor.register(resolved.value.plaintext)
            values[name] = resolved.value.plaintext
        }
        return SecretReferences.substitute(node.config, values)
    }

    private func auditDenial(_ key: RunKey, run: RunRecord, action: String, resource: EntityRef, decision: Decision) async throws {
        let record = AuditRecord(
            tenant: key.tenant, at: store.clock.nowMillis(), principal: run.createdBy, action: action, resource: resource.description,
            decision: "deny", reasons: decision.reasons + decision.errors.map { "error:\($0)" }, outcome: "denied", status: 0,
            requestID: run.id, sourceIP: "", detail: ["run": .string(run.id), "workflow": .string(run.workflowID)]
        )
        try await store.write { try await AuditLog.append([record], in: $0) }
    }

    /// A description of an unexpected error that names its kind, not its contents.
    static func describe(_ error: any Error) -> String {
        if let error = error as? SecretsError { return error.message }
        if let error = error as? VaultError { return error.message }
        return "internal error (\(type(of: error)))"
    }

    /// The values arriving on each input port of a node. A node without incoming edges gets
    /// the run input on `in`. Several edges into one port merge: objects shallowly, in edge
    /// order; anything else becomes an array.
    static func inputs(for nodeID: String, edges: [WorkflowDefinition.Edge], state: RunState) -> [String: JSONValue] {
        if edges.isEmpty { return ["in": state.input] }
        var byPort: [String: [JSONValue]] = [:]
        for edge in edges {
            let value = state.nodes[edge.from.node]?.outputs[edge.from.port] ?? .null
            byPort[edge.to.port, default: []].append(value)
        }
        return byPort.mapValues { values in
            if values.count == 1 { return values[0] }
            if values.allSatisfy({ $0.objectValue != nil }) {
                var merged: [String: JSONValue] = [:]
                for value in values { merged.merge(value.objectValue ?? [:]) { _, new in new } }
                return .object(merged)
            }
            return .array(values)
        }
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
