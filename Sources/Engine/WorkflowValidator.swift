import JSON

/// Checks a definition against the node catalog: ids, types, configs, ports, edges and cycles.
public struct WorkflowValidator: Sendable {
    let registry: NodeTypeRegistry
    /// Largest number of nodes a workflow may have. Default: 2,000.
    let maxNodes: Int

    public init(registry: NodeTypeRegistry, maxNodes: Int = 2_000) {
        self.registry = registry
        self.maxNodes = maxNodes
    }

    /// Every problem with `definition`; throws when there is at least one.
    /// The per-node execution options: how a step is retried, how long it may take, and how
    /// many executions of the node may run at once across all runs of the tenant.
    static let nodeOptionsSchema: JSONValue = [
        "type": "object",
        "properties": [
            "retry": [
                "type": "object", "additionalProperties": false,
                "properties": [
                    "max_attempts": ["type": "integer", "minimum": 1, "maximum": 100],
                    "initial_backoff_ms": ["type": "integer", "minimum": 0, "maximum": 3_600_000],
                    "max_backoff_ms": ["type": "integer", "minimum": 0, "maximum": 86_400_000],
                    "multiplier": ["type": "number", "minimum": 1, "maximum": 10],
                    "jitter": ["type": "number", "minimum": 0, "maximum": 1],
                    "retry_on": ["enum": ["retryable", "any"]],
                ],
            ],
            "timeout_ms": ["type": "integer", "minimum": 1],
            "concurrency": ["type": "integer", "minimum": 1, "maximum": 10_000],
        ],
    ]

    public func validate(_ definition: WorkflowDefinition) throws(WorkflowValidationError) {
        var problems: [WorkflowValidationError.Problem] = []
        if definition.nodes.isEmpty { problems.append(.init(field: "nodes", message: "a workflow needs at least one node")) }
        if definition.nodes.count > maxNodes { problems.append(.init(field: "nodes", message: "at most \(maxNodes) nodes are allowed")) }
        var seen: Set<String> = []
        for node in definition.nodes {
            if !Self.isValidID(node.id) {
                problems.append(.init(node: node.id, field: "id", message: "must be 1-64 characters of letters, digits, '_' and '-', starting with a letter or '_'"))
            }
            if !seen.insert(node.id).inserted { problems.append(.init(node: node.id, field: "id", message: "is used by more than one node")) }
            guard let type = registry[node.type] else {
                problems.append(.init(node: node.id, field: "type", message: "unknown node type \"\(node.type)\""))
                continue
            }
            for violation in JSONSchemaValidator.validate(node.config, against: type.descriptor.configSchema, path: "config") {
                problems.append(.init(node: node.id, field: violation.path, message: violation.message))
            }
            let options = JSONValue.object(node.extra.filter { Self.nodeOptionsSchema["properties"]?[$0.key] != nil })
            for violation in JSONSchemaValidator.validate(options, against: Self.nodeOptionsSchema, path: "") {
                problems.append(.init(node: node.id, field: String(violation.path.drop(while: { $0 == "." })), message: violation.message))
            }
            // The node a control node runs per item is checked like any other node.
            if let child = node.config["child"]?["node"], let childType = child["type"]?.stringValue {
                if let childNode = registry[childType] {
                    if childNode.descriptor.mode == .control {
                        problems.append(.init(node: node.id, field: "config.child.node.type", message: "a control node cannot run inside another"))
                    }
                    for violation in JSONSchemaValidator.validate(child["config"] ?? [:], against: childNode.descriptor.configSchema, path: "config.child.node.config") {
                        problems.append(.init(node: node.id, field: violation.path, message: violation.message))
                    }
                } else {
                    problems.append(.init(node: node.id, field: "config.child.node.type", message: "unknown node type \"\(childType)\""))
                }
            }
        }
        for edge in definition.edges {
            guard let from = definition.node(edge.from.node) else {
                problems.append(.init(edge: edge.label, message: "source node \"\(edge.from.node)\" does not exist"))
                continue
            }
            guard let to = definition.node(edge.to.node) else {
                problems.append(.init(edge: edge.label, message: "target node \"\(edge.to.node)\" does not exist"))
                continue
            }
            if let fromType = registry[from.type], !fromType.descriptor.outputs.contains(where: { $0.name == edge.from.port }) {
                problems.append(.init(node: from.id, edge: edge.label, port: edge.from.port, message: "\(from.type) has no output port \"\(edge.from.port)\""))
            }
            if let toType = registry[to.type], !toType.descriptor.inputs.contains(where: { $0.name == edge.to.port }) {
                problems.append(.init(node: to.id, edge: edge.label, port: edge.to.port, message: "\(to.type) has no input port \"\(edge.to.port)\""))
            }
            if let out = registry[from.type]?.descriptor.outputs.first(where: { $0.name == edge.from.port }),
               let input = registry[to.type]?.descriptor.inputs.first(where: { $0.name == edge.to.port }),
               let reason = Self.incompatibility(out.schema, input.schema) {
                problems.append(.init(node: to.id, edge: edge.label, port: edge.to.port, message: reason))
            }
        }
        if problems.isEmpty, let cycleNode = Self.topologicalOrder(definition).cycleNode {
            problems.append(.init(node: cycleNode, message: "is part of a cycle; workflows must be acyclic (use a loop node to repeat)"))
        }
        if !problems.isEmpty { throw WorkflowValidationError(problems) }
    }

