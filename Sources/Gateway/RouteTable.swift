import Hummingbird
import Synchronization

/// Every API route with the action that authorizes it: the source for 405 answers, for the
/// check that `/openapi.json` documents every route, and for the isolation tests.
public final class RouteTable: Sendable {
    /// One route.
    public struct Entry: Sendable, Hashable {
        public var method: String
        /// Template with `{name}` parameters, e.g. `/api/v1/tenants/{tenant}/workflows/{id}`.
        public var path: String
        /// The authorizing action, `nil` for unauthenticated operational routes.
        public var action: String?
    }

    private let entries = Mutex<[Entry]>([])

    public init() {}

    func add(method: String, path: String, action: String?) {
        entries.withLock { $0.append(Entry(method: method, path: path, action: action)) }
    }

    /// Every route, in registration order.
    public var all: [Entry] { entries.withLock { $0 } }

    /// The methods registered for the route `path` resolves to. As in the router, a literal
    /// segment wins over a parameter (`Users/.search` is not `Users/{id}`).
    func methods(forPath path: String) -> [String] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        var best: (literals: Int, methods: Set<String>) = (-1, [])
        for entry in all {
            let template = entry.path.split(separator: "/", omittingEmptySubsequences: true)
            guard template.count == segments.count, zip(template, segments).allSatisfy({ t, s in t.hasPrefix("{") || t == s }) else { continue }
            let literals = template.filter { !$0.hasPrefix("{") }.count
            if literals > best.literals {
                best = (literals, [entry.method])
            } else if literals == best.literals {
                best.methods.insert(entry.method)
            }
        }
        return best.methods.sorted()
    }
}

/// Converts a Hummingbird path (`:id`) into the documented template form (`{id}`).
func templatePath(_ path: String) -> String {
    "/" + path.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
}
