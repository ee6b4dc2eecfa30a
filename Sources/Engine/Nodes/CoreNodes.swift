import JSON

/// `trigger.manual`: the entry of a workflow started through the API; emits the run input.
public struct ManualTriggerNode: NodeType {
    public init() {}
    public let descriptor = NodeTypeDescriptor(
        name: "trigger.manual", title: "Manual trigger", category: "Triggers",
        description: "Starts the workflow when a run is requested through the API; emits the run's input.",
        inputs: [], outputs: [PortSpec("out", description: "The run input")],
        configSchema: ["type": "object", "properties": [:], "additionalProperties": false], mode: .trigger, isSynchronous: true
    )

    public func execute(config: JSONValue, input: [String: JSONValue], context: NodeContext) async throws -> [String: JSONValue] {
        ["out": input["in"] ?? [:]]
    }
}

/// `core.set`: outputs its input object with the configured fields set on it.
public struct SetNode: NodeType {
    public init() {}
    public let descriptor = NodeTypeDescriptor(
        name: "core.set", title: "Set fields", category: "Transform",
        description: "Outputs the input object with the fields from `fields` set on it (replacing existing ones).",
        inputs: [PortSpec("in", schema: ["type": "object"])], outputs: [PortSpec("out", schema: ["type": "object"])],
        configSchema: [
            "type": "object", "required": ["fields"], "additionalProperties": false,
            "properties": ["fields": ["type": "object", "description": "Fields to set, by name"]],
        ], isSynchronous: true
    )

    public func execute(config: JSONValue, input: [String: JSONValue], context: NodeContext) async throws -> [String: JSONValue] {
        var object: [String: JSONValue]
        switch input["in"] {
        case .object(let o): object = o
        case nil, .null: object = [:]
        case let other?: throw NodeError("core.set needs an object as input, got \(other.typeName)")
        }
        for (key, value) in config["fields"]?.objectValue ?? [:] { object[key] = value }
        return ["out": .object(object)]
    }
}

/// `core.noop`: passes its input through unchanged.
public struct NoopNode: NodeType {
    public init() {}
    public let descriptor = NodeTypeDescriptor(
        name: "core.noop", title: "No-op", category: "Flow",
        description: "Passes its input through unchanged.",
        inputs: [PortSpec("in")], outputs: [PortSpec("out")],
        configSchema: ["type": "object", "properties": [:], "additionalProperties": false], isSynchronous: true
    )

    public func execute(config: JSONValue, input: [String: JSONValue], context: NodeContext) async throws -> [String: JSONValue] {
        ["out": input["in"] ?? .null]
    }
}

/// `core.log`: writes a message to the server log (secrets masked) and passes its input on.
public struct LogNode: NodeType {
    public init() {}
    public let descriptor = NodeTypeDescriptor(
        name: "core.log", title: "Log", category: "Flow",
        description: "Writes `message` to the server log at info level and passes the input through.",
        inputs: [PortSpec("in")], outputs: [PortSpec("out")],
        configSchema: ["type": "object", "required": ["message"], "additionalProperties": false,
                       "properties": ["message": ["type": "string", "maxLength": 10_000]]], isSynchronous: true
    )

    public func execute(config: JSONValue, input: [String: JSONValue], context: NodeContext) async throws -> [String: JSONValue] {
        context.logger.info("\(config["message"]?.stringValue ?? "")", metadata: ["fg.node.id": "\(context.nodeID)"])
        return ["out": input["in"] ?? .null]
    }
}

/// `core.fail`: fails the step with its message (for explicit error paths and tests).
public struct FailNode: NodeType {
    public init() {}
    public let descriptor = NodeTypeDescriptor(
        name: "core.fail", title: "Fail", category: "Flow",
        description: "Fails the step with `message`.",
        inputs: [PortSpec("in")], outputs: [PortSpec("out")],
        configSchema: ["type": "object", "required": ["message"], "additionalProperties": false,
                       "properties": ["message": ["type": "string", "maxLength": 10_000]]], isSynchronous: true
    )

    public func execute(config: JSONValue, input: [String: JSONValue], context: NodeContext) async throws -> [String: JSONValue] {
        throw NodeError(config["message"]?.stringValue ?? "failed")
    }
}
