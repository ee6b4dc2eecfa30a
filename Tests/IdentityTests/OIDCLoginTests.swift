import AsyncHTTPClient
import NIOHTTP1
import FlowgateTesting
import Foundation
import Identity
import Testing

/// Complete logins against a real Authlib OpenID provider (peers/oidc_op.py) on loopback,
/// driven like a browser, through `OIDCRelyingParty`.
struct OIDCHarness {
    let peer: Peer
    let browser: Browser
    let clock: TestClock
    let store: InMemoryPendingLoginStore<OIDCPendingLogin>
    let cache: OIDCProviderCache
    let configuration: OIDCConfiguration
    let secret: SSOSecret
    let client: HTTPClient

    init(
        peer: Peer, client: HTTPClient, tenant: String = "acme", connection: String = "corp-oidc",
        clientID: String = "flowgate-acme", secret: String = "s3cret-acme",
        authentication: OIDCConfiguration.ClientAuthentication = .clientSecretBasic, userinfo: Bool = false,
        store: InMemoryPendingLoginStore<OIDCPendingLogin> = .init(), clock: TestClock = TestClock()
    ) async throws {
        self.peer = peer
        self.client = client
        self.browser = Browser(client: client)
        self.clock = clock
        self.store = store
        self.secret = SSOSecret(secret)
        self.configuration = OIDCConfiguration(
            tenant: tenant, connection: connection, issuer: peer.baseURL, clientID: clientID,
            redirectURI: "http://127.0.0.1:9/sso/\(tenant)/\(connection)/callback",
            scopes: ["openid", "email", "profile", "groups"], clientAuthentication: authentication,
            fetchUserinfo: userinfo, allowLoopbackHTTP: true
        )
        self.cache = OIDCProviderCache(configuration: configuration)
        let registration = """
            {"client_id": "\(clientID)", "client_secret": "\(secret)", "redirect_uris": ["\(configuration.redirectURI)"]}
            """
        _ = try await browser.request(.POST, peer.baseURL + "/admin/clients", json: registration)
    }

    var relyingParty: OIDCRelyingParty {
        OIDCRelyingParty(
            configuration: configuration, cache: cache, store: store,
            transport: AsyncHTTPClientTransport(client: client), clock: clock
        )
    }

    /// Starts a login, lets the "browser" follow the provider's redirects up to our callback URL,
    /// and returns the start record and the callback query.
    func authorize() async throws -> (start: OIDCLoginStart, callbackQuery: String) {
        let start = try await relyingParty.startLogin(returnTo: "/workflows")
        let callbackURL = try await browser.follow(start.authorizationURL, until: configuration.redirectURI)
        return (start, Browser.rawQuery(of: callbackURL))
    }

    /// A whole login, as the gateway would run it.
    func login(via rp: OIDCRelyingParty? = nil) async throws -> OIDCLoginResult {
        let (start, query) = try await authorize()
        return try await (rp ?? relyingParty).finishLogin(
            callback: try OIDCCallback(query: query), browserBinding: start.browserBinding, clientSecret: secret
        )
    }

    func setMode(_ mode: String) async throws {
        _ = try await browser.request(.POST, peer.baseURL + "/admin/mode", json: "{\"mode\": \"\(mode)\"}")
    }

    func stats() async throws -> [String: Any] {
        let response = try await browser.request(.GET, peer.baseURL + "/admin/stats")
        return try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any] ?? [:]
    }
}

@Suite("OIDC relying party against a real provider", .enabled(if: Peer.available, "needs the test peers: run make test, or set FLOWGATE_PYTHON"))
struct OIDCLoginTests {
    @Test("client_secret_basic login yields the identity; the callback cannot be replayed")
    func basicLogin() async throws {
        try await withHTTPClient { client in
            try await Peer.with("oidc_op.py") { peer in
                let harness = try await OIDCHarness(peer: peer, client: client)
                let (start, query) = try await harness.authorize()
                #expect(start.authorizationURL.contains("code_challenge_method=S256"))
                let callback = try OIDCCallback(query: query)
                #expect(callback.issuer == peer.baseURL)
                let result = try await harness.relyingParty.finishLogin(
                    callback: callback, browserBinding: start.browserBinding, clientSecret: harness.secret
                )
                #expect(result.identity.issuer == peer.baseURL)
                #expect(result.identity.subject == "user-0001")
                #expect(result.identity.email == "ada@example.test")
                #expect(result.identity.name == "Ada Lovelace")
                #expect(result.identity.groups == ["engineering", "flowgate-admins"])
                #expect(result.identity.tenant == "acme")
                #expect(result.returnTo == "/workflows")
                #expect(!result.identity.description.contains("user-0001"))

                // The same callback again: the state was used once and is gone.
                let replay = await refusal(OIDCError.self) {
                    try await harness.relyingParty.finishLogin(
                        callback: callback, browserBinding: start.browserBinding, clientSecret: harness.secret
                    )
                }
                #expect(replay == .stateUnknown)
            }
        }
    }

