import Logging
import Policy
import Secrets

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
    /// Where key-encryption keys live. Default: the local keyring in the data folder.
    public var keyProvider: KeyProviderChoice
    /// Vault/OpenBao, for external secrets and the transit key provider. Default: none.
    public var vault: VaultConfiguration?
    /// The process-wide redactor, shared with logging. Default: a new one.
    public var redactor: Redactor
    /// How long a rotated generated secret's old value stays valid. Default: 1 hour.
    public var rotationOverlap: Duration
    /// The public origin browsers and identity providers reach the gateway at (redirect URIs,
    /// SAML entity ids, `Secure` cookies when https). Default: `http://<host>:<port>`.
    public var publicURL: String?
    /// Accept `http://` identity-provider endpoints on loopback hosts. Default: false.
    public var ssoAllowLoopbackHTTP: Bool
    /// On the first start of the embedded default, create the tenant `default` with an owner
    /// and print a one-time sign-in link. Default: false (`flowgate serve` turns it on).
    public var firstRunSetup: Bool = false
    /// The folder the web editor is served from (`/` and `/app/...`); nil serves none.
    public var webRoot: String?

    /// The public origin in effect.
    public var effectivePublicURL: String {
        if let publicURL, !publicURL.isEmpty { return publicURL }
        let shownHost = host == "0.0.0.0" || host == "::" ? "127.0.0.1" : host
        return "http://\(shownHost.contains(":") ? "[\(shownHost)]" : shownHost):\(port)"
    }

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
        bootstrapToken: String? = nil, maxBodyBytes: Int = 1 << 20, maxConcurrentRuns: Int = 8, quotas: TenantQuotas = .defaults,
        keyProvider: KeyProviderChoice = .localKeyring, vault: VaultConfiguration? = nil, redactor: Redactor = Redactor(),
        rotationOverlap: Duration = .seconds(3600), publicURL: String? = nil, ssoAllowLoopbackHTTP: Bool = false
    ) {
        self.publicURL = publicURL
        self.ssoAllowLoopbackHTTP = ssoAllowLoopbackHTTP
        self.quotas = quotas
        self.keyProvider = keyProvider
        self.vault = vault
        self.redactor = redactor
        self.rotationOverlap = rotationOverlap
        self.host = host
        self.port = port
        self.dataDirectory = dataDirectory
        self.databaseURL = databaseURL
        self.bootstrapToken = bootstrapToken
        self.maxBodyBytes = maxBodyBytes
        self.maxConcurrentRuns = maxConcurrentRuns
    }
}

/// Which key provider wraps data keys.
public struct KeyProviderChoice: Sendable, Hashable {
    let transitKey: String?
    /// `<data-dir>/keyring.json`, created on first start (mode 0600).
    public static let localKeyring = KeyProviderChoice(transitKey: nil)
    /// A derived Vault/OpenBao transit key (the tenant is the derivation context).
    public static func transit(key: String) -> KeyProviderChoice { KeyProviderChoice(transitKey: key) }
}
