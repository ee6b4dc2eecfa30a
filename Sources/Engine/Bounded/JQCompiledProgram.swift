import CJQ
import JSON

/// One compiled jq program inside a worker: a `jq_state` that is started once per input.
///
/// Used by one thread only (the worker's main thread); not `Sendable`.
final class JQCompiledProgram {
    /// Collects what libjq reports through its error callback while compiling.
    private final class Messages {
        static let maxLines = 50
        var lines: [String] = []
    }

    private var state: OpaquePointer?
    private let messages: Messages

    private init(state: OpaquePointer, messages: Messages) {
        self.state = state
        self.messages = messages
    }

    deinit {
        jq_teardown(&state)
    }

    /// Compiles `text`; on failure returns jq's messages joined by newlines.
    static func compile(_ text: String) -> Result<JQCompiledProgram, JQCompileFailure> {
        // jq_compile reads a C string: a NUL inside the text would silently cut the program.
        if text.utf8.contains(0) { return .failure(JQCompileFailure(message: "jq: error: the program contains a NUL character")) }
        guard let state = jq_init() else { return .failure(JQCompileFailure(message: "jq: error: cannot allocate a jq state")) }
        let messages = Messages()
        let program = JQCompiledProgram(state: state, messages: messages)
        // libjq keeps this pointer as callback data; `program` owns `messages`, so it lives as
        // long as the state that may call back.
        jq_set_error_cb(state, { data, message in
            guard let data else { jv_free(message); return }
            let messages = Unmanaged<Messages>.fromOpaque(data).takeUnretainedValue()
            // A program with thousands of errors must not fill the worker with messages.
            guard messages.lines.count < Messages.maxLines else { jv_free(message); return }
            messages.lines.append(JQCompiledProgram.text(of: message))
        }, Unmanaged.passUnretained(messages).toOpaque())
        jq_set_nomem_handler(state, JQWorker.outOfMemoryHandler, nil)
        // Without a library path, jq 1.6 asserts (aborts) on `import`/`include`; an empty path
        // makes every module lookup a clean "module not found" and keeps programs away from
        // the file system.
        jq_set_attr(state, jv_string("JQ_LIBRARY_PATH"), jv_array())
        guard jq_compile(state, text) != 0 else {
            let message = messages.lines.joined(separator: "\n")
            return .failure(JQCompileFailure(message: message.isEmpty ? "jq: error: the program does not compile" : message))
        }
        messages.lines.removeAll()
        return .success(program)
    }

    /// Runs the program on `input` (consumed), appending `{"outputs":[...]}` or
    /// `{"outputs":[...],"error":"..."}` to `out`.
    ///
    /// Returns `false` as soon as `out` grows past `limit` bytes; the caller then drops the
    /// whole response. The state stays usable: `jq_start` resets it for the next input.
    func run(input: jv, into out: inout [UInt8], limit: Int) -> Bool {
        jq_start(state, input, 0)
        out.append(contentsOf: #"{"outputs":["#.utf8)
        var count = 0
        var error: String?
        while true {
            let value = jq_next(state)
            if jv_get_kind(value) != JV_KIND_INVALID {
                if count > 0 { out.append(UInt8(ascii: ",")) }
                count += 1
                Self.appendDump(of: value, to: &out)
                if out.count > limit { return false }
                continue
            }
            if jv_invalid_has_msg(jv_copy(value)) != 0 {
                error = Self.text(of: jv_invalid_get_msg(value))
            } else {
                jv_free(value)
                // `halt_error` ends with an invalid value and the message kept in the state;
                // plain `halt` leaves no message and simply ends the outputs.
                if jq_halted(state) != 0 {
                    let message = jq_get_error_message(state)
                    if jv_get_kind(message) != JV_KIND_INVALID {
                        error = Self.text(of: message)
                    } else {
                        jv_free(message)
                    }
                }
            }
            break
        }
        out.append(UInt8(ascii: "]"))
        if let error {
            out.append(contentsOf: #","error":"#.utf8)
            JSONValue.writeString(error, into: &out)
        }
        out.append(UInt8(ascii: "}"))
        return out.count <= limit
    }

    /// Appends the compact JSON text of `value` (consumed).
    static func appendDump(of value: jv, to out: inout [UInt8]) {
        let dumped = jv_dump_string(value, 0)
        let count = Int(jv_string_length_bytes(jv_copy(dumped)))
        if let bytes = jv_string_value(dumped) {
            UnsafeRawPointer(bytes).withMemoryRebound(to: UInt8.self, capacity: count) { start in
                out.append(contentsOf: UnsafeBufferPointer(start: start, count: count))
            }
        }
        jv_free(dumped)
    }

    /// A message as text (consumed): strings as they are, anything else as JSON, as the `jq`
    /// command prints `error({...})`.
    static func text(of message: jv) -> String {
        if jv_get_kind(message) == JV_KIND_STRING {
            let string = string(of: message)
            jv_free(message)
            return string
        }
        var out: [UInt8] = []
        appendDump(of: message, to: &out)
        return String(decoding: out, as: UTF8.self) + " (not a string)"
    }

    /// The bytes of a jv string (borrowed, not consumed), NULs included.
    static func string(of value: jv) -> String {
        let count = Int(jv_string_length_bytes(jv_copy(value)))
        guard let bytes = jv_string_value(value) else { return "" }
        return UnsafeRawPointer(bytes).withMemoryRebound(to: UInt8.self, capacity: count) { start in
            String(decoding: UnsafeBufferPointer(start: start, count: count), as: UTF8.self)
        }
    }
}

/// jq's messages for a program that did not compile.
struct JQCompileFailure: Error {
    let message: String
}

/// The compiled programs of one worker, least recently used evicted first.
///
/// Linear scans are fine: the cache holds tens of entries and each compile costs milliseconds.
struct JQProgramCache {
    private var entries: [String: (program: JQCompiledProgram, lastUse: UInt64)] = [:]
    private var clock: UInt64 = 0
    let capacity: Int

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// The compiled program for `text`, compiling (and caching) it when needed.
    mutating func program(for text: String) -> Result<JQCompiledProgram, JQCompileFailure> {
        clock += 1
        if let entry = entries[text] {
            entries[text]?.lastUse = clock
            return .success(entry.program)
        }
        let compiled = JQCompiledProgram.compile(text)
        if case .success(let program) = compiled {
            if entries.count >= capacity, let oldest = entries.min(by: { $0.value.lastUse < $1.value.lastUse })?.key {
                entries[oldest] = nil
            }
            entries[text] = (program, clock)
        }
        return compiled
    }

    /// How many programs are cached.
    var count: Int { entries.count }
}