    @Test("client_secret_post with userinfo merged into the claims")
    func postLoginWithUserinfo() async throws {
        try await withHTTPClient { client in
            try await Peer.with("oidc_op.py") { peer in
                let harness = try await OIDCHarness(peer: peer, client: client, authentication: .clientSecretPost, userinfo: true)
                let result = try await harness.login()
                #expect(result.identity.subject == "user-0001")
                #expect(result.identity.groups == ["engineering", "flowgate-admins", "from-userinfo"])

                try await harness.setMode("userinfo_other_sub")
                let error = await refusal(OIDCError.self) { try await harness.login() }
                #expect(error == .userinfo(""))
            }
        }
    }

    @Test("a key rotated at the provider is picked up through a rate-limited kid refetch")
    func keyRotation() async throws {
        try await withHTTPClient { client in
            try await Peer.with("oidc_op.py") { peer in
                let harness = try await OIDCHarness(peer: peer, client: client)
                _ = try await harness.login()
                #expect(try await harness.stats()["jwks_fetches"] as? Int == 1)

                // Cached keys serve the next login without a fetch.
                _ = try await harness.login()
                #expect(try await harness.stats()["jwks_fetches"] as? Int == 1)

                // Rotate mid-test, a minute after the first fetch (a refetch within the interval
                // would be rate limited): the unknown kid triggers exactly one refetch and succeeds.
                harness.clock.advance(by: .seconds(61))
                _ = try await harness.browser.request(.POST, peer.baseURL + "/admin/rotate")
                let afterRotation = try await harness.login()
                #expect(afterRotation.identity.subject == "user-0001")
                #expect(try await harness.stats()["jwks_fetches"] as? Int == 2)

                // A token under a key the provider never publishes: refused, and the refetch it
                // would trigger is rate limited (the last fetch was just now).
                try await harness.setMode("unknown_kid")
                #expect(await refusal(OIDCError.self) { try await harness.login() } == .unknownKey)
                #expect(await refusal(OIDCError.self) { try await harness.login() } == .unknownKey)
                #expect(try await harness.stats()["jwks_fetches"] as? Int == 2)

                // Once the interval has passed, one more refetch is allowed, and only one.
                harness.clock.advance(by: .seconds(61))
                #expect(await refusal(OIDCError.self) { try await harness.login() } == .unknownKey)
                #expect(await refusal(OIDCError.self) { try await harness.login() } == .unknownKey)
                #expect(try await harness.stats()["jwks_fetches"] as? Int == 3)

                try await harness.setMode("normal")
                #expect(try await harness.login().identity.subject == "user-0001")
            }
        }
    }

    @Test("a wrong or missing PKCE verifier is refused at the provider's token endpoint")
    func pkceVerifier() async throws {
        try await withHTTPClient { client in
            try await Peer.with("oidc_op.py") { peer in
                let harness = try await OIDCHarness(peer: peer, client: client)
                // The provider requires S256 and checks the verifier against the challenge it was given.
                for verifier in ["a-different-verifier-of-valid-length-0123456789", ""] {
                    let (start, query) = try await harness.authorize()
                    let now = harness.clock.timeSinceEpoch()
                    var pending = try #require(await harness.store.take(key: start.pending.state, now: now))
                    pending.codeVerifier = verifier
                    try await harness.store.insert(pending, key: pending.state, expiresAt: pending.expiresAt, now: now)
                    let error = await refusal(OIDCError.self) {
                        try await harness.relyingParty.finishLogin(
                            callback: try OIDCCallback(query: query), browserBinding: start.browserBinding, clientSecret: harness.secret
                        )
                    }
                    #expect(error == .tokenEndpoint(status: 400, error: nil), "verifier \(verifier.isEmpty ? "missing" : "wrong"): \(String(describing: error))")
                }
                // The untouched flow still works, so the refusals above were the verifier's doing.
                #expect(try await harness.login().identity.subject == "user-0001")
            }
        }
    }

