import FlowgateTesting
import Foundation
import Testing

/// One server per embedded database: a second `flowgate serve` on a data folder in use stops
/// at start and names the first; once the first is gone, however it went, the folder is free.
@Suite struct DataDirectoryLockTests {
    @Test func aSecondServerOnTheSameDataFolderIsRefused() async throws {
        let dir = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let token = "fgp_lock_test_bootstrap_token_0123456789"
        let first = try await ServerProcess.start(dataDirectory: dir.path, environment: ["FLOWGATE_BOOTSTRAP_TOKEN": token])
        do {
            let second = try await ServerProcess.start(dataDirectory: dir.path, environment: ["FLOWGATE_BOOTSTRAP_TOKEN": token])
            await second.stop()
            Issue.record("a second server started on a data folder in use")
        } catch let error as TestSetupError {
            #expect(error.description.contains("another flowgate server (pid \(first.process.processIdentifier)) is serving the data folder"))
            #expect(!error.description.contains("flowgate listening"))
        }
        // The first server is unaffected.
        let health = try await APIClient(baseURL: first.baseURL).get("/readyz")
        #expect(health.status == 200)

        // Killed outright, it leaves the folder free for the next server.
        #expect(await first.stop(signal: SIGKILL) != 0)
        let next = try await ServerProcess.start(dataDirectory: dir.path, environment: ["FLOWGATE_BOOTSTRAP_TOKEN": token])
        #expect(try await APIClient(baseURL: next.baseURL, token: token).get("/api/v1/tenants").status == 200)
        #expect(await next.stop() == 0)
    }
}
