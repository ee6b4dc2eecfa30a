import Glibc
import JSON
import Synchronization

/// Runs untrusted jq programs in a pool of ``JQWorker`` processes.
///
/// Each batch (one program, many inputs) goes to one idle worker over a socket. The parent
/// enforces a wall-clock timeout per batch: when it passes, the worker is killed with SIGKILL
/// and the batch fails with ``JQError/Code/timeout``. A worker that dies on its own (memory
/// limit, CPU limit, crash) fails only the batch it was running. Either way the slot starts a
/// fresh worker when it is next used, so the runner keeps serving.
///
/// All blocking (spawning, writing, polling, reaping) happens on threads of the runner's own,
/// one per worker, never on Swift's cooperative pool. Batches beyond the worker count wait in
/// FIFO order; their timeout starts when a worker takes them.
///
/// Safe to use from any number of tasks. Call ``shutdown()`` when done (from the host's
/// service, after graceful shutdown); it kills the workers. Cancelling a task that awaits a
/// batch kills that batch's worker and throws `CancellationError`.
public final class JQRunner: Sendable {
    /// How the runner starts and bounds its workers.
    public struct Configuration: Sendable {
        /// Path of the executable that serves as worker (the `flowgate` binary itself in
        /// production; `jq-worker-dev` in this package's tests). No default.
        public var executablePath: String
        /// Arguments before the limits, e.g. `["jq-worker"]` for the hidden subcommand.
        /// Default: none.
        public var arguments: [String]
        /// The workers' entire environment; nothing of the server's is inherited, so `$ENV` and
        /// `env` in a program see only this. Default: `SWIFT_BACKTRACE=enable=no`, which keeps
        /// the Swift runtime from launching its backtracer (seconds, and output to stderr)
        /// whenever a worker crashes on purpose.
        public var environment: [String: String]
        /// Number of worker processes, which is also how many batches run at once. Default: 2.
        public var workerCount: Int
        /// Limits each worker applies to itself. Default: ``JQWorkerLimits/init()``.
        public var limits: JQWorkerLimits
        /// Timeout for ``JQRunner/compileCheck(_:)``. Default: 10 seconds (a cold compile of
        /// jq 1.6 takes tens of milliseconds; this is for a loaded machine).
        public var compileTimeout: Duration
        /// Deepest nesting of output values accepted back from jq. Default: 128 (the JSON
        /// module's default).
        public var maxOutputDepth: Int

        /// - Parameters:
        ///   - executablePath: the worker executable (no default).
        ///   - arguments: leading arguments, e.g. the subcommand (default none).
        ///   - environment: the workers' environment (default `SWIFT_BACKTRACE=enable=no`).
        ///   - workerCount: worker processes (default 2).
        ///   - limits: per-worker limits (default ``JQWorkerLimits/init()``).
        ///   - compileTimeout: timeout of a compile check (default 10 s).
        ///   - maxOutputDepth: output nesting accepted (default 128).
        public init(
            executablePath: String,
            arguments: [String] = [],
            environment: [String: String] = ["SWIFT_BACKTRACE": "enable=no"],
            workerCount: Int = 2,
            limits: JQWorkerLimits = .init(),
            compileTimeout: Duration = .seconds(10),
            maxOutputDepth: Int = 128
        ) {
            self.executablePath = executablePath
            self.arguments = arguments
            self.environment = environment
            self.workerCount = workerCount
            self.limits = limits
            self.compileTimeout = compileTimeout
            self.maxOutputDepth = maxOutputDepth
        }
    }

    private struct State {
        /// One entry per worker slot; `nil` until first used or after the worker died.
        var workers: [JQWorkerProcess?]
        /// Slots not running a batch.
        var idle: [Int]
        var isShutDown = false
    }

    /// Lets a cancellation handler reach the worker running its batch.
    private final class Cancellation: Sendable {
        private struct State {
            var cancelled = false
            var worker: JQWorkerProcess?
        }

        private let state = Mutex(State())

        func cancel() {
            let worker = state.withLock { state -> JQWorkerProcess? in
                state.cancelled = true
                return state.worker
            }
            worker?.kill(.cancelled)
        }

        /// Records the worker the batch is about to use; `false` if already cancelled.
        func attach(_ worker: JQWorkerProcess) -> Bool {
            state.withLock { state in
                guard !state.cancelled else { return false }
                state.worker = worker
                return true
            }
        }

        /// Forgets the worker; `true` if a cancellation reached it (it may have been killed
        /// after it answered, so it must not serve another batch).
        func detach() -> Bool {
            state.withLock { state in
                state.worker = nil
                return state.cancelled
            }
        }

