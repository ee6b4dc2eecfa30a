import AsyncHTTPClient
import Foundation
import JSON
import Logging
import Policy
import Secrets
import Store
import Synchronization

/// Single sign-on for the gateway: each tenant's identity providers (OIDC and SAML), logins
/// through them, the users they sign in (linked by issuer and subject, created just in time
/// when the tenant allows it) and the browser sessions that follow.
///
/// The protocol work is in `SSO/` (``OIDCRelyingParty``, ``SAMLServiceProvider``); this type
/// gives it storage (pending logins and the SAML replay cache live in the database, so a
/// restart loses nothing and replays stay refused) and turns identities into sessions.
public final class SSOService: Sendable {
    /// Settings for ``SSOService``.
    public struct Configuration: Sendable {
        /// The public origin of the gateway (`https://flowgate.example.com`), from which redirect
        /// URIs, SAML entity ids and ACS URLs are built. Never taken from a request's Host header.
        public var publicURL: String
        /// Accept `http://` provider endpoints on loopback hosts (tests and local providers).
        public var allowLoopbackHTTP: Bool
        /// Session lifetimes of tenants that set none: idle 60 minutes, absolute 12 hours.
        public var sessionIdle: Duration
        public var sessionAbsolute: Duration

        public init(publicURL: String, allowLoopbackHTTP: Bool = false, sessionIdle: Duration = .seconds(3600),
                    sessionAbsolute: Duration = .seconds(12 * 3600)) {
            self.publicURL = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
            self.allowLoopbackHTTP = allowLoopbackHTTP
            self.sessionIdle = sessionIdle
            self.sessionAbsolute = sessionAbsolute
        }

        /// Whether cookies get the `Secure` attribute (the gateway is served over TLS).
        public var secureCookies: Bool { publicURL.hasPrefix("https://") }
    }

    /// The prefix of session cookie values.
    public static let sessionPrefix = "fgb_"
    /// The session cookie's name.
    public static let sessionCookie = "fg_session"
    /// The short-lived cookie binding a login in progress to the browser that started it.
    public static let bindingCookie = "fg_sso_binding"

    public let configuration: Configuration
    let store: Store
    let identity: IdentityService
    let secrets: SecretService
    let transport: any SSOHTTPTransport
    let metadataTransport: any SSOHTTPTransport
    let clock: any SSOClock
    /// Discovery and JWKS caches per provider, dropped when the provider changes.
    private let oidcCaches = Mutex<[String: (updatedAt: Int64, cache: OIDCProviderCache)]>([:])

    public init(store: Store, identity: IdentityService, secrets: SecretService, httpClient: HTTPClient, configuration: Configuration) {
        self.store = store
        self.identity = identity
        self.secrets = secrets
        self.configuration = configuration
        self.transport = AsyncHTTPClientTransport(client: httpClient)
        self.metadataTransport = AsyncHTTPClientTransport(client: httpClient, timeout: .seconds(4), maxBodyBytes: 256 * 1024)
        self.clock = StoreSSOClock(clock: store.clock)
    }

    // MARK: Identity providers

    /// Creates a provider from the API's JSON body. An OIDC client secret given as
    /// `client_secret` becomes a tenant secret (usable by no workflow); `client_secret_name`
    /// names an existing one instead.
    public func createProvider(in tenant: Tenant, body: [String: JSONValue]) async throws -> IdentityProviderRecord {
        guard let type = body["type"]?.stringValue, type == "oidc" || type == "saml" else {
            throw IdentityError.invalid("type", "must be \"oidc\" or \"saml\"")
        }
        let name = try Self.requiredString(body, "name")
        try Validation.name(name, field: "name")
        let id = UUID().uuidString.lowercased()
        var config = try type == "oidc" ? oidcConfig(body) : samlConfig(body, fetchedMetadata: try await fetchMetadata(body))
        let now = store.clock.nowMillis()
        // Checked before a client secret is stored; the unique index still decides a race.
        if try await providers(in: tenant.id).contains(where: { $0.name == name }) {
            throw IdentityError.conflict("an identity provider named \"\(name)\" already exists")
        }
        var createdSecret: String?
        if type == "oidc" {
            if let secret = body["client_secret"]?.stringValue {
                guard body["client_secret_name"] == nil else {
                    throw IdentityError.invalid("client_secret", "give either client_secret or client_secret_name")
                }
                let secretName = Self.clientSecretName(providerID: id)
                let record: SecretRecord
                do {
                    record = try await secrets.create(in: tenant.id, name: secretName, value: secret, vault: nil, workflowIDs: [])
                } catch let error as SecretsError where error.field == "value" {
                    throw IdentityError.invalid("client_secret", error.message)
                }
                createdSecret = record.id
                config["client_secret_name"] = .string(secretName)
            } else if let secretName = body["client_secret_name"]?.stringValue {
                guard (try? await secrets.resolve(in: tenant.id, name: secretName)) != nil else {
                    throw IdentityError.invalid("client_secret_name", "no secret with this name in the tenant")
                }
                config["client_secret_name"] = .string(secretName)
            } else {
                throw IdentityError.invalid("client_secret", "is required (or client_secret_name)")
            }
        }
        let record = IdentityProviderRecord(
            tenantID: tenant.id, id: id, type: type, name: name, config: JSONValue.object(config).serialized(), createdAt: now, updatedAt: now
        )
        do {
            try await store.write { try await IdentityProviderRepository($0, tenant: tenant.id).create(record) }
        } catch let error as StoreError where error.isUniqueViolation {
            if let createdSecret { try? await secrets.delete(in: tenant.id, id: createdSecret) }
            throw IdentityError.conflict("an identity provider named \"\(name)\" already exists")
        }
        return record
    }

