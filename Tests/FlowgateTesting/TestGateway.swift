import Foundation
import Gateway
import Hummingbird
import HummingbirdTesting
import Identity
import Logging

/// A gateway served in process on a free port, with a fresh database and a known
/// platform-admin token; the closure gets a client already holding that token.
public enum TestGateway {
    /// - Parameter singleSignOn: serve on a port chosen up front, with that origin as the public
    ///   URL (redirect URIs and SAML endpoints name it) and loopback identity providers allowed.
    public static func with<R: Sendable>(
        backend: TestBackend = .sqlite, maxBodyBytes: Int = 1 << 20, routes: RouteTable = RouteTable(), singleSignOn: Bool = false,
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
        var configuration = GatewayConfiguration(
            host: "127.0.0.1", port: 0, dataDirectory: dir.path, databaseURL: databaseURL, bootstrapToken: adminToken,
            maxBodyBytes: maxBodyBytes
        )
        if singleSignOn {
            configuration.port = try freeLoopbackPort()
            configuration.publicURL = "http://127.0.0.1:\(configuration.port)"
            configuration.ssoAllowLoopbackHTTP = true
        }
        _ = try await prepareStorage(configuration, logger: logger)
        if singleSignOn {
            // HummingbirdTesting serves on a port of its own choosing; redirect URIs and SAML
            // endpoints must name the real one, so this server runs on the chosen port.
            let (started, ready) = AsyncStream<Int>.makeStream()
            let app = try await buildApplication(configuration, logger: logger, routes: routes, onServerRunning: { port in
                ready.yield(port)
                ready.finish()
            })
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await app.runService(gracefulShutdownSignals: []) }
                var iterator = started.makeAsyncIterator()
                guard let port = await iterator.next() else { throw TestSetupError("gateway did not start") }
                do {
                    let result = try await body(APIClient(baseURL: "http://127.0.0.1:\(port)", token: adminToken))
                    group.cancelAll()
                    return result
                } catch {
                    group.cancelAll()
                    throw error
                }
            }
        }
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

/// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, read, closed).
public func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TestSetupError("socket() failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
    guard bound == 0 else { throw TestSetupError("bind() failed") }
    let named = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    guard named == 0 else { throw TestSetupError("getsockname() failed") }
    return Int(UInt16(bigEndian: address.sin_port))
}
