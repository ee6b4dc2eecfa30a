import JSON

/// `sql`: runs one read-only SQL query over the input items, as table `items`, in a private
/// in-memory SQLite (see ``SQLBatchRunner`` for how items become columns).
///
/// Input on `in`: an array of items (an object counts as one item, `null` as none). Output on
/// `out`: the result rows as objects keyed by column name. The query runs on the executor's
/// own threads, never on Swift's cooperative pool; it is stopped at its time limit by
/// SQLite's progress handler, and the authorizer denies anything but reading `items` (no
/// files, no ATTACH, no PRAGMA, no writes).
public struct SQLNode: NodeType {
    let executor: SQLBatchExecutor?

    /// A node running queries on `executor`; with `nil` every step fails, saying so.
    public init(executor: SQLBatchExecutor?) { self.executor = executor }

    /// Default wall-clock limit of one query.
    static let defaultTimeout = Duration.seconds(2)
    /// Default and largest number of result rows.
    static let defaultMaxRows = 10_000
    static let maxRowsLimit = 100_000
    /// The type's limits; a node may lower them.
    static let limits = NodeLimits(timeout: .seconds(10), maxAttempts: 1, maxOutputBytes: 8 << 20)

    public let descriptor = NodeTypeDescriptor(
        name: "sql", title: "SQL", category: "Scripts",
        description: "Runs one read-only SQLite query over the input array as table `items` (one column per top-level key, plus `_json` with the whole item) and outputs the rows as objects. Time-limited; no file access.",
        inputs: [PortSpec("in", schema: ["type": "array"], description: "The items; each object is a row")],
        outputs: [PortSpec("out", schema: ["type": "array", "items": ["type": "object"]], description: "The result rows")],
        configSchema: [
            "type": "object", "required": ["query"], "additionalProperties": false,
            "properties": [
                "query": ["type": "string", "minLength": 1, "maxLength": 65_536, "description": "One SELECT over table items"],
                "max_rows": ["type": "integer", "minimum": 1, "maximum": .int(Int64(SQLNode.maxRowsLimit)),
                             "description": "Most result rows (default 10000); more fail the step"],
                "timeout_ms": NodeConfig.timeoutSchema(limit: SQLNode.limits.timeout, default: SQLNode.defaultTimeout),
                "max_output_bytes": NodeConfig.maxOutputSchema(limit: SQLNode.limits.maxOutputBytes),
            ],
        ],
        mode: .script, limits: SQLNode.limits
    )

    public func execute(config: JSONValue, input: [String: JSONValue], context: NodeContext) async throws -> [String: JSONValue] {
        guard let executor else { throw NodeError("sql is not available here: the server runs no SQL executor") }
        let items: [JSONValue]
        switch input["in"] {
        case .array(let array)?: items = array
        case .object?: items = [input["in"] ?? .null]
        case nil, .null?: items = []
        case let other?: throw NodeError("sql needs an array of items as input, got \(other.typeName)")
        }
        let limits = Self.limits(config)
        let rows: [JSONValue]
        do {
            rows = try await executor.run(query: config["query"]?.stringValue ?? "", items: items, limits: limits)
        } catch let error as SQLBatchError {
            throw Self.nodeError(error)
        }
        let value = JSONValue.array(rows)
        try NodeOutput.checkSize(value, limit: NodeConfig.maxOutputBytes(config, limit: Self.limits.maxOutputBytes))
        return ["out": value]
    }

    /// A query that does not compile or is not allowed is reported with SQLite's message.
    public func check(config: JSONValue) async -> [WorkflowValidationError.Problem] {
        guard let executor, let query = config["query"]?.stringValue, !query.isEmpty else { return [] }
        do {
            try await executor.compileCheck(query, limits: Self.limits(config))
            return []
        } catch let error as SQLBatchError where Self.authorErrors.contains(error.code) {
            return [.init(field: "config.query", message: "is not a valid query: \(error.message)")]
        } catch {
            return []
        }
    }

    /// Errors that are the query author's to fix, reported at save time.
    static let authorErrors: [SQLBatchError.Code] = [.invalidQuery, .notAllowed, .multipleStatements, .emptyQuery]

    /// The runner's limits for this node's config.
    static func limits(_ config: JSONValue) -> SQLBatchLimits {
        var limits = SQLBatchLimits()
        limits.timeout = NodeConfig.timeout(config, default: defaultTimeout, limit: Self.limits.timeout)
        limits.maxResultRows = min(Int(clamping: config["max_rows"]?.intValue ?? Int64(defaultMaxRows)), maxRowsLimit)
        limits.maxResultBytes = NodeConfig.maxOutputBytes(config, limit: Self.limits.maxOutputBytes)
        return limits
    }

    /// The step failure an SQL error stands for; only a stopped executor is worth a retry.
    static func nodeError(_ error: SQLBatchError) -> NodeError {
        if error.code == .internalError { return .retryable("sql: \(error.message)") }
        return NodeError("sql \(error.code): \(error.message)")
    }
}