    public func providers(in tenant: TenantID) async throws -> [IdentityProviderRecord] {
        try await store.read { try await IdentityProviderRepository($0, tenant: tenant).list() }
    }

    public func provider(in tenant: TenantID, id: String) async throws -> IdentityProviderRecord {
        guard let record = try await store.read({ try await IdentityProviderRepository($0, tenant: tenant).get(id) }) else {
            throw IdentityError.notFound("identity provider")
        }
        return record
    }

    /// Deletes a provider: its linked identities go and the sessions it started end at once.
    public func deleteProvider(in tenant: TenantID, id: String) async throws {
        let now = store.clock.nowMillis()
        let record = try await provider(in: tenant, id: id)
        do {
            try await store.write { try await IdentityProviderRepository($0, tenant: tenant).delete(id, at: now) }
        } catch let error as StoreError where error.isNotFound {
            throw IdentityError.notFound("identity provider")
        }
        oidcCaches.withLock { _ = $0.removeValue(forKey: id) }
        identity.invalidateAuthenticationCache()
        // The client secret stored for this provider goes with it (one named by the admin stays).
        let secretName = (try? JSONValue.parse(record.config))?["client_secret_name"]?.stringValue
        if let secretName, secretName == Self.clientSecretName(providerID: id),
            let stored = try? await secrets.resolve(in: tenant, name: secretName).record {
            try await secrets.delete(in: tenant, id: stored.id)
        }
    }

    /// The provider as the API shows it: settings and this gateway's endpoints, never the secret.
    public func providerJSON(_ record: IdentityProviderRecord, tenant: Tenant) -> JSONValue {
        var o = (try? JSONValue.parse(record.config))?.objectValue ?? [:]
        o.removeValue(forKey: "certificates")
        if record.type == "saml", let certificates = (try? JSONValue.parse(record.config))?["certificates"]?.arrayValue {
            o["certificate_count"] = .int(Int64(certificates.count))
            o["sp_entity_id"] = .string(endpoint(tenant, record, "metadata"))
            o["acs_url"] = .string(endpoint(tenant, record, "acs"))
            o["metadata_url"] = .string(endpoint(tenant, record, "metadata"))
        } else {
            o["redirect_uri"] = .string(endpoint(tenant, record, "callback"))
        }
        o["id"] = .string(record.id)
        o["type"] = .string(record.type)
        o["name"] = .string(record.name)
        o["login_url"] = .string(endpoint(tenant, record, "login"))
        return .object(o)
    }

    /// `{publicURL}/sso/{tenant slug}/{provider id}/{leaf}`.
    func endpoint(_ tenant: Tenant, _ record: IdentityProviderRecord, _ leaf: String) -> String {
        "\(configuration.publicURL)/sso/\(tenant.slug)/\(record.id)/\(leaf)"
    }

