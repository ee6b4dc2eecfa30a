import CJQ
import Glibc
import JSON

/// The jq worker process: runs untrusted jq programs under OS limits, serving ``JQRunner``.
///
/// libjq has no step or memory limit and calls `abort()` when an allocation fails, so tenant
/// programs never run inside the server. The host exposes ``main()`` as a hidden subcommand
/// (`flowgate jq-worker`); ``JQRunner`` starts a few of these and keeps them alive, because a
/// fresh process pays tens of milliseconds before its first result.
///
/// Before reading any request, the worker closes every inherited descriptor but 0–2 and
/// applies its limits: address space (`RLIMIT_AS`), no core files, no file writes, few
/// descriptors, and a CPU allowance re-armed before each batch. It then answers framed requests
/// (see `JQWireFormat`) on standard input and output until standard input closes.
///
/// The host must call it before starting any thread (event loops, log handlers): every thread
/// costs a stack and a 64 MiB malloc arena of address space, all counted by `RLIMIT_AS`, and
/// the worker itself is single-threaded.
public enum JQWorker {
    /// Exit status when libjq reports that an allocation failed (the address-space limit).
    static let outOfMemoryExitCode: Int32 = 86
    /// Exit status for a command line the worker does not understand.
    static let usageExitCode: Int32 = 64
    /// Prefix of the batch error sent when the outputs exceed the limit.
    static let outputLimitPrefix = "output limit:"
    /// Prefix of the batch error sent when a request exceeds the limit.
    static let requestLimitPrefix = "request limit:"
    /// Descriptor limit inside the worker: it needs standard input, output and error only.
    static let descriptorLimit = 8

    /// libjq's out-of-memory hook: exit at once with a status the parent recognises, rather
    /// than `abort()` (which would look like any other crash).
    static let outOfMemoryHandler: @convention(c) (UnsafeMutableRawPointer?) -> Void = { _ in
        _exit(JQWorker.outOfMemoryExitCode)
    }

    /// Runs the worker with the process's command-line arguments after the executable name,
    /// then exits. Never returns.
    public static func main() -> Never {
        exit(main(arguments: Array(CommandLine.arguments.dropFirst())))
    }

    /// Runs the worker until standard input closes; returns the process exit status.
    ///
    /// - Parameter arguments: the limits as produced by ``JQWorkerLimits/arguments``.
    public static func main(arguments: [String]) -> Int32 {
        let limits: JQWorkerLimits
        do {
            limits = try JQWorkerLimits(arguments: arguments)
        } catch {
            let message = "jq-worker: \(error.description)\n"
            _ = message.withCString { write(2, $0, strlen($0)) }
            return usageExitCode
        }
        closeInheritedDescriptors()
        applyProcessLimits(limits)
        jv_nomem_handler(outOfMemoryHandler, nil)

        var cache = JQProgramCache(capacity: limits.programCacheSize)
        while true {
            let payload: [UInt8]
            switch readFrame(limit: limits.maxRequestBytes) {
            case .frame(let bytes): payload = bytes
            case .tooLarge(let length):
                let message = "\(requestLimitPrefix) the request of \(length) bytes exceeds \(limits.maxRequestBytes) bytes"
                guard writeFrame(errorPayload(message)) else { return 0 }
                continue
            case .closed: return 0
            }
            armCPUAllowance(seconds: limits.cpuSecondsPerBatch)
            let response = handle(payload, cache: &cache, limits: limits)
            guard writeFrame(response) else { return 0 }
        }
    }

    // MARK: Requests

