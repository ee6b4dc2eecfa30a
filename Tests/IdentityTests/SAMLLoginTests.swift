import AsyncHTTPClient
import NIOHTTP1
import FlowgateTesting
import Foundation
import Identity
import Testing

/// Complete logins against a real pysaml2 identity provider (peers/saml_idp.py) on loopback,
/// driven like a browser, through `SAMLServiceProvider`.
struct SAMLHarness {
    let peer: Peer
    let browser: Browser
    let clock: TestClock
    let store: InMemoryPendingLoginStore<SAMLPendingRequest>
    let replayCache: InMemorySAMLReplayCache
    let idp: SAMLIdentityProviderConfiguration

    init(
        peer: Peer, client: HTTPClient, allowIdPInitiated: Bool = false,
        store: InMemoryPendingLoginStore<SAMLPendingRequest> = .init(), clock: TestClock = TestClock()
    ) async throws {
        self.peer = peer
        self.browser = Browser(client: client)
        self.clock = clock
        self.store = store
        self.replayCache = InMemorySAMLReplayCache()
        // The IdP side of the configuration comes from the IdP's own metadata.
        let metadata = try await browser.request(.GET, peer.baseURL + "/metadata").body
        self.idp = try SAMLIdentityProviderConfiguration.fromMetadata(metadata, allowIdPInitiated: allowIdPInitiated)
    }

    /// A service provider for `tenant`, registered at the IdP through its generated metadata.
    func serviceProvider(
        tenant: String = "acme", connection: String = "corp-saml", allowIdPInitiated: Bool? = nil,
        signing: SAMLSigningCredential? = nil, idp overrideIdP: SAMLIdentityProviderConfiguration? = nil,
        replayCache: InMemorySAMLReplayCache? = nil
    ) async throws -> SAMLServiceProvider {
        var idp = overrideIdP ?? self.idp
        if let allowIdPInitiated { idp.allowIdPInitiated = allowIdPInitiated }
        let sp = SAMLServiceProvider(
            serviceProvider: SAMLServiceProviderConfiguration(
                tenant: tenant, connection: connection, baseURL: "http://127.0.0.1:9", signingCredential: signing
            ),
            identityProvider: idp, store: store, replayCache: replayCache ?? self.replayCache, clock: clock
        )
        let registered = try await browser.request(.POST, peer.baseURL + "/admin/sp", json: sp.metadata())
        #expect(registered.status == 200)
        return sp
    }

    /// Starts a login and lets the browser fetch the IdP's auto-post form; returns what the
    /// browser would post to the ACS.
    func authenticate(_ sp: SAMLServiceProvider) async throws -> (start: SAMLLoginStart, form: [String: String], action: String) {
        let start = try await sp.startLogin(returnTo: "/dashboards")
        let (action, fields) = try await browser.fetchForm(start.redirectURL)
        return (start, fields, action)
    }

    /// A whole login: the browser posts the form to the ACS (served here by `sp.consume`).
    func login(_ sp: SAMLServiceProvider) async throws -> SAMLLoginResult {
        let (start, form, action) = try await authenticate(sp)
        #expect(action == sp.serviceProvider.acsURL)
        return try await sp.consume(
            samlResponse: form["SAMLResponse"] ?? "", relayState: form["RelayState"], browserBinding: start.browserBinding
        )
    }

    func setMode(_ mode: String) async throws {
        _ = try await browser.request(.POST, peer.baseURL + "/admin/mode", json: "{\"mode\": \"\(mode)\"}")
    }

    func tamper(_ response: String, _ variant: String) async throws -> String {
        let answer = try await browser.request(
            .POST, peer.baseURL + "/admin/tamper", json: "{\"response\": \"\(response)\", \"variant\": \"\(variant)\"}"
        )
        let object = try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: String]
        guard let forged = object?["response"] else { throw PeerFailed(message: "tamper failed: \(answer.body.prefix(300))") }
        return forged
    }

    func unsolicited(for sp: SAMLServiceProvider) async throws -> [String: String] {
        let page = try await browser.request(
            .POST, peer.baseURL + "/admin/unsolicited", json: "{\"sp\": \"\(sp.serviceProvider.entityID)\"}"
        )
        return try Browser.parseForm(page.body).fields
    }
}

