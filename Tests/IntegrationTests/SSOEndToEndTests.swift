import AsyncHTTPClient
import FlowgateTesting
import Foundation
import Identity
import JSON
import NIOHTTP1
import Testing

/// Single sign-on through the live gateway, against real identity providers on loopback
/// (Authlib for OpenID Connect, pysaml2 for SAML), driven by a client that follows redirects
/// and posts forms like a browser and keeps the cookies the gateway sets.
@Suite("Single sign-on through the gateway", .enabled(if: Peer.available, "needs the test peers and xmlsec1: run make test, or set FLOWGATE_PYTHON"))
struct SSOEndToEndTests {
    /// A browser's view of the gateway: its cookies (by name) and how to use them.
    struct Session {
        let api: APIClient
        var cookies: [String: String] = [:]

        var cookieHeader: [(String, String)] {
            cookies.isEmpty ? [] : [("Cookie", cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; "))]
        }

        /// Applies a response's Set-Cookie headers (Max-Age=0 deletes).
        mutating func remember(_ headers: [(String, String)]) {
            for (name, value) in headers where name.lowercased() == "set-cookie" {
                let pair = value.split(separator: ";", maxSplits: 1)[0]
                guard let eq = pair.firstIndex(of: "=") else { continue }
                let key = String(pair[..<eq])
                let v = String(pair[pair.index(after: eq)...])
                if value.contains("Max-Age=0") || v.isEmpty { cookies.removeValue(forKey: key) } else { cookies[key] = v }
            }
        }

        /// A call to the API with the cookies (and no token).
        func call(_ method: HTTPMethod, _ path: String, json: JSONValue? = nil, csrf: String? = nil) async throws -> APIResponse {
            var headers = cookieHeader
            if let csrf { headers.append(("X-CSRF-Token", csrf)) }
            return try await api.with(token: nil).send(method, path, json: json, headers: headers)
        }
    }

    static func setCookies(_ headers: [(String, String)]) -> [String] {
        headers.filter { $0.0.lowercased() == "set-cookie" }.map(\.1)
    }

    /// Creates a tenant with `flowgate-admins` mapped to the admin role.
    static func tenant(_ api: APIClient, _ slug: String) async throws {
        #expect(try await api.post("/api/v1/tenants", ["slug": .string(slug), "name": .string(slug)]).status == 201)
        #expect(try await api.put("/api/v1/tenants/\(slug)/group-roles", ["mappings": ["flowgate-admins": "admin"]]).status == 200)
    }

    /// Adds the Authlib provider to a tenant and registers the gateway's redirect URI there.
    static func addOIDC(_ api: APIClient, _ browser: Browser, peer: Peer, tenant: String, clientID: String) async throws -> JSONValue {
        let created = try await api.post("/api/v1/tenants/\(tenant)/identity-providers", [
            "type": "oidc", "name": "corp", "issuer": .string(peer.baseURL), "client_id": .string(clientID),
            "client_secret": .string("secret-\(clientID)-value"),
        ])
        #expect(created.status == 201, "\(created.text)")
        let redirect = created.json["redirect_uri"]?.stringValue ?? ""
        let registration = #"{"client_id": "\#(clientID)", "client_secret": "secret-\#(clientID)-value", "redirect_uris": ["\#(redirect)"]}"#
        _ = try await browser.request(.POST, peer.baseURL + "/admin/clients", json: registration)
        return created.json
    }

    /// Starts a sign-in at the gateway and lets the browser follow the provider's redirects
    /// back to the gateway's callback; returns the callback URL (not yet requested).
    static func authorize(_ session: inout Session, _ browser: Browser, loginURL: String) async throws -> String {
        let start = try await browser.request(.GET, loginURL + "?return_to=/app/editor")
        #expect(start.status == 302)
        session.remember(start.headers)
        let binding = setCookies(start.headers).first { $0.hasPrefix("fg_sso_binding=") } ?? ""
        #expect(binding.contains("HttpOnly") && binding.contains("SameSite="))
        return try await browser.follow(start.header("Location") ?? "", until: session.api.baseURL)
    }

    static func callback(_ session: inout Session, _ browser: Browser, _ url: String) async throws -> BrowserResponse {
        let response = try await browser.request(.GET, url, headers: session.cookieHeader)
        session.remember(response.headers)
        return response
    }

    @Test("OIDC: a complete sign-in; the session works, groups become roles, CSRF is enforced, logout ends it; the audit log has it all")
    func oidcLogin() async throws {
        try await withHTTPClient { client in
            try await Peer.with("oidc_op.py") { peer in
                try await TestGateway.with(singleSignOn: true) { api in
                    let browser = Browser(client: client)
                    try await Self.tenant(api, "acme")
                    try await Self.tenant(api, "globex")
                    let idp = try await Self.addOIDC(api, browser, peer: peer, tenant: "acme", clientID: "flowgate-acme")
                    #expect(idp["client_secret"] == nil, "the client secret is never shown")
                    let loginURL = idp["login_url"]?.stringValue ?? ""

                    var session = Session(api: api)
                    let callbackURL = try await Self.authorize(&session, browser, loginURL: loginURL)
                    let done = try await Self.callback(&session, browser, callbackURL)
                    #expect(done.status == 303, "\(done.body)")
                    #expect(done.header("Location") == "/app/editor")
                    let cookie = Self.setCookies(done.headers).first { $0.hasPrefix("fg_session=") } ?? ""
                    #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"))
                    #expect(!cookie.contains("Secure"), "served over plain http, so not Secure")
                    #expect(session.cookies["fg_session"] != nil)
                    #expect(session.cookies["fg_sso_binding"] == nil, "the binding cookie is cleared")

                    // Who am I: the JIT user, with the role the provider's group maps to.
                    let me = try await session.call(.GET, "/api/v1/session")
                    #expect(me.status == 200, "\(me.text)")
                    #expect(me.json["tenant"]?.stringValue == "acme")
                    #expect(me.json["principal"]?["type"]?.stringValue == "User")
                    #expect(me.json["principal"]?["name"]?.stringValue == "ada@example.test")
                    #expect(me.json["principal"]?["roles"]?.arrayValue?.contains("admin") == true)
                    let csrf = me.json["csrf_token"]?.stringValue ?? ""
                    #expect(!csrf.isEmpty)

                    // The session reaches what an admin may, and only in its own tenant.
                    #expect(try await session.call(.GET, "/api/v1/tenants/acme/users").status == 200)
                    #expect(try await session.call(.GET, "/api/v1/tenants/globex/users").status == 404)
                    // State changes need the CSRF token.
                    let settings: JSONValue = ["session_idle_minutes": 30]
                    let noCSRF = try await session.call(.PUT, "/api/v1/tenants/acme/sso-settings", json: settings)
                    #expect(noCSRF.status == 403 && noCSRF.json["type"]?.stringValue?.hasSuffix("/csrf") == true)
                    #expect(try await session.call(.PUT, "/api/v1/tenants/acme/sso-settings", json: settings, csrf: "x" + csrf).status == 403)
                    #expect(try await session.call(.PUT, "/api/v1/tenants/acme/sso-settings", json: settings, csrf: csrf).status == 200)

                    // A second sign-in finds the same user by (issuer, subject), creating none.
                    var second = Session(api: api)
                    _ = try await Self.callback(&second, browser, try await Self.authorize(&second, browser, loginURL: loginURL))
                    let users = try await api.get("/api/v1/tenants/acme/users")
                    #expect(users.json["items"]?.arrayValue?.filter { $0["user_name"]?.stringValue == "ada@example.test" }.count == 1)
                    #expect(try await second.call(.GET, "/api/v1/session").status == 200)

                    // Logout needs CSRF, ends this session only, and clears the cookie.
                    #expect(try await session.call(.POST, "/api/v1/session/logout").status == 403)
                    let out = try await session.call(.POST, "/api/v1/session/logout", csrf: csrf)
                    #expect(out.status == 204)
                    #expect(out.headers.contains { $0.0.lowercased() == "set-cookie" && $0.1.hasPrefix("fg_session=;") && $0.1.contains("Max-Age=0") })
                    #expect(try await session.call(.GET, "/api/v1/session").status == 401)
                    #expect(try await second.call(.GET, "/api/v1/session").status == 200)

                    // Deactivating the user ends every session at once.
                    let userID = users.json["items"]?.arrayValue?.first { $0["user_name"]?.stringValue == "ada@example.test" }?["id"]?.stringValue ?? ""
                    #expect(try await api.patch("/api/v1/tenants/acme/users/\(userID)", ["active": false]).status == 200)
                    #expect(try await second.call(.GET, "/api/v1/session").status == 401)

                    // The audit log has the sign-ins and the logout, and nothing secret.
                    let audit = try await api.get("/api/v1/tenants/acme/audit?limit=1000")
                    let entries = audit.json["items"]?.arrayValue ?? []
                    let logins = entries.filter { $0["action"]?.stringValue == "sso.login" && $0["outcome"]?.stringValue == "success" }
                    #expect(logins.count == 2)
                    #expect(logins.allSatisfy { $0["principal"]?.stringValue == "User::\"\(userID)\"" })
                    #expect(entries.contains { $0["action"]?.stringValue == "session.logout" && $0["outcome"]?.stringValue == "success" })
                    let text = audit.text
                    for secret in [session.cookies["fg_session"] ?? "never", second.cookies["fg_session"] ?? "never", "secret-flowgate-acme-value", csrf] {
                        #expect(!text.contains(secret))
                    }
                    let query = Browser.query(of: callbackURL)
                    #expect(!text.contains(query["code"] ?? "never") && !text.contains(query["state"] ?? "never"))
                }
            }
        }
    }

    @Test("OIDC refusals through the gateway: each answered 403 with its reason, no session, audited")
    func oidcRefusals() async throws {
        try await withHTTPClient { client in
            try await Peer.with("oidc_op.py") { peer in
                try await TestGateway.with(singleSignOn: true) { api in
                    let browser = Browser(client: client)
                    try await Self.tenant(api, "acme")
                    try await Self.tenant(api, "globex")
                    let idp = try await Self.addOIDC(api, browser, peer: peer, tenant: "acme", clientID: "flowgate-acme")
                    let loginURL = idp["login_url"]?.stringValue ?? ""
                    func setMode(_ mode: String) async throws {
                        _ = try await browser.request(.POST, peer.baseURL + "/admin/mode", json: #"{"mode": "\#(mode)"}"#)
                    }
                    func expectRefused(_ response: BrowserResponse, _ session: Session, _ what: Comment) {
                        #expect(response.status == 403, what)
                        #expect(response.body.contains("sign-in refused"), what)
                        #expect(session.cookies["fg_session"] == nil, what)
                    }
                    // alg none, a key the provider does not publish, wrong audience, expired, wrong nonce, issuer mix-up.
                    for mode in ["alg_none", "unknown_kid", "bad_signature", "wrong_aud", "expired", "wrong_nonce", "wrong_iss_param", "wrong_issuer_token"] {
                        try await setMode(mode)
                        var session = Session(api: api)
                        let url = try await Self.authorize(&session, browser, loginURL: loginURL)
                        expectRefused(try await Self.callback(&session, browser, url), session, "\(mode)")
                    }
                    try await setMode("normal")

                    // A replayed callback (state used once), a missing state, another browser's callback.
                    var session = Session(api: api)
                    let url = try await Self.authorize(&session, browser, loginURL: loginURL)
                    var other = Session(api: api)
                    expectRefused(try await Self.callback(&other, browser, url), other, "callback in a browser without the binding cookie")
                    var fresh = Session(api: api)
                    let good = try await Self.authorize(&fresh, browser, loginURL: loginURL)
                    #expect(try await Self.callback(&fresh, browser, good).status == 303)
                    var replay = fresh
                    replay.cookies.removeValue(forKey: "fg_session")
                    expectRefused(try await Self.callback(&replay, browser, good), replay, "replayed state")
                    let withoutState = good.replacingOccurrences(of: "state=", with: "xstate=")
                    var missing = Session(api: api)
                    expectRefused(try await Self.callback(&missing, browser, withoutState), missing, "missing state")

                    // A callback for acme's login presented at globex's endpoint: globex has no such provider.
                    let globexURL = url.replacingOccurrences(of: "/sso/acme/", with: "/sso/globex/")
                    #expect(try await Self.callback(&session, browser, globexURL).status == 404)
                    // Its own provider (same issuer, another client) refuses acme's state too.
                    let globexIdP = try await Self.addOIDC(api, browser, peer: peer, tenant: "globex", clientID: "flowgate-globex")
                    let crossed = url.replacingOccurrences(of: "/sso/acme/\(idp["id"]?.stringValue ?? "")/", with: "/sso/globex/\(globexIdP["id"]?.stringValue ?? "")/")
                    expectRefused(try await Self.callback(&session, browser, crossed), session, "acme's login at globex's callback")

                    let audit = try await api.get("/api/v1/tenants/acme/audit?limit=1000").json["items"]?.arrayValue ?? []
                    let refused = audit.filter { $0["action"]?.stringValue == "sso.login" && $0["decision"]?.stringValue == "deny" }
                    #expect(refused.count >= 11)
                    #expect(refused.allSatisfy { $0["principal"]?.stringValue == #"Anonymous::"browser""# && !($0["reasons"]?.arrayValue ?? []).isEmpty })
                    let reasons = Set(refused.flatMap { $0["reasons"]?.arrayValue?.compactMap(\.stringValue) ?? [] })
                    for reason in ["algorithmNotAllowed", "audience", "expired", "nonce", "issuerParameter", "stateUnknown", "browserBinding"] {
                        #expect(reasons.contains(reason), "audit reasons: \(reasons.sorted())")
                    }
                    #expect(try await api.get("/api/v1/tenants/acme/users").json["items"]?.arrayValue?.count == 1, "only the one good sign-in made a user")
                }
            }
        }
    }

    @Test("SAML: a complete sign-in through the gateway; wrapping, tampering, replay and wrong-tenant responses are refused")
    func samlLogin() async throws {
        try await withHTTPClient { client in
            try await Peer.with("saml_idp.py") { peer in
                try await TestGateway.with(singleSignOn: true) { api in
                    let browser = Browser(client: client)
                    try await Self.tenant(api, "acme")
                    try await Self.tenant(api, "globex")
                    let metadata = try await browser.request(.GET, peer.baseURL + "/metadata").body
                    func addSAML(_ tenant: String) async throws -> JSONValue {
                        let created = try await api.post("/api/v1/tenants/\(tenant)/identity-providers", [
                            "type": "saml", "name": "corp-saml", "metadata_xml": .string(metadata),
                        ])
                        #expect(created.status == 201, "\(created.text)")
                        // The IdP learns this SP from the gateway's own metadata.
                        let spMetadata = try await browser.request(.GET, created.json["metadata_url"]?.stringValue ?? "")
                        #expect(spMetadata.status == 200 && spMetadata.body.contains("AssertionConsumerService"))
                        #expect(try await browser.request(.POST, peer.baseURL + "/admin/sp", json: spMetadata.body).status == 200)
                        return created.json
                    }
                    let acme = try await addSAML("acme")
                    let globex = try await addSAML("globex")
                    // The same IdP added from its metadata URL reads the same entity id and certificates.
                    let byURL = try await api.post("/api/v1/tenants/globex/identity-providers", [
                        "type": "saml", "name": "by-url", "metadata_url": .string(peer.baseURL + "/metadata"),
                    ])
                    #expect(byURL.status == 201, "\(byURL.text)")
                    #expect(byURL.json["entity_id"] == globex["entity_id"] && byURL.json["certificate_count"] == globex["certificate_count"])
                    #expect(try await api.post("/api/v1/tenants/globex/identity-providers", [
                        "type": "saml", "name": "bad-url", "metadata_url": .string(peer.baseURL + "/no-such-metadata"),
                    ]).status == 422)

                    /// Starts a sign-in and fetches the IdP's auto-post form.
                    func authenticate(_ idp: JSONValue) async throws -> (Session, [String: String], String) {
                        var session = Session(api: api)
                        let start = try await browser.request(.GET, (idp["login_url"]?.stringValue ?? "") + "?return_to=/app")
                        #expect(start.status == 302)
                        let binding = Self.setCookies(start.headers).first { $0.hasPrefix("fg_sso_binding=") } ?? ""
                        // Attributes in any order: SameSite=None, which browsers accept only with Secure.
                        #expect(binding.contains("SameSite=None") && binding.split(separator: ";").contains { $0.trimmingCharacters(in: .whitespaces) == "Secure" })
                        session.remember(start.headers)
                        let (action, fields) = try await browser.fetchForm(start.header("Location") ?? "")
                        return (session, fields, action)
                    }
                    func post(_ session: inout Session, _ action: String, _ fields: [String: String]) async throws -> BrowserResponse {
                        let response = try await browser.request(
                            .POST, action, form: fields.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, headers: session.cookieHeader
                        )
                        session.remember(response.headers)
                        return response
                    }

                    var (session, form, action) = try await authenticate(acme)
                    #expect(action == acme["acs_url"]?.stringValue)
                    let done = try await post(&session, action, form)
                    #expect(done.status == 303, "\(done.body)")
                    #expect(done.header("Location") == "/app")
                    let me = try await session.call(.GET, "/api/v1/session")
                    #expect(me.json["principal"]?["name"]?.stringValue == "grace@example.test")
                    #expect(me.json["principal"]?["roles"]?.arrayValue?.contains("admin") == true)
                    let csrf = me.json["csrf_token"]?.stringValue ?? ""

                    // The same response again: refused (its request was answered, the assertion used).
                    var replay = Session(api: api)
                    replay.cookies = session.cookies.filter { $0.key != "fg_session" }
                    let replayed = try await post(&replay, action, form)
                    #expect(replayed.status == 403 && replay.cookies["fg_session"] == nil)

                    // Attacker edits of a genuine response.
                    for variant in ["assertion_beside", "assertion_before", "moved_into_extensions", "decoy_signature", "comment_in_nameid", "strip_signatures"] {
                        var (s, f, a) = try await authenticate(acme)
                        let forged = try await browser.request(
                            .POST, peer.baseURL + "/admin/tamper", json: #"{"response": "\#(f["SAMLResponse"] ?? "")", "variant": "\#(variant)"}"#
                        )
                        let object = try JSONSerialization.jsonObject(with: Data(forged.body.utf8)) as? [String: String]
                        f["SAMLResponse"] = object?["response"] ?? ""
                        let answer = try await post(&s, a, f)
                        #expect(answer.status == 403, "\(variant): \(answer.body.prefix(200))")
                        #expect(s.cookies["fg_session"] == nil, "\(variant)")
                    }
                    // Responses the IdP itself got wrong.
                    for mode in ["wrong_destination", "wrong_recipient", "wrong_audience", "expired", "unsigned", "other_key"] {
                        _ = try await browser.request(.POST, peer.baseURL + "/admin/mode", json: #"{"mode": "\#(mode)"}"#)
                        var (s, f, a) = try await authenticate(acme)
                        let answer = try await post(&s, a, f)
                        #expect(answer.status == 403, "\(mode): \(answer.body.prefix(200))")
                        #expect(s.cookies["fg_session"] == nil, "\(mode)")
                    }
                    _ = try await browser.request(.POST, peer.baseURL + "/admin/mode", json: #"{"mode": "assertion_signed"}"#)

                    // A valid response for acme posted to globex's ACS (with globex's own pending request).
                    let (a1, acmeForm, _) = try await authenticate(acme)
                    var (g1, globexForm, globexAction) = try await authenticate(globex)
                    globexForm["SAMLResponse"] = acmeForm["SAMLResponse"]
                    let crossed = try await post(&g1, globexAction, globexForm)
                    #expect(crossed.status == 403, "\(crossed.body.prefix(200))")
                    #expect(g1.cookies["fg_session"] == nil)
                    _ = a1

                    // Logout; then the audit log names each sign-in and refusal without assertion content.
                    #expect(try await session.call(.POST, "/api/v1/session/logout", csrf: csrf).status == 204)
                    #expect(try await session.call(.GET, "/api/v1/session").status == 401)
                    let audit = try await api.get("/api/v1/tenants/acme/audit?limit=1000")
                    let entries = audit.json["items"]?.arrayValue ?? []
                    #expect(entries.filter { $0["action"]?.stringValue == "sso.login" && $0["outcome"]?.stringValue == "success" }.count == 1)
                    #expect(entries.filter { $0["action"]?.stringValue == "sso.login" && $0["decision"]?.stringValue == "deny" }.count >= 13)
                    #expect(!audit.text.contains(form["SAMLResponse"] ?? "never") && !audit.text.contains("PHNhbWxw"), "no assertion content")
                    let globexAudit = try await api.get("/api/v1/tenants/globex/audit?limit=1000").json["items"]?.arrayValue ?? []
                    #expect(globexAudit.contains { $0["action"]?.stringValue == "sso.login" && $0["decision"]?.stringValue == "deny" })
                }
            }
        }
    }

    @Test("identity-provider API: validation, no secret in answers, just-in-time provisioning off refuses unknown users")
    func providerAPI() async throws {
        try await withHTTPClient { client in
            try await Peer.with("oidc_op.py") { peer in
                try await TestGateway.with(singleSignOn: true) { api in
                    let browser = Browser(client: client)
                    try await Self.tenant(api, "acme")
                    let base = "/api/v1/tenants/acme/identity-providers"
                    #expect(try await api.post(base, ["type": "ldap", "name": "x"]).status == 422)
                    #expect(try await api.post(base, ["type": "oidc", "name": "x", "issuer": "ftp://idp", "client_id": "c", "client_secret": "s"]).status == 422)
                    #expect(try await api.post(base, ["type": "oidc", "name": "x", "issuer": .string(peer.baseURL), "client_id": "c"]).status == 422)
                    #expect(try await api.post(base, ["type": "saml", "name": "x", "entity_id": "e", "sso_url": "https://idp/sso",
                                                      "certificate_pem": "not a certificate"]).status == 422)
                    #expect(try await api.post(base, ["type": "saml", "name": "x", "metadata_xml": "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><x>&e;</x>"]).status == 422)
                    let idp = try await Self.addOIDC(api, browser, peer: peer, tenant: "acme", clientID: "flowgate-acme")
                    let id = idp["id"]?.stringValue ?? ""
                    let listed = try await api.get(base)
                    #expect(listed.json["items"]?.arrayValue?.count == 1)
                    #expect(!listed.text.contains("secret-flowgate-acme-value"))
                    #expect(try await api.get("\(base)/\(id)").json["client_secret_name"]?.stringValue?.hasPrefix("sso_") == true)
                    let duplicate = try await api.post(base, ["type": "oidc", "name": "corp", "issuer": .string(peer.baseURL), "client_id": "c",
                                                              "client_secret": "another-client-secret"])
                    #expect(duplicate.status == 409, "\(duplicate.text)")
                    #expect(try await api.get("/api/v1/tenants/acme/secrets").json["items"]?.arrayValue?.count == 1, "the refused provider's secret is gone")

                    // With just-in-time provisioning off, an unlinked identity cannot sign in...
                    #expect(try await api.put("/api/v1/tenants/acme/sso-settings", ["jit_provisioning": false]).status == 200)
                    var session = Session(api: api)
                    let url = try await Self.authorize(&session, browser, loginURL: idp["login_url"]?.stringValue ?? "")
                    let refused = try await Self.callback(&session, browser, url)
                    #expect(refused.status == 403 && refused.body.contains("just-in-time"))
                    // ...until an admin links an existing user to it (never matched by e-mail).
                    let user = try await api.post("/api/v1/tenants/acme/users", ["user_name": "ada", "email": "ada@example.test"])
                    let userID = user.json["id"]?.stringValue ?? ""
                    #expect(try await api.post("/api/v1/tenants/acme/users/\(userID)/identities",
                                               ["identity_provider": .string(id), "subject": "user-0001"]).status == 201)
                    var linked = Session(api: api)
                    #expect(try await Self.callback(&linked, browser, try await Self.authorize(&linked, browser, loginURL: idp["login_url"]?.stringValue ?? "")).status == 303)
                    #expect(try await linked.call(.GET, "/api/v1/session").json["principal"]?["id"]?.stringValue == userID)