    /// Answers one request payload with a response payload.
    static func handle(_ payload: [UInt8], cache: inout JQProgramCache, limits: JQWorkerLimits) -> [UInt8] {
        let request = payload.withUnsafeBytes { raw in
            jv_parse_sized(raw.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(raw.count))
        }
        // jv_object_get and jv_array_get assert on the wrong kind: check every kind first.
        guard jv_get_kind(request) == JV_KIND_OBJECT else {
            let reason = jv_get_kind(request) == JV_KIND_INVALID ? JQCompiledProgram.text(of: jv_invalid_get_msg(request)) : "not an object"
            if jv_get_kind(request) != JV_KIND_INVALID { jv_free(request) }
            return errorPayload("malformed request: \(reason)")
        }
        let programValue = jv_object_get(jv_copy(request), jv_string("program"))
        let inputs = jv_object_get(request, jv_string("inputs"))
        defer {
            jv_free(programValue)
            jv_free(inputs)
        }
        guard jv_get_kind(programValue) == JV_KIND_STRING, jv_get_kind(inputs) == JV_KIND_ARRAY else {
            return errorPayload("malformed request: needs a string \"program\" and an array \"inputs\"")
        }
        let text = JQCompiledProgram.string(of: programValue)
        guard text.utf8.count <= limits.maxProgramBytes else {
            return errorPayload("\(requestLimitPrefix) the program exceeds \(limits.maxProgramBytes) bytes")
        }
        let program: JQCompiledProgram
        switch cache.program(for: text) {
        case .success(let compiled): program = compiled
        case .failure(let failure):
            var out: [UInt8] = Array(#"{"compileError":"#.utf8)
            JSONValue.writeString(failure.message, into: &out)
            out.append(UInt8(ascii: "}"))
            return out
        }

        var out: [UInt8] = Array(#"{"results":["#.utf8)
        let count = jv_array_length(jv_copy(inputs))
        for index in 0..<count {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            guard program.run(input: jv_array_get(jv_copy(inputs), index), into: &out, limit: limits.maxOutputBytes) else {
                return errorPayload("\(outputLimitPrefix) the outputs exceed \(limits.maxOutputBytes) bytes")
            }
        }
        out.append(contentsOf: "]}".utf8)
        return out
    }

    static func errorPayload(_ message: String) -> [UInt8] {
        var out: [UInt8] = Array(#"{"error":"#.utf8)
        JSONValue.writeString(message, into: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }

    // MARK: Process limits

    /// Closes every descriptor above standard error.
    ///
    /// The parent may have had sockets, database files or other workers' pipes open without
    /// close-on-exec; none of that is any business of tenant code.
    static func closeInheritedDescriptors() {
        var open: [Int32] = []
        if let directory = opendir("/proc/self/fd") {
            let own = dirfd(directory)
            while let entry = readdir(directory) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
                }
                if let fd = Int32(name), fd > 2, fd != own { open.append(fd) }
            }
            closedir(directory)
        } else {
            open = Array(3..<1024)
        }
        for fd in open { close(fd) }
    }

    static func applyProcessLimits(_ limits: JQWorkerLimits) {
        setLimit(RLIMIT_AS, soft: rlim_t(limits.memoryBytes), hard: rlim_t(limits.memoryBytes))
        // A core file of a 512 MiB process on every memory bomb would cost seconds and disk.
        setLimit(RLIMIT_CORE, soft: 0, hard: 0)
        // jq cannot write files; this makes sure nothing in the process can either.
        setLimit(RLIMIT_FSIZE, soft: 0, hard: 0)
        let descriptors = rlim_t(descriptorLimit)
        setLimit(RLIMIT_NOFILE, soft: descriptors, hard: descriptors)
    }

    /// Sets the CPU soft limit to what the process has used so far plus `seconds`.
    ///
    /// `RLIMIT_CPU` counts the whole life of the process, so a fixed limit would eventually
    /// kill a healthy long-lived worker; re-arming it per batch bounds each batch instead. The
    /// hard limit is left alone, since raising it again would need privileges.
    static func armCPUAllowance(seconds: Int) {
        var usage = rusage()
        guard getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage) == 0 else { return }
        let used = Int(usage.ru_utime.tv_sec) + Int(usage.ru_stime.tv_sec)
        var current = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_CPU.rawValue), &current) == 0 else { return }
        // +1: the kernel counts whole seconds and `used` was rounded down. (RLIM_INFINITY is
        // `rlim_t.max`; the macro does not import.)
        var soft = rlim_t(used + seconds + 1)
        if current.rlim_max != rlim_t.max { soft = min(soft, current.rlim_max) }
        setLimit(RLIMIT_CPU, soft: soft, hard: current.rlim_max)
    }

    private static func setLimit(_ resource: __rlimit_resource, soft: rlim_t, hard: rlim_t) {
        var limit = rlimit(rlim_cur: soft, rlim_max: hard)
        _ = setrlimit(__rlimit_resource_t(resource.rawValue), &limit)
    }

    // MARK: Framing on standard input and output

    enum ReadResult {
        case frame([UInt8])
        case tooLarge(Int)
        case closed
    }

    /// Reads one frame from standard input; a frame over `limit` is skipped so the stream
    /// stays in step.
    static func readFrame(limit: Int) -> ReadResult {
        var header = [UInt8](repeating: 0, count: JQWireFormat.headerSize)
        guard readExactly(into: &header, count: header.count) else { return .closed }
        let length = JQWireFormat.length(header: header)
        guard length <= limit else {
            var scratch = [UInt8](repeating: 0, count: 64 << 10)
            var remaining = length
            while remaining > 0 {
                let chunk = min(remaining, scratch.count)
                guard readExactly(into: &scratch, count: chunk) else { return .closed }
                remaining -= chunk
            }
            return .tooLarge(length)
        }
        var payload = [UInt8](repeating: 0, count: length)
        guard readExactly(into: &payload, count: length) else { return .closed }
        return .frame(payload)
    }

    private static func readExactly(into buffer: inout [UInt8], count: Int) -> Bool {
        var done = 0
        while done < count {
            let n = buffer.withUnsafeMutableBytes { raw in
                read(0, raw.baseAddress.map { $0 + done }, count - done)
            }
            if n > 0 {
                done += n
            } else if n < 0, errno == EINTR {
                continue
            } else {
                return false
            }
        }
        return true
    }

    /// Writes one frame to standard output; `false` when the parent is gone.
    static func writeFrame(_ payload: [UInt8]) -> Bool {
        writeAll(JQWireFormat.header(count: payload.count)) && writeAll(payload)
    }

    private static func writeAll(_ bytes: [UInt8]) -> Bool {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                write(1, raw.baseAddress.map { $0 + done }, bytes.count - done)
            }
            if n > 0 {
                done += n
            } else if n < 0, errno == EINTR {
                continue
            } else {
                return false
            }
        }
        return true
    }
}
