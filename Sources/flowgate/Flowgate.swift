import ArgumentParser
import Engine
import Foundation
import Gateway
import Logging
import Policy
import Secrets
import Store

/// The `flowgate` command: parses arguments and hands over to the Gateway module.
@main
struct Flowgate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flowgate",
        abstract: "A multi-tenant, policy-governed workflow platform for observability pipelines.",
        subcommands: [Serve.self, Audit.self, PolicyCommand.self, SecretsCommand.self]
    )

    /// The hidden subcommand that turns this binary into a jq worker (see ``JQWorker``).
    static let jqWorkerCommand = "jq-worker"

    /// The entry point. `flowgate jq-worker` is dispatched here, before the argument parser,
    /// logging or NIO run: a worker limits its own address space, and every thread started
    /// before that (each with a malloc arena of 64 MiB of address space) would count against it.
    static func main() async {
        let arguments = CommandLine.arguments
        if arguments.count > 1, arguments[1] == jqWorkerCommand {
            Glibc.exit(JQWorker.main(arguments: Array(arguments.dropFirst(2))))
        }
        await main(nil)
    }

    /// This executable's absolute path, for starting jq workers: `/proc/self/exe`, else the
    /// first argument resolved against the working directory.
    static var executablePath: String {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"), path.hasPrefix("/") { return path }
        let first = CommandLine.arguments.first ?? "flowgate"
        return URL(fileURLWithPath: first, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)).standardizedFileURL.path
    }
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

/// Sets up JSON-lines logging on standard output, every line passed through `redactor`.
func makeLogger(_ label: String, redactor: Redactor) -> Logger {
    let level = ProcessInfo.processInfo.environment["FLOWGATE_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
    LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: level, redactor: redactor) }
    return Logger(label: label)
}

/// Options naming Vault/OpenBao and the key provider; credentials come from the environment.
struct KeyOptions: ParsableArguments {
    @Option(help: "Vault/OpenBao address for external secrets and the transit key provider (env FLOWGATE_VAULT_ADDR). Authenticates with FLOWGATE_VAULT_ROLE_ID and FLOWGATE_VAULT_SECRET_ID (AppRole) or FLOWGATE_VAULT_TOKEN.")
    var vaultAddr: String?

    @Option(help: "Key-encryption key provider: local (a keyring file in the data folder) or transit.")
    var keyProvider: String = "local"

    @Option(help: "Name of the derived transit key when --key-provider transit.")
    var transitKey: String = "flowgate"

    func vaultConfiguration() throws -> VaultConfiguration? {
        let env = ProcessInfo.processInfo.environment
        guard let address = vaultAddr ?? env["FLOWGATE_VAULT_ADDR"], !address.isEmpty else { return nil }
        if let role = env["FLOWGATE_VAULT_ROLE_ID"], let secret = env["FLOWGATE_VAULT_SECRET_ID"] {
            return VaultConfiguration(address: address, authentication: .appRole(roleID: role, secretID: secret))
        }
        if let token = env["FLOWGATE_VAULT_TOKEN"] {
            return VaultConfiguration(address: address, authentication: .token(token))
        }
        throw ValidationError("a Vault address needs FLOWGATE_VAULT_ROLE_ID and FLOWGATE_VAULT_SECRET_ID, or FLOWGATE_VAULT_TOKEN")
    }

