/// Why an OpenID Connect login was refused. Messages never contain tokens, codes or secrets.
///
/// Every refusal means "no identity": the host answers with a generic login failure and logs
/// `description` (safe to log) with the tenant and connection.
public struct OIDCError: Error, Sendable, CustomStringConvertible, Equatable {
    private enum Code: String, Sendable {
        case discovery, issuerMismatch, insecureEndpoint
        case stateUnknown, browserBinding, connectionMismatch, providerError, issuerParameter, missingCode, malformedCallback
        case tokenEndpoint, tokenResponse
        case algorithmNotAllowed, unknownKey, keySet, signature, malformedToken
        case issuer, audience, authorizedParty, expired, issuedAt, nonce, accessTokenHash, missingClaim
        case userinfo, transport, stateStore
    }

    private let code: Code
    /// What went wrong, for logs and the problem detail. Never secret.
    public let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "OIDC \(code.rawValue): \(message)" }
    /// The refusal's short code (e.g. `nonce`, `wrapping`), for audit reasons and metrics.
    public var reason: String { code.rawValue }
    public static func == (a: OIDCError, b: OIDCError) -> Bool { a.code == b.code }

    /// Discovery document missing, malformed or unusable.
    public static func discovery(_ m: String) -> OIDCError { .init(.discovery, m) }
    /// The discovery document names another issuer than the one configured.
    public static let issuerMismatch = OIDCError(.issuerMismatch, "discovered issuer differs from the configured issuer")
    /// An endpoint is not https (and not an allowed loopback address).
    public static func insecureEndpoint(_ which: String) -> OIDCError { .init(.insecureEndpoint, "\(which) is not https") }
    /// No login in progress for this `state` (unknown, expired or already used).
    public static let stateUnknown = OIDCError(.stateUnknown, "no login in progress for this state (unknown, expired or used)")
    /// The callback arrived in a browser other than the one that started the login.
    public static let browserBinding = OIDCError(.browserBinding, "the login was started in another browser")
    /// The login was started for another tenant or connection.
    public static let connectionMismatch = OIDCError(.connectionMismatch, "the login belongs to another tenant or connection")
    /// The provider answered the authorization request with an error code.
    public static func providerError(_ code: String) -> OIDCError { .init(.providerError, "provider returned error \(sanitized(code))") }
    /// RFC 9207: the `iss` parameter is missing where required, or names another issuer.
    public static let issuerParameter = OIDCError(.issuerParameter, "authorization response iss parameter does not match the issuer (mix-up defense)")
    /// The callback has no `code`.
    public static let missingCode = OIDCError(.missingCode, "authorization response without code")
    /// The callback's query is malformed (duplicate or badly escaped parameters).
    public static func malformedCallback(_ m: String) -> OIDCError { .init(.malformedCallback, m) }
    /// The token endpoint refused the code exchange.
    public static func tokenEndpoint(status: Int, error: String?) -> OIDCError {
        .init(.tokenEndpoint, "token endpoint answered \(status)\(error.map { " (\(sanitized($0)))" } ?? "")")
    }
    /// The token response is not usable.
    public static func tokenResponse(_ m: String) -> OIDCError { .init(.tokenResponse, m) }
    /// The ID token's `alg` is not on the allow-list (includes `none` and HMAC).
    public static func algorithmNotAllowed(_ alg: String) -> OIDCError { .init(.algorithmNotAllowed, "ID token algorithm \(sanitized(alg)) is not allowed") }
    /// No key in the provider's JWKS has the token's `kid`, even after a refetch.
    public static let unknownKey = OIDCError(.unknownKey, "ID token signed with a key the provider does not publish")
    /// The JWKS could not be fetched or read.
    public static func keySet(_ m: String) -> OIDCError { .init(.keySet, m) }
    /// The signature does not verify.
    public static let signature = OIDCError(.signature, "ID token signature does not verify")
    /// The ID token is not a well-formed JWS.
    public static func malformedToken(_ m: String) -> OIDCError { .init(.malformedToken, m) }
    /// `iss` differs from the configured issuer.
    public static let issuer = OIDCError(.issuer, "ID token iss does not match the issuer")
    /// `aud` does not contain the client id (or has untrusted extra audiences).
    public static let audience = OIDCError(.audience, "ID token audience does not include this client")
    /// `azp` is missing with several audiences, or names another client.
    public static let authorizedParty = OIDCError(.authorizedParty, "ID token azp is missing or names another client")
    /// `exp` is in the past (beyond the allowed skew).
    public static let expired = OIDCError(.expired, "ID token expired")
    /// `iat` is in the future or too old.
    public static let issuedAt = OIDCError(.issuedAt, "ID token iat is in the future or too old")
    /// `nonce` differs from the one sent.
    public static let nonce = OIDCError(.nonce, "ID token nonce does not match the login")
    /// `at_hash` does not match the access token.
    public static let accessTokenHash = OIDCError(.accessTokenHash, "ID token at_hash does not match the access token")
    /// A required claim is missing or has the wrong type.
    public static func missingClaim(_ name: String) -> OIDCError { .init(.missingClaim, "ID token claim \(name) missing or malformed") }
    /// The userinfo response is unusable or names another subject.
    public static func userinfo(_ m: String) -> OIDCError { .init(.userinfo, m) }
    /// The pending-login store failed.
    public static let stateStore = OIDCError(.stateStore, "the pending-login store failed")
    /// The provider could not be reached.
    public static func transport(_ m: String) -> OIDCError { .init(.transport, m) }

    /// Keeps provider-supplied codes short and printable so they cannot forge log lines.
    static func sanitized(_ text: String) -> String {
        String(text.unicodeScalars.prefix(64).filter { $0.value >= 0x20 && $0.value < 0x7F }.map(Character.init))
    }
}
