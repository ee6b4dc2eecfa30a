import Crypto
import JSON

/// A login in progress, kept by the host (through a `PendingLoginStore`) between the
/// redirect to the provider and the callback. Its description shows nothing secret.
public struct OIDCPendingLogin: Sendable, CustomStringConvertible {
    /// The tenant and connection that started the login; the callback must reach the same.
    public var tenant: String
    public var connection: String
    /// The configured issuer at the time.
    public var issuer: String
    /// The redirect URI sent (and repeated in the token request).
    public var redirectURI: String
    /// The `state` sent to the provider (also the store key).
    public var state: String
    /// The `nonce` the ID token must carry.
    public var nonce: String
    /// The PKCE verifier (RFC 7636); secret until the code exchange.
    public var codeVerifier: String
    /// SHA-256 (hex) of the browser-binding cookie value.
    public var browserBindingHash: String
    /// Where the user wanted to go; the host validates it as a local path before use.
    public var returnTo: String?
    /// When the login started (since the epoch).
    public var createdAt: Duration
    /// When it expires (since the epoch).
    public var expiresAt: Duration

    public init(
        tenant: String, connection: String, issuer: String, redirectURI: String, state: String, nonce: String,
        codeVerifier: String, browserBindingHash: String, returnTo: String?, createdAt: Duration, expiresAt: Duration
    ) {
        self.tenant = tenant
        self.connection = connection
        self.issuer = issuer
        self.redirectURI = redirectURI
        self.state = state
        self.nonce = nonce
        self.codeVerifier = codeVerifier
        self.browserBindingHash = browserBindingHash
        self.returnTo = returnTo
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }

    public var description: String { "OIDCPendingLogin(tenant: \(tenant), connection: \(connection), <secrets redacted>)" }

    /// The record as JSON, for hosts that keep pending logins in their database.
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "tenant": .string(tenant), "connection": .string(connection), "issuer": .string(issuer),
            "redirect_uri": .string(redirectURI), "state": .string(state), "nonce": .string(nonce),
            "code_verifier": .string(codeVerifier), "binding": .string(browserBindingHash),
            "created_ms": .int(createdAt.milliseconds), "expires_ms": .int(expiresAt.milliseconds),
        ]
        if let returnTo { object["return_to"] = .string(returnTo) }
        return .object(object)
    }

    /// Reads a record written by `json`; nil when a field is missing.
    public init?(json: JSONValue) {
        guard let tenant = json["tenant"]?.stringValue, let connection = json["connection"]?.stringValue,
            let issuer = json["issuer"]?.stringValue, let redirectURI = json["redirect_uri"]?.stringValue,
            let state = json["state"]?.stringValue, let nonce = json["nonce"]?.stringValue,
            let verifier = json["code_verifier"]?.stringValue, let binding = json["binding"]?.stringValue,
            let created = json["created_ms"]?.intValue, let expires = json["expires_ms"]?.intValue
        else { return nil }
        self.init(
            tenant: tenant, connection: connection, issuer: issuer, redirectURI: redirectURI, state: state, nonce: nonce,
            codeVerifier: verifier, browserBindingHash: binding, returnTo: json["return_to"]?.stringValue,
            createdAt: .milliseconds(created), expiresAt: .milliseconds(expires)
        )
    }
}

extension Duration {
    /// Whole milliseconds (truncated).
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    /// Whole seconds (truncated toward negative infinity for negative values is not needed here).
    var wholeSeconds: Int64 { components.seconds }
}

/// What the host does to start a login: redirect the browser and set a cookie.
public struct OIDCLoginStart: Sendable, CustomStringConvertible {
    /// Where to redirect the browser (302).
    public var authorizationURL: String
    /// The value of the short-lived browser-binding cookie: set it HttpOnly, Secure,
    /// SameSite=Lax, Path=/sso/{tenant}/{idp}, Max-Age=`cookieMaxAge`, and hand it back on the callback.
    public var browserBinding: String
    /// The cookie's lifetime (the login lifetime).
    public var cookieMaxAge: Duration
    /// The record stored server-side; exposed for hosts that persist it themselves.
    public var pending: OIDCPendingLogin

