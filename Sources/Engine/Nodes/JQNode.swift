import JSON

/// `jq`: runs a jq program (the real jq, in a bounded worker process; see ``JQRunner``) on the
/// node's input.
///
/// Output on `out`: with `emit: "all"` (the default) an array of every value the program
/// emitted, in order (`[]` when it emitted none); with `emit: "first"` the first value, or
/// `null` when it emitted none. A jq error (`error(...)`, a type error) fails the step with
/// jq's message. A program that runs too long, uses too much memory or emits too much fails
/// the step; its worker is killed and replaced, and the server carries on.
public struct JQNode: NodeType {
    let runner: JQRunner?

    /// A node running programs on `runner`; with `nil` every step fails, saying so.
    public init(runner: JQRunner?) { self.runner = runner }

    /// Default wall-clock limit of one step.
    static let defaultTimeout = Duration.seconds(5)
    /// The type's limits; a node may lower them.
    static let limits = NodeLimits(timeout: .seconds(10), maxAttempts: 1, maxOutputBytes: 8 << 20)

    public let descriptor = NodeTypeDescriptor(
        name: "jq", title: "jq", category: "Scripts",
        description: "Runs a jq program on the input. emit \"all\" (default) outputs an array of every result; emit \"first\" outputs the first result, or null when there is none. Programs run in a separate worker process under time, CPU and memory limits; they cannot read files or the server's environment.",
        inputs: [PortSpec("in", description: "Any JSON value; the program's input (`.`)")],
        outputs: [PortSpec("out", description: "emit all: the array of results; emit first: the first result or null")],
        configSchema: [
            "type": "object", "required": ["program"], "additionalProperties": false,
            "properties": [
                "program": ["type": "string", "minLength": 1, "maxLength": 65_536, "description": "jq program text (jq 1.6)"],
                "emit": ["type": "string", "enum": ["all", "first"], "description": "all (default): every result as an array; first: the first result or null"],
                "timeout_ms": NodeConfig.timeoutSchema(limit: JQNode.limits.timeout, default: JQNode.defaultTimeout),
                "max_output_bytes": NodeConfig.maxOutputSchema(limit: JQNode.limits.maxOutputBytes),
            ],
        ],
        mode: .script, limits: JQNode.limits
    )

    public func execute(config: JSONValue, input: [String: JSONValue], context: NodeContext) async throws -> [String: JSONValue] {
        guard let runner else { throw NodeError("jq is not available here: the server runs no jq workers") }
        let program = config["program"]?.stringValue ?? ""
        let timeout = NodeConfig.timeout(config, default: Self.defaultTimeout, limit: Self.limits.timeout)
        let results: [[JSONValue]]
        do {
            results = try await runner.run(program, inputs: [input["in"] ?? .null], timeout: timeout)
        } catch let error as JQError {
            throw Self.nodeError(error)
        }
        let outputs = results.first ?? []
        let value: JSONValue = config["emit"]?.stringValue == "first" ? (outputs.first ?? .null) : .array(outputs)
        try NodeOutput.checkSize(value, limit: NodeConfig.maxOutputBytes(config, limit: Self.limits.maxOutputBytes))
        return ["out": value]
    }

    /// A program that does not compile is reported with jq's message.
    public func check(config: JSONValue) async -> [WorkflowValidationError.Problem] {
        guard let runner, let program = config["program"]?.stringValue, !program.isEmpty else { return [] }
        do {
            try await runner.compileCheck(program)
            return []
        } catch let error as JQError where error.code == .compile || error.code == .inputTooLarge {
            return [.init(field: "config.program", message: "does not compile: \(error.message)")]
        } catch {
            // The worker could not be reached: the step will say so when it runs.
            return []
        }
    }

    /// The step failure a runner error stands for. Only the runner's own trouble is worth a
    /// retry; a program that failed, ran away or blew a limit would do so again.
    static func nodeError(_ error: JQError) -> NodeError {
        switch error.code {
        case .runtime: return NodeError("jq error: \(error.message)")
        case .compile: return NodeError("the jq program does not compile: \(error.message)")
        case .workerUnavailable, .shutDown: return .retryable("jq: \(error.message)")
        default: return NodeError("jq: \(error.message)")
        }
    }
}
