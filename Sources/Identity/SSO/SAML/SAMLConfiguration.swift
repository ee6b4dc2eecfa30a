/// This service provider, for one tenant's SAML connection.
///
/// The SP's entity id is its metadata URL (`{baseURL}/sso/{tenant}/{idp}/metadata`) and its
/// assertion consumer service is `{baseURL}/sso/{tenant}/{idp}/acs`, so every tenant and
/// connection is a distinct audience: an assertion for one is refused by every other.
public struct SAMLServiceProviderConfiguration: Sendable {
    /// The Flowgate tenant.
    public var tenant: String
    /// The connection id (`{idp}` path segment).
    public var connection: String
    /// The public origin of the gateway, e.g. `https://flowgate.example.com` (no trailing slash).
    public var baseURL: String
    /// NameID format requested in AuthnRequests; default nil (the IdP chooses).
    public var nameIDFormat: String?
    /// Key and certificate to sign AuthnRequests with; default nil (unsigned requests).
    public var signingCredential: SAMLSigningCredential?
    /// Tolerance for clock differences on NotBefore/NotOnOrAfter; default 60 seconds.
    public var clockSkew: Duration
    /// How long an AuthnRequest stays answerable; default 10 minutes.
    public var requestLifetime: Duration
    /// Largest decoded SAMLResponse accepted; default 512 KiB.
    public var maxResponseBytes: Int
    /// Accept RSA-SHA1 signatures and SHA-1 digests; default false.
    public var allowSHA1: Bool
    /// Require the Assertion itself to be signed (a signed Response alone is not enough); default false.
    public var requireSignedAssertion: Bool

    public init(
        tenant: String, connection: String, baseURL: String, nameIDFormat: String? = nil,
        signingCredential: SAMLSigningCredential? = nil, clockSkew: Duration = .seconds(60),
        requestLifetime: Duration = .seconds(600), maxResponseBytes: Int = 512 * 1024, allowSHA1: Bool = false,
        requireSignedAssertion: Bool = false
    ) {
        self.tenant = tenant
        self.connection = connection
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.nameIDFormat = nameIDFormat
        self.signingCredential = signingCredential
        self.clockSkew = clockSkew
        self.requestLifetime = requestLifetime
        self.maxResponseBytes = maxResponseBytes
        self.allowSHA1 = allowSHA1
        self.requireSignedAssertion = requireSignedAssertion
    }

    private var prefix: String {
        "\(baseURL)/sso/\(FormEncoding.percentEncode(tenant))/\(FormEncoding.percentEncode(connection))"
    }
    /// The SP entity id: the metadata URL.
    public var entityID: String { prefix + "/metadata" }
    /// The assertion consumer service URL (HTTP-POST).
    public var acsURL: String { prefix + "/acs" }
}

/// The SP's request-signing key (RSA, PEM) and certificate (PEM). The description hides the key.
public struct SAMLSigningCredential: Sendable, CustomStringConvertible {
    /// The RSA private key, PEM (PKCS#1 or PKCS#8).
    public var privateKeyPEM: SSOSecret
    /// The matching certificate, PEM; published in the SP metadata.
    public var certificatePEM: String
    public init(privateKeyPEM: SSOSecret, certificatePEM: String) {
        self.privateKeyPEM = privateKeyPEM
        self.certificatePEM = certificatePEM
    }
    public var description: String { "SAMLSigningCredential(<redacted>)" }
}

/// One tenant's identity provider.
public struct SAMLIdentityProviderConfiguration: Sendable {
    /// The IdP's entity id (the expected `Issuer`).
    public var entityID: String
    /// Its single sign-on URL for the HTTP-Redirect binding.
    public var ssoURL: String
    /// Its signing certificates (PEM); the only keys responses are verified with. Several
    /// allow a rollover.
    public var certificates: [String]
    /// Accept unsolicited (IdP-initiated) responses; default false.
    public var allowIdPInitiated: Bool
    /// Attribute (Name or FriendlyName) listing groups; default `groups`; nil reads none.
    public var groupsAttribute: String?
    /// Attribute holding the email; default `email`. When absent, an email-format NameID is used.
    public var emailAttribute: String?
    /// Attribute holding a display name; default `displayName`.
    public var nameAttribute: String?

    public init(
        entityID: String, ssoURL: String, certificates: [String], allowIdPInitiated: Bool = false,
        groupsAttribute: String? = "groups", emailAttribute: String? = "email", nameAttribute: String? = "displayName"
    ) {
        self.entityID = entityID
        self.ssoURL = ssoURL
        self.certificates = certificates
        self.allowIdPInitiated = allowIdPInitiated
        self.groupsAttribute = groupsAttribute
        self.emailAttribute = emailAttribute
        self.nameAttribute = nameAttribute
    }

    /// Reads the entity id, HTTP-Redirect SSO URL and signing certificates from IdP metadata.
    /// The metadata's own signature is not checked: it is operator-supplied configuration.
    public static func fromMetadata(
        _ xml: String, allowIdPInitiated: Bool = false, groupsAttribute: String? = "groups",
        emailAttribute: String? = "email", nameAttribute: String? = "displayName", maxBytes: Int = 1 << 20
    ) throws(SAMLError) -> SAMLIdentityProviderConfiguration {
        let facts = try XMLSec.openMetadata(Array(xml.utf8), maxBytes: maxBytes)
        guard let entityID = facts.first("entityid"), !entityID.isEmpty else { throw .metadata("metadata has no entityID") }
        guard let sso = facts.first("sso.redirect") else { throw .metadata("metadata has no HTTP-Redirect SingleSignOnService") }
        let certificates = facts.all("signing.certificate").map(pem(fromBase64:))
        guard !certificates.isEmpty else { throw .metadata("metadata has no signing certificate") }
        return SAMLIdentityProviderConfiguration(
            entityID: entityID, ssoURL: sso, certificates: certificates, allowIdPInitiated: allowIdPInitiated,
            groupsAttribute: groupsAttribute, emailAttribute: emailAttribute, nameAttribute: nameAttribute
        )
    }

    /// Wraps base64 DER as a PEM certificate.
    static func pem(fromBase64 body: String) -> String {
        var lines: [String] = ["-----BEGIN CERTIFICATE-----"]
        var rest = Substring(body)
        while !rest.isEmpty {
            lines.append(String(rest.prefix(64)))
            rest = rest.dropFirst(64)
        }
        lines.append("-----END CERTIFICATE-----")
        return lines.joined(separator: "\n") + "\n"
    }
}
