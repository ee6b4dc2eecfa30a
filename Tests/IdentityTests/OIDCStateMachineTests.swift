import JSON
import Synchronization
import Testing

import FlowgateTesting
@testable import Identity

/// Deterministic randomness: a counter, so every call differs.
final class CountingRandom: SSORandom {
    private let next = Mutex<UInt8>(0)
    func bytes(_ count: Int) -> [UInt8] {
        next.withLock { value in
            value &+= 1
            return [UInt8](repeating: value, count: count)
        }
    }
}

/// The OIDC pure pieces, with no network: the callback state machine, claim checks, discovery
/// parsing and the JWKS cache decisions.
@Suite("OIDC state machine (no network)")
struct OIDCStateMachineTests {
    static let now: Duration = .seconds(1_800_000_000)
    static let configuration = OIDCConfiguration(
        tenant: "acme", connection: "okta", issuer: "https://idp.example", clientID: "client:one",
        redirectURI: "https://flowgate.example/sso/acme/okta/callback"
    )
    static let metadata = OIDCProviderMetadata(
        issuer: "https://idp.example", authorizationEndpoint: "https://idp.example/authorize",
        tokenEndpoint: "https://idp.example/token", jwksURI: "https://idp.example/jwks", issuerParameterSupported: true
    )

    static func start() -> OIDCLoginStart {
        OIDCAuthorizationRequest.make(configuration: configuration, metadata: metadata, returnTo: "/x", now: now, random: CountingRandom())
    }

    static func machine(
        _ start: OIDCLoginStart, callback: OIDCCallback? = nil, binding: String? = nil, now: Duration = now,
        configuration: OIDCConfiguration = configuration
    ) -> OIDCCallbackStateMachine {
        OIDCCallbackStateMachine(
            configuration: configuration, metadata: metadata, pending: start.pending,
            browserBinding: binding ?? start.browserBinding,
            callback: callback ?? OIDCCallback(state: start.pending.state, code: "the-code", issuer: "https://idp.example"),
            clientSecret: SSOSecret("p@ss word"), now: now
        )
    }

    static func token(header: JSONValue = ["alg": "RS256", "kid": "k1"], claims: JSONValue) -> [UInt8] {
        let jws = Base64.encode(header.serializedBytes(), url: true) + "." + Base64.encode(claims.serializedBytes(), url: true) + ".c2ln"
        let body: JSONValue = ["token_type": "Bearer", "access_token": "jHkWEdUXMU1BwAsC4vtUsZwnNqZ1PbE9", "id_token": .string(jws)]
        return body.serializedBytes()
    }

    static func claims(_ start: OIDCLoginStart, _ changes: [String: JSONValue] = [:]) -> JSONValue {
        var claims: [String: JSONValue] = [
            "iss": "https://idp.example", "sub": "u1", "aud": "client:one", "exp": .int(now.wholeSeconds + 300),
            "iat": .int(now.wholeSeconds - 5), "nonce": .string(start.pending.nonce), "at_hash": "RWm1xhq483f_ENMykuNczA",
            "email": "u1@example.test", "groups": ["a", "b", "a"],
        ]
        for (key, value) in changes { claims[key] = value.isNull ? nil : value }
        return .object(claims)
    }

    /// Runs the machine to the end with the given token response; the signature is taken as verified.
    static func finish(_ start: OIDCLoginStart, tokenBody: [UInt8], now: Duration = now) -> OIDCCallbackStateMachine.Action {
        var machine = machine(start, now: now)
        guard case .exchangeCode = machine.start() else { return .fail(.stateUnknown) }
        let action = machine.tokenResponseReceived(SSOHTTPResponse(status: 200, body: tokenBody))
        guard case .verifySignature = action else { return action }
        return machine.signatureVerified()
    }

    @Test("the authorization request carries PKCE S256, state, nonce and the redirect URI")
    func authorizationRequest() {
        let start = Self.start()
        let url = start.authorizationURL
        #expect(url.hasPrefix("https://idp.example/authorize?response_type=code&client_id=client%3Aone"))
        #expect(url.contains("code_challenge_method=S256"))
        #expect(url.contains("state=\(start.pending.state)"))
        #expect(url.contains("nonce=\(start.pending.nonce)"))
        #expect(!url.contains(start.pending.codeVerifier))
        #expect(start.pending.codeVerifier.utf8.count == 43)
        #expect(start.pending.browserBindingHash != start.browserBinding)
        #expect(!start.description.contains(start.browserBinding))
        #expect(!start.pending.description.contains(start.pending.codeVerifier))
        let restored = OIDCPendingLogin(json: start.pending.json)
        #expect(restored?.codeVerifier == start.pending.codeVerifier)
        #expect(restored?.expiresAt == start.pending.expiresAt)
    }

