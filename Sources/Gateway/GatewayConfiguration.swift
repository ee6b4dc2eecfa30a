import Logging
import Policy

/// Everything `flowgate serve` can be told. Environment variables are read by the executable,
/// never here.
public struct GatewayConfiguration: Sendable {
    /// Address to listen on. Default: 127.0.0.1.
    public var host: String
    /// Port to listen on; 0 picks a free one. Default: 8080.
    public var port: Int
    /// Folder for the embedded database and key material. Default: `./.flowgate`.
    public var dataDirectory: String
    /// A `postgres://` URL to use PostgreSQL instead of the embedded SQLite. Default: none.
    public var databaseURL: String?
    /// The platform-admin token to create on first start; generated when `nil`.
    public var bootstrapToken: String?
    /// Largest request body in bytes. Default: 1 MiB.
    public var maxBodyBytes: Int
    /// Runs executed at once. Default: 8.
    public var maxConcurrentRuns: Int
    /// Quotas of tenants that set none. Default: ``TenantQuotas/defaults``.
    public var quotas: TenantQuotas

    /// - Parameters:
    ///   - host: listen address (default 127.0.0.1).
    ///   - port: listen port (default 8080; 0 for any free port).
    ///   - dataDirectory: data folder (default `./.flowgate`).
    ///   - databaseURL: PostgreSQL URL (default none: embedded SQLite).
    ///   - bootstrapToken: first platform-admin token (default: generated).
    ///   - maxBodyBytes: request body limit (default 1 MiB).
    ///   - maxConcurrentRuns: runs executed at once (default 8).
    public init(
        host: String = "127.0.0.1", port: Int = 8080, dataDirectory: String = "./.flowgate", databaseURL: String? = nil,
        bootstrapToken: String? = nil, maxBodyBytes: Int = 1 << 20, maxConcurrentRuns: Int = 8, quotas: TenantQuotas = .defaults
    ) {
        self.quotas = quotas
        self.host = host
        self.port = port
        self.dataDirectory = dataDirectory
        self.databaseURL = databaseURL
        self.bootstrapToken = bootstrapToken
        self.maxBodyBytes = maxBodyBytes
        self.maxConcurrentRuns = maxConcurrentRuns
    }
}
