import JSON
import Logging

/// A named input or output of a node type, with the JSON Schema of the values it carries.
public struct PortSpec: Sendable, Equatable {
    public var name: String
    /// JSON Schema of the values on this port; `{}` accepts anything.
    public var schema: JSONValue
    public var description: String

    public init(_ name: String, schema: JSONValue = [:], description: String = "") {
        self.name = name
        self.schema = schema
        self.description = description
    }
}

/// How a node type runs, for the editor and for the engine's defaults.
public struct ExecutionMode: Sendable, Hashable, CustomStringConvertible {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    /// Starts a workflow (no inputs).
    public static let trigger = ExecutionMode("trigger")
    /// Pure transformation of its input, in process.
    public static let transform = ExecutionMode("transform")
    /// Reads from an outside system.
    public static let source = ExecutionMode("source")
    /// Writes to an outside system; in a dry run it reports what it would write instead.
    public static let sink = ExecutionMode("sink")
    /// Runs tenant-supplied code (jq, SQL) under limits, out of process where needed.
    public static let script = ExecutionMode("script")
    /// Steers the flow (branch, map, join, loop).
    public static let control = ExecutionMode("control")
}

/// Limits a node type runs under; a node may lower (not raise) them in its config.
public struct NodeLimits: Sendable, Hashable {
    /// Longest one attempt may take.
    public var timeout: Duration
    /// Attempts before the step fails (1 = no retry).
    public var maxAttempts: Int
    /// Largest output, in bytes of JSON.
    public var maxOutputBytes: Int

    public init(timeout: Duration = .seconds(60), maxAttempts: Int = 1, maxOutputBytes: Int = 8 << 20) {
        self.timeout = timeout
        self.maxAttempts = maxAttempts
        self.maxOutputBytes = maxOutputBytes
    }

    var json: JSONValue {
        let (s, a) = timeout.components
        return ["timeout_ms": .int(s * 1000 + a / 1_000_000_000_000_000), "max_attempts": .int(Int64(maxAttempts)),
                "max_output_bytes": .int(Int64(maxOutputBytes))]
    }
}

/// What a node type declares about itself: the catalog entry the editor builds its palette
/// and property forms from.
public struct NodeTypeDescriptor: Sendable, Equatable {
    /// Dotted name, e.g. `core.set`.
    public var name: String
    public var title: String
    public var category: String
    public var description: String
    public var inputs: [PortSpec]
    public var outputs: [PortSpec]
    /// JSON Schema of the node's `config` object.
    public var configSchema: JSONValue
    public var mode: ExecutionMode
    public var limits: NodeLimits
    /// The node computes its outputs without ever suspending (no I/O, no waiting, no child
    /// steps). Such a step runs without a timer: a timeout only cancels, cooperatively, so it
    /// could not stop it anyway. Default `false`.
    public var isSynchronous: Bool

    public init(
        name: String, title: String, category: String, description: String, inputs: [PortSpec], outputs: [PortSpec], configSchema: JSONValue,
        mode: ExecutionMode = .transform, limits: NodeLimits = NodeLimits(), isSynchronous: Bool = false
    ) {
        self.isSynchronous = isSynchronous
        self.name = name
        self.title = title
        self.category = category
        self.description = description
        self.inputs = inputs
        self.outputs = outputs
        self.configSchema = configSchema
        self.mode = mode
        self.limits = limits
    }

    /// The catalog entry as JSON.
    public var json: JSONValue {
        let port = { (p: PortSpec) -> JSONValue in ["name": .string(p.name), "schema": p.schema, "description": .string(p.description)] }
        return [
            "name": .string(name), "title": .string(title), "category": .string(category), "description": .string(description),
            "inputs": .array(inputs.map(port)), "outputs": .array(outputs.map(port)), "config_schema": configSchema,
            "mode": .string(mode.rawValue), "limits": limits.json,
        ]
    }
}

/// What a node sees while it executes.
public struct NodeContext: Sendable {
    public var tenant: String
    public var runID: String
    public var nodeID: String
    public var traceID: String
    /// This step's span id (16 hex digits), for outbound `traceparent`.
    public var spanID: String
    /// Deterministic key for outbound side effects: the same (run, node, item) gives the same
    /// key on every attempt, so a receiver can deduplicate a resumed step.
    public var idempotencyKey: String
    public var logger: Logger
    /// In a dry run, sinks report what they would write instead of writing.
    public var dryRun: Bool = false
    /// Which attempt this is (1 for the first).
    public var attempt: Int = 1
    /// For control nodes: runs their items durably (map elements, loop iterations, sub-workflows).
    public var children: (any ChildExecutor)?

