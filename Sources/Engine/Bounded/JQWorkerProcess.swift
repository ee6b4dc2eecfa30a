import Glibc
import Synchronization

/// One running jq worker as seen from the parent: its pid and our end of a socket pair that is
/// the worker's standard input and output.
///
/// A socket pair rather than two pipes: one descriptor, and `send(MSG_NOSIGNAL)` reports a dead
/// worker as `EPIPE` instead of raising `SIGPIPE`, which would kill the whole server unless the
/// process ignores it globally.
///
/// The pid is only signalled while the process is known not to be reaped (checked under the
/// lock), so a later process that reuses the pid is never killed by mistake.
final class JQWorkerProcess: Sendable {
    /// Why the parent killed a worker; decides which error the batch reports.
    enum KillReason: Sendable {
        case timeout, cancelled, shutdown, broken
    }

    /// How a worker ended.
    struct Termination: Sendable {
        /// Exit status when it exited.
        var exitStatus: Int32?
        /// Signal number when a signal ended it.
        var signal: Int32?
        /// Set when the parent killed it.
        var killReason: KillReason?
    }

    private struct State {
        var reaped: Termination?
        var killReason: KillReason?
    }

    let pid: pid_t
    /// Parent end of the socket pair; closed when the process is reaped.
    let socket: Int32
    private let state = Mutex(State())

    private init(pid: pid_t, socket: Int32) {
        self.pid = pid
        self.socket = socket
    }

    deinit {
        // Owners reap before dropping a process; this only keeps a bug from leaking a zombie
        // and a descriptor.
        _ = reap()
    }

    /// Why a spawn failed.
    struct SpawnError: Error, CustomStringConvertible {
        let description: String
    }

    /// Starts `executable` with `arguments` and exactly `environment` (nothing inherited).
    ///
    /// Standard error goes to /dev/null: jq's `stderr` and `debug` builtins write there, and
    /// tenant text must not land in the server's logs.
    static func spawn(executable: String, arguments: [String], environment: [String: String]) throws(SpawnError) -> JQWorkerProcess {
        var pair: [Int32] = [-1, -1]
        // CLOEXEC: neither end may leak into other children spawned concurrently; dup2 below
        // clears the flag on the child's copies at 0 and 1 only.
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
            throw SpawnError(description: "socketpair failed: \(String(cString: strerror(errno)))")
        }
        let (parentEnd, childEnd) = (pair[0], pair[1])
        defer { close(childEnd) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, childEnd, 0)
        posix_spawn_file_actions_adddup2(&actions, childEnd, 1)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The server may block or ignore signals (SIGPIPE, SIGTERM handlers); the worker must
        // start with default dispositions so SIGXCPU and SIGPIPE end it as intended.
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }

        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard result == 0 else {
            close(parentEnd)
            throw SpawnError(description: "cannot start \(executable): \(String(cString: strerror(result)))")
        }
        return JQWorkerProcess(pid: pid, socket: parentEnd)
    }

    /// Sends SIGKILL unless the process was already reaped. The first reason given is kept.
    func kill(_ reason: KillReason) {
        state.withLock { state in
            guard state.reaped == nil else { return }
            if state.killReason == nil { state.killReason = reason }
            _ = Glibc.kill(pid, SIGKILL)
        }
    }

    /// Makes sure the process is gone, waits for it, closes the socket, and says how it ended.
    ///
    /// The process is killed first, so the wait is short whether or not it was still running:
    /// a worker that closed its end but kept running is never waited on forever.
    @discardableResult
    func reap() -> Termination {
        state.withLock { state in
            if let reaped = state.reaped { return reaped }
            _ = Glibc.kill(pid, SIGKILL)
            var status: Int32 = 0
            var waited: pid_t
            repeat {
                waited = waitpid(pid, &status, 0)
            } while waited < 0 && errno == EINTR
            var termination = Termination(killReason: state.killReason)
            if waited == pid {
                // WIFEXITED / WTERMSIG are macros Swift does not import.
                let signal = status & 0x7F
                if signal == 0 {
                    termination.exitStatus = (status >> 8) & 0xFF
                } else {
                    termination.signal = signal
                }
            }
            close(socket)
            state.reaped = termination
            return termination
        }
    }

    // MARK: Exchanging frames

    /// Why an exchange did not produce a response.
    enum ExchangeFailure: Error {
        case timedOut
        /// The worker closed its end or the connection broke: it is dead or dying.
        case closed
        /// The announced response exceeds the limit.
        case tooLarge(Int)
    }

    /// Sends `frame` (header included) and returns the response payload, or fails at `deadline`.
    ///
    /// Blocks the calling thread (in `poll`); call it from a dedicated thread only.
    func exchange(_ frame: [UInt8], deadline: ContinuousClock.Instant, maxResponseBytes: Int) throws(ExchangeFailure) -> [UInt8] {
        try send(frame, deadline: deadline)
        var header = [UInt8](repeating: 0, count: JQWireFormat.headerSize)
        try receive(into: &header, deadline: deadline)
        let length = JQWireFormat.length(header: header)
        guard length <= maxResponseBytes else { throw .tooLarge(length) }
        var payload = [UInt8](repeating: 0, count: length)
        try receive(into: &payload, deadline: deadline)
        return payload
    }

    private func send(_ bytes: [UInt8], deadline: ContinuousClock.Instant) throws(ExchangeFailure) {
        var done = 0
        while done < bytes.count {
            try wait(for: Int16(POLLOUT), until: deadline)
            let n = bytes.withUnsafeBytes { raw in
                Glibc.send(socket, raw.baseAddress.map { $0 + done }, bytes.count - done, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
            }
            if n > 0 {
                done += n
            } else if n < 0, errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK {
                continue
            } else {
                throw .closed
            }
        }
    }

    private func receive(into buffer: inout [UInt8], deadline: ContinuousClock.Instant) throws(ExchangeFailure) {
        var done = 0
        let count = buffer.count
        while done < count {
            try wait(for: Int16(POLLIN), until: deadline)
            let n = buffer.withUnsafeMutableBytes { raw in
                recv(socket, raw.baseAddress.map { $0 + done }, count - done, Int32(MSG_DONTWAIT))
            }
            if n > 0 {
                done += n
            } else if n < 0, errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK {
                continue
            } else {
                throw .closed
            }
        }
    }

    /// Polls until the socket is ready for `events` (or broken: that is reported by the next
    /// send or receive), or throws at the deadline.
    private func wait(for events: Int16, until deadline: ContinuousClock.Instant) throws(ExchangeFailure) {
        while true {
            let remaining = ContinuousClock.now.duration(to: deadline)
            guard remaining > .zero else { throw .timedOut }
            let (seconds, attoseconds) = remaining.components
            // Round up so we never wake a hair early and spin.
            let milliseconds = min(Int64(Int32.max), seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
            var descriptor = pollfd(fd: socket, events: events, revents: 0)
            let ready = poll(&descriptor, 1, Int32(milliseconds))
            if ready > 0 { return }
            if ready < 0, errno != EINTR { throw .closed }
        }
    }
}
