import JSON
import ServiceLifecycle

/// The runners of the script nodes (`jq`, `sql`) for one server, as a service: created with
/// the application, they serve the node registry, and at graceful shutdown (after the run
/// engine, which is listed after this service, has stopped) the jq workers are killed and the
/// SQL threads end.
public final class ScriptRunners: Service, Sendable {
    /// What to start; each default is stated on its property.
    public struct Configuration: Sendable {
        /// How to start jq workers: the host's executable and the subcommand that makes it a
        /// worker (`flowgate jq-worker`). Default `nil`: no jq workers, and `jq` steps fail
        /// saying so (an in-process test host is not a worker executable).
        public var jq: JQRunner.Configuration?
        /// Threads running SQL queries, and so queries at once. Default 1.
        public var sqlThreads: Int
        /// Process-wide heap limit of the system SQLite that runs `sql` steps, in bytes, or
        /// `nil` to leave it as it is. Default `nil`; `flowgate serve` sets 256 MiB.
        public var sqlHeapLimitBytes: Int?

        /// - Parameters:
        ///   - jq: jq worker configuration (default none).
        ///   - sqlThreads: SQL threads (default 1).
        ///   - sqlHeapLimitBytes: SQLite heap limit (default unchanged).
        public init(jq: JQRunner.Configuration? = nil, sqlThreads: Int = 1, sqlHeapLimitBytes: Int? = nil) {
            self.jq = jq
            self.sqlThreads = sqlThreads
            self.sqlHeapLimitBytes = sqlHeapLimitBytes
        }

        /// The limits a server's jq workers run under: the defaults of ``JQWorkerLimits`` with
        /// room above the `flowgate` binary's own idle address space, and outputs capped a
        /// little above what a `jq` step may output, so oversized results fail in the worker.
        public static let serverJQLimits = JQWorkerLimits(memoryBytes: 768 << 20, cpuSecondsPerBatch: 30, maxOutputBytes: 16 << 20)
    }

    /// The jq runner, when configured.
    public let jq: JQRunner?
    /// The SQL executor.
    public let sql: SQLBatchExecutor

    /// Creates the runners (jq workers start lazily, on first use).
    public init(configuration: Configuration) {
        if let limit = configuration.sqlHeapLimitBytes { SQLBatchRunner.setProcessHeapLimit(bytes: limit) }
        jq = configuration.jq.map { JQRunner(configuration: $0) }
        sql = SQLBatchExecutor(threadCount: configuration.sqlThreads)
    }

    /// The node catalog using these runners: ``NodeTypeRegistry/standard(jq:sql:)``.
    public var registry: NodeTypeRegistry { .standard(jq: jq, sql: sql) }

    /// Waits for graceful shutdown (or cancellation), then stops the runners.
    public func run() async throws {
        // Either way the runners must stop; the error only says which way it ended.
        try? await gracefulShutdown()
        await shutdown()
    }

    /// Kills the jq workers and lets the SQL threads end; steps still running fail.
    public func shutdown() async {
        await jq?.shutdown()
        sql.shutdown()
    }
}
