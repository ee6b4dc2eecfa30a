import Foundation

/// Runs a program to completion without holding a thread of Swift's cooperative pool: the
/// blocking reads and the wait happen on threads of their own. On a 2-core machine the pool
/// has two threads; a test that blocked one while a Python peer or a dump ran would stall
/// every other test's tasks, and their network timeouts would fire.
public enum ChildProcess {
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: Data
        public var stderr: Data
        /// Standard output then standard error, as text.
        public var output: String { String(decoding: stdout + stderr, as: UTF8.self) }
    }

    public static func run(
        _ executable: URL, _ arguments: [String], environment: [String: String]? = nil, currentDirectory: URL? = nil
    ) async throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        return await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                // Standard error is drained on a second thread so that neither pipe can fill up
                // and block the child while the other is read.
                let errorData = LockedData()
                let errorDone = DispatchSemaphore(value: 0)
                Thread.detachNewThread {
                    errorData.set(err.fileHandleForReading.readDataToEndOfFile())
                    errorDone.signal()
                }
                let stdout = out.fileHandleForReading.readDataToEndOfFile()
                errorDone.wait()
                process.waitUntilExit()
                continuation.resume(returning: Result(status: process.terminationStatus, stdout: stdout, stderr: errorData.get()))
            }
        }
    }
}

private final class LockedData: @unchecked Sendable {
    // @unchecked: `data` is only touched under `lock`.
    private let lock = NSLock()
    private var data = Data()
    func set(_ value: Data) { lock.withLock { data = value } }
    func get() -> Data { lock.withLock { data } }
}
