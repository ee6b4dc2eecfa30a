/// One tenant's OpenID Connect connection: the provider and this client's registration.
public struct OIDCConfiguration: Sendable {
    /// How the client authenticates at the token endpoint (an open set of options).
    public struct ClientAuthentication: Sendable, Hashable {
        enum Method: Sendable, Hashable { case basic, post }
        let method: Method
        /// HTTP Basic with the form-encoded client id and secret (RFC 6749 §2.3.1); the default.
        public static let clientSecretBasic = ClientAuthentication(method: .basic)
        /// `client_id` and `client_secret` in the form body.
        public static let clientSecretPost = ClientAuthentication(method: .post)
    }

    /// The Flowgate tenant.
    public var tenant: String
    /// The connection id within the tenant (the `{idp}` path segment).
    public var connection: String
    /// The issuer URL; discovery must report exactly this string.
    public var issuer: String
    /// This client's id at the provider.
    public var clientID: String
    /// The callback URL registered at the provider, e.g. `https://host/sso/{tenant}/{idp}/callback`.
    public var redirectURI: String
    /// Requested scopes; default `openid email profile`. `openid` is always sent.
    public var scopes: [String]
    /// The claim that lists group names; default `groups`; nil reads no groups.
    public var groupsClaim: String?
    /// Token endpoint authentication; default `.clientSecretBasic`.
    public var clientAuthentication: ClientAuthentication
    /// Whether to call the userinfo endpoint and merge its claims; default false.
    public var fetchUserinfo: Bool
    /// Accepted ID token algorithms; default RS256/384/512, PS256/384/512, ES256/384/512, EdDSA.
    /// `none` and HMAC algorithms are never accepted, whatever this says.
    public var allowedAlgorithms: Set<String>
    /// Audiences besides the client id that may appear in `aud`; default none.
    public var trustedAudiences: Set<String>
    /// Tolerance for clock differences on `exp`/`iat`; default 60 seconds.
    public var clockSkew: Duration
    /// Oldest acceptable `iat`; default 10 minutes.
    public var maxTokenAge: Duration
    /// How long a started login may take; default 10 minutes.
    public var loginLifetime: Duration
    /// Least time between JWKS refetches triggered by an unknown `kid`; default 60 seconds.
    public var jwksRefetchInterval: Duration
    /// How long a fetched JWKS is used before it is fetched again; default 1 hour.
    public var jwksMaxAge: Duration
    /// How long a discovery document is cached; default 1 hour.
    public var discoveryMaxAge: Duration
    /// Accept `http://` endpoints on loopback hosts (tests only); default false.
    public var allowLoopbackHTTP: Bool

    public init(
        tenant: String,
        connection: String,
        issuer: String,
        clientID: String,
        redirectURI: String,
        scopes: [String] = ["openid", "email", "profile"],
        groupsClaim: String? = "groups",
        clientAuthentication: ClientAuthentication = .clientSecretBasic,
        fetchUserinfo: Bool = false,
        allowedAlgorithms: Set<String> = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"],
        trustedAudiences: Set<String> = [],
        clockSkew: Duration = .seconds(60),
        maxTokenAge: Duration = .seconds(600),
        loginLifetime: Duration = .seconds(600),
        jwksRefetchInterval: Duration = .seconds(60),
        jwksMaxAge: Duration = .seconds(3600),
        discoveryMaxAge: Duration = .seconds(3600),
        allowLoopbackHTTP: Bool = false
    ) {
        self.tenant = tenant
        self.connection = connection
        self.issuer = issuer
        self.clientID = clientID
        self.redirectURI = redirectURI
        self.scopes = scopes
        self.groupsClaim = groupsClaim
        self.clientAuthentication = clientAuthentication
        self.fetchUserinfo = fetchUserinfo
        self.allowedAlgorithms = allowedAlgorithms
        self.trustedAudiences = trustedAudiences
        self.clockSkew = clockSkew
        self.maxTokenAge = maxTokenAge
        self.loginLifetime = loginLifetime
        self.jwksRefetchInterval = jwksRefetchInterval
        self.jwksMaxAge = jwksMaxAge
        self.discoveryMaxAge = discoveryMaxAge
        self.allowLoopbackHTTP = allowLoopbackHTTP
    }

    /// The algorithms actually accepted: the configured ones minus `none` and HMAC.
    var effectiveAlgorithms: Set<String> {
        allowedAlgorithms.filter { $0 != "none" && !$0.uppercased().hasPrefix("HS") }
    }
}
