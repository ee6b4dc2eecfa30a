import JSON

/// What a control node (map, loop, sub-workflow) runs for each of its items.
public struct ChildSpec: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        case node(type: String, config: JSONValue)
        case workflow(id: String)
    }
    let kind: Kind

    /// One node of `type` with `config`.
    public static func node(type: String, config: JSONValue) -> ChildSpec { ChildSpec(kind: .node(type: type, config: config)) }
    /// A whole workflow of the same tenant, as a child run.
    public static func workflow(_ id: String) -> ChildSpec { ChildSpec(kind: .workflow(id: id)) }
}

/// Runs the items of a control node's step durably: each item's success is an event, so a
/// resumed step skips the items that already succeeded, and each item gets its own
/// idempotency key (run, node, item) for the side effects it causes.
public protocol ChildExecutor: Sendable {
    /// Runs item `index` with `input` (retrying as the node's retry policy says) and returns its
    /// output. An item that succeeded before returns its recorded output without running.
    func run(index: Int, input: JSONValue, child: ChildSpec) async throws -> JSONValue
    /// Records that item `index` failed for good and goes to the dead-letter list; the step
    /// goes on without it.
    func deadLetter(index: Int, error: String) async throws
}
