import Foundation
import JSON
import Logging
import Metrics
import Policy
import Secrets
import Store
import Synchronization

/// One run being driven: its definition, its state (the fold of its log so far) and where its
/// events go.
struct Execution: Sendable {
    let key: RunEngine.RunKey
    let run: RunRecord
    let definition: WorkflowDefinition
    var state: RunState
    let log: any RunLog
    /// Test runs: sinks report instead of writing, nothing is stored.
    let dryRun: Bool
    /// Test runs of a subgraph: only these nodes run.
    let only: Set<String>?
    let logger: Logger
    /// How deeply this run is nested as a sub-workflow (0 for a top-level run).
    var depth: Int = 0
    /// The secrets this run's steps used, masked in everything it records.
    let redactor = Redactor()
    /// Events already folded into `state` but not yet committed: a step's success (and the
    /// run's start) is committed in the same transaction as the next event, which is always
    /// before the next step starts executing, so a crash still repeats only a step whose result
    /// was not committed, at half the commits per step.
    var pending: [PendingEvent] = []

    /// Folds an event in now and leaves its commit to the next ``RunEngine/commit(_:_:node:data:status:)``.
    mutating func postpone(_ type: RunEventType, node: String? = nil, data: JSONValue = [:], status: RunStatus? = nil) {
        let event = PendingEvent(type: type, node: node, data: data, status: status)
        pending.append(event)
        state.apply(RunEventRecord(runID: key.runID, seq: state.lastSeq + 1, type: type.rawValue, nodeID: node, at: 0, data: event.text),
                    data: event.storedData)
    }

    /// Takes the deferred events (for a commit that includes them).
    mutating func takePending() -> [PendingEvent] {
        defer { pending = [] }
        return pending
    }
}

/// How often a step is tried and how long it may take: the node type's limits, overridden by
/// the node's own `retry` and `timeout_ms`.
struct RetryPolicy: Sendable {
    var maxAttempts: Int
    var initialBackoff: Duration
    var maxBackoff: Duration
    var multiplier: Double
    /// 0...1: how much of each backoff is random.
    var jitter: Double
    /// Retry only failures the node marks retryable (network errors, 5xx), or any failure.
    var retryAny: Bool
    var timeout: Duration

    init(node: WorkflowDefinition.Node, limits: NodeLimits) {
        let retry = node.extra["retry"] ?? [:]
        maxAttempts = max(1, min(100, Int(retry["max_attempts"]?.intValue ?? Int64(limits.maxAttempts))))
        initialBackoff = .milliseconds(max(0, retry["initial_backoff_ms"]?.intValue ?? 200))
        maxBackoff = .milliseconds(max(0, retry["max_backoff_ms"]?.intValue ?? 30_000))
        multiplier = max(1, retry["multiplier"]?.doubleValue ?? 2)
        jitter = min(1, max(0, retry["jitter"]?.doubleValue ?? 0.5))
        retryAny = retry["retry_on"]?.stringValue == "any"
        let limitMillis = limits.timeout.components.seconds * 1000 + limits.timeout.components.attoseconds / 1_000_000_000_000_000
        // A node may shorten its type's timeout, not lengthen it.
        timeout = .milliseconds(min(node.extra["timeout_ms"]?.intValue ?? limitMillis, limitMillis))
    }

    /// The wait before attempt `attempt + 1`: exponential, capped, with jitter.
    func backoff(after attempt: Int, random: Double) -> Duration {
        let base = initialBackoff * pow(multiplier, Double(attempt - 1))
        let capped = min(base, maxBackoff)
        return capped * (1 - jitter + jitter * random)
    }
}

/// The node-level concurrency limits (`concurrency` on a node): at most that many executions
/// of the node at once, across the tenant's runs.
final class NodeGates: Sendable {
    private struct Gate {
        var available: Int
        var waiters: [CheckedContinuation<Void, Never>] = []
    }
    private let gates = Mutex<[String: Gate]>([:])

