import FlowgateTesting
import Foundation

/// Shared helpers for locating test data and running helper processes.
enum CedarTestSupport {
    /// The package root, derived from this file's location.
    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// The Cedar conformance folder, or `nil` when this clone does not have it.
    static var conformanceDirectory: URL? {
        let env = ProcessInfo.processInfo.environment["FLOWGATE_CEDAR_CONFORMANCE"]
        let url = env.map { URL(fileURLWithPath: $0) }
            ?? packageRoot.deletingLastPathComponent().appendingPathComponent("shared/conformance/cedar")
        return FileManager.default.fileExists(atPath: url.appendingPathComponent("README.md").path) ? url : nil
    }

    /// Runs a program and returns its exit status and standard output.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
        let result = try await ChildProcess.run(URL(fileURLWithPath: executable), arguments)
        let out = String(decoding: result.stdout, as: UTF8.self)
        if result.status != 0 {
            return (result.status, out + String(decoding: result.stderr, as: UTF8.self))
        }
        return (result.status, out)
    }

    /// A fresh temporary directory.
    static func temporaryDirectory(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func read(_ url: URL) throws -> String {
        try String(contentsOf: url, encoding: .utf8)
    }
}
