import Foundation
import HTTPTypes
import Hummingbird
import Identity
import JSON
import Store

extension Gateway {
    // MARK: Sign-in endpoints (/sso/{tenant}/{idp}/...)

    /// The browser-facing single sign-on endpoints of each identity provider: unauthenticated,
    /// every one audited (the signed-in user on success, `Anonymous` otherwise, with the
    /// refusal's reason and never a token, code or assertion).
    func addSSORoutes(sso group: RouterGroup<FlowgateRequestContext>) {
        let gateway = self
        let prefix = "/sso/:tenant/:idp"

        register(group, prefix: prefix, .get, "login") { request, context in
            let (tenant, idp) = try await gateway.ssoTarget(context, action: "sso.login_start")
            let start = try await gateway.refusing(context, tenant: tenant, idp: idp) {
                try await gateway.sso.startLogin(tenant: tenant, providerID: idp, returnTo: request.uri.queryParameters.get("return_to"))
            }
            let record = try await gateway.sso.provider(in: tenant.id, id: idp)
            // OIDC returns by a top-level GET (Lax suffices); SAML by a cross-site POST, which
            // only sends a SameSite=None cookie (and browsers require Secure with None).
            let saml = record.type == "saml"
            let cookie = Cookie(
                name: SSOService.bindingCookie, value: start.binding, maxAge: Int(start.bindingMaxAge.components.seconds),
                path: Self.bindingPath(tenant, idp), secure: saml || gateway.sso.configuration.secureCookies, httpOnly: true,
                sameSite: saml ? .none : .lax
            )
            var response = Response(status: .found, headers: [.location: start.location, .cacheControl: "no-store"])
            response.setCookie(cookie)
            return response
        }
        register(group, prefix: prefix, .get, "callback") { request, context in
            let (tenant, idp) = try await gateway.ssoTarget(context, action: "sso.login")
            context.audit?.update { $0.detail["protocol"] = "oidc" }
            let outcome = try await gateway.refusing(context, tenant: tenant, idp: idp) {
                try await gateway.sso.finishOIDC(
                    tenant: tenant, providerID: idp, query: request.uri.query ?? "",
                    binding: AuthenticationMiddleware.cookie(SSOService.bindingCookie, in: request), logger: context.logger
                )
            }
            return gateway.signedIn(outcome, tenant: tenant, idp: idp, context: context)
        }
        register(group, prefix: prefix, .get, "metadata") { _, context in
            let (tenant, idp) = try await gateway.ssoTarget(context, action: "sso.metadata")
            let xml = try await gateway.sso.samlMetadata(tenant: tenant, providerID: idp)
            return Response(status: .ok, headers: [.contentType: "application/samlmetadata+xml"], body: .init(byteBuffer: ByteBuffer(string: xml)))
        }
        register(group, prefix: prefix, .post, "acs") { request, context in
            let (tenant, idp) = try await gateway.ssoTarget(context, action: "sso.login")
            context.audit?.update { $0.detail["protocol"] = "saml" }
            var request = request
            let body = try await request.collectBody(upTo: context.maxUploadSize)
            guard let fields = FormEncoding.decode(String(buffer: body)) else {
                throw Problem.badRequest("the body must be an application/x-www-form-urlencoded form")
            }
            guard fields.filter({ $0.0 == "SAMLResponse" }).count == 1, let samlResponse = fields.first(where: { $0.0 == "SAMLResponse" })?.1 else {
                throw Problem.badRequest("the form must carry exactly one SAMLResponse")
            }
            let relayState = fields.first { $0.0 == "RelayState" }?.1
            let outcome = try await gateway.refusing(context, tenant: tenant, idp: idp) {
                try await gateway.sso.finishSAML(
                    tenant: tenant, providerID: idp, samlResponse: samlResponse, relayState: relayState,
                    binding: AuthenticationMiddleware.cookie(SSOService.bindingCookie, in: request), logger: context.logger
                )
            }
            return gateway.signedIn(outcome, tenant: tenant, idp: idp, context: context)
        }
    }

    /// Registers a route of the sign-in group (documented, unauthenticated).
    private func register(
        _ group: RouterGroup<FlowgateRequestContext>, prefix: String, _ method: HTTPRequest.Method, _ path: String,
        _ handler: @escaping @Sendable (Request, FlowgateRequestContext) async throws -> Response
    ) {
        routes.add(method: method.rawValue, path: templatePath(prefix + "/" + path), action: nil)
        group.on(RouterPath(path), method: method, use: handler)
    }

