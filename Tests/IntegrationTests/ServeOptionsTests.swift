import FlowgateTesting
import Foundation
import Testing

/// `flowgate serve` refuses options it cannot honour with a message and a non-zero exit,
/// before it touches the data folder.
@Suite struct ServeOptionsTests {
    @Test(.timeLimit(.minutes(1)))
    func outOfRangeRatesAreRefusedWithAMessage() async throws {
        let dir = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // The largest value overflowed the derived burst and stopped the process with a trap;
        // zero would have served with a rate nobody asked for.
        for option in ["--tenant-requests-per-second", "--principal-requests-per-second"] {
            for value in ["9223372036854775807", "0"] {
                let result = try await ServerProcess.run(["serve", "--port", "0", "--data-dir", dir.path, option, value])
                #expect(result.status != 0, "\(option) \(value)")
                #expect(result.output.contains("must be between 1 and 1000000000"), "\(option) \(value): \(result.output)")
                #expect(!result.output.contains("overflow"))
            }
        }
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("flowgate.sqlite").path))
    }
}
