import Foundation
import Gateway
import Hummingbird
import HummingbirdTesting
import Identity
import Logging

/// A gateway served in process on a free port, with a fresh database and a known
/// platform-admin token; the closure gets a client already holding that token.
public enum TestGateway {
    public static func with<R: Sendable>(
        backend: TestBackend = .sqlite, maxBodyBytes: Int = 1 << 20, routes: RouteTable = RouteTable(),
        _ body: @Sendable (APIClient) async throws -> R
    ) async throws -> R {
        var logger = Logger(label: "test.gateway")
        logger.logLevel = .warning
        let dir = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var databaseURL: String?
        if let admin = backend.adminURL {
            databaseURL = try await backend.createPostgresDatabase(adminURL: admin, logger: logger).url
        }
        let adminToken = BearerToken.generate(prefix: BearerToken.platformPrefix)
        let configuration = GatewayConfiguration(
            host: "127.0.0.1", port: 0, dataDirectory: dir.path, databaseURL: databaseURL, bootstrapToken: adminToken,
            maxBodyBytes: maxBodyBytes
        )
        _ = try await prepareStorage(configuration, logger: logger)
        let app = try await buildApplication(configuration, logger: logger, routes: routes)
        return try await app.test(.live) { client in
            guard let port = client.port else { throw TestSetupError("live test client has no port") }
            return try await body(APIClient(baseURL: "http://127.0.0.1:\(port)", token: adminToken))
        }
    }
}

extension TestBackend {
    /// The PostgreSQL admin URL, `nil` for SQLite.
    var adminURL: String? { postgresURL.flatMap { $0.isEmpty ? nil : $0 } }
}