    /// Resolves the path's tenant and provider (404 for either, alike) and notes them for the audit entry.
    private func ssoTarget(_ context: FlowgateRequestContext, action: String) async throws -> (Tenant, String) {
        let name = context.parameters.get("tenant") ?? ""
        let idp = context.parameters.get("idp") ?? ""
        context.audit?.update {
            $0.action = action
            $0.resource = "IdentityProvider::\"\(idp)\""
        }
        guard let tenant = try await identity.resolveTenant(name) else { throw Problem.notFound("identity provider") }
        context.audit?.update { $0.tenant = tenant.id }
        do {
            _ = try await sso.provider(in: tenant.id, id: idp)
        } catch let error as IdentityError where error.isNotFound {
            throw Problem.notFound("identity provider")
        }
        return (tenant, idp)
    }

    /// Where a provider's binding cookie lives (it must be cleared at the same path).
    static func bindingPath(_ tenant: Tenant, _ idp: String) -> String { "/sso/\(tenant.slug)/\(idp)" }

    /// A cookie that removes `name` at `path` from the browser.
    static func clearing(_ name: String, path: String) -> Cookie {
        Cookie(name: name, value: "", maxAge: 0, path: path, httpOnly: true)
    }

    /// Runs a login step; a refusal becomes 403 with its reason in the audit entry, and the
    /// browser's binding cookie for the provider is cleared.
    private func refusing<R>(_ context: FlowgateRequestContext, tenant: Tenant, idp: String, _ body: () async throws -> R) async throws -> R {
        do {
            return try await body()
        } catch let refusal as SSOService.LoginRefused {
            context.audit?.update {
                $0.decision = "deny"
                $0.reasons = [refusal.reason]
            }
            throw Problem(.forbidden, kind: "sso-refused", title: "Sign-in refused", detail: "sign-in refused: \(refusal.message)",
                          headers: [.setCookie: Self.clearing(SSOService.bindingCookie, path: Self.bindingPath(tenant, idp)).description])
        }
    }

    /// Sets the session cookie and sends the browser on (303, so the POST is not repeated).
    private func signedIn(_ outcome: SSOService.LoginOutcome, tenant: Tenant, idp: String, context: FlowgateRequestContext) -> Response {
        context.audit?.update {
            $0.principal = "User::\"\(outcome.user.id)\""
            $0.decision = "allow"
            $0.detail["session_id"] = .string(outcome.session.id)
            $0.detail["user_created"] = .bool(outcome.created)
        }
        return sessionResponse(outcome, clearing: Self.bindingPath(tenant, idp))
    }

    /// 303 to the outcome's local path with the session cookie set (and the binding cookie at
    /// `clearing` removed).
    func sessionResponse(_ outcome: SSOService.LoginOutcome, clearing bindingPath: String?) -> Response {
        var response = Response(status: .seeOther, headers: [.location: outcome.returnTo, .cacheControl: "no-store"])
        response.setCookie(Cookie(
            name: SSOService.sessionCookie, value: outcome.sessionToken, maxAge: Int((outcome.session.expiresAt - outcome.session.createdAt) / 1000),
            path: "/", secure: sso.configuration.secureCookies, httpOnly: true, sameSite: .lax
        ))
        if let bindingPath { response.setCookie(Self.clearing(SSOService.bindingCookie, path: bindingPath)) }
        return response
    }

    // MARK: The browser's session (/api/v1/session)

    /// `GET /api/v1/session` (who the caller is, with the CSRF token for a browser session)
    /// and `POST /api/v1/session/logout`.
    func addSessionRoutes(api: RouterGroup<FlowgateRequestContext>) {
        let sso = self.sso
        let store = self.store
        routes.add(method: "GET", path: "/api/v1/session", action: nil)
        api.get("session") { _, context in
            guard let principal = context.principal else { throw Problem.unauthorized("authentication required") }
            var o: [String: JSONValue] = [
                "principal": [
                    "type": .string(principal.entity.type), "id": .string(principal.id), "name": .string(principal.displayName),
                    "roles": .array(principal.roles.sorted().map(JSONValue.string)), "groups": .array(principal.groups.sorted().map(JSONValue.string)),
                ],
            ]
            if let tenantID = principal.tenant, let tenant = try await store.read({ try await TenantRepository($0).get(tenantID) }) {
                o["tenant"] = .string(tenant.slug)
                o["tenant_id"] = .string(tenant.id.rawValue)
                o["tenant_name"] = .string(tenant.name)
            } else {
                o["tenant"] = .null
            }
            if let session = context.session, let csrf = context.csrfToken {
                o["session"] = [
                    "id": .string(session.id), "created_at": .time(session.createdAt), "expires_at": .time(session.expiresAt),
                    "idle_timeout_seconds": .int(session.idleTimeoutMillis / 1000),
                ]
                o["csrf_token"] = .string(csrf)
            } else {
                o["session"] = .null
            }
            return Response.json(.object(o), headers: [.cacheControl: "no-store"])
        }
        routes.add(method: "POST", path: "/api/v1/session/logout", action: nil)
        api.post("session/logout") { _, context in
            guard let session = context.session else {
                throw Problem.badRequest("logout ends a browser session; an API token is revoked with DELETE .../tokens/{id}")
            }
            try await sso.endSession(session)
            context.audit?.update {
                $0.action = "session.logout"
                $0.resource = "Session::\"\(session.id)\""
                $0.decision = "allow"
                $0.tenant = session.tenantID
            }
            var response = Response(status: .noContent, headers: [.cacheControl: "no-store"])
            response.setCookie(Gateway.clearing(SSOService.sessionCookie, path: "/"))
            return response
        }
    }

