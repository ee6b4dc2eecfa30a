import JSON

/// The callback half of the authorization code flow as a pure state machine.
///
/// It never performs IO: each step returns an action (make this HTTP request, verify this
/// signature, finish) and the IO layer (`OIDCRelyingParty`) feeds the result back. Tests drive
/// it with canned responses and no network.
///
/// ```
/// start() -> exchangeCode -> tokenResponseReceived -> verifySignature
///   -> signatureVerified -> [fetchUserinfo -> userinfoReceived] -> succeed
/// ```
/// Any step may instead return `.fail`, after which every further input fails too.
public struct OIDCCallbackStateMachine: Sendable {
    /// What the IO layer must do next.
    public enum Action: Sendable {
        /// Send the token request and call `tokenResponseReceived`.
        case exchangeCode(SSOHTTPRequest)
        /// Find the key for `kid`/`alg` (JWKS cache) and verify the ID token's signature, then
        /// call `signatureVerified()` or `signatureFailed(_:)`.
        case verifySignature(idToken: String, kid: String?, alg: String)
        /// Send the userinfo request and call `userinfoReceived`.
        case fetchUserinfo(SSOHTTPRequest)
        /// The login succeeded.
        case succeed(OIDCLoginResult)
        /// The login is refused; no identity.
        case fail(OIDCError)
    }

    private enum State: Sendable {
        case initial
        case awaitingToken
        case awaitingSignature(jws: CompactJWS, accessToken: String)
        case awaitingUserinfo(claims: IDTokenClaims)
        case finished
    }

    private var state: State = .initial
    private let configuration: OIDCConfiguration
    private let metadata: OIDCProviderMetadata
    private let pending: OIDCPendingLogin
    private let browserBinding: String?
    private let callback: OIDCCallback
    private let clientSecret: SSOSecret
    private let now: Duration

    /// - Parameters:
    ///   - pending: the record taken (and so consumed) from the store under `callback.state`.
    ///   - browserBinding: the cookie value the browser presented, if any.
    ///   - now: the time of the callback (since the epoch).
    public init(
        configuration: OIDCConfiguration, metadata: OIDCProviderMetadata, pending: OIDCPendingLogin,
        browserBinding: String?, callback: OIDCCallback, clientSecret: SSOSecret, now: Duration
    ) {
        self.configuration = configuration
        self.metadata = metadata
        self.pending = pending
        self.browserBinding = browserBinding
        self.callback = callback
        self.clientSecret = clientSecret
        self.now = now
    }

    private mutating func fail(_ error: OIDCError) -> Action {
        state = .finished
        return .fail(error)
    }

