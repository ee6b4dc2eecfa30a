import Foundation
import JSON
import Synchronization

/// The real `flowgate` binary started as a child process, as an operator would run it.
public final class ServerProcess: Sendable {
    public let process: Process
    /// Base URL once listening, e.g. `http://127.0.0.1:41234`.
    public let baseURL: String
    private let output: OutputBuffer

    /// Everything the server wrote to standard output and error so far.
    public var outputText: String { output.text }

    private init(process: Process, baseURL: String, output: OutputBuffer) {
        self.process = process
        self.baseURL = baseURL
        self.output = output
    }

    /// Starts `flowgate serve` on a free port and waits until it listens.
    public static func start(
        dataDirectory: String, databaseURL: String? = nil, environment: [String: String] = [:], extraArguments: [String] = []
    ) async throws -> ServerProcess {
        let process = Process()
        process.executableURL = TestEnvironment.flowgateBinary
        var arguments = ["serve", "--host", "127.0.0.1", "--port", "0", "--data-dir", dataDirectory]
        if let databaseURL { arguments += ["--database-url", databaseURL] }
        arguments += extraArguments
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "FLOWGATE_DATABASE_URL")
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let output = OutputBuffer()
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if !data.isEmpty { output.append(data) }
        }
        guard FileManager.default.isExecutableFile(atPath: TestEnvironment.flowgateBinary.path) else {
            throw TestSetupError("no flowgate binary at \(TestEnvironment.flowgateBinary.path); run `swift build` first")
        }
        try process.run()
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let text = output.text
            for line in text.split(separator: "\n") where line.contains("flowgate listening") {
                if let json = try? JSONValue.parse(String(line)), let address = json["address"]?.stringValue {
                    return ServerProcess(process: process, baseURL: address, output: output)
                }
            }
            if !process.isRunning {
                throw TestSetupError("flowgate exited with \(process.terminationStatus): \(text)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        process.terminate()
        throw TestSetupError("flowgate did not start listening: \(output.text)")
    }

    /// Sends SIGTERM and waits for the exit; returns the exit status.
    @discardableResult
    public func stop(signal: Int32 = SIGTERM) async -> Int32 {
        if process.isRunning { kill(process.processIdentifier, signal) }
        let deadline = ContinuousClock.now + .seconds(30)
        while process.isRunning, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            while process.isRunning { try? await Task.sleep(for: .milliseconds(10)) }
        }
        return process.terminationStatus
    }

    /// Runs `flowgate` with arguments to completion; returns exit status and output.
    public static func run(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "FLOWGATE_DATABASE_URL")
        let result = try await ChildProcess.run(TestEnvironment.flowgateBinary, arguments, environment: env)
        return (result.status, result.output)
    }
}

/// Output collected from a child process, shared with its reading handler.
public final class OutputBuffer: Sendable {
    private let bytes = Mutex<[UInt8]>([])
    func append(_ data: Data) { bytes.withLock { $0.append(contentsOf: data) } }
    /// What was written so far.
    public var text: String { String(decoding: bytes.withLock { $0 }, as: UTF8.self) }
}