                    // The sign-in page's list: names and login URLs, nothing of the configuration.
                    let options = try await browser.request(.GET, api.baseURL + "/sso/acme")
                    #expect(options.status == 200)
                    let listedOptions = try JSONValue.parse(options.body)["providers"]?.arrayValue ?? []
                    #expect(listedOptions.count == 1 && listedOptions.first?["login_url"]?.stringValue == "/sso/acme/\(id)/login")
                    #expect(!options.body.contains("client") && !options.body.contains(peer.baseURL))
                    #expect(try await browser.request(.GET, api.baseURL + "/sso/no-such-tenant").status == 404)
                    // Unauthenticated requests naming no tenant leave no audit entry (nobody can fill
                    // the platform's chain); those naming a tenant are audited in its chain.
                    #expect(try await browser.request(.GET, api.baseURL + "/sso/no-such-tenant/x/login").status == 404)
                    #expect(try await browser.request(.GET, api.baseURL + "/sso/acme/no-such-idp/login").status == 404)
                    let platformAudit = try await api.get("/api/v1/audit?limit=1000").text
                    #expect(!platformAudit.contains("Anonymous"))
                    let acmeAudit = try await api.get("/api/v1/tenants/acme/audit?limit=1000").json["items"]?.arrayValue ?? []
                    #expect(acmeAudit.contains { $0["resource"]?.stringValue == #"IdentityProvider::"no-such-idp""# && $0["outcome"]?.stringValue == "not_found" })

                    // A client secret too short to mask is refused on its own field.
                    let short = try await api.post(base, ["type": "oidc", "name": "short", "issuer": .string(peer.baseURL), "client_id": "c",
                                                          "client_secret": "x"])
                    #expect(short.status == 422 && short.json["errors"]?[0]?["field"]?.stringValue == "client_secret", "\(short.text)")

                    // Removing the provider ends its sessions and removes the client secret it stored.
                    #expect(try await api.delete("\(base)/\(id)").status == 204)
                    #expect(try await api.get("/api/v1/tenants/acme/secrets").json["items"]?.arrayValue?.isEmpty == true)
                    #expect(try await linked.call(.GET, "/api/v1/session").status == 401)
                    #expect(try await api.get("\(base)/\(id)").status == 404)
                }
            }
        }
    }
}
