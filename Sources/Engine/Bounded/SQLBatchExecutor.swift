import JSON

/// Runs ``SQLBatchRunner`` evaluations on dedicated threads so that callers can `await` them.
///
/// SQLite calls are synchronous and may take up to the query's timeout; on Swift's cooperative
/// pool (one thread per core, two here) a few of them would stall every request of the
/// process. This executor owns a small number of threads (one by default), queues evaluations
/// in FIFO order, and resumes the awaiting task when one finishes. The thread count also bounds
/// how many batches are held in memory at once.
///
/// Cancelling the awaiting task stops its query at the next progress check and throws
/// `CancellationError`. Call ``shutdown()`` when done; queued evaluations still run.
public final class SQLBatchExecutor: Sendable {
    private let threads: DedicatedThreadPool

    /// - Parameter threadCount: threads running queries, and so queries at once (default 1).
    public init(threadCount: Int = 1) {
        threads = DedicatedThreadPool(name: "sql-batch", threadCount: max(1, threadCount))
    }

    /// Runs `query` over `items` on an executor thread; see
    /// ``SQLBatchRunner/run(query:items:limits:)``.
    ///
    /// Throws ``SQLBatchError``, or `CancellationError` when the task is cancelled.
    public func run(query: String, items: [JSONValue], limits: SQLBatchLimits = .init()) async throws -> [JSONValue] {
        let cancellation = SQLCancellation()
        return try await withTaskCancellationHandler {
            try await onThread(cancellation) {
                try SQLBatchRunner.execute(query: query, items: items, limits: limits, cancellation: cancellation)
            }
        } onCancel: {
            cancellation.cancel()
        }
    }

    /// Checks `query` on an executor thread; see
    /// ``SQLBatchRunner/compileCheck(_:knownColumns:limits:)``.
    public func compileCheck(_ query: String, knownColumns: [String] = [], limits: SQLBatchLimits = .init()) async throws {
        try await onThread(nil) {
            try SQLBatchRunner.compileCheck(query, knownColumns: knownColumns, limits: limits)
        }
    }

    /// Stops taking work; the threads exit once the queue is empty.
    public func shutdown() {
        threads.shutdown()
    }

    private func onThread<T: Sendable>(_ cancellation: SQLCancellation?, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        do {
            return try await threads.run {
                // A query cancelled while queued does not start.
                if cancellation?.isCancelled == true { throw CancellationError() }
                return try body()
            }
        } catch is DedicatedThreadPool.ShutDown {
            throw SQLBatchError.internalError("the SQL executor is shut down")
        }
    }
}
