import JSON

/// The parts of an OpenID provider's discovery document this relying party uses.
public struct OIDCProviderMetadata: Sendable, Equatable {
    /// The issuer, equal to the configured one.
    public var issuer: String
    /// Where browsers are sent to sign in.
    public var authorizationEndpoint: String
    /// Where codes are exchanged.
    public var tokenEndpoint: String
    /// The provider's signing keys.
    public var jwksURI: String
    /// Userinfo, when the provider has one.
    public var userinfoEndpoint: String?
    /// RFC 9207: the provider promises an `iss` parameter in every authorization response.
    public var issuerParameterSupported: Bool

    public init(
        issuer: String, authorizationEndpoint: String, tokenEndpoint: String, jwksURI: String,
        userinfoEndpoint: String? = nil, issuerParameterSupported: Bool = false
    ) {
        self.issuer = issuer
        self.authorizationEndpoint = authorizationEndpoint
        self.tokenEndpoint = tokenEndpoint
        self.jwksURI = jwksURI
        self.userinfoEndpoint = userinfoEndpoint
        self.issuerParameterSupported = issuerParameterSupported
    }

    /// The discovery URL for an issuer (`{issuer}/.well-known/openid-configuration`).
    public static func discoveryURL(issuer: String) -> String {
        (issuer.hasSuffix("/") ? String(issuer.dropLast()) : issuer) + "/.well-known/openid-configuration"
    }

    /// Reads a discovery response, requiring `issuer` to equal `expectedIssuer` exactly
    /// (OpenID Connect Discovery §4.3) and every endpoint to be https (or allowed loopback).
    public static func parse(
        _ response: SSOHTTPResponse, expectedIssuer: String, allowLoopbackHTTP: Bool
    ) throws(OIDCError) -> OIDCProviderMetadata {
        guard response.status == 200 else { throw .discovery("discovery answered HTTP \(response.status)") }
        let document: JSONValue
        do {
            document = try JSONValue.parse(response.body, limits: .init(maxDepth: 16))
        } catch {
            throw .discovery("discovery document is not JSON: \(error.message)")
        }
        guard let issuer = document["issuer"]?.stringValue else { throw .discovery("discovery document has no issuer") }
        guard issuer == expectedIssuer else { throw .issuerMismatch }
        func endpoint(_ name: String) throws(OIDCError) -> String {
            guard let url = document[name]?.stringValue else { throw .discovery("discovery document has no \(name)") }
            guard SSOSupport.isAcceptableEndpoint(url, allowLoopbackHTTP: allowLoopbackHTTP) else { throw .insecureEndpoint(name) }
            return url
        }
        let userinfo: String?
        if document["userinfo_endpoint"] != nil {
            userinfo = try endpoint("userinfo_endpoint")
        } else {
            userinfo = nil
        }
        if let methods = document["code_challenge_methods_supported"]?.arrayValue,
            !methods.contains(where: { $0.stringValue == "S256" })
        {
            throw .discovery("provider does not support PKCE S256")
        }
        return OIDCProviderMetadata(
            issuer: issuer,
            authorizationEndpoint: try endpoint("authorization_endpoint"),
            tokenEndpoint: try endpoint("token_endpoint"),
            jwksURI: try endpoint("jwks_uri"),
            userinfoEndpoint: userinfo,
            issuerParameterSupported: document["authorization_response_iss_parameter_supported"]?.boolValue ?? false
        )
    }
}