    /// Checks the authorization response against the pending login; returns the token request.
    public mutating func start() -> Action {
        guard case .initial = state else { return fail(.stateUnknown) }
        guard pending.tenant == configuration.tenant, pending.connection == configuration.connection,
            pending.issuer == configuration.issuer, pending.redirectURI == configuration.redirectURI
        else { return fail(.connectionMismatch) }
        guard let browserBinding, SSOSupport.constantTimeEquals(SSOSupport.sha256Hex(browserBinding), pending.browserBindingHash)
        else { return fail(.browserBinding) }
        guard let returnedState = callback.state, SSOSupport.constantTimeEquals(returnedState, pending.state) else {
            return fail(.stateUnknown)
        }
        guard now < pending.expiresAt else { return fail(.stateUnknown) }
        // RFC 9207: checked before the error and code are trusted, so a mixed-up provider's
        // answer (error or code) is never acted upon.
        if let iss = callback.issuer {
            guard iss == metadata.issuer else { return fail(.issuerParameter) }
        } else if metadata.issuerParameterSupported {
            return fail(.issuerParameter)
        }
        if let error = callback.error { return fail(.providerError(error)) }
        guard let code = callback.code, !code.isEmpty else { return fail(.missingCode) }

        var form: [(String, String)] = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", pending.redirectURI),
            ("code_verifier", pending.codeVerifier),
        ]
        var headers: [(String, String)] = [
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Accept", "application/json"),
        ]
        switch configuration.clientAuthentication.method {
        case .basic:
            // RFC 6749 §2.3.1: both parts form-encoded before base64.
            let credentials = FormEncoding.percentEncode(configuration.clientID) + ":" + FormEncoding.percentEncode(clientSecret.value)
            headers.append(("Authorization", "Basic " + Base64.encode(Array(credentials.utf8))))
        case .post:
            form.append(("client_id", configuration.clientID))
            form.append(("client_secret", clientSecret.value))
        }
        state = .awaitingToken
        return .exchangeCode(
            SSOHTTPRequest(method: "POST", url: metadata.tokenEndpoint, headers: headers, body: Array(FormEncoding.encode(form).utf8))
        )
    }

    /// Reads the token response; returns the signature check to perform.
    public mutating func tokenResponseReceived(_ response: SSOHTTPResponse) -> Action {
        guard case .awaitingToken = state else { return fail(.tokenResponse("unexpected token response")) }
        let body = try? JSONValue.parse(response.body, limits: .init(maxDepth: 16))
        guard response.status == 200 else {
            return fail(.tokenEndpoint(status: response.status, error: body?["error"]?.stringValue))
        }
        guard let body, body.objectValue != nil else { return fail(.tokenResponse("token response is not a JSON object")) }
        guard body["token_type"]?.stringValue?.lowercased() == "bearer" else { return fail(.tokenResponse("token_type is not Bearer")) }
        guard let accessToken = body["access_token"]?.stringValue, !accessToken.isEmpty else {
            return fail(.tokenResponse("no access_token"))
        }
        guard let idToken = body["id_token"]?.stringValue else { return fail(.tokenResponse("no id_token")) }
        let jws: CompactJWS
        do throws(OIDCError) {
            jws = try CompactJWS(idToken)
        } catch {
            return fail(error)
        }
        guard let alg = jws.alg else { return fail(.malformedToken("ID token header has no alg")) }
        guard configuration.effectiveAlgorithms.contains(alg) else { return fail(.algorithmNotAllowed(alg)) }
        state = .awaitingSignature(jws: jws, accessToken: accessToken)
        return .verifySignature(idToken: idToken, kid: jws.kid, alg: alg)
    }

    /// The signature verified; checks the claims.
    public mutating func signatureVerified() -> Action {
        guard case .awaitingSignature(let jws, let accessToken) = state, let alg = jws.alg else {
            return fail(.signature)
        }
        let claims: IDTokenClaims
        do throws(OIDCError) {
            claims = try IDTokenClaims.validate(
                payload: jws.payload, alg: alg, configuration: configuration, nonce: pending.nonce,
                accessToken: accessToken, now: now
            )
        } catch {
            return fail(error)
        }
        if configuration.fetchUserinfo {
            guard let endpoint = metadata.userinfoEndpoint else { return fail(.userinfo("provider has no userinfo endpoint")) }
            state = .awaitingUserinfo(claims: claims)
            return .fetchUserinfo(
                SSOHTTPRequest(
                    method: "GET", url: endpoint,
                    headers: [("Authorization", "Bearer " + accessToken), ("Accept", "application/json")]
                )
            )
        }
        return succeed(claims.claims, subject: claims.subject)
    }

    /// The signature did not verify (or no key was found).
    public mutating func signatureFailed(_ error: OIDCError) -> Action {
        fail(error)
    }

    /// Merges the userinfo response; its `sub` must be the ID token's (OIDC Core §5.3.2).
    public mutating func userinfoReceived(_ response: SSOHTTPResponse) -> Action {
        guard case .awaitingUserinfo(let claims) = state else { return fail(.userinfo("unexpected userinfo response")) }
        guard response.status == 200 else { return fail(.userinfo("userinfo answered HTTP \(response.status)")) }
        guard case .object(let info)? = try? JSONValue.parse(response.body, limits: .init(maxDepth: 16)) else {
            return fail(.userinfo("userinfo is not a JSON object (signed userinfo is not supported)"))
        }
        guard info["sub"]?.stringValue == claims.subject else { return fail(.userinfo("userinfo names another subject")) }
        var merged = claims.claims
        for (name, value) in info {
            if let groupsClaim = configuration.groupsClaim, name == groupsClaim, let existing = merged[name] {
                merged[name] = .array(Self.strings(existing).map(JSONValue.string) + Self.strings(value).map(JSONValue.string))
            } else if merged[name] == nil {
                merged[name] = value
            }
        }
        return succeed(merged, subject: claims.subject)
    }

    private mutating func succeed(_ claims: [String: JSONValue], subject: String) -> Action {
        state = .finished
        let ignored: Set<String> = ["nonce", "at_hash", "c_hash", "aud", "azp", "exp", "iat", "auth_time", "iss", "sub"]
        var attributes: [String: [String]] = [:]
        for (name, value) in claims where !ignored.contains(name) {
            let values = Self.strings(value)
            if !values.isEmpty { attributes[name] = values }
        }
        let identity = SSOIdentity(
            tenant: configuration.tenant,
            connection: configuration.connection,
            issuer: configuration.issuer,
            subject: subject,
            email: claims["email"]?.stringValue,
            name: claims["name"]?.stringValue ?? claims["preferred_username"]?.stringValue,
            groups: configuration.groupsClaim.flatMap { claims[$0] }.map(Self.strings) ?? [],
            attributes: attributes
        )
        return .succeed(OIDCLoginResult(identity: identity, returnTo: pending.returnTo))
    }

    /// A string or an array of strings as a list; anything else is empty.
    static func strings(_ value: JSONValue) -> [String] {
        switch value {
        case .string(let s): return [s]
        case .array(let list): return list.compactMap(\.stringValue)
        default: return []
        }
    }
}
