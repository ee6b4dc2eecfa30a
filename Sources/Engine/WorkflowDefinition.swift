import JSON
import Yams

/// A workflow graph: nodes with typed ports and the edges between them.
///
/// The JSON form is the contract: `{"nodes": [{"id", "type", "config"}], "edges": [{"from":
/// "a.out", "to": "b.in"}]}`. An endpoint without a port names the default port (`out` for
/// a source, `in` for a target).
public struct WorkflowDefinition: Sendable, Equatable {
    /// A step of the workflow.
    public struct Node: Sendable, Equatable {
        public var id: String
        public var type: String
        /// The node's configuration, an object checked against its type's config schema.
        public var config: JSONValue
        /// Optional presentation data (name, position) kept for the editor, not interpreted.
        public var extra: [String: JSONValue]

        public init(id: String, type: String, config: JSONValue = [:], extra: [String: JSONValue] = [:]) {
            self.id = id
            self.type = type
            self.config = config
            self.extra = extra
        }
    }

    /// One end of an edge: a node and one of its ports.
    public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
        public var node: String
        public var port: String
        public init(node: String, port: String) {
            self.node = node
            self.port = port
        }
        public var description: String { "\(node).\(port)" }
    }

    /// A connection from an output port to an input port.
    public struct Edge: Sendable, Equatable {
        public var from: Endpoint
        public var to: Endpoint
        public init(from: Endpoint, to: Endpoint) {
            self.from = from
            self.to = to
        }
        /// `a.out -> b.in`, as errors name it.
        public var label: String { "\(from) -> \(to)" }
    }

    public var nodes: [Node]
    public var edges: [Edge]

    public init(nodes: [Node], edges: [Edge]) {
        self.nodes = nodes
        self.edges = edges
    }

    /// Keys a node object may carry besides `id`, `type` and `config`.
    static let nodePresentationKeys: Set<String> = ["name", "position", "notes", "disabled", "retry", "timeout_ms", "concurrency"]

    /// Reads the JSON form. Shape errors (missing keys, wrong types, unknown keys) are
    /// reported all at once, each naming where it is.
    public static func decode(_ json: JSONValue) throws(WorkflowValidationError) -> WorkflowDefinition {
        var problems: [WorkflowValidationError.Problem] = []
        guard case .object(let root) = json else {
            throw WorkflowValidationError([.init(field: "definition", message: "must be an object with \"nodes\" and \"edges\"")])
        }
        for key in root.keys where key != "nodes" && key != "edges" {
            problems.append(.init(field: "definition.\(key)", message: "unknown field"))
        }
        var nodes: [Node] = []
        switch root["nodes"] {
        case .array(let items):
            for (index, item) in items.enumerated() {
                guard case .object(let o) = item else {
                    problems.append(.init(field: "nodes[\(index)]", message: "must be an object"))
                    continue
                }
                guard let id = o["id"]?.stringValue else {
                    problems.append(.init(field: "nodes[\(index)].id", message: "is required and must be a string"))
                    continue
                }
                guard let type = o["type"]?.stringValue else {
                    problems.append(.init(node: id, field: "type", message: "is required and must be a string"))
                    continue
                }
                let config = o["config"] ?? [:]
                if config.objectValue == nil {
                    problems.append(.init(node: id, field: "config", message: "must be an object"))
                }
                var extra: [String: JSONValue] = [:]
                for (key, value) in o where key != "id" && key != "type" && key != "config" {
                    if nodePresentationKeys.contains(key) {
                        extra[key] = value
                    } else {
                        problems.append(.init(node: id, field: key, message: "unknown field"))
                    }
                }
                nodes.append(Node(id: id, type: type, config: config, extra: extra))
            }
        case nil:
            problems.append(.init(field: "nodes", message: "is required"))
        default:
            problems.append(.init(field: "nodes", message: "must be an array"))
        }
        var edges: [Edge] = []
        switch root["edges"] {
        case .array(let items):
            for (index, item) in items.enumerated() {
                guard case .object(let o) = item, let from = o["from"]?.stringValue, let to = o["to"]?.stringValue else {
                    problems.append(.init(edge: "edges[\(index)]", message: "must be an object with string \"from\" and \"to\""))
                    continue
                }
                for key in o.keys where key != "from" && key != "to" && key != "id" {
                    problems.append(.init(edge: "edges[\(index)]", field: key, message: "unknown field"))
                }
                edges.append(Edge(from: endpoint(from, defaultPort: "out"), to: endpoint(to, defaultPort: "in")))
            }
        case nil:
            break
        default:
            problems.append(.init(field: "edges", message: "must be an array"))
        }
        if !problems.isEmpty { throw WorkflowValidationError(problems) }
        return WorkflowDefinition(nodes: nodes, edges: edges)
    }

    /// Reads a YAML document with the same shape as the JSON form.
    public static func decodeYAML(_ text: String) throws(WorkflowValidationError) -> WorkflowDefinition {
        let json: JSONValue
        do {
            json = try YAMLBridge.parse(text)
        } catch {
            throw WorkflowValidationError([.init(field: "definition", message: "is not valid YAML: \(error)")])
        }
        return try decode(json)
    }

    /// Converts a YAML document into JSON (for imports of whole workflow objects).
    public static func yamlToJSON(_ text: String) throws -> JSONValue {
        try YAMLBridge.parse(text)
    }

    static func endpoint(_ text: String, defaultPort: String) -> Endpoint {
        if let dot = text.lastIndex(of: ".") {
            return Endpoint(node: String(text[..<dot]), port: String(text[text.index(after: dot)...]))
        }
        return Endpoint(node: text, port: defaultPort)
    }

    /// The JSON form.
    public var json: JSONValue {
        .object([
            "nodes": .array(nodes.map { node in
                var o = node.extra
                o["id"] = .string(node.id)
                o["type"] = .string(node.type)
                o["config"] = node.config
                return .object(o)
            }),
            "edges": .array(edges.map { .object(["from": .string($0.from.description), "to": .string($0.to.description)]) }),
        ])
    }

    /// The node with this id.
    public func node(_ id: String) -> Node? { nodes.first { $0.id == id } }
}

