import Foundation
import JSON
import Logging
import Metrics
import Store
import Synchronization

/// The `ChildExecutor` a control node's step gets: item outputs are events, so a resumed step
/// only runs the items that have not succeeded yet.
final class StepChildren: ChildExecutor {
    let engine: RunEngine
    let execution: Execution
    let node: WorkflowDefinition.Node
    let policy: RetryPolicy
    /// Items recorded before this attempt started.
    private let recorded: [Int: JSONValue]

    init(engine: RunEngine, execution: Execution, node: WorkflowDefinition.Node, policy: RetryPolicy) {
        self.engine = engine
        self.execution = execution
        self.node = node
        self.policy = policy
        self.recorded = execution.state.nodes[node.id]?.items ?? [:]
    }

    func run(index: Int, input: JSONValue, child: ChildSpec) async throws -> JSONValue {
        if let output = recorded[index] { return output }
        var attempt = 1
        var rng = SystemRandomNumberGenerator()
        while true {
            do {
                let output = try await attemptItem(index: index, input: input, child: child, attempt: attempt)
                let redacted = engine.redactor.redact(execution.redactor.redact(output))
                _ = try await execution.log.append(.itemSucceeded, node: node.id, data: ["index": .int(Int64(index)), "output": redacted])
                return redacted
            } catch {
                let nodeError = error as? NodeError
                let message = engine.redactor.redact(execution.redactor.redact(nodeError?.message ?? RunEngine.describe(error)))
                if attempt < policy.maxAttempts, policy.retryAny || nodeError?.isRetryable == true {
                    Counter(label: "flowgate_step_retries_total", dimensions: [("node_type", node.type)]).increment()
                    try await engine.configuration.sleep(policy.backoff(after: attempt, random: Double.random(in: 0...1, using: &rng)))
                    attempt += 1
                    continue
                }
                _ = try await execution.log.append(.itemFailed, node: node.id, data: ["index": .int(Int64(index)), "error": .string(message), "attempts": .int(Int64(attempt))])
                throw NodeError(message)
            }
        }
    }

    private func attemptItem(index: Int, input: JSONValue, child: ChildSpec, attempt: Int) async throws -> JSONValue {
        switch child.kind {
        case .node(let typeName, let config):
            guard let type = engine.registry[typeName] else { throw NodeError("unknown node type \(typeName)") }
            if type.descriptor.mode == .control { throw NodeError("a \(typeName) node cannot run inside another control node") }
            let resolved = try await engine.prepare(type: typeName, config: config, run: execution.run, state: execution.state, key: execution.key,
                                                    redactor: execution.redactor)
            var rng = SystemRandomNumberGenerator()
            let context = NodeContext(
                tenant: execution.key.tenant.rawValue, runID: execution.key.runID, nodeID: node.id, traceID: execution.run.traceID,
                spanID: RunEngine.spanID(using: &rng),
                idempotencyKey: "\(execution.key.runID):\(node.id):\(index)", logger: execution.logger, dryRun: execution.dryRun, attempt: attempt
            )
            let outputs = try await RunEngine.withTimeout(policy.timeout, node: node.id) {
                try await type.execute(config: resolved, input: ["in": input], context: context)
            }
            return outputs["out"] ?? outputs.values.first ?? .null
        case .workflow(let id):
            return try await engine.runChildWorkflow(parent: execution, node: node, index: index, workflowID: id, input: input)
        }
    }

    func deadLetter(index: Int, error: String) async throws {
        guard execution.log is StoreRunLog else { return }
        let now = engine.store.clock.nowMillis()
        let letter = DeadLetterRecord(
            tenantID: execution.key.tenant, id: UUIDv7.generate(millis: now), runID: execution.run.id, workflowID: execution.run.workflowID,
            nodeID: node.id, itemIndex: Int64(index), error: engine.redactor.redact(error), attempts: Int64(policy.maxAttempts), status: "open",
            createdAt: now
        )
        let tenant = execution.key.tenant
        try await engine.store.write { try await DeadLetterRepository($0, tenant: tenant).create(letter) }
        Counter(label: "flowgate_dead_letters_total").increment()
    }
}

extension RunEngine {
    /// Deepest nesting of sub-workflows.
    static let maxSubworkflowDepth = 8

    /// Runs a workflow of the same tenant as a child of this step: a run of its own (created
    /// once, by a deterministic idempotency key) driven here, inline, so it never waits for a
    /// free worker. Returns the outputs of its final nodes.
    func runChildWorkflow(parent: Execution, node: WorkflowDefinition.Node, index: Int, workflowID: String, input: JSONValue) async throws -> JSONValue {
        if parent.depth >= Self.maxSubworkflowDepth { throw NodeError("sub-workflows nest deeper than \(Self.maxSubworkflowDepth) levels") }
        let tenant = parent.key.tenant
        let principal = RunPrincipal.info(parent.state.principal, fallback: parent.run.createdBy, tenant: tenant.rawValue)
        let (definition, version) = try await store.read { db -> (WorkflowDefinition?, Int64) in
            let workflows = WorkflowRepository(db, tenant: tenant)
            guard let workflow = try await workflows.get(workflowID), let v = try await workflows.version(workflowID, workflow.currentVersion),
                  let json = try? JSONValue.parse(v.definition)
            else { return (nil, 0) }
            return (try? WorkflowDefinition.decode(json), workflow.currentVersion)
        }
        guard let definition else { throw NodeError("sub-workflow \(workflowID) does not exist in this tenant") }
        let finalState: RunState
        if parent.dryRun {
            let test = try await test(tenant: tenant, workflowID: workflowID, definition: definition, input: input, only: nil,
                                      principal: principal, traceID: parent.run.traceID, depth: parent.depth + 1)
            finalState = test.state
        } else {
            let (child, _) = try await createRun(
                tenant: tenant, workflowID: workflowID, input: input, idempotencyKey: "child:\(parent.run.id):\(node.id):\(index)",
                principal: principal, traceID: parent.run.traceID, parentRunID: parent.run.id
            )
            guard let state = try await executeRun(RunKey(tenant: tenant, runID: child.id), logger: parent.logger, depth: parent.depth + 1) else {
                throw NodeError("sub-workflow run \(child.id) vanished")
            }
            finalState = state
        }
        _ = version
        guard finalState.status == .succeeded else {
            throw NodeError("sub-workflow \(workflowID) failed: \(finalState.error ?? "unknown error")")
        }
        return Self.finalOutputs(definition, finalState)
    }

    /// What a finished workflow hands back: the `out` of its one final node, or an object of
    /// the final nodes' outputs by node id.
    static func finalOutputs(_ definition: WorkflowDefinition, _ state: RunState) -> JSONValue {
        let sources = Set(definition.edges.map(\.from.node))
        let finals = definition.nodes.map(\.id).filter { !sources.contains($0) && state.nodes[$0]?.status == "succeeded" }
        if finals.count == 1, let only = finals.first { return state.nodes[only]?.outputs["out"] ?? .null }
        var out: [String: JSONValue] = [:]
        for id in finals { out[id] = state.nodes[id]?.outputs["out"] ?? .null }
        return .object(out)
    }
}
