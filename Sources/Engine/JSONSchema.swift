import JSON

/// Checks a value against the subset of JSON Schema (2020-12) that node types use to declare
/// configs and ports: `type` (one or a list), `properties`, `required`,
/// `additionalProperties: false`, `items`, `enum`, `const`, `minimum`/`maximum`,
/// `minLength`/`maxLength`, `minItems`/`maxItems`, `pattern`-free strings and `anyOf`.
///
/// Written here because no maintained Swift JSON Schema validator is in our dependency set,
/// and node configs need only this much; the schemas are ours, so an unsupported keyword is
/// a bug in a node type, not user input.
public enum JSONSchemaValidator {
    /// One violation: the JSON path of the offending value and what is wrong.
    public struct Violation: Sendable, Equatable {
        public var path: String
        public var message: String
    }

    /// Every violation of `schema` by `value`; empty when it conforms. `path` prefixes paths.
    public static func validate(_ value: JSONValue, against schema: JSONValue, path: String = "") -> [Violation] {
        var out: [Violation] = []
        check(value, schema, path, &out)
        return out
    }

    private static func check(_ value: JSONValue, _ schema: JSONValue, _ path: String, _ out: inout [Violation]) {
        guard case .object(let s) = schema else { return }
        let here = path.isEmpty ? "(root)" : path
        if let anyOf = s["anyOf"]?.arrayValue {
            if !anyOf.contains(where: { validate(value, against: $0, path: path).isEmpty }) {
                out.append(Violation(path: here, message: "does not match any allowed form"))
            }
        }
        if let type = s["type"] {
            let allowed = type.arrayValue?.compactMap(\.stringValue) ?? [type.stringValue].compactMap { $0 }
            if !allowed.isEmpty, !allowed.contains(where: { matches(value, type: $0) }) {
                out.append(Violation(path: here, message: "must be \(allowed.joined(separator: " or ")), not \(value.typeName)"))
                return
            }
        }
        if let options = s["enum"]?.arrayValue, !options.contains(value) {
            out.append(Violation(path: here, message: "must be one of \(options.map { $0.serialized() }.joined(separator: ", "))"))
        }
        if let constant = s["const"], constant != value {
            out.append(Violation(path: here, message: "must be \(constant.serialized())"))
        }
        switch value {
        case .object(let o):
            let properties = s["properties"]?.objectValue ?? [:]
            for name in s["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where o[name] == nil {
                out.append(Violation(path: join(path, name), message: "is required"))
            }
            for (key, member) in o.sorted(by: { $0.key < $1.key }) {
                if let propertySchema = properties[key] {
                    check(member, propertySchema, join(path, key), &out)
                } else if let additional = s["additionalProperties"] {
                    if additional == .bool(false) {
                        out.append(Violation(path: join(path, key), message: "is not a known field"))
                    } else {
                        check(member, additional, join(path, key), &out)
                    }
                }
            }
        case .array(let a):
            if let min = s["minItems"]?.intValue, a.count < min { out.append(Violation(path: here, message: "must have at least \(min) items")) }
            if let max = s["maxItems"]?.intValue, a.count > max { out.append(Violation(path: here, message: "must have at most \(max) items")) }
            if let items = s["items"] {
                for (i, element) in a.enumerated() { check(element, items, "\(path)[\(i)]", &out) }
            }
        case .string(let str):
            let length = str.count
            if let min = s["minLength"]?.intValue, length < min { out.append(Violation(path: here, message: "must be at least \(min) characters")) }
            if let max = s["maxLength"]?.intValue, length > max { out.append(Violation(path: here, message: "must be at most \(max) characters")) }
        case .int, .double:
            let number = value.doubleValue ?? 0
            if let min = s["minimum"]?.doubleValue, number < min { out.append(Violation(path: here, message: "must be at least \(s["minimum"]!.serialized())")) }
            if let max = s["maximum"]?.doubleValue, number > max { out.append(Violation(path: here, message: "must be at most \(s["maximum"]!.serialized())")) }
        default:
            break
        }
    }

    static func matches(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object): return true
        case ("integer", .int): return true
        case ("integer", .double(let d)): return d.rounded() == d
        case ("number", .int), ("number", .double): return true
        default: return false
        }
    }

    static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }
}