    @Test("bad ID tokens are refused, each for its own reason")
    func badIDTokens() async throws {
        let cases: [(mode: String, error: OIDCError)] = [
            ("alg_none", .algorithmNotAllowed("none")),
            ("hs256_public_key", .algorithmNotAllowed("HS256")),
            ("bad_signature", .signature),
            ("wrong_aud", .audience),
            ("multi_aud_no_azp", .audience),
            ("expired", .expired),
            ("iat_future", .issuedAt),
            ("wrong_nonce", .nonce),
            ("subject_swap", .nonce),
            ("wrong_issuer_token", .issuer),
            ("bad_at_hash", .accessTokenHash),
        ]
        try await withHTTPClient { client in
            try await Peer.with("oidc_op.py") { peer in
                let harness = try await OIDCHarness(peer: peer, client: client)
                _ = try await harness.login()
                for (mode, expected) in cases {
                    try await harness.setMode(mode)
                    var identity: SSOIdentity?
                    let error = await refusal(OIDCError.self) { identity = try await harness.login().identity }
                    #expect(error == expected, "mode \(mode): \(String(describing: error))")
                    #expect(identity == nil)
                }
            }
        }
    }

    @Test("multiple audiences pass only with azp naming us and the extra audience trusted")
    func multipleAudiences() async throws {
        try await withHTTPClient { client in
            try await Peer.with("oidc_op.py") { peer in
                let harness = try await OIDCHarness(peer: peer, client: client)
                try await harness.setMode("multi_aud_no_azp")
                var trusting = harness.configuration
                trusting.trustedAudiences = ["another-client"]
                let rp = OIDCRelyingParty(
                    configuration: trusting, cache: harness.cache, store: harness.store,
                    transport: AsyncHTTPClientTransport(client: client), clock: harness.clock
                )
                // Extra audience trusted, but no azp: still refused (OIDC Core §3.1.3.7 step 4-5).
                #expect(await refusal(OIDCError.self) { try await harness.login(via: rp) } == .authorizedParty)
            }
        }
    }

    @Test("issuer mix-up: wrong issuer in discovery, wrong or missing iss parameter")
    func issuerMixUp() async throws {
        try await withHTTPClient { client in
            try await Peer.with("oidc_op.py") { peer in
                let harness = try await OIDCHarness(peer: peer, client: client)
                try await harness.setMode("wrong_issuer_discovery")
                #expect(await refusal(OIDCError.self) { try await harness.relyingParty.startLogin() } == .issuerMismatch)

                try await harness.setMode("wrong_iss_param")
                #expect(await refusal(OIDCError.self) { try await harness.login() } == .issuerParameter)

                // The provider advertises RFC 9207 support, so a missing iss is refused too.
                try await harness.setMode("no_iss_param")
                #expect(await refusal(OIDCError.self) { try await harness.login() } == .issuerParameter)
            }
        }
    }

