import AsyncHTTPClient
import Engine
import Foundation
import Hummingbird
import Identity
import Logging
import Metrics
import Policy
import Prometheus
import Secrets
import ServiceLifecycle
import Store

/// The process-wide Prometheus registry. swift-metrics allows one bootstrap per process, so
/// the server and the tests share this one.
public enum MetricsRegistry {
    public static let shared: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()
}

/// Keeps the store's background work (PostgreSQL's pool) running for the application's life
/// and closes the database at the end. It is the first service, so the service group stops
/// it last, after the server, the engine and the audit writer.
struct StoreService: Service {
    let store: Store
    func run() async throws {
        await cancelWhenGracefulShutdown {
            await store.run()
        }
        await store.database.close()
    }
}

/// The store configuration a gateway configuration names.
public func storeConfiguration(_ configuration: GatewayConfiguration) -> StoreConfiguration {
    if let url = configuration.databaseURL, !url.isEmpty { return .postgres(url: url) }
    return .sqlite(path: URL(fileURLWithPath: configuration.dataDirectory).appendingPathComponent("flowgate.sqlite").path)
}

/// Prepares the data folder and database: creates the folder (mode 0700), runs migrations and
/// creates the first platform-admin token. Returns the token when one was generated, after
/// writing it to `<data-dir>/bootstrap-token` (mode 0600).
public func prepareStorage(_ configuration: GatewayConfiguration, logger: Logger) async throws -> String? {
    try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true,
                                            attributes: [.posixPermissions: 0o700])
    let preset = configuration.bootstrapToken.flatMap { $0.isEmpty ? nil : $0 }
    let created = try await Store.withOpened(storeConfiguration(configuration), logger: logger) { store in
        try await store.migrate()
        let identity = IdentityService(store: store)
        let token = try await identity.bootstrap(token: preset)
        if token != nil, configuration.firstRunSetup, configuration.databaseURL?.isEmpty ?? true {
            try await setUpDefaultTenant(identity: identity, store: store, configuration: configuration)
        }
        return token
    }
    guard let created, preset == nil else { return nil }
    let path = URL(fileURLWithPath: configuration.dataDirectory).appendingPathComponent("bootstrap-token").path
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard fd >= 0 else { throw StoreError.configuration("cannot write \(path)") }
    defer { close(fd) }
    let bytes = Array((created + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    fchmod(fd, 0o600)
    return created
}

/// First start of the embedded default: a tenant `default` with an owner, and a one-time
/// sign-in link for that owner on the terminal, so a new user is in the editor at once.
func setUpDefaultTenant(identity: IdentityService, store: Store, configuration: GatewayConfiguration) async throws {
    let tenant = try await identity.createTenant(slug: "default", name: "Default")
    let owner = try await identity.createUser(in: tenant.id, userName: "owner", displayName: "Owner", email: nil)
    _ = try await identity.bindRole(in: tenant.id, subjectType: "user", subjectID: owner.id, role: "owner")
    let code = try await SSOService.issueSignInCode(store: store, tenant: tenant.id, userID: owner.id)
    // Shown once, on the terminal, never in the log stream.
    FileHandle.standardError.write(Data(
        "\nSign in to the editor (one-time link, valid 24 hours):\n  \(configuration.effectivePublicURL)/login?code=\(code)\n\n".utf8
    ))
}

/// The secret service with the configured key provider (a local keyring file in the data
/// folder, or a Vault/OpenBao transit key, created if missing).
public func makeSecretService(_ configuration: GatewayConfiguration, store: Store) async throws -> SecretService {
    let vault = configuration.vault.map { VaultClient(configuration: $0) }
    let keys: any KeyProvider
    if let key = configuration.keyProvider.transitKey {
        guard let vault else { throw SecretsError.keyProvider("the transit key provider needs --vault-addr") }
        let transit = TransitKeyProvider(vault: vault, keyName: key)
        try await transit.ensureKey()
        keys = transit
    } else {
        keys = try LocalKeyring(path: URL(fileURLWithPath: configuration.dataDirectory).appendingPathComponent("keyring.json").path)
    }
    return SecretService(store: store, keys: keys, vault: vault, redactor: configuration.redactor)
}

/// Rotates generated secrets whose interval has passed, once a minute.
struct RotationService: Service {
    let secrets: SecretService
    let overlap: Duration
    let logger: Logger

    func run() async throws {
        await repeatUntilShutdown(every: .seconds(60), logger: logger, failure: "secret rotation failed") {
            let rotated = try await secrets.rotateDueSecrets(overlap: overlap)
            if !rotated.isEmpty { logger.info("rotated secrets", metadata: ["count": "\(rotated.count)"]) }
        }
    }
}

/// Drops expired single-sign-on state every 5 minutes; shuts the identity providers' HTTP
/// client down at the end.
struct SSOHousekeeping: Service {
    let sso: SSOService
    let client: HTTPClient
    let logger: Logger

    func run() async throws {
        await repeatUntilShutdown(every: .seconds(300), logger: logger, failure: "single sign-on housekeeping failed") {
            _ = try await sso.purgeExpired()
        }
        try? await client.shutdown()
    }
}

/// Builds the gateway: storage must have been prepared with ``prepareStorage(_:logger:)``.
///
/// - Parameters:
///   - configuration: what to serve and where the data lives.
///   - logger: the application logger.
///   - routes: filled with every registered API route (tests compare it with the OpenAPI document).
///   - onServerRunning: called with the bound port once the server listens.
///   - scripts: how the `jq` and `sql` nodes run (default: no jq workers; `flowgate serve`
///     passes itself as the worker executable).
public func buildApplication(
    _ configuration: GatewayConfiguration, logger: Logger, routes: RouteTable = RouteTable(),
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in },
    scripts: ScriptRunners.Configuration = ScriptRunners.Configuration()
) async throws -> some ApplicationProtocol {
    let store = try await Store.open(storeConfiguration(configuration), logger: logger)
    let identity = IdentityService(store: store)
    let quotas = QuotaBook(identity: identity, defaults: configuration.quotas)
    let authorizer = try FlowgateAuthorizer()
    let policies = PolicyBook(authorizer: authorizer, store: store, identity: identity)
    let secrets = try await makeSecretService(configuration, store: store)
    let scriptRunners = ScriptRunners(configuration: scripts)
    let engine = RunEngine(
        store: store, registry: scriptRunners.registry, configuration: RunEngineConfiguration(maxConcurrentRuns: configuration.maxConcurrentRuns),
        authorizer: authorizer, logger: logger, quotas: { tenant in (try? await quotas.quotas(for: tenant)) ?? configuration.quotas },
        preparePolicies: { tenant in try await policies.prepare(tenant) }, secrets: secrets
    )
    let auditWriter = AuditWriter(store: store, redactor: configuration.redactor, logger: logger)
    // Back-channel calls to identity providers follow no redirects: a token endpoint that
    // redirects must not have the code and client secret replayed elsewhere.
    var httpConfiguration = HTTPClient.Configuration()
    httpConfiguration.redirectConfiguration = .disallow
    let ssoClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: httpConfiguration)
    let sso = SSOService(
        store: store, identity: identity, secrets: secrets, httpClient: ssoClient,
        configuration: SSOService.Configuration(publicURL: configuration.effectivePublicURL, allowLoopbackHTTP: configuration.ssoAllowLoopbackHTTP)
    )
    let gateway = Gateway(
        store: store, identity: identity, authorizer: authorizer, policies: policies, secrets: secrets, engine: engine, sso: sso, routes: routes,
        redactor: configuration.redactor, logger: logger,
        workflowReads: WorkflowReadCache(enabled: !storeConfiguration(configuration).isPostgres)
    )
    let router = gateway.buildRouter(auditWriter: auditWriter, quotas: quotas, maxBodyBytes: configuration.maxBodyBytes, webRoot: configuration.webRoot)
    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "flowgate"),
        // The script runners stop after the engine (services stop in reverse order).
        services: [
            StoreService(store: store), auditWriter, scriptRunners, engine, TriggerScheduler(engine: engine), RetentionService(engine: engine),
            RotationService(secrets: secrets, overlap: configuration.rotationOverlap, logger: logger),
            SSOHousekeeping(sso: sso, client: ssoClient, logger: logger),
        ],
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
        logger: logger
    )
}

