import JSON

/// The control nodes: branch (`core.if`, `core.switch`), `core.filter`, fan-out (`core.map`),
/// fan-in (`core.merge`), `core.loop` and `core.subworkflow`. Branches emit on one port only;
/// nodes downstream of a silent port are skipped.
enum ControlNodes {
    static let all: [any NodeType] = [IfNode(), SwitchNode(), FilterNode(), MergeNode(), MapNode(), LoopNode(), SubworkflowNode()]

    /// JSON Schema of a child (what map and loop run per item).
    static let childSchema: JSONValue = [
        "type": "object", "additionalProperties": false,
        "description": "{\"node\": {\"type\", \"config\"}} or {\"workflow\": \"<workflow id>\"}",
        "properties": [
            "node": ["type": "object", "required": ["type"], "properties": ["type": ["type": "string"], "config": ["type": "object"]],
                     "additionalProperties": false],
            "workflow": ["type": "string", "minLength": 1],
        ],
    ]

    static func child(_ config: JSONValue) throws -> ChildSpec {
        if let workflow = config["workflow"]?.stringValue { return .workflow(workflow) }
        if let node = config["node"], let type = node["type"]?.stringValue { return .node(type: type, config: node["config"] ?? [:]) }
        throw NodeError("give the child as {\"node\": {\"type\", \"config\"}} or {\"workflow\": \"<id>\"}")
    }

    static func children(_ context: NodeContext) throws -> any ChildExecutor {
        guard let children = context.children else { throw NodeError("this control node needs the engine to run its items") }
        return children
    }
}

/// `core.if`: passes its input on `true` or `false`.
struct IfNode: NodeType {
    let descriptor = NodeTypeDescriptor(
        name: "core.if", title: "If", category: "Flow", description: "Passes the input on `true` when the condition holds, else on `false`.",
        inputs: [PortSpec("in")], outputs: [PortSpec("true"), PortSpec("false")],
        configSchema: ["type": "object", "required": ["condition"], "additionalProperties": false, "properties": ["condition": Condition.schema]],
        mode: .control
    )
    func execute(config: JSONValue, input: [String: JSONValue], context: NodeContext) async throws -> [String: JSONValue] {
        let value = input["in"] ?? .null
        return try Condition(config["condition"] ?? .null).matches(value) ? ["true": value] : ["false": value]
    }
}

/// `core.switch`: passes its input on the port of the first case that holds, else `default`.
struct SwitchNode: NodeType {
    static let ports = ["a", "b", "c", "d"]
    let descriptor = NodeTypeDescriptor(
        name: "core.switch", title: "Switch", category: "Flow",
        description: "Passes the input on the port (a, b, c or d) of the first case whose condition holds, else on `default`.",
        inputs: [PortSpec("in")], outputs: (SwitchNode.ports + ["default"]).map { PortSpec($0) },
        configSchema: [
            "type": "object", "required": ["cases"], "additionalProperties": false,
            "properties": ["cases": ["type": "array", "minItems": 1, "maxItems": 4, "items": [
                "type": "object", "required": ["port", "when"], "additionalProperties": false,
                "properties": ["port": ["enum": ["a", "b", "c", "d"]], "when": Condition.schema],
            ]]],
        ],
        mode: .control
    )
    func execute(config: JSONValue, input: [String: JSONValue], context: NodeContext) async throws -> [String: JSONValue] {
        let value = input["in"] ?? .null
        for entry in config["cases"]?.arrayValue ?? [] {
            if try Condition(entry["when"] ?? .null).matches(value), let port = entry["port"]?.stringValue { return [port: value] }
        }
        return ["default": value]
    }
}

/// `core.filter`: keeps the elements of an array that satisfy a condition.
struct FilterNode: NodeType {
    let descriptor = NodeTypeDescriptor(
        name: "core.filter", title: "Filter", category: "Flow", description: "Keeps the items of the input array that satisfy the condition.",
        inputs: [PortSpec("in", schema: ["type": "array"])], outputs: [PortSpec("out", schema: ["type": "array"])],
        configSchema: ["type": "object", "required": ["condition"], "additionalProperties": false, "properties": ["condition": Condition.schema]],
        mode: .control
    )
    func execute(config: JSONValue, input: [String: JSONValue], context: NodeContext) async throws -> [String: JSONValue] {
        guard case .array(let items)? = input["in"] else { throw NodeError("core.filter needs an array as input") }
        let condition = try Condition(config["condition"] ?? .null)
        return ["out": .array(items.filter(condition.matches))]
    }
}

/// `core.merge`: waits for all its inputs and combines them (fan-in).
struct MergeNode: NodeType {
    let descriptor = NodeTypeDescriptor(
        name: "core.merge", title: "Merge", category: "Flow",
        description: "Waits for every upstream node, then combines what arrived: `object` merges objects (later wins), `array` collects the values, `concat` joins arrays.",
        inputs: [PortSpec("in")], outputs: [PortSpec("out")],
        configSchema: ["type": "object", "additionalProperties": false, "properties": ["mode": ["enum": ["object", "array", "concat"]]]],
        mode: .control
    )
    func execute(config: JSONValue, input: [String: JSONValue], context: NodeContext) async throws -> [String: JSONValue] {
        // The engine already merged several edges into `in`: objects merged, others collected.
        let value = input["in"] ?? .null
        switch config["mode"]?.stringValue ?? "object" {
        case "array":
            if case .array = value { return ["out": value] }
            return ["out": .array([value])]
        case "concat":
            guard case .array(let parts) = value else { return ["out": value] }
            return ["out": .array(parts.flatMap { $0.arrayValue ?? [$0] })]
        default:
            return ["out": value]
        }
    }
}