    @Test("state is bound to the browser, expires, and belongs to one tenant")
    func stateBinding() async throws {
        try await withHTTPClient { client in
            try await Peer.with("oidc_op.py") { peer in
                let store = InMemoryPendingLoginStore<OIDCPendingLogin>()
                let clock = TestClock()
                let acme = try await OIDCHarness(peer: peer, client: client, store: store, clock: clock)
                let globex = try await OIDCHarness(
                    peer: peer, client: client, tenant: "globex", connection: "corp-oidc", clientID: "flowgate-globex",
                    secret: "s3cret-globex", store: store, clock: clock
                )

                // Another browser (wrong or missing cookie) cannot finish the login.
                var (start, query) = try await acme.authorize()
                #expect(
                    await refusal(OIDCError.self) {
                        try await acme.relyingParty.finishLogin(
                            callback: try OIDCCallback(query: query), browserBinding: "someone-elses-cookie", clientSecret: acme.secret)
                    } == .browserBinding)
                (start, query) = try await acme.authorize()
                #expect(
                    await refusal(OIDCError.self) {
                        try await acme.relyingParty.finishLogin(
                            callback: try OIDCCallback(query: query), browserBinding: nil, clientSecret: acme.secret)
                    } == .browserBinding)

                // A forged state is unknown; an expired login is gone.
                #expect(
                    await refusal(OIDCError.self) {
                        try await acme.relyingParty.finishLogin(
                            callback: OIDCCallback(state: "forged", code: "x", issuer: peer.baseURL),
                            browserBinding: start.browserBinding, clientSecret: acme.secret)
                    } == .stateUnknown)
                (start, query) = try await acme.authorize()
                clock.advance(by: .seconds(601))
                #expect(
                    await refusal(OIDCError.self) {
                        try await acme.relyingParty.finishLogin(
                            callback: try OIDCCallback(query: query), browserBinding: start.browserBinding, clientSecret: acme.secret)
                    } == .stateUnknown)
                clock.advance(by: .seconds(-601))

                // Tenant binding: acme's login answered at globex's callback is refused.
                (start, query) = try await acme.authorize()
                #expect(
                    await refusal(OIDCError.self) {
                        try await globex.relyingParty.finishLogin(
                            callback: try OIDCCallback(query: query), browserBinding: start.browserBinding, clientSecret: globex.secret)
                    } == .connectionMismatch)

                // A duplicated parameter in the callback is refused before anything else.
                #expect(throws: OIDCError.malformedCallback("")) { try OIDCCallback(query: query + "&state=other") }
                // Sanity: acme itself still logs in.
                #expect(try await acme.login().identity.tenant == "acme")
                #expect(try await globex.login().identity.tenant == "globex")
            }
        }
    }

    @Test("an ID token minted for one tenant's client is refused under another tenant's configuration")
    func tenantBoundIDToken() async throws {
        try await withHTTPClient { client in
            try await Peer.with("oidc_op.py") { peer in
                let acme = try await OIDCHarness(peer: peer, client: client)
                let globex = try await OIDCHarness(
                    peer: peer, client: client, tenant: "globex", connection: "corp-oidc", clientID: "flowgate-globex",
                    secret: "s3cret-globex"
                )
                // Run acme's flow up to the token response, then hand that response to a state
                // machine configured as globex (as if the host mixed up connections).
                let (start, query) = try await acme.authorize()
                let metadata = OIDCProviderMetadata(
                    issuer: peer.baseURL, authorizationEndpoint: peer.baseURL + "/authorize",
                    tokenEndpoint: peer.baseURL + "/token", jwksURI: peer.baseURL + "/jwks", issuerParameterSupported: true
                )
                var acmeMachine = OIDCCallbackStateMachine(
                    configuration: acme.configuration, metadata: metadata, pending: start.pending,
                    browserBinding: start.browserBinding, callback: try OIDCCallback(query: query), clientSecret: acme.secret,
                    now: acme.clock.timeSinceEpoch()
                )
                guard case .exchangeCode(let tokenRequest) = acmeMachine.start() else {
                    Issue.record("expected a token request")
                    return
                }
                let tokenResponse = try await AsyncHTTPClientTransport(client: client).send(tokenRequest)

                var globexPending = start.pending
                globexPending.tenant = "globex"
                globexPending.redirectURI = globex.configuration.redirectURI
                var globexMachine = OIDCCallbackStateMachine(
                    configuration: globex.configuration, metadata: metadata, pending: globexPending,
                    browserBinding: start.browserBinding, callback: try OIDCCallback(query: query), clientSecret: globex.secret,
                    now: globex.clock.timeSinceEpoch()
                )
                _ = globexMachine.start()
                guard case .verifySignature = globexMachine.tokenResponseReceived(tokenResponse) else {
                    Issue.record("expected a signature check")
                    return
                }
                // Even with a valid signature, the audience is acme's client, not globex's.
                guard case .fail(let error) = globexMachine.signatureVerified() else {
                    Issue.record("globex accepted acme's ID token")
                    return
                }
                #expect(error == .audience)
            }
        }
    }
}
