/// The limits a ``JQWorker`` process applies to itself, handed over on its command line.
///
/// The parent (``JQRunner``) owns the configuration; the worker turns it into `setrlimit`
/// calls before it reads the first request, so no tenant program ever runs unlimited.
public struct JQWorkerLimits: Sendable, Hashable {
    /// Address-space limit of the worker (`RLIMIT_AS`), in bytes. Default: 512 MiB.
    ///
    /// This bounds everything mapped, the Swift runtime and libraries included (about 100 MiB
    /// for the dev worker), not only jq's heap. libjq calls `abort()` when an allocation fails;
    /// the worker installs jq's out-of-memory hook to exit with a recognisable status instead.
    public var memoryBytes: Int
    /// CPU seconds one batch may use (`RLIMIT_CPU`, re-armed before every batch). Default: 30.
    ///
    /// A backstop behind the parent's wall-clock timeout, for when the parent cannot kill the
    /// worker (for example because it is itself stuck or gone).
    public var cpuSecondsPerBatch: Int
    /// How many compiled programs a worker keeps, least recently used evicted first.
    /// Default: 32. jq 1.6 re-parses its builtins on every compile (tens of milliseconds), so
    /// the cache is what makes a worker fast for the programs a tenant runs again and again.
    public var programCacheSize: Int
    /// Largest request frame (program plus inputs as JSON) a worker reads. Default: 64 MiB.
    public var maxRequestBytes: Int
    /// Largest response a worker builds: outputs and error messages of a batch, as JSON.
    /// Default: 64 MiB. Past it, the batch fails with ``JQError/Code/outputTooLarge``.
    public var maxOutputBytes: Int
    /// Longest program text accepted, in bytes. Default: 64 KiB.
    public var maxProgramBytes: Int

    /// - Parameters:
    ///   - memoryBytes: address-space limit (default 512 MiB).
    ///   - cpuSecondsPerBatch: CPU allowance per batch (default 30 s).
    ///   - programCacheSize: compiled programs kept per worker (default 32).
    ///   - maxRequestBytes: largest request frame (default 64 MiB).
    ///   - maxOutputBytes: largest response (default 64 MiB).
    ///   - maxProgramBytes: longest program (default 64 KiB).
    public init(
        memoryBytes: Int = 512 << 20,
        cpuSecondsPerBatch: Int = 30,
        programCacheSize: Int = 32,
        maxRequestBytes: Int = 64 << 20,
        maxOutputBytes: Int = 64 << 20,
        maxProgramBytes: Int = 64 << 10
    ) {
        self.memoryBytes = memoryBytes
        self.cpuSecondsPerBatch = cpuSecondsPerBatch
        self.programCacheSize = programCacheSize
        self.maxRequestBytes = maxRequestBytes
        self.maxOutputBytes = maxOutputBytes
        self.maxProgramBytes = maxProgramBytes
    }

    /// Why a worker command line was refused.
    struct ArgumentError: Error, CustomStringConvertible {
        let description: String
    }

    /// Option names, the field each sets, and the largest value accepted: frame sizes must
    /// stay addressable by the 32-bit length prefix and by libjq's `int` lengths.
    private static let names: [(String, any WritableKeyPath<JQWorkerLimits, Int> & Sendable, Int)] = [
        ("memory-bytes", \.memoryBytes, Int.max),
        ("cpu-seconds-per-batch", \.cpuSecondsPerBatch, Int(Int32.max)),
        ("program-cache-size", \.programCacheSize, 4096),
        ("max-request-bytes", \.maxRequestBytes, Int(Int32.max)),
        ("max-output-bytes", \.maxOutputBytes, Int(Int32.max)),
        ("max-program-bytes", \.maxProgramBytes, Int(Int32.max)),
    ]

    /// The limits as `--name=value` arguments for the worker's command line.
    public var arguments: [String] {
        Self.names.map { "--\($0.0)=\(self[keyPath: $0.1])" }
    }

    /// Reads limits from `--name=value` arguments; names not given keep their defaults.
    init(arguments: [String]) throws(ArgumentError) {
        self.init()
        for argument in arguments {
            guard argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") else {
                throw ArgumentError(description: "unexpected argument \(argument)")
            }
            let name = argument[argument.index(argument.startIndex, offsetBy: 2)..<equals]
            guard let option = Self.names.first(where: { $0.0 == name }) else {
                throw ArgumentError(description: "unknown option --\(name)")
            }
            guard let value = Int(argument[argument.index(after: equals)...]), value > 0, value <= option.2 else {
                throw ArgumentError(description: "--\(name) needs a positive integer up to \(option.2)")
            }
            self[keyPath: option.1] = value
        }
    }
}
