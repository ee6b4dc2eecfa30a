import ArgumentParser
import Foundation
import Gateway
import Logging
import Policy
import Store

/// The `flowgate` command: parses arguments and hands over to the Gateway module.
@main
struct Flowgate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flowgate",
        abstract: "A multi-tenant, policy-governed workflow platform for observability pipelines.",
        subcommands: [Serve.self, Audit.self, PolicyCommand.self]
    )
}

/// Options shared by every command that opens the database.
struct StorageOptions: ParsableArguments {
    @Option(help: "Folder for the embedded database and key material.")
    var dataDir: String = "./.flowgate"

    @Option(help: "PostgreSQL URL (postgres://user:password@host:port/db); overrides the embedded SQLite. Env: FLOWGATE_DATABASE_URL.")
    var databaseURL: String?

    /// The database URL from the option or the environment.
    var resolvedDatabaseURL: String? {
        if let databaseURL, !databaseURL.isEmpty { return databaseURL }
        if let env = ProcessInfo.processInfo.environment["FLOWGATE_DATABASE_URL"], !env.isEmpty { return env }
        return nil
    }
}

/// Sets up JSON-lines logging on standard output.
func makeLogger(_ label: String) -> Logger {
    let level = ProcessInfo.processInfo.environment["FLOWGATE_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
    LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: level) }
    return Logger(label: label)
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the gateway, the API and the engine.")

    @Option(help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free port).")
    var port: Int = 8080

    @OptionGroup var storage: StorageOptions

    @Option(help: "Largest request body in bytes.")
    var maxBodyBytes: Int = 1 << 20

    @Option(help: "Default requests per second of all a tenant's principals together (burst: twice as many).")
    var tenantRequestsPerSecond: Int = TenantQuotas.defaults.tenantRate.rate

    @Option(help: "Default requests per second of one principal (burst: twice as many).")
    var principalRequestsPerSecond: Int = TenantQuotas.defaults.principalRate.rate

    func run() async throws {
        let logger = makeLogger("flowgate")
        var quotas = TenantQuotas.defaults
        quotas.tenantRate = RateLimit(rate: tenantRequestsPerSecond, burst: 2 * tenantRequestsPerSecond)
        quotas.principalRate = RateLimit(rate: principalRequestsPerSecond, burst: 2 * principalRequestsPerSecond)
        let configuration = GatewayConfiguration(
            host: host, port: port, dataDirectory: storage.dataDir, databaseURL: storage.resolvedDatabaseURL,
            bootstrapToken: ProcessInfo.processInfo.environment["FLOWGATE_BOOTSTRAP_TOKEN"], maxBodyBytes: maxBodyBytes,
            quotas: quotas
        )
        if let token = try await prepareStorage(configuration, logger: logger) {
            // Shown once, on the terminal, never in the log stream.
            FileHandle.standardError.write(Data(
                "\nPlatform admin token (shown once; also in \(storage.dataDir)/bootstrap-token):\n  \(token)\n\n".utf8
            ))
        }
        let app = try await buildApplication(configuration, logger: logger) { port in
            logger.info("flowgate listening", metadata: ["address": "http://\(configuration.host):\(port)"])
        }
        try await app.runService()
    }
}

struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Work with the audit log.", subcommands: [Verify.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every tenant's hash chain; exit 0 when intact, 1 naming the first broken entry."
        )

        @OptionGroup var storage: StorageOptions

        func run() async throws {
            var logger = Logger(label: "flowgate.audit")
            logger.logLevel = .error
            let config: StoreConfiguration
            if let url = storage.resolvedDatabaseURL {
                config = .postgres(url: url)
            } else {
                let path = URL(fileURLWithPath: storage.dataDir).appendingPathComponent("flowgate.sqlite").path
                guard FileManager.default.fileExists(atPath: path) else {
                    throw ValidationError("no database at \(path); pass --data-dir or --database-url")
                }
                config = .sqlite(path: path)
            }
            let result = try await Store.withOpened(config, logger: logger) { store in
                try await store.read { try await AuditLog.verify($0) }
            }
            if let broken = result.firstBroken {
                print("audit chain BROKEN: tenant \(broken.tenant) entry \(broken.seq): \(broken.reason)")
                throw ExitCode(1)
            }
            print("audit chain intact: \(result.entriesChecked) entries in \(result.chainsChecked) chains")
        }
    }
}
