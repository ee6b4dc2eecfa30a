import JSON

/// The small condition language of the control nodes (if, switch, filter, loop):
///
/// ```json
/// {"path": "body.status", "op": "ge", "value": 500}
/// {"all": [ ... ]}, {"any": [ ... ]}, {"not": { ... }}
/// ```
/// `op` is one of `eq ne gt ge lt le exists missing contains in starts_with ends_with`;
/// `path` is dotted with `[n]` indexes, and `""` is the value itself. Comparisons of numbers
/// are numeric, of strings lexicographic; mixed kinds compare unequal and never greater.
/// Deliberately no regular expressions: conditions must be cheap on any input.
public struct Condition: Sendable, Equatable {
    indirect enum Node: Sendable, Equatable {
        case compare(path: [PathStep], op: String, value: JSONValue)
        case all([Node])
        case any([Node])
        case not(Node)
    }
    enum PathStep: Sendable, Equatable {
        case key(String)
        case index(Int)
    }
    let root: Node

    static let operators: Set<String> = ["eq", "ne", "gt", "ge", "lt", "le", "exists", "missing", "contains", "in", "starts_with", "ends_with"]

    /// JSON Schema of a condition, for node config schemas.
    public static let schema: JSONValue = ["type": "object", "description": "{\"path\", \"op\", \"value\"} or {\"all\"|\"any\": [...]} or {\"not\": ...}"]

    /// Reads a condition; errors name where it is malformed.
    public init(_ json: JSONValue) throws(NodeError) {
        root = try Condition.parse(json, at: "condition", depth: 0)
    }

    static func parse(_ json: JSONValue, at where_: String, depth: Int) throws(NodeError) -> Node {
        if depth > 32 { throw NodeError("\(where_): nests too deeply") }
        guard case .object(let o) = json else { throw NodeError("\(where_) must be an object") }
        if let list = o["all"] ?? o["any"] {
            guard case .array(let items) = list, !items.isEmpty, items.count <= 100 else { throw NodeError("\(where_).all/any must be a non-empty array") }
            var nodes: [Node] = []
            for (i, item) in items.enumerated() { nodes.append(try parse(item, at: "\(where_)[\(i)]", depth: depth + 1)) }
            return o["all"] != nil ? .all(nodes) : .any(nodes)
        }
        if let inner = o["not"] { return .not(try parse(inner, at: "\(where_).not", depth: depth + 1)) }
        guard let op = o["op"]?.stringValue, operators.contains(op) else {
            throw NodeError("\(where_).op must be one of \(operators.sorted().joined(separator: ", "))")
        }
        let path = try parsePath(o["path"]?.stringValue ?? "", at: where_)
        return .compare(path: path, op: op, value: o["value"] ?? .null)
    }

    static func parsePath(_ text: String, at where_: String) throws(NodeError) -> [PathStep] {
        if text.isEmpty || text == "." { return [] }
        if text.utf8.count > 512 { throw NodeError("\(where_).path is too long") }
        var steps: [PathStep] = []
        for part in text.split(separator: ".", omittingEmptySubsequences: false) {
            var rest = Substring(part)
            if let bracket = rest.firstIndex(of: "[") {
                let key = rest[..<bracket]
                if !key.isEmpty { steps.append(.key(String(key))) }
                rest = rest[bracket...]
                while rest.hasPrefix("[") {
                    guard let close = rest.firstIndex(of: "]"), let n = Int(rest[rest.index(after: rest.startIndex)..<close]), n >= 0 else {
                        throw NodeError("\(where_).path has a bad index in \"\(text)\"")
                    }
                    steps.append(.index(n))
                    rest = rest[rest.index(after: close)...]
                }
                if !rest.isEmpty { throw NodeError("\(where_).path is malformed: \"\(text)\"") }
            } else {
                guard !rest.isEmpty else { throw NodeError("\(where_).path has an empty segment: \"\(text)\"") }
                steps.append(.key(String(rest)))
            }
        }
        return steps
    }

    /// The value at `path` in `value`, `nil` when absent.
    static func lookup(_ value: JSONValue, _ path: [PathStep]) -> JSONValue? {
        var current = value
        for step in path {
            switch step {
            case .key(let k): guard let next = current[k] else { return nil }; current = next
            case .index(let i): guard let next = current[i] else { return nil }; current = next
            }
        }
        return current
    }

    /// Whether `value` satisfies the condition.
    public func matches(_ value: JSONValue) -> Bool { Condition.evaluate(root, value) }

    static func evaluate(_ node: Node, _ value: JSONValue) -> Bool {
        switch node {
        case .all(let nodes): return nodes.allSatisfy { evaluate($0, value) }
        case .any(let nodes): return nodes.contains { evaluate($0, value) }
        case .not(let inner): return !evaluate(inner, value)
        case .compare(let path, let op, let expected):
            let actual = lookup(value, path)
            switch op {
            case "exists": return actual != nil && actual != .null
            case "missing": return actual == nil || actual == .null
            default: break
            }
            guard let actual else { return op == "ne" }
            switch op {
            case "eq": return equal(actual, expected)
            case "ne": return !equal(actual, expected)
            case "gt", "ge", "lt", "le":
                guard let order = compare(actual, expected) else { return false }
                switch op {
                case "gt": return order > 0
                case "ge": return order >= 0
                case "lt": return order < 0
                default: return order <= 0
                }
            case "contains":
                if case .string(let s) = actual, case .string(let sub) = expected { return s.contains(sub) }
                if case .array(let items) = actual { return items.contains { equal($0, expected) } }
                return false
            case "in":
                if case .array(let options) = expected { return options.contains { equal(actual, $0) } }
                return false
            case "starts_with":
                if case .string(let s) = actual, case .string(let p) = expected { return s.hasPrefix(p) }
                return false
            case "ends_with":
                if case .string(let s) = actual, case .string(let p) = expected { return s.hasSuffix(p) }
                return false
            default:
                return false
            }
        }
    }

    static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
        if let x = a.doubleValue, let y = b.doubleValue { return x == y }
        return a == b
    }

    static func compare(_ a: JSONValue, _ b: JSONValue) -> Int? {
        if let x = a.doubleValue, let y = b.doubleValue { return x < y ? -1 : (x > y ? 1 : 0) }
        if case .string(let x) = a, case .string(let y) = b { return x < y ? -1 : (x > y ? 1 : 0) }
        return nil
    }
}