    private func oidcConfig(_ body: [String: JSONValue]) throws -> [String: JSONValue] {
        let allowed: Set<String> = ["type", "name", "issuer", "client_id", "client_secret", "client_secret_name", "scopes", "groups_claim",
                                    "token_endpoint_auth", "userinfo"]
        if let unknown = body.keys.filter({ !allowed.contains($0) }).sorted().first { throw IdentityError.invalid(unknown, "is not a known field") }
        let issuer = try Self.requiredString(body, "issuer")
        guard SSOSupport.isAcceptableEndpoint(issuer, allowLoopbackHTTP: configuration.allowLoopbackHTTP), issuer.utf8.count <= 1024 else {
            throw IdentityError.invalid("issuer", "must be an https URL")
        }
        let clientID = try Self.requiredString(body, "client_id")
        var config: [String: JSONValue] = ["issuer": .string(issuer), "client_id": .string(clientID)]
        if let scopes = body["scopes"] {
            guard let list = scopes.arrayValue?.compactMap(\.stringValue), list.count == scopes.arrayValue?.count, list.count <= 20,
                list.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 100 && !$0.contains(" ") })
            else { throw IdentityError.invalid("scopes", "must be a list of scope names") }
            config["scopes"] = .array(list.map(JSONValue.string))
        } else {
            config["scopes"] = ["openid", "email", "profile", "groups"]
        }
        switch body["groups_claim"] {
        case nil: config["groups_claim"] = "groups"
        case .null?: config["groups_claim"] = .null
        case .string(let claim)? where !claim.isEmpty && claim.utf8.count <= 100: config["groups_claim"] = .string(claim)
        default: throw IdentityError.invalid("groups_claim", "must be a claim name or null")
        }
        switch body["token_endpoint_auth"]?.stringValue ?? "client_secret_basic" {
        case let method where method == "client_secret_basic" || method == "client_secret_post": config["token_endpoint_auth"] = .string(method)
        default: throw IdentityError.invalid("token_endpoint_auth", "must be client_secret_basic or client_secret_post")
        }
        if let userinfo = body["userinfo"] {
            guard case .bool = userinfo else { throw IdentityError.invalid("userinfo", "must be a Boolean") }
            config["userinfo"] = userinfo
        }
        return config
    }

    /// The IdP metadata at `metadata_url`, fetched once when the provider is added (https, or
    /// loopback http where allowed; at most 256 KiB; no redirects).
    private func fetchMetadata(_ body: [String: JSONValue]) async throws -> String? {
        guard body["type"]?.stringValue == "saml", let value = body["metadata_url"] else { return nil }
        // Everything that can be refused without the network is refused first.
        guard body["metadata_xml"] == nil, body["entity_id"] == nil, body["sso_url"] == nil, body["certificate_pem"] == nil else {
            throw IdentityError.invalid("metadata_url", "give either metadata_url, metadata_xml, or entity_id, sso_url and certificate_pem")
        }
        guard let url = value.stringValue, url.utf8.count <= 2048, SSOSupport.isAcceptableEndpoint(url, allowLoopbackHTTP: configuration.allowLoopbackHTTP) else {
            throw IdentityError.invalid("metadata_url", "must be an https URL")
        }
        let response: SSOHTTPResponse
        do {
            // A short timeout: an admin is waiting on this request.
            response = try await metadataTransport.send(
                SSOHTTPRequest(method: "GET", url: url, headers: [("Accept", "application/samlmetadata+xml, application/xml")])
            )
        } catch {
            throw IdentityError.invalid("metadata_url", "the metadata could not be fetched")
        }
        guard response.status == 200, response.body.count <= 256 * 1024 else {
            throw IdentityError.invalid("metadata_url", "the metadata URL answered \(response.status)")
        }
        return String(decoding: response.body, as: UTF8.self)
    }

    private func samlConfig(_ body: [String: JSONValue], fetchedMetadata: String?) throws -> [String: JSONValue] {
        let allowed: Set<String> = ["type", "name", "entity_id", "sso_url", "certificate_pem", "metadata_xml", "metadata_url", "allow_idp_initiated",
                                    "groups_attribute", "email_attribute", "name_attribute"]
        if let unknown = body.keys.filter({ !allowed.contains($0) }).sorted().first { throw IdentityError.invalid(unknown, "is not a known field") }
        var allowIdP = false
        if let value = body["allow_idp_initiated"] {
            guard case .bool(let b) = value else { throw IdentityError.invalid("allow_idp_initiated", "must be a Boolean") }
            allowIdP = b
        }
        func attribute(_ key: String, _ fallback: String) throws -> JSONValue {
            switch body[key] {
            case nil: return .string(fallback)
            case .null?: return .null
            case .string(let name)? where !name.isEmpty && name.utf8.count <= 200: return .string(name)
            default: throw IdentityError.invalid(key, "must be an attribute name or null")
            }
        }
        let idp: SAMLIdentityProviderConfiguration
        if let xml = fetchedMetadata.map(JSONValue.string) ?? body["metadata_xml"] {
            let field = fetchedMetadata == nil ? "metadata_xml" : "metadata_url"
            guard body["entity_id"] == nil, body["sso_url"] == nil, body["certificate_pem"] == nil else {
                throw IdentityError.invalid(field, "give either \(field) or entity_id, sso_url and certificate_pem")
            }
            guard let text = xml.stringValue else { throw IdentityError.invalid(field, "must be a string") }
            do {
                idp = try SAMLIdentityProviderConfiguration.fromMetadata(text, maxBytes: 256 * 1024)
            } catch {
                throw IdentityError.invalid(field, error.message)
            }
        } else {
            let entityID = try Self.requiredString(body, "entity_id")
            let ssoURL = try Self.requiredString(body, "sso_url")
            let pem = try Self.requiredString(body, "certificate_pem")
            idp = SAMLIdentityProviderConfiguration(entityID: entityID, ssoURL: ssoURL, certificates: [pem])
        }
        guard idp.entityID.utf8.count <= 1024 else { throw IdentityError.invalid("entity_id", "must be at most 1024 bytes") }
        guard SSOSupport.isAcceptableEndpoint(idp.ssoURL, allowLoopbackHTTP: configuration.allowLoopbackHTTP), idp.ssoURL.utf8.count <= 2048 else {
            throw IdentityError.invalid("sso_url", "must be an https URL")
        }
        for pem in idp.certificates where !Self.looksLikeCertificate(pem) {
            throw IdentityError.invalid("certificate_pem", "must be a PEM certificate (-----BEGIN CERTIFICATE-----)")
        }
        return [
            "entity_id": .string(idp.entityID), "sso_url": .string(idp.ssoURL),
            "certificates": .array(idp.certificates.map(JSONValue.string)), "allow_idp_initiated": .bool(allowIdP),
            "groups_attribute": try attribute("groups_attribute", "groups"), "email_attribute": try attribute("email_attribute", "email"),
            "name_attribute": try attribute("name_attribute", "displayName"),
        ]
    }

    /// A PEM certificate block whose body is base64 (the signature check loads it for real).
    /// The name of the tenant secret that keeps a provider's OIDC client secret.
    static func clientSecretName(providerID: String) -> String {
        "sso_" + providerID.replacingOccurrences(of: "-", with: "")
    }

    static func looksLikeCertificate(_ pem: String) -> Bool {
        guard pem.utf8.count <= 16 * 1024, let begin = pem.range(of: "-----BEGIN CERTIFICATE-----"),
            let end = pem.range(of: "-----END CERTIFICATE-----"), begin.upperBound < end.lowerBound
        else { return false }
        let body = pem[begin.upperBound..<end.lowerBound].filter { !$0.isWhitespace }
        return body.count >= 100 && Base64.decode(String(body)) != nil
    }

    static func requiredString(_ body: [String: JSONValue], _ key: String) throws -> String {
        guard let value = body[key]?.stringValue, !value.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw IdentityError.invalid(key, "is required and must be a non-empty string")
        }
        guard value.utf8.count <= 16 * 1024 else { throw IdentityError.invalid(key, "is too long") }
        return value
    }

    // MARK: Logins

    /// What the gateway does to send the browser to the provider.
    public struct LoginRedirect: Sendable, CustomStringConvertible {
        /// Where to redirect (302).
        public var location: String
        /// The browser-binding cookie's value and lifetime.
        public var binding: String
        public var bindingMaxAge: Duration
        public var description: String { "LoginRedirect(<redacted>)" }
    }

    /// A login the provider vouched for and the tenant accepted.
    public struct LoginOutcome: Sendable, CustomStringConvertible {
        /// The new session's cookie value (to be set, never logged).
        public var sessionToken: String
        public var session: SessionRecord
        public var user: User
        /// Whether the user was created by this login.
        public var created: Bool
        /// A local path to continue to.
        public var returnTo: String
        public var description: String { "LoginOutcome(user: \(user.id), session: \(session.id))" }
    }

    /// Why a login was refused: the protocol's reason code and a message without secrets.
    public struct LoginRefused: Error, Sendable, CustomStringConvertible {
        public var reason: String
        public var message: String
        public var description: String { message }
    }

    /// Starts a login at a provider of the tenant.
    public func startLogin(tenant: Tenant, providerID: String, returnTo: String?) async throws -> LoginRedirect {
        let record = try await provider(in: tenant.id, id: providerID)
        let target = Self.localPath(returnTo)
        do {
            if record.type == "oidc" {
                let start = try await relyingParty(tenant, record).startLogin(returnTo: target)
                return LoginRedirect(location: start.authorizationURL, binding: start.browserBinding, bindingMaxAge: start.cookieMaxAge)
            }
            let start = try await serviceProvider(tenant, record).startLogin(returnTo: target)
            return LoginRedirect(location: start.redirectURL, binding: start.browserBinding, bindingMaxAge: start.cookieMaxAge)
        } catch let error as OIDCError {
            throw LoginRefused(reason: error.reason, message: error.description)
        } catch let error as SAMLError {
            throw LoginRefused(reason: error.reason, message: error.description)
        }
    }

    /// Finishes an OIDC login from the callback's raw query and the binding cookie.
    public func finishOIDC(tenant: Tenant, providerID: String, query: String, binding: String?, logger: Logger) async throws -> LoginOutcome {
        let record = try await provider(in: tenant.id, id: providerID)
        guard record.type == "oidc" else { throw IdentityError.notFound("OIDC provider") }
        let config = (try? JSONValue.parse(record.config)) ?? [:]
        guard let secretName = config["client_secret_name"]?.stringValue else { throw IdentityError.invalid("client_secret", "is not configured") }
        let secret = try await secrets.resolve(in: tenant.id, name: secretName).value
        let result: OIDCLoginResult
        do {
            let callback = try OIDCCallback(query: query)
            result = try await relyingParty(tenant, record).finishLogin(
                callback: callback, browserBinding: binding, clientSecret: SSOSecret(secret.plaintext), logger: logger
            )
        } catch let error as OIDCError {
            throw LoginRefused(reason: error.reason, message: error.description)
        }
        return try await signIn(tenant: tenant, provider: record, identity: result.identity, returnTo: result.returnTo)
    }

    /// Finishes a SAML login from the ACS form fields and the binding cookie.
    public func finishSAML(
        tenant: Tenant, providerID: String, samlResponse: String, relayState: String?, binding: String?, logger: Logger
    ) async throws -> LoginOutcome {
        let record = try await provider(in: tenant.id, id: providerID)
        guard record.type == "saml" else { throw IdentityError.notFound("SAML provider") }
        let result: SAMLLoginResult
        do {
            result = try await serviceProvider(tenant, record).consume(
                samlResponse: samlResponse, relayState: relayState, browserBinding: binding, logger: logger
            )
        } catch let error as SAMLError {
            throw LoginRefused(reason: error.reason, message: error.description)
        }
        return try await signIn(tenant: tenant, provider: record, identity: result.identity, returnTo: result.returnTo)
    }

    /// The SAML service provider's metadata document.
    public func samlMetadata(tenant: Tenant, providerID: String) async throws -> String {
        let record = try await provider(in: tenant.id, id: providerID)
        guard record.type == "saml" else { throw IdentityError.notFound("SAML provider") }
        return try serviceProvider(tenant, record).metadata()
    }

    func relyingParty(_ tenant: Tenant, _ record: IdentityProviderRecord) async throws -> OIDCRelyingParty {
        let c = (try? JSONValue.parse(record.config)) ?? [:]
        var configuration = OIDCConfiguration(
            tenant: tenant.id.rawValue, connection: record.id, issuer: c["issuer"]?.stringValue ?? "",
            clientID: c["client_id"]?.stringValue ?? "", redirectURI: endpoint(tenant, record, "callback"),
            scopes: c["scopes"]?.arrayValue?.compactMap(\.stringValue) ?? ["openid"],
            groupsClaim: c["groups_claim"]?.stringValue,
            clientAuthentication: c["token_endpoint_auth"]?.stringValue == "client_secret_post" ? .clientSecretPost : .clientSecretBasic,
            fetchUserinfo: c["userinfo"]?.boolValue ?? false
        )
        configuration.allowLoopbackHTTP = self.configuration.allowLoopbackHTTP
        let fixed = configuration
        let cache = oidcCaches.withLock { caches in
            if let hit = caches[record.id], hit.updatedAt == record.updatedAt { return hit.cache }
            let fresh = OIDCProviderCache(configuration: fixed)
            caches[record.id] = (record.updatedAt, fresh)
            return fresh
        }
        return OIDCRelyingParty(
            configuration: configuration, cache: cache,
            store: StoredPendingLogins<OIDCPendingLogin>(store: store, tenant: tenant.id, kind: "oidc", encode: { $0.json }, decode: OIDCPendingLogin.init(json:)),
            transport: transport, clock: clock
        )
    }

    func serviceProvider(_ tenant: Tenant, _ record: IdentityProviderRecord) throws -> SAMLServiceProvider {
        let c = (try? JSONValue.parse(record.config)) ?? [:]
        let sp = SAMLServiceProviderConfiguration(tenant: tenant.slug, connection: record.id, baseURL: configuration.publicURL)
        let idp = SAMLIdentityProviderConfiguration(
            entityID: c["entity_id"]?.stringValue ?? "", ssoURL: c["sso_url"]?.stringValue ?? "",
            certificates: c["certificates"]?.arrayValue?.compactMap(\.stringValue) ?? [],
            allowIdPInitiated: c["allow_idp_initiated"]?.boolValue ?? false,
            groupsAttribute: c["groups_attribute"]?.stringValue, emailAttribute: c["email_attribute"]?.stringValue,
            nameAttribute: c["name_attribute"]?.stringValue
        )
        return SAMLServiceProvider(
            serviceProvider: sp, identityProvider: idp,
            store: StoredPendingLogins<SAMLPendingRequest>(store: store, tenant: tenant.id, kind: "saml", encode: { $0.json }, decode: SAMLPendingRequest.init(json:)),
            replayCache: StoredReplayCache(store: store, tenant: tenant.id), clock: clock
        )
    }

    /// Only a local absolute path (`/...`, not `//host`) may be a destination after login.
    static func localPath(_ path: String?) -> String {
        guard let path, path.hasPrefix("/"), !path.hasPrefix("//"), !path.hasPrefix("/\\"), path.utf8.count <= 2048,
            !path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
        else { return "/" }
        return path
    }

    /// Finds the user linked to the identity, or creates one when the tenant allows it, and
    /// starts a session carrying the groups the provider asserted.
    func signIn(tenant: Tenant, provider: IdentityProviderRecord, identity: SSOIdentity, returnTo: String?) async throws -> LoginOutcome {
        // The protocol layer already refuses identities minted for another tenant or connection;
        // this is the last line.
        guard identity.connection == provider.id else { throw LoginRefused(reason: "connectionMismatch", message: "identity from another connection") }
        let settings = Self.settings(of: tenant, defaults: configuration)
        let now = store.clock.nowMillis()
        let (user, created): (User, Bool) = try await store.write { db in
            let links = UserIdentityRepository(db, tenant: tenant.id)
            let users = UserRepository(db, tenant: tenant.id)
            if let userID = try await links.user(issuer: identity.issuer, subject: identity.subject) {
                if let user = try await users.get(userID) {
                    guard user.active else { throw LoginRefused(reason: "userInactive", message: "the user is deactivated") }
                    return (user, false)
                }
                // The user was deleted (e.g. through SCIM) after the link was made: the link goes too.
                try await links.unlinkAll(ofUser: userID)
            }
            guard settings.jit else {
                throw LoginRefused(reason: "notProvisioned", message: "no user of this tenant is linked to this identity, and just-in-time provisioning is off")
            }
            let userName = identity.email ?? identity.subject
            try Validation.name(userName, field: "user_name")
            let user = User(tenantID: tenant.id, id: UUID().uuidString.lowercased(), userName: userName, displayName: identity.name,
                            email: identity.email.flatMap { (try? Validation.email($0)) != nil ? $0 : nil }, createdAt: now, updatedAt: now)
            do {
                try await users.create(user)
            } catch let error as StoreError where error.isUniqueViolation {
                // Never link by e-mail or name alone: an administrator links such a user explicitly.
                throw LoginRefused(reason: "userNameTaken", message: "a user named \"\(userName)\" exists but is not linked to this identity provider")
            }
            try await links.link(issuer: identity.issuer, subject: identity.subject, providerID: provider.id, userID: user.id, at: now)
            return (user, true)
        }
        let (session, token) = try await createSession(tenant: tenant.id, userID: user.id, providerID: provider.id,
                                                       groups: Array(identity.groups.prefix(200)), settings: settings)
        return LoginOutcome(sessionToken: token, session: session, user: user, created: created, returnTo: Self.localPath(returnTo))
    }

    /// Links an existing user to an identity at one of the tenant's providers (for users that
    /// existed before single sign-on, e.g. provisioned through SCIM).
    public func link(in tenant: TenantID, userID: String, providerID: String, subject: String) async throws {
        let record = try await provider(in: tenant, id: providerID)
        guard !subject.isEmpty, subject.utf8.count <= 1024 else { throw IdentityError.invalid("subject", "must be 1-1024 bytes") }
        let c = (try? JSONValue.parse(record.config)) ?? [:]
        let issuer = (record.type == "oidc" ? c["issuer"] : c["entity_id"])?.stringValue ?? ""
        do {
            try await store.write { db in
                guard try await UserRepository(db, tenant: tenant).get(userID) != nil else { throw IdentityError.notFound("user") }
                try await UserIdentityRepository(db, tenant: tenant).link(issuer: issuer, subject: subject, providerID: providerID, userID: userID,
                                                                          at: self.store.clock.nowMillis())
            }
        } catch let error as StoreError where error.isUniqueViolation {
            throw IdentityError.conflict("this identity is already linked to a user")
        }
    }

    // MARK: Sessions

    /// A tenant's single sign-on settings.
    struct Settings {
        var jit: Bool
        var idle: Duration
        var absolute: Duration
    }

    static func settings(of tenant: Tenant, defaults: Configuration) -> Settings {
        let o = (try? JSONValue.parse(tenant.settings))?["sso"]
        return Settings(
            jit: o?["jit_provisioning"]?.boolValue ?? true,
            idle: o?["session_idle_minutes"]?.intValue.map { .seconds($0 * 60) } ?? defaults.sessionIdle,
            absolute: o?["session_absolute_minutes"]?.intValue.map { .seconds($0 * 60) } ?? defaults.sessionAbsolute
        )
    }

    /// The settings as the API shows them.
    public func settingsJSON(of tenant: Tenant) -> JSONValue {
        let s = Self.settings(of: tenant, defaults: configuration)
        return [
            "jit_provisioning": .bool(s.jit), "session_idle_minutes": .int(s.idle.components.seconds / 60),
            "session_absolute_minutes": .int(s.absolute.components.seconds / 60),
        ]
    }

    /// Replaces the tenant's settings from the API's body (every field optional).
    public func updateSettings(of tenant: Tenant, body: [String: JSONValue]) async throws -> Tenant {
        let allowed: Set<String> = ["jit_provisioning", "session_idle_minutes", "session_absolute_minutes"]
        if let unknown = body.keys.filter({ !allowed.contains($0) }).sorted().first { throw IdentityError.invalid(unknown, "is not a known field") }
        var sso = (try? JSONValue.parse(tenant.settings))?["sso"]?.objectValue ?? [:]
        if let v = body["jit_provisioning"] {
            guard case .bool = v else { throw IdentityError.invalid("jit_provisioning", "must be a Boolean") }
            sso["jit_provisioning"] = v
        }
        for (key, range) in [("session_idle_minutes", 1...1440), ("session_absolute_minutes", 5...43_200)] {
            guard let v = body[key] else { continue }
            guard case .int(let minutes) = v, range.contains(Int(minutes)) else {
                throw IdentityError.invalid(key, "must be an integer from \(range.lowerBound) to \(range.upperBound)")
            }
            sso[key] = v
        }
        let value = JSONValue.object(sso)
        return try await identity.updateSettings(of: tenant) { $0["sso"] = value }
    }

    /// Starts a session for a user; returns the record and the cookie value (not stored).
    public func createSession(tenant: TenantID, userID: String, providerID: String?, groups: [String]) async throws -> (SessionRecord, String) {
        guard let t = try await store.read({ try await TenantRepository($0).get(tenant) }) else { throw IdentityError.notFound("tenant") }
        return try await createSession(tenant: tenant, userID: userID, providerID: providerID, groups: groups,
                                       settings: Self.settings(of: t, defaults: configuration))
    }

    func createSession(tenant: TenantID, userID: String, providerID: String?, groups: [String], settings: Settings) async throws -> (SessionRecord, String) {
        let token = BearerToken.generate(prefix: Self.sessionPrefix)
        let now = store.clock.nowMillis()
        let record = SessionRecord(
            tenantID: tenant, id: UUID().uuidString.lowercased(), tokenHash: BearerToken.hash(token), userID: userID, providerID: providerID,
            groups: groups, createdAt: now, lastSeenAt: now, idleTimeoutMillis: settings.idle.components.seconds * 1000,
            expiresAt: now + settings.absolute.components.seconds * 1000
        )
        try await store.write { try await SessionRepository($0, tenant: tenant).create(record) }
        return (record, token)
    }

    /// The live session a cookie value stands for and its principal, or nil. Use restarts the
    /// idle clock (written at most once a minute). Lookups are reused for two seconds, like
    /// token lookups; revocations clear them at once.
    public func authenticate(cookie token: String) async throws -> (session: SessionRecord, principal: Principal)? {
        guard token.hasPrefix(Self.sessionPrefix), token.utf8.count <= 128 else { return nil }
        let hash = BearerToken.hash(token)
        let now = store.clock.nowMillis()
        let instant = ContinuousClock.now
        var record: SessionRecord
        var principal: Principal
        if let hit = identity.sessionCache[hash], hit.until > instant {
            (record, principal) = (hit.session, hit.principal)
        } else {
            guard let found = try await store.read({ try await TokenLookup($0).session(hash: hash) }),
                BearerToken.constantTimeEquals(found.tokenHash, hash), found.isLive(at: now),
                let p = try await self.principal(for: found)
            else { return nil }
            (record, principal) = (found, p)
        }
        guard record.isLive(at: now) else { return nil }
        if now - record.lastSeenAt > 60_000 {
            let r = record
            try await store.write { try await SessionRepository($0, tenant: r.tenantID).touch(r.id, at: now) }
            record.lastSeenAt = now
        }
        let entry = (record, principal, instant.advanced(by: .seconds(2)))
        identity.sessionCache.set(entry, for: hash)
        return (record, principal)
    }

    /// The principal of a live session: the user's roles (bindings, groups, the tenant's
    /// group-to-role mapping) and the roles the provider's asserted groups map to.
    public func principal(for session: SessionRecord) async throws -> Principal? {
        try await store.read { db -> Principal? in
            guard let user = try await UserRepository(db, tenant: session.tenantID).get(session.userID), user.active else { return nil }
            let roles = try await IdentityService.roles(ofUser: user.id, in: session.tenantID, assertedGroups: session.groups, db)
            var groups = Set(try await GroupRepository(db, tenant: session.tenantID).groupIDs(ofUser: user.id))
            if !session.groups.isEmpty {
                groups.formUnion(try await GroupRepository(db, tenant: session.tenantID).ids(named: session.groups))
            }
            return Principal(kind: .user, id: user.id, tenant: session.tenantID, roles: roles, groups: groups, displayName: user.userName)
        }
    }

    /// Ends a session (logout).
    public func endSession(_ session: SessionRecord) async throws {
        let now = store.clock.nowMillis()
        try await store.write { try await SessionRepository($0, tenant: session.tenantID).revoke(session.id, at: now) }
        identity.invalidateAuthenticationCache()
    }

    /// The CSRF token of a session: derived from the cookie value, so it needs no storage, and
    /// unguessable without the (HttpOnly) cookie.
    public static func csrfToken(forSession token: String) -> String {
        BearerToken.hash("csrf:" + token)
    }

    // MARK: One-time sign-in links

    /// The prefix of one-time sign-in codes.
    public static let signInCodePrefix = "fgl_"

    /// Issues a one-time sign-in code for a user (valid for `lifetime`, usable once); only its
    /// hash is stored. The first start of the embedded default prints one as a link.
    public static func issueSignInCode(store: Store, tenant: TenantID, userID: String, lifetime: Duration = .seconds(24 * 3600)) async throws -> String {
        let code = BearerToken.generate(prefix: signInCodePrefix)
        let now = store.clock.nowMillis()
        let record: JSONValue = ["user_id": .string(userID)]
        _ = try await store.write {
            try await SSOTransientRepository($0, tenant: tenant).insert(
                kind: "signin-code", key: BearerToken.hash(code), record: record.serialized(), expiresAt: now + lifetime.components.seconds * 1000, now: now
            )
        }
        return code
    }

    /// Redeems a one-time sign-in code: a session for its (active) user, or nil when the code is
    /// unknown, used or expired.
    public func redeemSignInCode(_ code: String, tenant: Tenant) async throws -> LoginOutcome? {
        guard code.hasPrefix(Self.signInCodePrefix), code.utf8.count <= 128 else { return nil }
        let now = store.clock.nowMillis()
        let taken = try await store.write {
            try await SSOTransientRepository($0, tenant: tenant.id).take(kind: "signin-code", key: BearerToken.hash(code), now: now)
        }
        guard let userID = taken.flatMap({ try? JSONValue.parse($0) })?["user_id"]?.stringValue,
            let user = try await store.read({ try await UserRepository($0, tenant: tenant.id).get(userID) }), user.active
        else { return nil }
        let (session, token) = try await createSession(tenant: tenant.id, userID: user.id, providerID: nil, groups: [],
                                                       settings: Self.settings(of: tenant, defaults: configuration))
        return LoginOutcome(sessionToken: token, session: session, user: user, created: false, returnTo: "/")
    }

    /// Drops expired logins in progress and replay-cache entries.
    public func purgeExpired() async throws -> Int {
        let now = store.clock.nowMillis()
        return try await store.write { try await SSOTransientRepository.purgeExpired($0, now: now) }
    }
}