/// `core.map`: runs a child for every element of an array, with a concurrency limit (fan-out).
struct MapNode: NodeType {
    let descriptor = NodeTypeDescriptor(
        name: "core.map", title: "Map", category: "Flow",
        description: "Runs a node or a workflow for each element of the input array, at most `concurrency` at once, and outputs their outputs in order. Each element is recorded when done, so a resumed run does not repeat it.",
        inputs: [PortSpec("in", schema: ["type": "array"])], outputs: [PortSpec("out", schema: ["type": "array"])],
        configSchema: [
            "type": "object", "required": ["child"], "additionalProperties": false,
            "properties": [
                "child": ControlNodes.childSchema,
                "concurrency": ["type": "integer", "minimum": 1, "maximum": 256],
                "max_items": ["type": "integer", "minimum": 1, "maximum": 1_000_000],
                "on_item_error": ["enum": ["fail", "dead_letter"], "description": "fail the step, or dead-letter the item and go on (its output is null)"],
            ],
        ],
        mode: .control, limits: NodeLimits(timeout: .seconds(3600))
    )
    func execute(config: JSONValue, input: [String: JSONValue], context: NodeContext) async throws -> [String: JSONValue] {
        guard case .array(let items)? = input["in"] else { throw NodeError("core.map needs an array as input") }
        let maxItems = Int(config["max_items"]?.intValue ?? 100_000)
        if items.count > maxItems { throw NodeError("core.map got \(items.count) items, more than max_items \(maxItems)") }
        let child = try ControlNodes.child(config["child"] ?? .null)
        let children = try ControlNodes.children(context)
        let concurrency = Int(config["concurrency"]?.intValue ?? 8)
        let deadLetters = config["on_item_error"]?.stringValue == "dead_letter"
        var results = [JSONValue](repeating: .null, count: items.count)
        try await withThrowingTaskGroup(of: (Int, JSONValue).self) { group in
            var next = 0
            func launch() {
                let index = next
                let item = items[index]
                next += 1
                group.addTask {
                    do {
                        return (index, try await children.run(index: index, input: item, child: child))
                    } catch let error as NodeError where deadLetters {
                        try await children.deadLetter(index: index, error: error.message)
                        return (index, .null)
                    }
                }
            }
            while next < items.count && next < concurrency { launch() }
            while let (index, value) = try await group.next() {
                results[index] = value
                if next < items.count { launch() }
            }
        }
        return ["out": .array(results)]
    }
}

/// `core.loop`: runs a child again and again on its own output while a condition holds, at
/// most `max_iterations` times.
struct LoopNode: NodeType {
    let descriptor = NodeTypeDescriptor(
        name: "core.loop", title: "Loop", category: "Flow",
        description: "Runs the child on the input, then on its output, while `while` holds for the latest output - at most max_iterations times (required). Outputs {value, iterations, exhausted}.",
        inputs: [PortSpec("in")], outputs: [PortSpec("out", schema: ["type": "object"])],
        configSchema: [
            "type": "object", "required": ["child", "while", "max_iterations"], "additionalProperties": false,
            "properties": [
                "child": ControlNodes.childSchema, "while": Condition.schema,
                "max_iterations": ["type": "integer", "minimum": 1, "maximum": 10_000],
            ],
        ],
        mode: .control, limits: NodeLimits(timeout: .seconds(3600))
    )
    func execute(config: JSONValue, input: [String: JSONValue], context: NodeContext) async throws -> [String: JSONValue] {
        let child = try ControlNodes.child(config["child"] ?? .null)
        let condition = try Condition(config["while"] ?? .null)
        let limit = Int(config["max_iterations"]?.intValue ?? 1)
        let children = try ControlNodes.children(context)
        var value = input["in"] ?? .null
        var iterations = 0
        while iterations < limit {
            value = try await children.run(index: iterations, input: value, child: child)
            iterations += 1
            if !condition.matches(value) {
                return ["out": ["value": value, "iterations": .int(Int64(iterations)), "exhausted": false]]
            }
        }
        return ["out": ["value": value, "iterations": .int(Int64(iterations)), "exhausted": true]]
    }
}

/// `core.subworkflow`: runs another workflow of the tenant on the input, as a child run.
struct SubworkflowNode: NodeType {
    let descriptor = NodeTypeDescriptor(
        name: "core.subworkflow", title: "Sub-workflow", category: "Flow",
        description: "Runs another workflow of this tenant with the input and outputs what its final node produced.",
        inputs: [PortSpec("in")], outputs: [PortSpec("out")],
        configSchema: ["type": "object", "required": ["workflow"], "additionalProperties": false,
                       "properties": ["workflow": ["type": "string", "minLength": 1]]],
        mode: .control, limits: NodeLimits(timeout: .seconds(3600))
    )
    func execute(config: JSONValue, input: [String: JSONValue], context: NodeContext) async throws -> [String: JSONValue] {
        let children = try ControlNodes.children(context)
        return ["out": try await children.run(index: 0, input: input["in"] ?? .null, child: try ControlNodes.child(config))]
    }
}
