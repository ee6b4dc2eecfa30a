import Logging

/// The IO layer of the OpenID Connect relying party: runs the pure pieces against the network,
/// the pending-login store and the provider cache.
///
/// The gateway maps it to HTTP as:
/// - `GET /sso/{tenant}/{idp}/login` → `startLogin` → 302 to `authorizationURL`, set the
///   browser-binding cookie.
/// - `GET /sso/{tenant}/{idp}/callback` → `finishLogin(callback: OIDCCallback(query:), browserBinding: cookie)`
///   → clear the cookie, start a session for `identity`, redirect to `returnTo` (validated).
public struct OIDCRelyingParty: Sendable {
    /// The connection this relying party serves.
    public let configuration: OIDCConfiguration
    let cache: OIDCProviderCache
    let store: any PendingLoginStore<OIDCPendingLogin>
    let transport: any SSOHTTPTransport
    let clock: any SSOClock
    let random: any SSORandom

    /// - Parameters:
    ///   - cache: the connection's shared discovery/JWKS cache.
    ///   - store: where logins in progress wait (keyed by `state`).
    ///   - transport: back-channel HTTP.
    ///   - clock: wall clock; default the system's.
    ///   - random: randomness for state, nonce, PKCE and binding; default the system's CSPRNG.
    public init(
        configuration: OIDCConfiguration, cache: OIDCProviderCache, store: any PendingLoginStore<OIDCPendingLogin>,
        transport: any SSOHTTPTransport, clock: any SSOClock = SystemSSOClock(), random: any SSORandom = SystemSSORandom()
    ) {
        self.configuration = configuration
        self.cache = cache
        self.store = store
        self.transport = transport
        self.clock = clock
        self.random = random
    }

    /// Starts a login: discovers the provider (cached), stores the pending login and returns
    /// where to redirect and what cookie to set.
    public func startLogin(returnTo: String? = nil) async throws(OIDCError) -> OIDCLoginStart {
        let now = clock.timeSinceEpoch()
        let metadata = try await cache.metadata(configuration: configuration, transport: transport, now: now)
        let start = OIDCAuthorizationRequest.make(
            configuration: configuration, metadata: metadata, returnTo: returnTo, now: now, random: random
        )
        do {
            try await store.insert(start.pending, key: start.pending.state, expiresAt: start.pending.expiresAt, now: now)
        } catch {
            throw .stateStore
        }
        return start
    }

    /// Finishes a login from the callback: consumes the pending login (once), checks the
    /// browser binding and the response, exchanges the code, verifies the ID token and
    /// (optionally) merges userinfo. Throws `OIDCError` for every refusal.
    ///
    /// - Parameter logger: the request's logger; refusals are logged at `notice` with
    ///   `fg.tenant`, `fg.sso.connection` and `fg.sso.refusal` (never a token or code).
    public func finishLogin(
        callback: OIDCCallback, browserBinding: String?, clientSecret: SSOSecret, logger: Logger = SSOLogging.silent
    ) async throws(OIDCError) -> OIDCLoginResult {
        do {
            let result = try await runCallback(callback: callback, browserBinding: browserBinding, clientSecret: clientSecret)
            logger.info("OIDC login", metadata: SSOLogging.metadata(tenant: configuration.tenant, connection: configuration.connection))
            return result
        } catch {
            var metadata = SSOLogging.metadata(tenant: configuration.tenant, connection: configuration.connection)
            metadata["fg.sso.refusal"] = "\(error)"
            logger.notice("OIDC login refused", metadata: metadata)
            throw error
        }
    }

    private func runCallback(
        callback: OIDCCallback, browserBinding: String?, clientSecret: SSOSecret
    ) async throws(OIDCError) -> OIDCLoginResult {
        let now = clock.timeSinceEpoch()
        guard let state = callback.state, !state.isEmpty, state.utf8.count <= 512 else { throw .stateUnknown }
        let taken: OIDCPendingLogin?
        do {
            taken = try await store.take(key: state, now: now)
        } catch {
            throw .stateStore
        }
        guard let pending = taken else { throw .stateUnknown }
        let metadata = try await cache.metadata(configuration: configuration, transport: transport, now: now)
        var machine = OIDCCallbackStateMachine(
            configuration: configuration, metadata: metadata, pending: pending, browserBinding: browserBinding,
            callback: callback, clientSecret: clientSecret, now: now
        )
        var action = machine.start()
        while true {
            switch action {
            case .exchangeCode(let request):
                action = machine.tokenResponseReceived(try await send(request, what: "token request"))
            case .verifySignature(let idToken, let kid, let alg):
                do throws(OIDCError) {
                    let key = try await cache.key(kid: kid, alg: alg, jwksURI: metadata.jwksURI, transport: transport, now: now)
                    try await IDTokenSignature.verify(try CompactJWS(idToken), with: key)
                    action = machine.signatureVerified()
                } catch {
                    action = machine.signatureFailed(error)
                }
            case .fetchUserinfo(let request):
                action = machine.userinfoReceived(try await send(request, what: "userinfo request"))
            case .succeed(let result):
                return result
            case .fail(let error):
                throw error
            }
        }
    }

    private func send(_ request: SSOHTTPRequest, what: String) async throws(OIDCError) -> SSOHTTPResponse {
        do {
            return try await transport.send(request)
        } catch {
            throw .transport("\(what) failed")
        }
    }
}