    func acquire(_ key: String, limit: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = gates.withLock { all -> Bool in
                var gate = all[key] ?? Gate(available: limit)
                defer { all[key] = gate }
                if gate.available > 0 {
                    gate.available -= 1
                    return true
                }
                gate.waiters.append(continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }

    func release(_ key: String) {
        let next = gates.withLock { all -> CheckedContinuation<Void, Never>? in
            guard var gate = all[key] else { return nil }
            defer { all[key] = gate }
            if gate.waiters.isEmpty {
                gate.available += 1
                return nil
            }
            return gate.waiters.removeFirst()
        }
        next?.resume()
    }
}

extension RunEngine {
    func execute(_ key: RunKey) async {
        var logger = self.logger
        logger[metadataKey: "fg.tenant"] = "\(key.tenant)"
        logger[metadataKey: "fg.run.id"] = "\(key.runID)"
        do {
            _ = try await executeRun(key, logger: logger)
        } catch {
            // Storage failed mid-run; the run stays unfinished and resumes at the next start.
            logger.error("run execution stopped", metadata: ["error": "\(error)"])
        }
        Gauge(label: "flowgate_run_queue_depth").record(Double(queue.depth))
    }

    /// Drives a stored run to its end; returns its final state.
    @discardableResult
    func executeRun(_ key: RunKey, logger: Logger, depth: Int = 0) async throws -> RunState? {
        let loaded: (run: RunRecord, state: RunState)
        if let fresh = handoff.take(key) {
            loaded = (fresh.run, RunState.fold(fresh.events))
        } else {
            guard let stored = try await state(tenant: key.tenant, runID: key.runID) else { return nil }
            loaded = (stored.run, stored.state)
        }
        if loaded.state.status.isTerminal { return loaded.state }
        let run = loaded.run
        let log = StoreRunLog(store: store, tenant: key.tenant, runID: key.runID)
        guard let definition = try await definition(tenant: key.tenant, workflowID: run.workflowID, version: run.workflowVersion) else {
            var state = loaded.state
            try await finish(log, run: run, key: key, &state, failure: ("workflow version \(run.workflowVersion) is missing or unreadable", nil, 0))
            return state
        }
        var execution = Execution(key: key, run: run, definition: definition, state: loaded.state, log: log, dryRun: false, only: nil, logger: logger)
        execution.depth = depth
        try await drive(&execution)
        return execution.state
    }

    /// A workflow version's definition, parsed once per process (versions never change).
    func definition(tenant: TenantID, workflowID: String, version number: Int64) async throws -> WorkflowDefinition? {
        let cacheKey = handoff.definitions.key(tenant, workflowID, number)
        if let hit = handoff.definitions.get(cacheKey) { return hit }
        let version = try await store.read { try await WorkflowRepository($0, tenant: tenant).version(workflowID, number) }
        guard let version, let json = try? JSONValue.parse(version.definition), let definition = try? WorkflowDefinition.decode(json) else { return nil }
        handoff.definitions.put(cacheKey, definition, size: version.definition.utf8.count)
        return definition
    }

    /// Runs every node not yet done, in dependency order, then ends the run.
    func drive(_ x: inout Execution) async throws {
        if x.state.status == .queued {
            x.postpone(.runStarted, status: .running)
        }
        let order = WorkflowValidator.topologicalOrder(x.definition).order.filter { x.only?.contains($0) ?? true }
        var incoming: [String: [WorkflowDefinition.Edge]] = [:]
        for edge in x.definition.edges where x.only.map({ $0.contains(edge.from.node) && $0.contains(edge.to.node) }) ?? true {
            incoming[edge.to.node, default: []].append(edge)
        }
        for nodeID in order {
            let status = x.state.nodes[nodeID]?.status
            if status == "succeeded" || status == "skipped" { continue }
            guard let node = x.definition.node(nodeID), let type = registry[node.type] else {
                try await finish(x.log, run: x.run, key: x.key, &x.state, failure: ("node type is not available", nodeID, 0), pending: x.takePending())
                return
            }
            let edges = incoming[nodeID] ?? []
            guard let input = Self.inputs(for: nodeID, edges: edges, state: x.state) else {
                // Every edge into it is silent (an untaken branch): the node does not run.
                try await commit(&x, .stepSkipped, node: nodeID, data: ["reason": "no input arrived"])
                continue
            }
            switch try await executeStep(&x, node: node, type: type, input: input) {
            case .success(let outputs):
                x.postpone(.stepSucceeded, node: nodeID, data: ["outputs": outputs])
            case .failure(let message, let attempts):
                try await finish(x.log, run: x.run, key: x.key, &x.state, failure: (message, nodeID, attempts), pending: x.takePending())
                return
            }
        }
        try await finish(x.log, run: x.run, key: x.key, &x.state, failure: nil, pending: x.takePending())
    }

    /// Commits the deferred events and this one in one transaction and folds them in.
    @discardableResult
    func commit(_ x: inout Execution, _ type: RunEventType, node: String? = nil, data: JSONValue = [:], status: RunStatus? = nil) async throws -> RunEventRecord {
        let earlier = x.takePending()
        let batchStatus = status ?? earlier.last(where: { $0.status != nil })?.status
        let event = PendingEvent(type: type, node: node, data: data, status: nil)
        let records = try await x.log.appendBatch(earlier + [event], status: batchStatus, audit: nil, deadLetter: nil)
        // The deferred ones are folded in already; their committed copies carry the same seqs.
        if let committed = records.last { x.state.apply(committed, data: event.storedData) }
        if let last = records.last { x.state.lastSeq = last.seq }
        return records[records.count - 1]
    }

    enum StepOutcome {
        case success(JSONValue)
        case failure(String, attempts: Int)
    }

    /// One step with its retries: every attempt's start and failure is an event.
    func executeStep(_ x: inout Execution, node: WorkflowDefinition.Node, type: any NodeType, input: [String: JSONValue]) async throws -> StepOutcome {
        let policy = RetryPolicy(node: node, limits: type.descriptor.limits)
        var attempt = (x.state.nodes[node.id]?.attempts ?? 0) + 1
        // Attempts that failed so far; a resumed step continues the count, so a crash neither
        // grants extra retries nor (by counting an attempt that never reported) takes one away.
        var failures = x.state.nodes[node.id]?.failures ?? 0
        let recordedInput = record(input, limit: configuration.maxRecordedInputBytes, x)
        var rng = SystemRandomNumberGenerator()
        while true {
            try await commit(&x, .stepStarted, node: node.id, data: ["attempt": .int(Int64(attempt)), "input": recordedInput])
            let children = StepChildren(engine: self, execution: x, node: node, policy: policy)
            let context = NodeContext(
                tenant: x.key.tenant.rawValue, runID: x.key.runID, nodeID: node.id, traceID: x.run.traceID,
                spanID: Self.spanID(using: &rng),
                idempotencyKey: "\(x.key.runID):\(node.id):0", logger: x.logger, dryRun: x.dryRun, attempt: attempt, children: children
            )
            let started = ContinuousClock.now
            do {
                let config = try await prepare(node, run: x.run, state: x.state, key: x.key, redactor: x.redactor)
                let outputs = try await withNodeGate(node, x) {
                    // A timer could not stop a node that never suspends; it would only cost two
                    // child tasks per step.
                    if type.descriptor.isSynchronous {
                        return try await type.execute(config: config, input: input, context: context)
                    }
                    return try await Self.withTimeout(policy.timeout, node: node.id) {
                        try await type.execute(config: config, input: input, context: context)
                    }
                }
                Timer(label: "flowgate_step_duration_seconds", dimensions: [("node_type", node.type)], preferredDisplayUnit: .seconds)
                    .record(duration: ContinuousClock.now - started)
                let json = JSONValue.object(outputs)
                if json.serializedBytes().count > type.descriptor.limits.maxOutputBytes {
                    throw NodeError("the output is larger than \(type.descriptor.limits.maxOutputBytes) bytes")
                }
                return .success(redactor.redact(x.redactor.redact(json)))
            } catch {
                let nodeError = error as? NodeError
                let message = redactor.redact(x.redactor.redact(nodeError?.message ?? Self.describe(error)))
                failures += 1
                let retry = failures < policy.maxAttempts && (policy.retryAny || nodeError?.isRetryable == true)
                var data: JSONValue = ["error": .string(message), "attempt": .int(Int64(attempt)), "will_retry": .bool(retry)]
                let wait = policy.backoff(after: failures, random: Double.random(in: 0...1, using: &rng))
                if retry, case .object(var o) = data {
                    o["retry_in_ms"] = .int(wait.components.seconds * 1000 + wait.components.attoseconds / 1_000_000_000_000_000)
                    data = .object(o)
                }
                try await commit(&x, .stepFailed, node: node.id, data: data)
                guard retry else { return .failure(message, attempts: failures) }
                Counter(label: "flowgate_step_retries_total", dimensions: [("node_type", node.type)]).increment()
                try await configuration.sleep(wait)
                attempt += 1
            }
        }
    }

    /// A random W3C span id: 16 hex digits, not all zero.
    static func spanID(using rng: inout some RandomNumberGenerator) -> String {
        var id = UInt64.random(in: 1 ... .max, using: &rng).bigEndian
        return withUnsafeBytes(of: &id) { Hex.encode($0) }
    }

    /// The input as recorded in the log: redacted, and replaced by a note when too large.
    func record(_ input: [String: JSONValue], limit: Int, _ x: Execution) -> JSONValue {
        let json = redactor.redact(x.redactor.redact(JSONValue.object(input)))
        let size = json.serializedBytes().count
        return size <= limit ? json : ["truncated": true, "bytes": .int(Int64(size))]
    }

    func withNodeGate<R: Sendable>(_ node: WorkflowDefinition.Node, _ x: Execution, _ body: () async throws -> R) async throws -> R {
        guard let limit = node.extra["concurrency"]?.intValue, limit > 0 else { return try await body() }
        let key = "\(x.key.tenant.rawValue)|\(x.run.workflowID)|\(node.id)"
        await gates.acquire(key, limit: Int(limit))
        defer { gates.release(key) }
        return try await body()
    }

    /// Runs `body`, failing it (retryably) when it takes longer than `timeout`.
    static func withTimeout<R: Sendable>(_ timeout: Duration, node: String, _ body: @escaping @Sendable () async throws -> R) async throws -> R {
        try await withThrowingTaskGroup(of: R?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else {
                throw NodeError.retryable("timed out after \(timeout.components.seconds) s")
            }
            return value
        }
    }

    /// Ends the run: RunSucceeded, or RunFailed with a dead letter, in the same transaction as
    /// the run's audit entry.
    func finish(_ log: any RunLog, run: RunRecord, key: RunKey, _ state: inout RunState, failure: (message: String, node: String?, attempts: Int)?,
                pending: [PendingEvent] = []) async throws {
        let status: RunStatus = failure == nil ? .succeeded : .failed
        let now = store.clock.nowMillis()
        let audit = AuditRecord(
            tenant: key.tenant, at: now, principal: run.createdBy, action: "run.complete",
            resource: "Run::\"\(run.id)\"", decision: "allow", outcome: status.rawValue, status: 0, requestID: run.id, sourceIP: "",
            detail: ["workflow": .string(run.workflowID), "version": .int(run.workflowVersion)]
        )
        var data: JSONValue = [:]
        var letter: DeadLetterRecord?
        if let failure {
            let id = UUIDv7.generate(millis: now)
            letter = DeadLetterRecord(tenantID: key.tenant, id: id, runID: run.id, workflowID: run.workflowID, nodeID: failure.node ?? "",
                                      itemIndex: nil, error: failure.message, attempts: Int64(failure.attempts), status: "open", createdAt: now)
            data = ["error": .string(failure.message), "node": failure.node.map(JSONValue.string) ?? .null, "dead_letter": .string(id)]
            Counter(label: "flowgate_dead_letters_total").increment()
        }
        let records = try await log.appendBatch(pending + [PendingEvent(type: failure == nil ? .runSucceeded : .runFailed, node: nil, data: data, status: nil)],
                                                status: status, audit: log is StoreRunLog ? audit : nil, deadLetter: log is StoreRunLog ? letter : nil)
        if let last = records.last { state.apply(last) }
        Counter(label: "flowgate_runs_total", dimensions: [("status", status.rawValue)]).increment()
        if log is StoreRunLog { completions.finished(run.id) }
    }

    /// Decides whether the run's principal may use this node type and each secret the node's
    /// config refers to, resolves those secrets and returns the config with them substituted.
    /// The substituted config lives only for the call; it is never stored.
    func prepare(_ node: WorkflowDefinition.Node, run: RunRecord, state: RunState, key: RunKey, redactor runRedactor: Redactor) async throws -> JSONValue {
        try await prepare(type: node.type, config: node.config, run: run, state: state, key: key, redactor: runRedactor)
    }

    func prepare(type nodeType: String, config: JSONValue, run: RunRecord, state: RunState, key: RunKey, redactor runRedactor: Redactor) async throws -> JSONValue {
        try await preparePolicies(key.tenant)
        let principal = RunPrincipal.info(state.principal, fallback: run.createdBy, tenant: key.tenant.rawValue)
        let context: [String: JSONValue] = ["workflow": .string(run.workflowID), "run": .string(run.id)]
        let category = registry[nodeType]?.descriptor.category ?? ""
        let nodeResource = ResourceInfo(entity: EntityRef("NodeType", nodeType), tenant: key.tenant.rawValue,
                                        attributes: ["name": .string(nodeType), "category": .string(category)])
        let nodeDecision = authorizer.authorize(AuthorizationRequest(principal: principal, action: "node.execute", resource: nodeResource, context: context))
        if !nodeDecision.isAllowed {
            try await auditDenial(key, run: run, action: "node.execute", resource: nodeResource.entity, decision: nodeDecision)
            throw NodeError("the run's principal is not allowed to use node type \(nodeType)")
        }
        let names = SecretReferences.names(in: config)
        if names.isEmpty { return config }
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
        return SecretReferences.substitute(config, values)
    }

    private func auditDenial(_ key: RunKey, run: RunRecord, action: String, resource: EntityRef, decision: Decision) async throws {
        guard !run.id.hasPrefix("test-") else { return }
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
        if let error = error as? RunError { return error.message }
        return "internal error (\(type(of: error)))"
    }

    /// The values arriving on each input port of a node, or `nil` when it has incoming edges
    /// and none of them carries a value (all its sources were skipped or did not emit on that
    /// port). A node without incoming edges gets the run input on `in`. Several values into
    /// one port merge: objects shallowly, in edge order; anything else becomes an array.
    static func inputs(for nodeID: String, edges: [WorkflowDefinition.Edge], state: RunState) -> [String: JSONValue]? {
        if edges.isEmpty { return ["in": state.input] }
        var byPort: [String: [JSONValue]] = [:]
        for edge in edges {
            guard let source = state.nodes[edge.from.node], source.status == "succeeded", let value = source.outputs[edge.from.port] else { continue }
            byPort[edge.to.port, default: []].append(value)
        }
        if byPort.isEmpty { return nil }
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