/// Adapts the store's wall clock (which tests can move) to the SSO layer's.
struct StoreSSOClock: SSOClock {
    let clock: any WallClock
    func timeSinceEpoch() -> Duration { .milliseconds(clock.nowMillis()) }
}

/// Logins in progress, kept in the database (`sso_transients`) so a restart or a second
/// gateway process can finish them; each can be taken once.
struct StoredPendingLogins<Record: Sendable>: PendingLoginStore {
    let store: Store
    let tenant: TenantID
    let kind: String
    let encode: @Sendable (Record) -> JSONValue
    let decode: @Sendable (JSONValue) -> Record?

    /// Most logins in progress per tenant and protocol: the login endpoints are unauthenticated,
    /// so their state is bounded (further starts are refused until some expire).
    static var capacity: Int { 10_000 }

    func insert(_ record: Record, key: String, expiresAt: Duration, now: Duration) async throws {
        let text = encode(record).serialized()
        let (tenant, kind) = (self.tenant, self.kind)
        let inserted = try await store.write { db -> Bool in
            let transients = SSOTransientRepository(db, tenant: tenant)
            guard try await transients.count(kind: kind, now: now.milliseconds) < Self.capacity else { return false }
            return try await transients.insert(kind: kind, key: key, record: text, expiresAt: expiresAt.milliseconds, now: now.milliseconds)
        }
        if !inserted { throw PendingLoginStoreFull() }
    }

    func take(key: String, now: Duration) async throws -> Record? {
        guard key.utf8.count <= 512 else { return nil }
        let text = try await store.write { try await SSOTransientRepository($0, tenant: tenant).take(kind: kind, key: key, now: now.milliseconds) }
        return text.flatMap { try? JSONValue.parse($0) }.flatMap(decode)
    }
}

/// The SAML replay cache in the database: an assertion id is claimed once until it expires.
struct StoredReplayCache: SAMLReplayCache {
    let store: Store
    let tenant: TenantID

    func claim(_ key: String, until: Duration, now: Duration) async throws -> Bool {
        // The key holds the IdP entity id and assertion id; store its hash, bounded in size.
        let hashed = BearerToken.hash(key)
        return try await store.write {
            try await SSOTransientRepository($0, tenant: tenant).insert(kind: "saml-replay", key: hashed, record: "{}", expiresAt: until.milliseconds,
                                                                       now: now.milliseconds)
        }
    }
}
