import Foundation
import Synchronization

/// A fixed set of threads of our own for blocking work: jq worker I/O (poll on a socket until
/// a deadline) and synchronous SQLite calls.
///
/// Swift's cooperative pool has one thread per core (two here); a job that blocks one of them
/// for a second stalls every request of the process. Jobs submitted here run in FIFO order on
/// threads that exist only for this, so an `await` on ``run(_:)`` suspends without holding a
/// cooperative thread. The thread count also bounds how many jobs run at once, which the jq
/// runner relies on: one thread per worker process means a job always finds a worker idle.
final class DedicatedThreadPool: Sendable {
    /// Job queue shared with the threads. The threads hold this, not the pool, so dropping the
    /// last reference to the pool shuts it down.
    private final class Jobs: Sendable {
        struct State {
            var pending: [@Sendable () -> Void] = []
            var head = 0
            var isShutDown = false
        }

        let state = Mutex(State())
        /// One signal per submitted job plus one per thread at shutdown, so every wake-up has
        /// exactly one thing to do.
        let available = DispatchSemaphore(value: 0)

        func next() -> (@Sendable () -> Void)? {
            state.withLock { state in
                guard state.head < state.pending.count else { return nil }
                let job = state.pending[state.head]
                state.head += 1
                // Compact now and then so a long-lived pool does not keep every job it ran.
                if state.head > 64, state.head * 2 > state.pending.count {
                    state.pending.removeFirst(state.head)
                    state.head = 0
                }
                return job
            }
        }
    }

    /// Why a job was not run.
    struct ShutDown: Error {}

    private let jobs = Jobs()
    let threadCount: Int

    /// Starts `threadCount` threads named `name-<n>`.
    init(name: String, threadCount: Int) {
        precondition(threadCount > 0, "a thread pool needs at least one thread")
        self.threadCount = threadCount
        for index in 0..<threadCount {
            let jobs = self.jobs
            let thread = Thread {
                while true {
                    jobs.available.wait()
                    guard let job = jobs.next() else { return }
                    job()
                }
            }
            thread.name = "\(name)-\(index)"
            thread.start()
        }
    }

    deinit {
        shutdown()
    }

    /// Queues `job`; returns `false` (and drops it) once the pool is shut down.
    @discardableResult
    func submit(_ job: @escaping @Sendable () -> Void) -> Bool {
        let accepted = jobs.state.withLock { state -> Bool in
            guard !state.isShutDown else { return false }
            state.pending.append(job)
            return true
        }
        if accepted { jobs.available.signal() }
        return accepted
    }

    /// Runs `body` on one of the pool's threads and returns its result to the awaiting task.
    ///
    /// Throws ``ShutDown`` when the pool no longer takes jobs.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let accepted = submit {
                continuation.resume(with: Result { try body() })
            }
            if !accepted { continuation.resume(throwing: ShutDown()) }
        }
    }

    /// Stops taking jobs; the threads finish what is queued and then exit.
    func shutdown() {
        let first = jobs.state.withLock { state -> Bool in
            defer { state.isShutDown = true }
            return !state.isShutDown
        }
        guard first else { return }
        for _ in 0..<threadCount { jobs.available.signal() }
    }
}
