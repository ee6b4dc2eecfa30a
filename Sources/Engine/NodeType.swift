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

    public init(name: String, title: String, category: String, description: String, inputs: [PortSpec], outputs: [PortSpec], configSchema: JSONValue) {
        self.name = name
        self.title = title
        self.category = category
        self.description = description
        self.inputs = inputs
        self.outputs = outputs
        self.configSchema = configSchema
    }

    /// The catalog entry as JSON.
    public var json: JSONValue {
        let port = { (p: PortSpec) -> JSONValue in ["name": .string(p.name), "schema": p.schema, "description": .string(p.description)] }
        return [
            "name": .string(name), "title": .string(title), "category": .string(category), "description": .string(description),
            "inputs": .array(inputs.map(port)), "outputs": .array(outputs.map(port)), "config_schema": configSchema,
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

    /// The types every deployment has.
    public static let builtIn = NodeTypeRegistry([ManualTriggerNode(), SetNode(), NoopNode(), LogNode(), FailNode(), HTTPRequestNode()])
}