    /// Why values of `output` cannot flow into `input`, or `nil` when they can. Ports compare
    /// by their declared JSON types (an integer is a number); a port without a type takes anything.
    public static func incompatibility(_ output: JSONValue, _ input: JSONValue) -> String? {
        func types(_ schema: JSONValue) -> Set<String>? {
            guard let t = schema["type"] else { return nil }
            let names = t.arrayValue?.compactMap(\.stringValue) ?? [t.stringValue].compactMap { $0 }
            return Set(names)
        }
        guard let produced = types(output), let accepted = types(input) else { return nil }
        var acceptedWidened = accepted
        if accepted.contains("number") { acceptedWidened.insert("integer") }
        if produced.isSubset(of: acceptedWidened) { return nil }
        return "the output produces \(produced.sorted().joined(separator: " or ")) but the input accepts \(accepted.sorted().joined(separator: " or "))"
    }

    static func isValidID(_ id: String) -> Bool {
        let bytes = Array(id.utf8)
        guard (1...64).contains(bytes.count) else { return false }
        let isLetter = { (b: UInt8) in (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F }
        guard isLetter(bytes[0]) else { return false }
        return bytes.allSatisfy { isLetter($0) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
    }

    /// Nodes in dependency order (Kahn's algorithm, ties broken by definition order); when the
    /// graph has a cycle, `cycleNode` names a node on it.
    public static func topologicalOrder(_ definition: WorkflowDefinition) -> (order: [String], cycleNode: String?) {
        var indegree: [String: Int] = [:]
        var successors: [String: [String]] = [:]
        for node in definition.nodes { indegree[node.id] = 0 }
        for edge in definition.edges where indegree[edge.from.node] != nil && indegree[edge.to.node] != nil {
            indegree[edge.to.node, default: 0] += 1
            successors[edge.from.node, default: []].append(edge.to.node)
        }
        var ready = definition.nodes.map(\.id).filter { indegree[$0] == 0 }
        var order: [String] = []
        var head = 0
        while head < ready.count {
            let id = ready[head]
            head += 1
            order.append(id)
            for next in successors[id] ?? [] {
                indegree[next, default: 0] -= 1
                if indegree[next] == 0 { ready.append(next) }
            }
        }
        if order.count < definition.nodes.count {
            let remaining = definition.nodes.map(\.id).filter { (indegree[$0] ?? 0) > 0 }
            return (order, remaining.first)
        }
        return (order, nil)
    }
}