@Suite("SAML service provider against a real IdP", .enabled(if: Peer.available, "needs the test peers and xmlsec1: run make test, or set FLOWGATE_PYTHON"))
struct SAMLLoginTests {
    @Test("SP-initiated login with an assertion, a response, or both signed")
    func spInitiatedLogin() async throws {
        try await withHTTPClient { client in
            try await Peer.with("saml_idp.py") { peer in
                let harness = try await SAMLHarness(peer: peer, client: client)
                let sp = try await harness.serviceProvider()
                for mode in ["assertion_signed", "response_signed", "both_signed"] {
                    try await harness.setMode(mode)
                    let result = try await harness.login(sp)
                    #expect(result.identity.issuer == harness.idp.entityID, "\(mode)")
                    #expect(result.identity.subject == "grace@example.test")
                    #expect(result.identity.email == "grace@example.test")
                    #expect(result.identity.name == "Grace Hopper")
                    #expect(result.identity.groups == ["compilers", "flowgate-admins"])
                    #expect(result.identity.tenant == "acme")
                    #expect(result.returnTo == "/dashboards")
                    #expect(result.sessionIndex != nil)
                    #expect(!result.idpInitiated)
                }

                // Posting the same response again: the request was answered once already.
                try await harness.setMode("assertion_signed")
                let (start, form, _) = try await harness.authenticate(sp)
                _ = try await sp.consume(samlResponse: form["SAMLResponse"] ?? "", relayState: form["RelayState"], browserBinding: start.browserBinding)
                let replay = await refusal(SAMLError.self) {
                    try await sp.consume(samlResponse: form["SAMLResponse"] ?? "", relayState: form["RelayState"], browserBinding: start.browserBinding)
                }
                #expect(replay == .inResponseTo)
            }
        }
    }

    @Test("signed AuthnRequests over HTTP-Redirect verify at the IdP")
    func signedAuthnRequest() async throws {
        try await withHTTPClient { client in
            try await Peer.with("saml_idp.py") { peer in
                let harness = try await SAMLHarness(peer: peer, client: client)
                _ = try await harness.browser.request(.POST, peer.baseURL + "/admin/require-signed-requests", json: "{\"required\": true}")
                let unsigned = try await harness.serviceProvider(connection: "unsigned")
                let start = try await unsigned.startLogin()
                #expect(try await harness.browser.request(.GET, start.redirectURL).status == 403)

                let signing = try TestKeys.spCredential()
                let sp = try await harness.serviceProvider(signing: signing)
                #expect(sp.metadata().contains("AuthnRequestsSigned=\"true\""))
                let result = try await harness.login(sp)
                #expect(result.identity.subject == "grace@example.test")
            }
        }
    }