    // MARK: Identity providers and settings (tenant admins)

    func addIdentityProviderRoutes(tenant: RouterGroup<FlowgateRequestContext>) {
        let sso = self.sso
        let store = self.store
        let prefix = "/api/v1/tenants/:tenant"
        @Sendable func json(_ record: IdentityProviderRecord, _ tenant: Tenant) -> JSONValue {
            guard case .object(var o) = sso.providerJSON(record, tenant: tenant) else { return .null }
            o["created_at"] = .time(record.createdAt)
            o["updated_at"] = .time(record.updatedAt)
            return .object(o)
        }
        on(tenant, prefix: prefix, .post, "identity-providers", action: "identity_provider.create", resource: .tenant) { request, context in
            guard let t = context.tenant else { throw Problem.notFound("tenant") }
            let body = try await JSONBody.read(request, context: context)
            let record = try await sso.createProvider(in: t, body: body.object)
            context.audit?.update { $0.resource = "IdentityProvider::\"\(record.id)\""; $0.detail["type"] = .string(record.type) }
            return Response.json(json(record, t), status: .created, headers: [.location: "\(prefix.replacingOccurrences(of: ":tenant", with: t.slug))/identity-providers/\(record.id)"])
        }
        on(tenant, prefix: prefix, .get, "identity-providers", action: "identity_provider.list", resource: .tenant) { _, context in
            guard let t = context.tenant else { throw Problem.notFound("tenant") }
            return Response.json(["items": .array(try await sso.providers(in: t.id).map { json($0, t) })])
        }
        on(tenant, prefix: prefix, .get, "identity-providers/:id", action: "identity_provider.read",
           resource: .parameter(type: "IdentityProvider", parameter: "id")) { _, context in
            guard let t = context.tenant else { throw Problem.notFound("tenant") }
            return Response.json(json(try await sso.provider(in: t.id, id: try context.parameter("id")), t))
        }
        on(tenant, prefix: prefix, .delete, "identity-providers/:id", action: "identity_provider.delete",
           resource: .parameter(type: "IdentityProvider", parameter: "id")) { _, context in
            try await sso.deleteProvider(in: try context.requireTenant(), id: try context.parameter("id"))
            return Response(status: .noContent)
        }
        on(tenant, prefix: prefix, .get, "sso-settings", action: "sso_settings.read", resource: .tenant) { _, context in
            guard let t = context.tenant else { throw Problem.notFound("tenant") }
            return Response.json(sso.settingsJSON(of: t))
        }
        on(tenant, prefix: prefix, .put, "sso-settings", action: "sso_settings.update", resource: .tenant) { request, context in
            guard let t = context.tenant else { throw Problem.notFound("tenant") }
            let body = try await JSONBody.read(request, context: context)
            return Response.json(sso.settingsJSON(of: try await sso.updateSettings(of: t, body: body.object)))
        }
        on(tenant, prefix: prefix, .post, "users/:id/identities", action: "user.link_identity", resource: .parameter(type: "User", parameter: "id")) { request, context in
            let t = try context.requireTenant()
            let userID = try context.parameter("id")
            // The user first: another tenant's user is 404 whatever the body says.
            guard try await store.read({ try await UserRepository($0, tenant: t).get(userID) }) != nil else { throw Problem.notFound("user") }
            let body = try await JSONBody.read(request, context: context, allowed: ["identity_provider", "subject"])
            let providerID = try body.string("identity_provider")
            let subject = try body.string("subject")
            try await sso.link(in: t, userID: userID, providerID: providerID, subject: subject)
            return Response.json(["user_id": .string(userID), "identity_provider": .string(providerID), "subject": .string(subject)], status: .created)
        }
    }
}
