/// Bounds on one SQL-over-a-batch evaluation (see ``SQLBatchRunner``).
///
/// The defaults suit an interactive workflow step on a small machine; a node type may tighten
/// them. Values are passed to `sqlite3_limit` where SQLite has a limit of its own, and checked
/// by the runner otherwise.
public struct SQLBatchLimits: Sendable, Hashable {
    /// Wall-clock budget of the query (preparing and stepping it). Default: 2 seconds.
    /// Checked by the progress handler every ``progressInterval`` virtual machine
    /// instructions. Loading the batch into the table is not counted: it is the runner's own
    /// work, bounded by the batch size the host accepts.
    public var timeout: Duration
    /// Virtual machine instructions the query may execute, `nil` for no budget. Default:
    /// 100 million: a recursive CTE ran about 15 million instructions per second here on a
    /// busy two-core machine, so this is several seconds of work and the timeout usually
    /// fires first. Unlike the timeout, it does not depend on how loaded the machine is, so a
    /// query that fits once fits always: a node type that wants determinism lowers it.
    public var maxInstructions: Int?
    /// Instructions between two progress checks. Default: 1000 (a check costs a clock read).
    public var progressInterval: Int
    /// Longest query text, in bytes (`SQLITE_LIMIT_SQL_LENGTH`). Default: 64 KiB.
    public var maxQueryBytes: Int
    /// Most columns in the `items` table and in any result, index or `GROUP BY`
    /// (`SQLITE_LIMIT_COLUMN`). Default: 256. A batch whose items have more distinct top-level
    /// keys than this (minus one for `_json`) is refused.
    public var maxColumns: Int
    /// Largest string or blob any value may become (`SQLITE_LIMIT_LENGTH`), items included.
    /// Default: 16 MiB. This is what stops `randomblob(1e9)`, `printf('%.*c', ...)` or a
    /// runaway `group_concat` long before the heap limit.
    public var maxValueBytes: Int
    /// Deepest expression tree (`SQLITE_LIMIT_EXPR_DEPTH`). Default: 100.
    public var maxExpressionDepth: Int
    /// Most terms in a compound `SELECT` (`SQLITE_LIMIT_COMPOUND_SELECT`). Default: 50.
    public var maxCompoundSelectTerms: Int
    /// Longest `LIKE`/`GLOB` pattern (`SQLITE_LIMIT_LIKE_PATTERN_LENGTH`). Default: 1000.
    public var maxLikePatternBytes: Int
    /// Most arguments to one function (`SQLITE_LIMIT_FUNCTION_ARG`). Default: 64.
    public var maxFunctionArguments: Int
    /// Largest compiled program, in VM instructions (`SQLITE_LIMIT_VDBE_OP`). Default: 250000.
    public var maxProgramInstructions: Int
    /// Most result rows; more fail the query with ``SQLBatchError/Code/tooManyRows``.
    /// Default: 100000. Failing rather than truncating, so a node never passes on a silently
    /// cut result.
    public var maxResultRows: Int
    /// Most result bytes (text and blob lengths, 8 per number, plus column names); more fail
    /// with ``SQLBatchError/Code/resultTooLarge``. Default: 32 MiB.
    public var maxResultBytes: Int

    /// - Parameters:
    ///   - timeout: wall-clock budget (default 2 s).
    ///   - maxInstructions: VM instruction budget, `nil` for none (default 100 million).
    ///   - progressInterval: instructions between checks (default 1000).
    ///   - maxQueryBytes: query length (default 64 KiB).
    ///   - maxColumns: columns (default 256).
    ///   - maxValueBytes: string/blob size (default 16 MiB).
    ///   - maxExpressionDepth: expression depth (default 100).
    ///   - maxCompoundSelectTerms: compound select terms (default 50).
    ///   - maxLikePatternBytes: LIKE/GLOB pattern length (default 1000).
    ///   - maxFunctionArguments: function arguments (default 64).
    ///   - maxProgramInstructions: compiled program size (default 250000).
    ///   - maxResultRows: result rows (default 100000).
    ///   - maxResultBytes: result bytes (default 32 MiB).
    public init(
        timeout: Duration = .seconds(2),
        maxInstructions: Int? = 100_000_000,
        progressInterval: Int = 1000,
        maxQueryBytes: Int = 64 << 10,
        maxColumns: Int = 256,
        maxValueBytes: Int = 16 << 20,
        maxExpressionDepth: Int = 100,
        maxCompoundSelectTerms: Int = 50,
        maxLikePatternBytes: Int = 1000,
        maxFunctionArguments: Int = 64,
        maxProgramInstructions: Int = 250_000,
        maxResultRows: Int = 100_000,
        maxResultBytes: Int = 32 << 20
    ) {
        self.timeout = timeout
        self.maxInstructions = maxInstructions
        self.progressInterval = progressInterval
        self.maxQueryBytes = maxQueryBytes
        self.maxColumns = maxColumns
        self.maxValueBytes = maxValueBytes
        self.maxExpressionDepth = maxExpressionDepth
        self.maxCompoundSelectTerms = maxCompoundSelectTerms
        self.maxLikePatternBytes = maxLikePatternBytes
        self.maxFunctionArguments = maxFunctionArguments
        self.maxProgramInstructions = maxProgramInstructions
        self.maxResultRows = maxResultRows
        self.maxResultBytes = maxResultBytes
    }
}
