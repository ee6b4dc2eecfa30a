import FlowgateTesting
import Foundation

/// SplitMix64: a tiny, well-mixed generator so randomized tests replay exactly from a seed.
struct TimeseriesSeededRandom: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Dates and zones for tests, from literal text so a typo fails loudly instead of trapping.
enum TimeseriesTestTime {
    /// The instant of an RFC 3339 UTC text like `2024-03-10T07:00:00Z`.
    static func utc(_ text: String) -> Date {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        guard let date = formatter.date(from: text) else {
            fatalError("test literal \(text) is not an RFC 3339 date-time")
        }
        return date
    }

    static func zone(_ identifier: String) -> TimeZone {
        guard let zone = TimeZone(identifier: identifier) else { fatalError("unknown test time zone \(identifier)") }
        return zone
    }

    static let utcZone = zone("UTC")

    /// `date` as `YYYY-MM-DDTHH:MM:SSZ`.
    static func text(_ date: Date?) -> String {
        guard let date else { return "nil" }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = utcZone
        return formatter.string(from: date)
    }
}

/// Runs the peer interpreter named by `FLOWGATE_PYTHON` on a script, for tests that check
/// our encoders against real implementations.
enum TimeseriesPeerPython {
    static var interpreter: String? {
        let value = ProcessInfo.processInfo.environment["FLOWGATE_PYTHON"] ?? ""
        return value.isEmpty ? nil : value
    }

    static var required: Bool { ProcessInfo.processInfo.environment["FLOWGATE_REQUIRE_PEERS"] == "1" }

    /// Whether peer tests run: with an interpreter, or when peers are required (and the test
    /// then fails for want of one).
    static var enabled: Bool { interpreter != nil || required }

    /// Exit status and combined output of `python script args...`.
    static func run(script: String, arguments: [String], in directory: URL) async throws -> (status: Int32, output: String) {
        guard let interpreter else { return (-1, "FLOWGATE_PYTHON is not set") }
        let scriptURL = directory.appendingPathComponent("peer.py")
        try script.write(to: scriptURL, atomically: true, encoding: .utf8)
        let result = try await ChildProcess.run(URL(fileURLWithPath: interpreter), [scriptURL.path] + arguments)
        return (result.status, result.output)
    }

    /// Peer scripts exit with 3 when the interpreter lacks their modules: a skip with a
    /// message, unless peers are required (then the caller's status check fails the test).
    static func skipForMissingModules(_ result: (status: Int32, output: String)) -> Bool {
        guard result.status == 3, !required else { return false }
        print("skipping peer check: \(result.output.trimmingCharacters(in: .whitespacesAndNewlines))")
        return true
    }

    static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flowgate-timeseries-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }
}
