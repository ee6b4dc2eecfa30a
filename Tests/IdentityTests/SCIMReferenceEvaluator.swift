import JSON

@testable import Identity

/// A deliberately naive filter evaluator over returned resources, written apart from the
/// production code (it walks the raw JSON and the parsed filter, knows the few case-exact and
/// typed attributes by name) to check the SQL translation against.
///
/// The rules it encodes are the documented semantics: a comparison matches when some value at
/// the path matches; strings compare case-insensitively (ASCII) unless case-exact, byte-wise
/// for ordering; `pr` means a value that is not null, "", [] or {}; `eq null` is `not pr`.
struct SCIMReferenceEvaluator {
    /// Attributes compared case-sensitively, as `name` or `name.sub` in lowercase.
    static let caseExact: Set<String> = ["id", "externalid", "meta.resourcetype", "meta.location", "meta.version"]
    static let dateTimes: Set<String> = ["meta.created", "meta.lastmodified"]

    func matches(_ filter: SCIMFilter, _ resource: JSONValue) -> Bool {
        switch filter {
        case .and(let a, let b): return matches(a, resource) && matches(b, resource)
        case .or(let a, let b): return matches(a, resource) || matches(b, resource)
        case .not(let f): return !matches(f, resource)
        case .valuePath(let path, let inner):
            return elements(of: path, resource).contains { element in matchesElement(inner, element, parent: path.name) }
        case .present(let path):
            // A multi-valued attribute named alone is present when it has any element.
            if path.subAttribute == nil, let array = container(path, resource).flatMap({ member($0, path.name) })?.arrayValue {
                return !array.isEmpty
            }
            return values(path, resource).contains(where: present)
        case .compare(let path, .eq, .null):
            return !matches(.present(path), resource)
        case .compare(let path, .ne, .null):
            return matches(.present(path), resource)
        case .compare(let path, let op, let literal):
            let key = Self.key(path)
            return values(path, resource).contains { compare($0, op, literal, key: key) }
        }
    }

    private func matchesElement(_ filter: SCIMFilter, _ element: JSONValue, parent: String) -> Bool {
        switch filter {
        case .and(let a, let b): return matchesElement(a, element, parent: parent) && matchesElement(b, element, parent: parent)
        case .or(let a, let b): return matchesElement(a, element, parent: parent) || matchesElement(b, element, parent: parent)
        case .not(let f): return !matchesElement(f, element, parent: parent)
        case .present(let p): return member(element, p.name).map(present) ?? false
        case .compare(let p, .eq, .null): return !(member(element, p.name).map(present) ?? false)
        case .compare(let p, .ne, .null): return member(element, p.name).map(present) ?? false
        case .compare(let p, let op, let literal):
            guard let v = member(element, p.name) else { return false }
            return compare(v, op, literal, key: parent.lowercased() + "." + p.name.lowercased())
        case .valuePath: return false
        }
    }

    private static func key(_ path: SCIMAttributePath) -> String {
        path.name.lowercased() + (path.subAttribute.map { "." + $0.lowercased() } ?? "")
    }

    /// The object an attribute path starts from: the resource, or an extension object.
    private func container(_ path: SCIMAttributePath, _ resource: JSONValue) -> JSONValue? {
        guard let uri = path.uri, uri.lowercased() != coreUser.lowercased(), uri.lowercased() != coreGroup.lowercased() else { return resource }
        return member(resource, uri)
    }

    private func elements(of path: SCIMAttributePath, _ resource: JSONValue) -> [JSONValue] {
        container(path, resource).flatMap { member($0, path.name) }?.arrayValue ?? []
    }

    /// Every value at the path; a multi-valued attribute contributes each element's
    /// sub-attribute (its `value` when none is named).
    private func values(_ path: SCIMAttributePath, _ resource: JSONValue) -> [JSONValue] {
        guard let base = container(path, resource), let attribute = member(base, path.name) else { return [] }
        if case .array(let elements) = attribute {
            return elements.compactMap { element in
                if let sub = path.subAttribute { return member(element, sub) }
                return element.objectValue != nil ? member(element, "value") : element
            }
        }
        if let sub = path.subAttribute { return member(attribute, sub).map { [$0] } ?? [] }
        return [attribute]
    }

    private func member(_ object: JSONValue, _ name: String) -> JSONValue? {
        object.objectValue?.first { $0.key.lowercased() == name.lowercased() }?.value
    }

    private func present(_ v: JSONValue) -> Bool {
        switch v {
        case .null: return false
        case .string(let s): return !s.isEmpty
        case .array(let a): return !a.isEmpty
        case .object(let o): return !o.isEmpty
        default: return true
        }
    }

    private func compare(_ value: JSONValue, _ op: SCIMFilter.Operator, _ literal: JSONValue, key: String) -> Bool {
        if case .bool(let b) = literal {
            guard case .bool(let v) = value else { return false }
            return op == .eq ? v == b : (op == .ne ? v != b : false)
        }
        guard case .string(var lit) = literal, case .string(var s) = value else { return false }
        if Self.dateTimes.contains(key) {
            guard let a = SCIMDateTime.parse(s), let b = SCIMDateTime.parse(lit) else { return false }
            return order(op, a < b ? -1 : (a > b ? 1 : 0))
        }
        if !Self.caseExact.contains(key) {
            s = asciiLower(s)
            lit = asciiLower(lit)
        }
        let a = Array(s.utf8), b = Array(lit.utf8)
        switch op {
        case .co: return b.isEmpty || (a.count >= b.count && (0...(a.count - b.count)).contains { Array(a[$0..<($0 + b.count)]) == b })
        case .sw: return a.starts(with: b)
        case .ew: return a.count >= b.count && Array(a[(a.count - b.count)...]) == b
        default: return order(op, a.lexicographicallyPrecedes(b) ? -1 : (a == b ? 0 : 1))
        }
    }

    private func order(_ op: SCIMFilter.Operator, _ c: Int) -> Bool {
        switch op {
        case .eq: return c == 0
        case .ne: return c != 0
        case .gt: return c > 0
        case .ge: return c >= 0
        case .lt: return c < 0
        case .le: return c <= 0
        default: return false
        }
    }

    private func asciiLower(_ s: String) -> String {
        String(decoding: s.utf8.map { (65...90).contains($0) ? $0 + 32 : $0 }, as: UTF8.self)
    }
}