    public var description: String { "OIDCLoginStart(<redacted>)" }
}

/// Builds the authorization request: pure, given the metadata, a clock reading and randomness.
public enum OIDCAuthorizationRequest {
    /// The redirect URL and the pending-login record for a new login.
    public static func make(
        configuration: OIDCConfiguration, metadata: OIDCProviderMetadata, returnTo: String?, now: Duration,
        random: any SSORandom
    ) -> OIDCLoginStart {
        let state = SSOSupport.randomToken(random)
        let nonce = SSOSupport.randomToken(random)
        // 32 random bytes give a 43-character verifier, inside RFC 7636's 43...128.
        let verifier = SSOSupport.randomToken(random)
        let binding = SSOSupport.randomToken(random)
        let challenge = Base64.encode(Array(SHA256.hash(data: Array(verifier.utf8))), url: true)
        var scopes = configuration.scopes
        if !scopes.contains("openid") { scopes.insert("openid", at: 0) }
        let url = FormEncoding.appendQuery(
            metadata.authorizationEndpoint,
            [
                ("response_type", "code"),
                ("client_id", configuration.clientID),
                ("redirect_uri", configuration.redirectURI),
                ("scope", scopes.joined(separator: " ")),
                ("state", state),
                ("nonce", nonce),
                ("code_challenge", challenge),
                ("code_challenge_method", "S256"),
            ]
        )
        let pending = OIDCPendingLogin(
            tenant: configuration.tenant, connection: configuration.connection, issuer: configuration.issuer,
            redirectURI: configuration.redirectURI, state: state, nonce: nonce, codeVerifier: verifier,
            browserBindingHash: SSOSupport.sha256Hex(binding), returnTo: returnTo, createdAt: now,
            expiresAt: now + configuration.loginLifetime
        )
        return OIDCLoginStart(
            authorizationURL: url, browserBinding: binding, cookieMaxAge: configuration.loginLifetime, pending: pending
        )
    }
}

/// The parameters of the authorization response (the callback's query).
public struct OIDCCallback: Sendable, CustomStringConvertible {
    /// `state`: the key of the pending login.
    public var state: String?
    /// `code`: the authorization code (secret).
    public var code: String?
    /// `error`: the provider's error code, when it refused.
    public var error: String?
    /// RFC 9207's `iss` parameter.
    public var issuer: String?

    public init(state: String?, code: String?, error: String? = nil, issuer: String? = nil) {
        self.state = state
        self.code = code
        self.error = error
        self.issuer = issuer
    }

    /// Reads the callback's raw query string (without `?`). Repeated parameters are refused:
    /// a second `state` or `code` is either a bug or an attack.
    public init(query: String) throws(OIDCError) {
        guard let pairs = FormEncoding.decode(query) else { throw .malformedCallback("callback query is badly escaped") }
        var seen = Set<String>()
        var values: [String: String] = [:]
        for (key, value) in pairs where ["state", "code", "error", "iss"].contains(key) {
            guard seen.insert(key).inserted else { throw .malformedCallback("callback repeats \(key)") }
            values[key] = value
        }
        self.init(state: values["state"], code: values["code"], error: values["error"], issuer: values["iss"])
    }

    public var description: String { "OIDCCallback(state: \(state == nil ? "absent" : "present"), code: <redacted>)" }
}

/// A finished login.
public struct OIDCLoginResult: Sendable, CustomStringConvertible {
    /// Who signed in.
    public var identity: SSOIdentity
    /// The `returnTo` given when the login started.
    public var returnTo: String?
    public var description: String { "OIDCLoginResult(\(identity))" }
}