    func choice() throws -> KeyProviderChoice {
        switch keyProvider {
        case "local": return .localKeyring
        case "transit": return .transit(key: transitKey)
        default: throw ValidationError("--key-provider must be local or transit")
        }
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the gateway, the API and the engine.")

    @Option(help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free port).")
    var port: Int = 8080

    @OptionGroup var storage: StorageOptions
    @OptionGroup var keys: KeyOptions

    @Option(help: "Largest request body in bytes.")
    var maxBodyBytes: Int = 1 << 20

    @Option(help: "Default requests per second of all a tenant's principals together (burst: twice as many).")
    var tenantRequestsPerSecond: Int = TenantQuotas.defaults.tenantRate.rate

    @Option(help: "Default requests per second of one principal (burst: twice as many).")
    var principalRequestsPerSecond: Int = TenantQuotas.defaults.principalRate.rate

    @Option(help: "Public origin of the gateway for single sign-on (redirect URIs, SAML entity ids; https gives Secure cookies). Default: http://<host>:<port>. Env: FLOWGATE_PUBLIC_URL.")
    var publicURL: String?

    @Flag(help: "Accept http:// identity-provider endpoints on loopback hosts (local providers, tests).")
    var ssoAllowLoopbackHttp = false

    @Option(help: "Folder of the web editor, served at / and /app/ (default: ./web when it exists).")
    var webRoot: String?

    func validate() throws {
        // Bounded: the bursts are derived from them (twice as many), and an overflow there
        // stopped the process instead of answering.
        let rates = 1...1_000_000_000
        guard rates.contains(tenantRequestsPerSecond), rates.contains(principalRequestsPerSecond) else {
            throw ValidationError("--tenant-requests-per-second and --principal-requests-per-second must be between 1 and 1000000000")
        }
    }

    func run() async throws {
        let redactor = Redactor()
        let logger = makeLogger("flowgate", redactor: redactor)
        var quotas = TenantQuotas.defaults
        quotas.tenantRate = RateLimit(rate: tenantRequestsPerSecond, burst: 2 * tenantRequestsPerSecond)
        quotas.principalRate = RateLimit(rate: principalRequestsPerSecond, burst: 2 * principalRequestsPerSecond)
        var configuration = GatewayConfiguration(
            host: host, port: port, dataDirectory: storage.dataDir, databaseURL: storage.resolvedDatabaseURL,
            bootstrapToken: ProcessInfo.processInfo.environment["FLOWGATE_BOOTSTRAP_TOKEN"], maxBodyBytes: maxBodyBytes,
            quotas: quotas, keyProvider: try keys.choice(), vault: try keys.vaultConfiguration(), redactor: redactor,
            publicURL: publicURL ?? ProcessInfo.processInfo.environment["FLOWGATE_PUBLIC_URL"], ssoAllowLoopbackHTTP: ssoAllowLoopbackHttp
        )
        configuration.firstRunSetup = true
        configuration.webRoot = webRoot ?? (FileManager.default.fileExists(atPath: "web/index.html") ? "web" : nil)
        if let url = configuration.publicURL, !(url.hasPrefix("https://") || url.hasPrefix("http://")) {
            throw ValidationError("--public-url must be an http:// or https:// origin")
        }
        let configured = configuration
        // Held until the server has stopped (released by the kernel if it never does).
        let lock = storeConfiguration(configured).isPostgres ? nil : try DataDirectoryLock(directory: configured.dataDirectory)
        defer { withExtendedLifetime(lock) {} }
        if let token = try await prepareStorage(configured, logger: logger) {
            // Shown once, on the terminal, never in the log stream.
            FileHandle.standardError.write(Data(
                "\nPlatform admin token (shown once; also in \(storage.dataDir)/bootstrap-token):\n  \(token)\n\n".utf8
            ))
        }
        let scripts = ScriptRunners.Configuration(
            jq: JQRunner.Configuration(
                executablePath: Flowgate.executablePath, arguments: [Flowgate.jqWorkerCommand], limits: ScriptRunners.Configuration.serverJQLimits
            ),
            sqlHeapLimitBytes: 256 << 20
        )
        let app = try await buildApplication(configured, logger: logger, onServerRunning: { port in
            logger.info("flowgate listening", metadata: ["address": "http://\(configured.host):\(port)"])
        }, scripts: scripts)
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

/// `flowgate secrets ...`: maintenance of stored secrets.
struct SecretsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "secrets", abstract: "Maintain stored secrets.", subcommands: [RotateKEK.self])

    struct RotateKEK: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-kek",
            abstract: "Rotate the key-encryption key and rewrap every data key (secret values are never decrypted)."
        )
        @OptionGroup var storage: StorageOptions
        @OptionGroup var keys: KeyOptions

        @Flag(help: "Remove older local keyring keys once every data key is rewrapped (only when no server still holds them).")
        var retireOldKeys = false

        func run() async throws {
            var logger = Logger(label: "flowgate.secrets")
            logger.logLevel = .error
            let configuration = GatewayConfiguration(
                dataDirectory: storage.dataDir, databaseURL: storage.resolvedDatabaseURL, keyProvider: try keys.choice(),
                vault: try keys.vaultConfiguration()
            )
            let count = try await Store.withOpened(storeConfiguration(configuration), logger: logger) { store in
                try await store.migrate()
                let secrets = try await makeSecretService(configuration, store: store)
                let count = try await secrets.rotateKeyEncryptionKey()
                if retireOldKeys, let keyring = secrets.keys as? LocalKeyring { try keyring.retireInactiveKeys() }
                return count
            }
            print("rotated the key-encryption key; rewrapped \(count) data keys")
        }
    }
}