/// Why a workflow definition was refused: every problem found, each naming its node, edge,
/// port or field.
public struct WorkflowValidationError: Error, Sendable, CustomStringConvertible {
    /// One problem.
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        public var node: String?
        public var edge: String?
        public var port: String?
        public var field: String?
        public var message: String

        public init(node: String? = nil, edge: String? = nil, port: String? = nil, field: String? = nil, message: String) {
            self.node = node
            self.edge = edge
            self.port = port
            self.field = field
            self.message = message
        }

        public var description: String {
            var parts: [String] = []
            if let node { parts.append("node \"\(node)\"") }
            if let edge { parts.append("edge \(edge)") }
            if let port { parts.append("port \"\(port)\"") }
            if let field { parts.append("field \"\(field)\"") }
            return parts.isEmpty ? message : "\(parts.joined(separator: ", ")): \(message)"
        }
    }

    public var problems: [Problem]

    public init(_ problems: [Problem]) { self.problems = problems }

    public var description: String { problems.map(\.description).joined(separator: "; ") }
}

/// Converts YAML into a JSON value through Yams' node tree, keeping integers, floats,
/// Booleans and nulls apart as YAML 1.2's core schema resolves them.
enum YAMLBridge {
    static func parse(_ text: String) throws -> JSONValue {
        guard let node = try Yams.compose(yaml: text) else { return .null }
        // Aliases are shared subtrees; a budget on visited nodes stops "billion laughs" input.
        var budget = 200_000
        return try convert(node, depth: 0, budget: &budget)
    }

    static func convert(_ node: Yams.Node, depth: Int, budget: inout Int) throws -> JSONValue {
        if depth > 64 { throw WorkflowValidationError([.init(field: "definition", message: "nests too deeply")]) }
        budget -= 1
        if budget < 0 { throw WorkflowValidationError([.init(field: "definition", message: "has too many elements")]) }
        switch node {
        case .scalar(let scalar):
            if scalar.style != .plain { return .string(scalar.string) }
            if let b = Bool.construct(from: scalar) { return .bool(b) }
            if let i = Int.construct(from: scalar) { return .int(Int64(i)) }
            if let d = Double.construct(from: scalar) { return .double(d) }
            if NSNullConstruct.isNull(scalar) { return .null }
            return .string(scalar.string)
        case .sequence(let sequence):
            var items: [JSONValue] = []
            for item in sequence { items.append(try convert(item, depth: depth + 1, budget: &budget)) }
            return .array(items)
        case .mapping(let mapping):
            var object: [String: JSONValue] = [:]
            for (key, value) in mapping {
                guard let k = key.string else { throw WorkflowValidationError([.init(field: "definition", message: "keys must be strings")]) }
                object[k] = try convert(value, depth: depth + 1, budget: &budget)
            }
            return .object(object)
        case .alias:
            throw WorkflowValidationError([.init(field: "definition", message: "YAML aliases are not accepted")])
        }
    }
}

enum NSNullConstruct {
    static func isNull(_ scalar: Yams.Node.Scalar) -> Bool {
        ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }
}
