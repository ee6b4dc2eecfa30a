/// Who signed in through an external identity provider: what the host matches users by.
///
/// The host keys users by `(tenant, issuer, subject)`: for OpenID Connect the issuer URL and
/// the `sub` claim, for SAML the IdP's entity id and the NameID. Email and name are hints for
/// provisioning, never keys: providers let users change them.
public struct SSOIdentity: Sendable, Hashable, CustomStringConvertible {
    /// The Flowgate tenant whose connection produced this identity.
    public var tenant: String
    /// The tenant's connection (identity provider configuration) id.
    public var connection: String
    /// The OpenID issuer URL, or the SAML IdP entity id.
    public var issuer: String
    /// The `sub` claim, or the SAML NameID (full text).
    public var subject: String
    /// The email address, when the provider sent one.
    public var email: String?
    /// A display name, when the provider sent one.
    public var name: String?
    /// Group names from the configured claim or attribute, in the provider's order, without duplicates.
    public var groups: [String]
    /// Every attribute (SAML) or string-valued claim (OIDC), by name.
    public var attributes: [String: [String]]

    /// Creates an identity; `groups` are deduplicated keeping the first occurrence.
    public init(
        tenant: String, connection: String, issuer: String, subject: String, email: String? = nil, name: String? = nil,
        groups: [String] = [], attributes: [String: [String]] = [:]
    ) {
        self.tenant = tenant
        self.connection = connection
        self.issuer = issuer
        self.subject = subject
        self.email = email
        self.name = name
        self.groups = SSOIdentity.deduplicated(groups)
        self.attributes = attributes
    }

    static func deduplicated(_ values: [String]) -> [String] {
        var seen = Set<String>()
        return values.filter { seen.insert($0).inserted }
    }

    /// Names the provider and counts groups; subject, email and name are personal data and stay out of logs.
    public var description: String {
        "SSOIdentity(tenant: \(tenant), connection: \(connection), issuer: \(issuer), subject: <redacted>, groups: \(groups.count))"
    }
}
