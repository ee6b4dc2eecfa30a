import JSON
import Policy
import Secrets
import Store

/// What the engine needs from the secrets module: a secret's current value by name.
public protocol SecretResolving: Sendable {
    /// The current value of the secret `name` of `tenant`, with its id and workflow scope.
    func resolveSecret(in tenant: TenantID, name: String) async throws -> (id: String, workflowIDs: [String]?, value: SecretValue)
    /// The process-wide redactor, which learns every value resolved.
    var redactor: Redactor { get }
}

extension SecretService: SecretResolving {
    public func resolveSecret(in tenant: TenantID, name: String) async throws -> (id: String, workflowIDs: [String]?, value: SecretValue) {
        let (record, value) = try await resolve(in: tenant, name: name)
        return (record.id, record.workflowIDs, value)
    }
}

/// `{{ secrets.<name> }}` references inside a node's config: found when a workflow is saved
/// (to validate names), resolved only when the step executes, substituted into a copy of the
/// config that is never stored.
public enum SecretReferences {
    /// The names referenced anywhere in `value`'s strings, in first-seen order.
    public static func names(in value: JSONValue) -> [String] {
        var found: [String] = []
        var seen: Set<String> = []
        visit(value) { text in
            for reference in scan(text) where seen.insert(reference.name).inserted { found.append(reference.name) }
        }
        return found
    }

    /// `value` with every reference replaced by its resolved value.
    public static func substitute(_ value: JSONValue, _ values: [String: String]) -> JSONValue {
        switch value {
        case .string(let text):
            let references = scan(text)
            if references.isEmpty { return value }
            var out = ""
            var cursor = text.startIndex
            for reference in references {
                out += text[cursor..<reference.range.lowerBound]
                out += values[reference.name] ?? ""
                cursor = reference.range.upperBound
            }
            out += text[cursor...]
            return .string(out)
        case .array(let items): return .array(items.map { substitute($0, values) })
        case .object(let members): return .object(members.mapValues { substitute($0, values) })
        default: return value
        }
    }

    static func visit(_ value: JSONValue, _ body: (String) -> Void) {
        switch value {
        case .string(let s): body(s)
        case .array(let a): for v in a { visit(v, body) }
        case .object(let o): for v in o.values { visit(v, body) }
        default: break
        }
    }

    /// Finds `{{ secrets.name }}` (spaces inside the braces optional).
    static func scan(_ text: String) -> [(name: String, range: Range<String.Index>)] {
        var results: [(String, Range<String.Index>)] = []
        var search = text.startIndex
        while let open = text.range(of: "{{", range: search..<text.endIndex) {
            guard let close = text.range(of: "}}", range: open.upperBound..<text.endIndex) else { break }
            let inner = text[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            if inner.hasPrefix("secrets.") {
                let name = String(inner.dropFirst("secrets.".count))
                if !name.isEmpty, name.utf8.allSatisfy({ ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }) {
                    results.append((name, open.lowerBound..<close.upperBound))
                }
            }
            search = close.upperBound
        }
        return results
    }
}

import Foundation
