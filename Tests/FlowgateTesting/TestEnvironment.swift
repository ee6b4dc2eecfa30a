import Foundation

/// Paths and settings of the test environment.
public enum TestEnvironment {
    /// The package root, found from this file's location.
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The built `flowgate` executable (`FLOWGATE_BIN`, else `.build/debug/flowgate`).
    public static var flowgateBinary: URL {
        if let path = ProcessInfo.processInfo.environment["FLOWGATE_BIN"], !path.isEmpty { return URL(fileURLWithPath: path) }
        return packageRoot.appendingPathComponent(".build/debug/flowgate")
    }

    /// A new empty temporary directory.
    public static func temporaryDirectory(_ prefix: String = "flowgate-test") throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }
}