    @Test("signature wrapping and other tampering with a genuine response are refused")
    func tamperedResponses() async throws {
        let variants: [(variant: String, error: SAMLError)] = [
            ("assertion_beside", .wrapping),
            ("assertion_before", .wrapping),
            ("moved_into_extensions", .duplicateID),
            ("moved_into_extensions_unique_id", .wrapping),
            ("decoy_signature", .signatureShape),
            ("decoy_signature_nested", .signatureShape),
            ("comment_in_nameid", .nameIDContent),
            ("xpath_transform", .algorithm),
            ("edited_attribute", .signatureInvalid),
            ("strip_signatures", .signatureMissing),
            ("doctype", .doctype),
        ]
        try await withHTTPClient { client in
            try await Peer.with("saml_idp.py") { peer in
                let harness = try await SAMLHarness(peer: peer, client: client)
                let sp = try await harness.serviceProvider()
                for mode in ["assertion_signed", "both_signed"] {
                    try await harness.setMode(mode)
                    let (start, form, _) = try await harness.authenticate(sp)
                    let genuine = form["SAMLResponse"] ?? ""
                    for (variant, expected) in variants {
                        let forged = try await harness.tamper(genuine, variant)
                        var identity: SSOIdentity?
                        let error = await refusal(SAMLError.self) {
                            identity = try await sp.consume(
                                samlResponse: forged, relayState: form["RelayState"], browserBinding: start.browserBinding
                            ).identity
                        }
                        #expect(error == expected, "\(mode)/\(variant): \(String(describing: error))")
                        #expect(identity == nil)
                    }
                    // None of the forgeries consumed the outstanding request: the genuine one still works.
                    let result = try await sp.consume(samlResponse: genuine, relayState: form["RelayState"], browserBinding: start.browserBinding)
                    #expect(result.identity.subject == "grace@example.test")
                }

                // A signed Response wrapped inside a new forged Response.
                try await harness.setMode("response_signed")
                let (start, form, _) = try await harness.authenticate(sp)
                let wrapped = try await harness.tamper(form["SAMLResponse"] ?? "", "response_wrapped")
                let error = await refusal(SAMLError.self) {
                    try await sp.consume(samlResponse: wrapped, relayState: form["RelayState"], browserBinding: start.browserBinding)
                }
                #expect(error == .wrapping)
            }
        }
    }

    @Test("responses the IdP issued wrongly are refused, each for its own reason")
    func misissuedResponses() async throws {
        let modes: [(mode: String, error: SAMLError)] = [
            ("unsigned", .signatureMissing),
            ("other_key", .signatureInvalid),
            ("sha1", .algorithm),
            ("wrong_destination", .destination),
            ("wrong_recipient", .recipient),
            ("wrong_audience", .audience),
            ("wrong_issuer", .issuer),
            ("expired", .expired),
            ("not_yet_valid", .notYetValid),
            ("no_bearer", .bearer("")),
            ("wrong_in_response_to", .inResponseTo),
            ("status_error", .idpStatus("")),
        ]
        try await withHTTPClient { client in
            try await Peer.with("saml_idp.py") { peer in
                let harness = try await SAMLHarness(peer: peer, client: client)
                let sp = try await harness.serviceProvider()
                for (mode, expected) in modes {
                    try await harness.setMode(mode)
                    var identity: SSOIdentity?
                    let error = await refusal(SAMLError.self) { identity = try await harness.login(sp).identity }
                    #expect(error == expected, "\(mode): \(String(describing: error))")
                    #expect(identity == nil)
                }
            }
        }
    }