    @Test("client_secret_basic form-encodes id and secret; the body carries the PKCE verifier")
    func tokenRequest() throws {
        let start = Self.start()
        var machine = Self.machine(start)
        guard case .exchangeCode(let request) = machine.start() else {
            Issue.record("expected the token request")
            return
        }
        #expect(request.url == "https://idp.example/token")
        let auth = request.headers.first { $0.0 == "Authorization" }?.1
        #expect(auth == "Basic " + Base64.encode(Array("client%3Aone:p%40ss%20word".utf8)))
        let body = String(decoding: request.body ?? [], as: UTF8.self)
        #expect(body.contains("code_verifier=\(start.pending.codeVerifier)"))
        #expect(body.contains("grant_type=authorization_code"))
        #expect(!request.description.contains("p@ss"))

        var post = Self.configuration
        post.clientAuthentication = .clientSecretPost
        var postMachine = Self.machine(start, configuration: post)
        guard case .exchangeCode(let postRequest) = postMachine.start() else { return }
        #expect(!postRequest.headers.contains { $0.0 == "Authorization" })
        #expect(String(decoding: postRequest.body ?? [], as: UTF8.self).contains("client_secret=p%40ss%20word"))
    }

    @Test("callback checks: binding, state, RFC 9207 iss, provider errors, expiry")
    func callbackChecks() {
        let start = Self.start()
        func outcome(_ machine: OIDCCallbackStateMachine) -> OIDCError? {
            var machine = machine
            if case .fail(let error) = machine.start() { return error }
            return nil
        }
        #expect(outcome(Self.machine(start)) == nil)
        #expect(outcome(Self.machine(start, binding: "x")) == .browserBinding)
        #expect(outcome(Self.machine(start, callback: OIDCCallback(state: "other", code: "c", issuer: "https://idp.example"))) == .stateUnknown)
        #expect(outcome(Self.machine(start, callback: OIDCCallback(state: start.pending.state, code: "c", issuer: "https://evil.example"))) == .issuerParameter)
        #expect(outcome(Self.machine(start, callback: OIDCCallback(state: start.pending.state, code: "c", issuer: nil))) == .issuerParameter)
        #expect(
            outcome(Self.machine(start, callback: OIDCCallback(state: start.pending.state, code: nil, error: "access_denied", issuer: "https://idp.example")))
                == .providerError(""))
        #expect(outcome(Self.machine(start, callback: OIDCCallback(state: start.pending.state, code: nil, issuer: "https://idp.example"))) == .missingCode)
        #expect(outcome(Self.machine(start, now: Self.now + .seconds(601))) == .stateUnknown)
        var other = Self.configuration
        other.tenant = "globex"
        #expect(outcome(Self.machine(start, configuration: other)) == .connectionMismatch)
    }

    @Test("ID token claims: accepted shape, then one defect at a time")
    func claimChecks() {
        let start = Self.start()
        func result(_ changes: [String: JSONValue], header: JSONValue = ["alg": "RS256", "kid": "k1"], now: Duration = OIDCStateMachineTests.now) -> OIDCError? {
            switch Self.finish(start, tokenBody: Self.token(header: header, claims: Self.claims(start, changes)), now: now) {
            case .succeed: return nil
            case .fail(let error): return error
            default: return .stateUnknown
            }
        }
        #expect(result([:]) == nil)
        if case .succeed(let login) = Self.finish(start, tokenBody: Self.token(claims: Self.claims(start))) {
            #expect(login.identity.groups == ["a", "b"])
            #expect(login.identity.email == "u1@example.test")
            #expect(login.returnTo == "/x")
        }
        #expect(result([:], header: ["alg": "none"]) == .algorithmNotAllowed("none"))
        #expect(result([:], header: ["alg": "HS256", "kid": "k1"]) == .algorithmNotAllowed("HS256"))
        #expect(result(["iss": "https://idp.example/"]) == .issuer)
        #expect(result(["aud": "someone"]) == .audience)
        #expect(result(["aud": ["client:one", "other"]]) == .audience)
        #expect(result(["aud": ["client:one"], "azp": "other"]) == .authorizedParty)
        #expect(result(["exp": .int(Self.now.wholeSeconds - 61)]) == .expired)
        #expect(result(["exp": .int(Self.now.wholeSeconds - 59)]) == nil)  // within skew
        #expect(result(["iat": .int(Self.now.wholeSeconds + 120)]) == .issuedAt)
        #expect(result(["iat": .int(Self.now.wholeSeconds - 3600)]) == .issuedAt)
        #expect(result(["nonce": "other"]) == .nonce)
        #expect(result(["nonce": nil]) == .nonce)
        #expect(result(["at_hash": "AAAAAAAAAAAAAAAAAAAAAA"]) == .accessTokenHash)
        #expect(result(["sub": nil]) == .missingClaim("sub"))
    }

    @Test("at_hash is the left half of SHA-256, base64url")
    func accessTokenHash() {
        #expect(IDTokenClaims.accessTokenHash("jHkWEdUXMU1BwAsC4vtUsZwnNqZ1PbE9", alg: "RS256") == "RWm1xhq483f_ENMykuNczA")
    }

    @Test("discovery: exact issuer, https endpoints, S256")
    func discovery() {
        func parse(_ document: JSONValue, loopback: Bool = false) -> OIDCError? {
            do {
                _ = try OIDCProviderMetadata.parse(
                    SSOHTTPResponse(status: 200, body: document.serializedBytes()), expectedIssuer: "https://idp.example",
                    allowLoopbackHTTP: loopback
                )
                return nil
            } catch {
                return error
            }
        }
        let good: [String: JSONValue] = [
            "issuer": "https://idp.example", "authorization_endpoint": "https://idp.example/a",
            "token_endpoint": "https://idp.example/t", "jwks_uri": "https://idp.example/k",
        ]
        #expect(parse(.object(good)) == nil)
        var changed = good
        changed["issuer"] = "https://idp.example/"
        #expect(parse(.object(changed)) == .issuerMismatch)
        changed = good
        changed["token_endpoint"] = "http://idp.example/t"
        #expect(parse(.object(changed)) == .insecureEndpoint(""))
        changed["token_endpoint"] = "http://127.0.0.1:8080/t"
        #expect(parse(.object(changed)) == .insecureEndpoint(""))
        #expect(parse(.object(changed), loopback: true) == nil)
        changed["token_endpoint"] = "http://127.0.0.1.evil.example/t"
        #expect(parse(.object(changed), loopback: true) == .insecureEndpoint(""))
        changed = good
        changed["code_challenge_methods_supported"] = ["plain"]
        #expect(parse(.object(changed)) == .discovery(""))
    }

    @Test("JWKS cache: unknown kids refetch at most once per interval")
    func jwksRateLimit() {
        let key = VerificationKey(kid: "k1", keyType: "RSA", algorithm: nil, json: "{}")
        var state = JWKSCacheState(refetchInterval: .seconds(60), maxAge: .seconds(3600))
        let t0: Duration = .seconds(1000)
        #expect(state.decide(kid: "k1", alg: "RS256", now: t0, mayFetch: true) == .fetch)
        state.attempted(at: t0)
        state.fetched([key], at: t0)
        #expect(state.decide(kid: "k1", alg: "RS256", now: t0, mayFetch: true) == .use(key))
        #expect(state.decide(kid: "k1", alg: "ES256", now: t0, mayFetch: true) == .algorithmMismatch)
        #expect(state.decide(kid: "k2", alg: "RS256", now: t0 + .seconds(10), mayFetch: true) == .unknownKey)
        #expect(state.decide(kid: "k2", alg: "RS256", now: t0 + .seconds(60), mayFetch: true) == .fetch)
        #expect(state.decide(kid: "k2", alg: "RS256", now: t0 + .seconds(60), mayFetch: false) == .unknownKey)
        #expect(state.decide(kid: "k1", alg: "RS256", now: t0 + .seconds(3600), mayFetch: true) == .fetch)
        #expect(state.decide(kid: nil, alg: "RS256", now: t0 + .seconds(10), mayFetch: true) == .use(key))
    }

    @Test("JWKS reading keeps only asymmetric signing keys")
    func jwksFiltering() throws {
        let document: JSONValue = [
            "keys": [
                ["kty": "oct", "kid": "h", "k": "c2VjcmV0"],
                ["kty": "RSA", "kid": "enc", "use": "enc", "n": "AQAB", "e": "AQAB"],
                ["kty": "RSA", "kid": "sig", "n": "AQAB", "e": "AQAB"],
                ["kty": "EC", "kid": "ec", "crv": "P-256", "x": "AA", "y": "AA", "d": "AA"],
            ]
        ]
        let keys = try VerificationKey.parseSet(document.serializedBytes())
        #expect(keys.map(\.kid) == ["sig"])
        #expect(!keys[0].accepts("HS256"))
        #expect(keys[0].accepts("PS256"))
    }
}