extension Gateway {
    /// The router with the whole request pipeline.
    func buildRouter(auditWriter: AuditWriter, quotas: QuotaBook, maxBodyBytes: Int, webRoot: String? = nil) -> Router<FlowgateRequestContext> {
        let router = Router(context: FlowgateRequestContext.self)
        let limiter = RateLimiter<RateLimitKey>()
        router.add(middleware: RequestSetupMiddleware(maxBodyBytes: maxBodyBytes))
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: ProblemMiddleware(routes: routes, redactor: redactor))
        addOperationalRoutes(to: router, registry: MetricsRegistry.shared, openAPI: OpenAPIDocument.bytes)

        let api = router.group("api/v1")
            .add(middleware: AuthenticationMiddleware(identity: identity, sso: sso))
            .add(middleware: AuditMiddleware(writer: auditWriter, clock: store.clock))
            .add(middleware: RateLimitMiddleware(limiter: limiter, quotas: quotas))
        let tenant = api.group("tenants/:tenant").add(middleware: TenantMiddleware(identity: identity, policies: policies))
        addTenantRoutes(api: api, tenant: tenant)
        addIdentityRoutes(tenant: tenant)
        addWorkflowRoutes(api: api, tenant: tenant)
        addRunRoutes(tenant: tenant)
        addRunStreamRoute(tenant: tenant)
        addAuditRoutes(api: api, tenant: tenant)
        addQuotaRoutes(tenant: tenant, defaults: quotas.defaults)
        addPolicyRoutes(tenant: tenant)
        addSecretRoutes(tenant: tenant)
        addSCIMTokenRoutes(tenant: tenant)
        addEngineRoutes(tenant: tenant)
        addSessionRoutes(api: api)
        addIdentityProviderRoutes(tenant: tenant)

        let ssoGroup = router.group("sso/:tenant/:idp")
            .add(middleware: AuditMiddleware(writer: auditWriter, clock: store.clock, anonymous: true))
        addSSORoutes(sso: ssoGroup)
        let signIn = router.group().add(middleware: AuditMiddleware(writer: auditWriter, clock: store.clock, anonymous: true))
        addSignInLinkRoute(to: signIn)
        addSignInOptionsRoute(to: router)
        if let webRoot = webRoot { addWebRoutes(to: router, root: webRoot) }

        let hooks = router.group("hooks/:tenant")
            .add(middleware: WebhookMiddleware(identity: identity, policies: policies, secrets: secrets, store: store))
            .add(middleware: AuditMiddleware(writer: auditWriter, clock: store.clock))
            .add(middleware: RateLimitMiddleware(limiter: limiter, quotas: quotas))
        addWebhookRoutes(hooks: hooks)

        let scim = router.group("scim/v2/:tenant")
            .add(middleware: SCIMErrorMiddleware(routes: routes, redactor: redactor))
            .add(middleware: SCIMAuthenticationMiddleware(identity: identity, policies: policies))
            .add(middleware: AuditMiddleware(writer: auditWriter, clock: store.clock))
            .add(middleware: RateLimitMiddleware(limiter: limiter, quotas: quotas))
        addSCIMRoutes(scim: scim)
        return router
    }
}