    @Test("browser binding, RelayState and the injected clock")
    func bindingAndTime() async throws {
        try await withHTTPClient { client in
            try await Peer.with("saml_idp.py") { peer in
                let harness = try await SAMLHarness(peer: peer, client: client)
                let sp = try await harness.serviceProvider()

                var (start, form, _) = try await harness.authenticate(sp)
                #expect(
                    await refusal(SAMLError.self) {
                        try await sp.consume(samlResponse: form["SAMLResponse"] ?? "", relayState: form["RelayState"], browserBinding: "other")
                    } == .browserBinding)

                (start, form, _) = try await harness.authenticate(sp)
                #expect(
                    await refusal(SAMLError.self) {
                        try await sp.consume(samlResponse: form["SAMLResponse"] ?? "", relayState: "forged", browserBinding: start.browserBinding)
                    } == .relayState)

                // Eight minutes later the assertion (5-minute lifetime, 1-minute skew) has expired; the request (10 minutes) has not.
                (start, form, _) = try await harness.authenticate(sp)
                let late = SAMLServiceProvider(
                    serviceProvider: sp.serviceProvider, identityProvider: sp.identityProvider, store: harness.store,
                    replayCache: harness.replayCache, clock: harness.clock
                )
                harness.clock.advance(by: .seconds(8 * 60))
                #expect(
                    await refusal(SAMLError.self) {
                        try await late.consume(samlResponse: form["SAMLResponse"] ?? "", relayState: form["RelayState"], browserBinding: start.browserBinding)
                    } == .expired)
            }
        }
    }

    @Test("IdP-initiated login only where allowed; replays are caught by the assertion cache")
    func idpInitiated() async throws {
        try await withHTTPClient { client in
            try await Peer.with("saml_idp.py") { peer in
                let harness = try await SAMLHarness(peer: peer, client: client)
                let strict = try await harness.serviceProvider(connection: "strict", allowIdPInitiated: false)
                var form = try await harness.unsolicited(for: strict)
                #expect(
                    await refusal(SAMLError.self) {
                        try await strict.consume(samlResponse: form["SAMLResponse"] ?? "", relayState: nil, browserBinding: nil)
                    } == .unsolicited)

                let open = try await harness.serviceProvider(connection: "open", allowIdPInitiated: true)
                form = try await harness.unsolicited(for: open)
                let result = try await open.consume(samlResponse: form["SAMLResponse"] ?? "", relayState: nil, browserBinding: nil)
                #expect(result.idpInitiated)
                #expect(result.returnTo == nil)
                #expect(result.identity.subject == "grace@example.test")
                // The same assertion again: refused by the replay cache until it expires.
                #expect(
                    await refusal(SAMLError.self) {
                        try await open.consume(samlResponse: form["SAMLResponse"] ?? "", relayState: nil, browserBinding: nil)
                    } == .replay)
            }
        }
    }

    @Test("an assertion for one tenant's SP is refused by another tenant's SP")
    func tenantBinding() async throws {
        try await withHTTPClient { client in
            try await Peer.with("saml_idp.py") { peer in
                let harness = try await SAMLHarness(peer: peer, client: client)
                let acme = try await harness.serviceProvider(tenant: "acme", allowIdPInitiated: true)
                let globex = try await harness.serviceProvider(tenant: "globex", allowIdPInitiated: true)

                // SP-initiated at acme, posted to globex's ACS (shared request store).
                let (start, form, _) = try await harness.authenticate(acme)
                #expect(
                    await refusal(SAMLError.self) {
                        try await globex.consume(samlResponse: form["SAMLResponse"] ?? "", relayState: form["RelayState"], browserBinding: start.browserBinding)
                    } == .connectionMismatch)

                // IdP-initiated for acme, posted to globex (which accepts unsolicited responses):
                // the Destination, Recipient and Audience all name acme.
                let unsolicited = try await harness.unsolicited(for: acme)
                #expect(
                    await refusal(SAMLError.self) {
                        try await globex.consume(samlResponse: unsolicited["SAMLResponse"] ?? "", relayState: nil, browserBinding: nil)
                    } == .destination)
                // And acme accepts it.
                #expect(try await acme.consume(samlResponse: unsolicited["SAMLResponse"] ?? "", relayState: nil, browserBinding: nil).identity.tenant == "acme")
            }
        }
    }

    @Test("only the tenant's configured certificates count, never KeyInfo")
    func configuredCertificatesOnly() async throws {
        try await withHTTPClient { client in
            try await Peer.with("saml_idp.py") { peer in
                let harness = try await SAMLHarness(peer: peer, client: client)
                // A tenant that configured a different certificate for the same IdP: every genuine
                // response is refused even though its KeyInfo carries the IdP's real certificate.
                var other = harness.idp
                other.certificates = [try TestKeys.spCredential().certificatePEM]
                let sp = try await harness.serviceProvider(idp: other)
                #expect(await refusal(SAMLError.self) { try await harness.login(sp) } == .signatureInvalid)
            }
        }
    }
}
