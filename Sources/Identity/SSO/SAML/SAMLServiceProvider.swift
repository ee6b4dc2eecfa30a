import Logging

/// Remembers used assertion IDs until they expire, so a captured response cannot be posted again.
public protocol SAMLReplayCache: Sendable {
    /// Records `key` until `until`; returns false when it was already recorded and unexpired.
    func claim(_ key: String, until: Duration, now: Duration) async throws -> Bool
}

/// A bounded in-process replay cache (one process; a cluster uses its database).
public actor InMemorySAMLReplayCache: SAMLReplayCache {
    private var seen: [String: Duration] = [:]
    private let capacity: Int

    /// - Parameter capacity: most remembered assertions; when full after dropping expired
    ///   ones, new assertions are refused (fail closed). Default 100,000.
    public init(capacity: Int = 100_000) {
        self.capacity = capacity
    }

    public func claim(_ key: String, until: Duration, now: Duration) throws -> Bool {
        if let expiry = seen[key], expiry > now { return false }
        if seen.count >= capacity {
            seen = seen.filter { $0.value > now }
            guard seen.count < capacity else { throw PendingLoginStoreFull() }
        }
        seen[key] = until
        return true
    }
}

/// A finished SAML login.
public struct SAMLLoginResult: Sendable, CustomStringConvertible {
    /// Who signed in: issuer = IdP entity id, subject = NameID.
    public var identity: SSOIdentity
    /// The `returnTo` given when the login started (nil for IdP-initiated logins).
    public var returnTo: String?
    /// The IdP session index, for single logout later.
    public var sessionIndex: String?
    /// Whether the IdP started this login (unsolicited response).
    public var idpInitiated: Bool
    public var description: String { "SAMLLoginResult(\(identity), idpInitiated: \(idpInitiated))" }
}

/// One tenant's SAML 2.0 service provider: metadata, AuthnRequest (HTTP-Redirect) and the
/// assertion consumer service (HTTP-POST).
///
/// The gateway maps it to HTTP as:
/// - `GET /sso/{tenant}/{idp}/metadata` → `metadata()` (application/samlmetadata+xml)
/// - `GET /sso/{tenant}/{idp}/login` → `startLogin` → 302 to `redirectURL`, set the binding cookie
/// - `POST /sso/{tenant}/{idp}/acs` → `consume(samlResponse:relayState:browserBinding:)` → session
public struct SAMLServiceProvider: Sendable {
    /// This SP (tenant, connection, URLs, limits).
    public let serviceProvider: SAMLServiceProviderConfiguration
    /// The tenant's IdP (entity id, SSO URL, certificates, policy).
    public let identityProvider: SAMLIdentityProviderConfiguration
    let store: any PendingLoginStore<SAMLPendingRequest>
    let replayCache: any SAMLReplayCache
    let clock: any SSOClock
    let random: any SSORandom

    public init(
        serviceProvider: SAMLServiceProviderConfiguration, identityProvider: SAMLIdentityProviderConfiguration,
        store: any PendingLoginStore<SAMLPendingRequest>, replayCache: any SAMLReplayCache,
        clock: any SSOClock = SystemSSOClock(), random: any SSORandom = SystemSSORandom()
    ) {
        self.serviceProvider = serviceProvider
        self.identityProvider = identityProvider
        self.store = store
        self.replayCache = replayCache
        self.clock = clock
        self.random = random
    }

    /// The SP metadata document.
    public func metadata() -> String { SAMLMetadata.serviceProvider(serviceProvider) }

    /// Starts a login: stores the pending request and returns the redirect and cookie.
    public func startLogin(returnTo: String? = nil) async throws(SAMLError) -> SAMLLoginStart {
        let now = clock.timeSinceEpoch()
        let start = try SAMLAuthnRequest.make(
            sp: serviceProvider, idp: identityProvider, returnTo: returnTo, now: now, random: random
        )
        do {
            try await store.insert(start.pending, key: start.pending.requestID, expiresAt: start.pending.expiresAt, now: now)
        } catch {
            throw .store
        }
        return start
    }

    /// Consumes the form fields posted to the ACS URL; `browserBinding` is the cookie value.
    /// Throws `SAMLError` for every refusal; on success the assertion is recorded as used.
    ///
    /// - Parameter logger: the request's logger; refusals are logged at `notice` with
    ///   `fg.tenant`, `fg.sso.connection` and `fg.sso.refusal` (never the assertion or NameID).
    public func consume(
        samlResponse: String, relayState: String?, browserBinding: String?, logger: Logger = SSOLogging.silent
    ) async throws(SAMLError) -> SAMLLoginResult {
        let metadata = SSOLogging.metadata(tenant: serviceProvider.tenant, connection: serviceProvider.connection)
        do {
            let result = try await runConsume(samlResponse: samlResponse, relayState: relayState, browserBinding: browserBinding)
            logger.info("SAML login", metadata: metadata)
            return result
        } catch {
            var refusal = metadata
            refusal["fg.sso.refusal"] = "\(error)"
            logger.notice("SAML login refused", metadata: refusal)
            throw error
        }
    }

    private func runConsume(samlResponse: String, relayState: String?, browserBinding: String?) async throws(SAMLError) -> SAMLLoginResult {
        let now = clock.timeSinceEpoch()
        // Base64 inflates by 4/3; refuse oversized input before decoding it.
        guard samlResponse.utf8.count <= serviceProvider.maxResponseBytes / 3 * 4 + 1024 else { throw .tooLarge }
        guard let xml = Base64.decode(samlResponse, ignoringWhitespace: true) else { throw .malformed("SAMLResponse is not base64") }
        let (facts, success) = try XMLSec.openResponse(
            xml, maxBytes: serviceProvider.maxResponseBytes, certificates: identityProvider.certificates,
            allowSHA1: serviceProvider.allowSHA1
        )
        guard success else {
            throw .idpStatus(facts.first("status.subcode") ?? facts.first("status.code") ?? "unknown")
        }

        // Which request this answers: the signed bearer confirmation's InResponseTo, else the Response's.
        let requestID = facts.pairs.first { $0.key == "confirmation.inresponseto" }?.value ?? facts.first("response.inresponseto")
        var pending: SAMLPendingRequest?
        if let requestID {
            let taken: SAMLPendingRequest?
            do {
                taken = try await store.take(key: requestID, now: now)
            } catch {
                throw .store
            }
            guard let taken else { throw .inResponseTo }
            guard taken.tenant == serviceProvider.tenant, taken.connection == serviceProvider.connection,
                taken.idpEntityID == identityProvider.entityID
            else { throw .connectionMismatch }
            guard let browserBinding, SSOSupport.constantTimeEquals(SSOSupport.sha256Hex(browserBinding), taken.browserBindingHash)
            else { throw .browserBinding }
            guard let relayState, SSOSupport.constantTimeEquals(relayState, taken.relayState) else { throw .relayState }
            pending = taken
        } else {
            guard identityProvider.allowIdPInitiated else { throw .unsolicited }
        }

        let validated = try SAMLResponseValidator.validate(
            facts, sp: serviceProvider, idp: identityProvider, expectedRequestID: pending?.requestID, now: now
        )
        let fresh: Bool
        do {
            fresh = try await replayCache.claim(
                identityProvider.entityID + "\n" + validated.assertionID, until: validated.expiresAt, now: now
            )
        } catch {
            throw .store
        }
        guard fresh else { throw .replay }
        return SAMLLoginResult(
            identity: validated.identity, returnTo: pending?.returnTo, sessionIndex: validated.sessionIndex,
            idpInitiated: pending == nil
        )
    }
}
