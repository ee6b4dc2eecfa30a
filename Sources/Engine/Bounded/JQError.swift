import JSON

/// The outputs of a jq program for one input, and the error that ended them, if any.
///
/// jq stops at the first error for an input (as the `jq` command does), so `outputs` holds what
/// was produced before it.
public struct JQItemResult: Sendable, Hashable {
    /// Every value the program emitted for this input, in order.
    public var outputs: [JSONValue]
    /// The message of `error(...)`, `halt_error` or a runtime error; `nil` when the program
    /// ran to completion.
    public var error: String?

    /// - Parameters:
    ///   - outputs: the values emitted.
    ///   - error: the message of the error that ended the run, if any.
    public init(outputs: [JSONValue], error: String? = nil) {
        self.outputs = outputs
        self.error = error
    }
}

/// Why a jq program could not be run or did not finish.
///
/// Compile errors carry jq's own message, which the host shows to the workflow author (HTTP
/// 422 naming the node). Resource errors (time, memory, CPU, output size) say which limit was
/// hit and nothing about the host.
public struct JQError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is; compare with the static members (`error.code == .timeout`).
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case compile, runtime, timeout, memoryLimit, cpuLimit, outputTooLarge, inputTooLarge
            case invalidOutput, workerCrashed, workerUnavailable, shutDown, protocolViolation
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The program does not compile.
        public static let compile = Code(.compile)
        /// The program raised an error for an input (``JQError/inputIndex`` says which).
        public static let runtime = Code(.runtime)
        /// The batch ran past its wall-clock timeout; the worker was killed.
        public static let timeout = Code(.timeout)
        /// The worker ran out of its address-space limit and died.
        public static let memoryLimit = Code(.memoryLimit)
        /// The worker used up its CPU-seconds allowance for the batch and was killed.
        public static let cpuLimit = Code(.cpuLimit)
        /// The outputs (or error messages) of the batch exceed the configured byte limit.
        public static let outputTooLarge = Code(.outputTooLarge)
        /// The program or the inputs exceed the configured request limit.
        public static let inputTooLarge = Code(.inputTooLarge)
        /// The outputs could not be read back (for example nested deeper than allowed).
        public static let invalidOutput = Code(.invalidOutput)
        /// The worker died for another reason (a crash, typically a stack overflow).
        public static let workerCrashed = Code(.workerCrashed)
        /// No worker process could be started.
        public static let workerUnavailable = Code(.workerUnavailable)
        /// The runner was shut down.
        public static let shutDown = Code(.shutDown)
        /// The worker answered something that does not follow the protocol.
        public static let protocolViolation = Code(.protocolViolation)

        /// The code's name, for logs.
        public var description: String { base.rawValue }
    }

    /// What kind of failure this is.
    public let code: Code
    /// A message fit for the workflow author: jq's own text for compile and runtime errors.
    public let message: String
    /// For ``Code/runtime``: the position of the input whose run failed.
    public let inputIndex: Int?

    private init(_ code: Code, _ message: String, inputIndex: Int? = nil) {
        self.code = code
        self.message = message
        self.inputIndex = inputIndex
    }

    /// The code, the input position if any, and the message.
    public var description: String {
        if let inputIndex { return "jq \(code) (input \(inputIndex)): \(message)" }
        return "jq \(code): \(message)"
    }

    /// The program does not compile; `message` is what jq said.
    public static func compile(_ message: String) -> JQError { .init(.compile, message) }
    /// The program failed on the input at `index`.
    public static func runtime(_ message: String, inputIndex: Int) -> JQError {
        .init(.runtime, message, inputIndex: inputIndex)
    }
    /// The batch did not finish within `timeout`.
    public static func timeout(_ timeout: Duration) -> JQError {
        .init(.timeout, "the jq program did not finish within \(timeout)")
    }
    /// The worker exhausted its memory limit.
    public static func memoryLimit(bytes: Int) -> JQError {
        .init(.memoryLimit, "the jq program exceeded its memory limit of \(bytes) bytes")
    }
    /// The worker exhausted its CPU allowance.
    public static func cpuLimit(seconds: Int) -> JQError {
        .init(.cpuLimit, "the jq program exceeded its CPU limit of \(seconds) s")
    }
    /// The outputs exceed the byte limit.
    public static func outputTooLarge(_ message: String) -> JQError { .init(.outputTooLarge, message) }
    /// The request exceeds a size limit.
    public static func inputTooLarge(_ message: String) -> JQError { .init(.inputTooLarge, message) }
    /// The outputs could not be decoded.
    public static func invalidOutput(_ message: String) -> JQError { .init(.invalidOutput, message) }
    /// The worker died unexpectedly.
    public static func workerCrashed(_ message: String) -> JQError { .init(.workerCrashed, message) }
    /// No worker could be started.
    public static func workerUnavailable(_ message: String) -> JQError { .init(.workerUnavailable, message) }
    /// The runner no longer accepts work.
    public static let shutDown = JQError(.shutDown, "the jq runner is shut down")
    /// The worker broke the protocol.
    public static func protocolViolation(_ message: String) -> JQError { .init(.protocolViolation, message) }

    /// A batch-level refusal reported by the worker, mapped to the code it stands for.
    static func batchRefused(_ message: String) -> JQError {
        if message.hasPrefix(JQWorker.outputLimitPrefix) { return .outputTooLarge(message) }
        if message.hasPrefix(JQWorker.requestLimitPrefix) { return .inputTooLarge(message) }
        return .protocolViolation(message)
    }
}