        var isCancelled: Bool { state.withLock { $0.cancelled } }
    }

    /// The configuration the runner was created with.
    public let configuration: Configuration
    private let threads: DedicatedThreadPool
    private let state: Mutex<State>

    /// Creates the runner. Workers start lazily, on the first batch of each slot.
    public init(configuration: Configuration) {
        let count = max(1, configuration.workerCount)
        self.configuration = configuration
        // One thread per slot: a job never waits for a worker, the thread queue is the wait.
        self.threads = DedicatedThreadPool(name: "jq-runner", threadCount: count)
        self.state = Mutex(State(workers: Array(repeating: nil, count: count), idle: Array(0..<count)))
    }

    deinit {
        // No batch is in flight here (each holds a reference); kill what shutdown() did not.
        let workers = state.withLock { $0.workers }
        for worker in workers.compactMap({ $0 }) {
            worker.kill(.shutdown)
            worker.reap()
        }
        threads.shutdown()
    }

    // MARK: Public API

    /// Compiles `program` in a worker and throws ``JQError`` with jq's message if it does not
    /// compile. The compiled program stays cached in that worker.
    public func compileCheck(_ program: String) async throws {
        _ = try await evaluate(program, inputs: [], timeout: configuration.compileTimeout)
    }

    /// Runs `program` on each input and returns, per input, the outputs and the error that
    /// ended them, if any.
    ///
    /// Throws ``JQError`` for failures of the whole batch: compile error, timeout, a limit, a
    /// dead worker; `CancellationError` when the task is cancelled.
    ///
    /// - Parameters:
    ///   - program: jq program text.
    ///   - inputs: the values to run it on, in order.
    ///   - timeout: wall-clock limit for the batch, from the moment a worker takes it.
    public func evaluate(_ program: String, inputs: [JSONValue], timeout: Duration) async throws -> [JQItemResult] {
        let limits = configuration.limits
        guard program.utf8.count <= limits.maxProgramBytes else {
            throw JQError.inputTooLarge("the jq program exceeds \(limits.maxProgramBytes) bytes")
        }
        let cancellation = Cancellation()
        return try await withTaskCancellationHandler {
            do {
                return try await threads.run { [self] in
                    try self.runBatch(program: program, inputs: inputs, timeout: timeout, cancellation: cancellation)
                }
            } catch is DedicatedThreadPool.ShutDown {
                throw JQError.shutDown
            }
        } onCancel: {
            cancellation.cancel()
        }
    }

    /// Runs `program` on each input and returns all outputs per input.
    ///
    /// Like ``evaluate(_:inputs:timeout:)``, but an error raised for any input fails the call
    /// with ``JQError/Code/runtime`` naming that input (the first one, by position).
    public func run(_ program: String, inputs: [JSONValue], timeout: Duration) async throws -> [[JSONValue]] {
        let results = try await evaluate(program, inputs: inputs, timeout: timeout)
        if let index = results.firstIndex(where: { $0.error != nil }), let message = results[index].error {
            throw JQError.runtime(message, inputIndex: index)
        }
        return results.map(\.outputs)
    }

    /// Stops taking batches, kills every worker (running batches fail with
    /// ``JQError/Code/shutDown``) and waits until the idle ones are reaped.
    public func shutdown() async {
        let workers = state.withLock { state -> [JQWorkerProcess] in
            state.isShutDown = true
            return state.workers.compactMap { $0 }
        }
        for worker in workers { worker.kill(.shutdown) }
        // Reaping waits on the processes: do it on a runner thread, queued after every batch.
        _ = try? await threads.run { [self] in
            let idle = self.state.withLock { state -> [JQWorkerProcess] in
                let idle = state.idle.compactMap { state.workers[$0] }
                for slot in state.idle { state.workers[slot] = nil }
                return idle
            }
            for worker in idle { worker.reap() }
        }
        threads.shutdown()
    }

    /// Process ids of the running workers (for tests and diagnostics).
    var workerPIDs: [Int32] {
        state.withLock { $0.workers.compactMap { $0?.pid } }
    }

    // MARK: On a runner thread