    public init(
        tenant: String, runID: String, nodeID: String, traceID: String, spanID: String, idempotencyKey: String, logger: Logger,
        dryRun: Bool = false, attempt: Int = 1, children: (any ChildExecutor)? = nil
    ) {
        self.children = children
        self.tenant = tenant
        self.runID = runID
        self.nodeID = nodeID
        self.traceID = traceID
        self.spanID = spanID
        self.idempotencyKey = idempotencyKey
        self.logger = logger
        self.dryRun = dryRun
        self.attempt = attempt
    }
}

/// A failure of a node's execution, with a message safe to store in run data (after
/// redaction). Retryable failures (network errors, 5xx) may be retried by the engine.
public struct NodeError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var isRetryable: Bool
    public init(_ message: String) {
        self.message = message
        self.isRetryable = false
    }
    /// A failure worth retrying.
    public static func retryable(_ message: String) -> NodeError {
        var error = NodeError(message)
        error.isRetryable = true
        return error
    }
    public var description: String { message }
}

/// A kind of step. Implementations are stateless values; per-run state travels in the input.
public protocol NodeType: Sendable {
    /// The catalog entry.
    var descriptor: NodeTypeDescriptor { get }
    /// Runs the step on `input` (the values arriving on each input port) and returns the
    /// values for its output ports.
    func execute(config: JSONValue, input: [String: JSONValue], context: NodeContext) async throws -> [String: JSONValue]
    /// Checks a config that already matches ``NodeTypeDescriptor/configSchema`` for what a
    /// schema cannot say (a jq program or SQL query that does not compile, an unknown function
    /// name); called when a workflow is saved. Returns the problems with `field` set (for
    /// example `config.program`); the caller fills in the node. Infrastructure trouble (a
    /// worker that cannot start) is not the author's problem and yields none.
    func check(config: JSONValue) async -> [WorkflowValidationError.Problem]
}

extension NodeType {
    /// No checks beyond the config schema.
    public func check(config: JSONValue) async -> [WorkflowValidationError.Problem] { [] }
}

/// The node types a deployment offers, by name.
public struct NodeTypeRegistry: Sendable {
    private var types: [String: any NodeType] = [:]

    public init(_ types: [any NodeType] = []) {
        for type in types { register(type) }
    }

    /// Adds (or replaces) a node type.
    public mutating func register(_ type: any NodeType) { types[type.descriptor.name] = type }

    /// The node type with this name.
    public subscript(name: String) -> (any NodeType)? { types[name] }

    /// Every descriptor, sorted by name.
    public var descriptors: [NodeTypeDescriptor] { types.values.map(\.descriptor).sorted { $0.name < $1.name } }

    /// The types every deployment has: those that need no runtime resources.
    public static let builtIn = NodeTypeRegistry([
        ManualTriggerNode(), ScheduleTriggerNode(), WebhookTriggerNode(), SetNode(), NoopNode(), LogNode(), FailNode(), HTTPRequestNode(),
        TimeseriesAggregateNode(), ChartNode(), PrometheusSinkNode(), InfluxSinkNode(), HTTPSinkNode(),
    ] + ControlNodes.all)

    /// ``builtIn`` plus the script nodes `jq` and `sql`, which run on the given runners. A
    /// `nil` runner keeps its node in the catalog, failing every step with a clear message.
    public static func standard(jq: JQRunner?, sql: SQLBatchExecutor?) -> NodeTypeRegistry {
        var registry = builtIn
        registry.register(JQNode(runner: jq))
        registry.register(SQLNode(executor: sql))
        return registry
    }

    /// Runs every node's ``NodeType/check(config:)`` (concurrently) and throws all problems
    /// found, naming their nodes. Call after ``WorkflowValidator/validate(_:)`` succeeded.
    public func check(_ definition: WorkflowDefinition) async throws(WorkflowValidationError) {
        let problems = await withTaskGroup(of: (Int, [WorkflowValidationError.Problem]).self) { group in
            for (index, node) in definition.nodes.enumerated() {
                guard let type = self[node.type] else { continue }
                group.addTask {
                    let found = await type.check(config: node.config)
                    return (index, found.map { problem in
                        var problem = problem
                        problem.node = node.id
                        return problem
                    })
                }
            }
            var all: [(Int, [WorkflowValidationError.Problem])] = []
            for await result in group { all.append(result) }
            // Definition order, so the answer does not depend on which check finished first.
            return all.sorted { $0.0 < $1.0 }.flatMap { $0.1 }
        }
        if !problems.isEmpty { throw WorkflowValidationError(problems) }
    }
}