    private func runBatch(program: String, inputs: [JSONValue], timeout: Duration, cancellation: Cancellation) throws -> [JQItemResult] {
        if cancellation.isCancelled { throw CancellationError() }
        let limits = configuration.limits
        let frame = JQWireFormat.requestFrame(program: program, inputs: inputs)
        guard frame.count - JQWireFormat.headerSize <= limits.maxRequestBytes else {
            throw JQError.inputTooLarge("the jq program and inputs exceed \(limits.maxRequestBytes) bytes")
        }

        let slot = try checkOut()
        // Set to nil whenever the worker must not serve another batch; checkIn then reaps it.
        var worker: JQWorkerProcess?
        defer { checkIn(slot, worker: worker) }
        let process = try existingOrNewWorker(in: slot)
        worker = process
        guard cancellation.attach(process) else { throw CancellationError() }

        let deadline = ContinuousClock.now.advanced(by: timeout)
        // The response carries outputs up to the limit plus a little envelope per input.
        let maxResponse = limits.maxOutputBytes + 64 * inputs.count + (64 << 10)
        let payload: [UInt8]
        do {
            payload = try process.exchange(frame, deadline: deadline, maxResponseBytes: maxResponse)
        } catch {
            if case .timedOut = error { process.kill(.timeout) }
            if case .tooLarge = error { process.kill(.broken) }
            _ = cancellation.detach()
            let termination = process.reap()
            worker = nil
            throw self.error(for: termination, failure: error, timeout: timeout)
        }
        if cancellation.detach() {
            // Cancelled just as the answer came: the kill may already be on its way.
            worker = nil
            throw CancellationError()
        }
        return try JQWireFormat.decodeResponse(payload, inputCount: inputs.count, maxDepth: configuration.maxOutputDepth)
    }

    private func checkOut() throws(JQError) -> Int {
        try state.withLock { state throws(JQError) -> Int in
            guard !state.isShutDown else { throw JQError.shutDown }
            // Never empty: there is one runner thread per slot.
            guard let slot = state.idle.popLast() else { throw JQError.workerUnavailable("no idle jq worker") }
            return slot
        }
    }

    /// Returns the slot; a worker that is no longer wanted is reaped here.
    private func checkIn(_ slot: Int, worker: JQWorkerProcess?) {
        let retired = state.withLock { state -> JQWorkerProcess? in
            state.idle.append(slot)
            if state.isShutDown || worker == nil {
                let retired = state.workers[slot]
                state.workers[slot] = nil
                return retired
            }
            return nil
        }
        if let retired {
            retired.kill(.shutdown)
            retired.reap()
        }
    }

    private func existingOrNewWorker(in slot: Int) throws(JQError) -> JQWorkerProcess {
        if let worker = state.withLock({ $0.workers[slot] }) { return worker }
        let worker: JQWorkerProcess
        do {
            worker = try JQWorkerProcess.spawn(
                executable: configuration.executablePath,
                arguments: configuration.arguments + configuration.limits.arguments,
                environment: configuration.environment
            )
        } catch {
            throw JQError.workerUnavailable(error.description)
        }
        let accepted = state.withLock { state -> Bool in
            guard !state.isShutDown else { return false }
            state.workers[slot] = worker
            return true
        }
        guard accepted else {
            worker.kill(.shutdown)
            worker.reap()
            throw JQError.shutDown
        }
        return worker
    }

    /// The error a failed exchange stands for, judged by how the worker ended.
    private func error(for termination: JQWorkerProcess.Termination, failure: JQWorkerProcess.ExchangeFailure, timeout: Duration) -> any Error {
        switch termination.killReason {
        case .timeout: return JQError.timeout(timeout)
        case .cancelled: return CancellationError()
        case .shutdown: return JQError.shutDown
        case .broken, nil: break
        }
        if case .tooLarge(let length) = failure {
            return JQError.outputTooLarge("the jq worker announced a response of \(length) bytes")
        }
        let limits = configuration.limits
        if termination.exitStatus == JQWorker.outOfMemoryExitCode {
            return JQError.memoryLimit(bytes: limits.memoryBytes)
        }
        switch termination.signal {
        case SIGXCPU?:
            return JQError.cpuLimit(seconds: limits.cpuSecondsPerBatch)
        case SIGABRT?, SIGSEGV?, SIGBUS?, SIGILL?, SIGTRAP?:
            // Allocation failures outside libjq's hook (libc, the Swift runtime) and deep
            // recursion in libjq's C code end here.
            return JQError.workerCrashed("the jq worker crashed (signal \(termination.signal ?? 0)); the program likely exceeded the memory limit of \(limits.memoryBytes) bytes or the stack")
        case let signal?:
            return JQError.workerCrashed("the jq worker was killed by signal \(signal)")
        case nil:
            return JQError.workerCrashed("the jq worker exited unexpectedly (status \(termination.exitStatus ?? -1))")
        }
    }
}
