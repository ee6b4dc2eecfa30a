import Foundation
import HTTPTypes
import Hummingbird
import Identity
import JSON

extension Gateway {
    /// `GET /login?code=...`: redeems a one-time sign-in link (tenant `default` unless
    /// `tenant` says otherwise) into a browser session, audited like a single sign-on.
    func addSignInLinkRoute(to group: RouterGroup<FlowgateRequestContext>) {
        let gateway = self
        routes.add(method: "GET", path: "/login", action: nil)
        group.get("login") { request, context in
            context.audit?.update { $0.action = "session.link_login" }
            let slug = request.uri.queryParameters.get("tenant") ?? "default"
            let tenant = try await gateway.identity.resolveTenant(slug)
            if let tenant { context.audit?.update { $0.tenant = tenant.id } }
            guard let code = request.uri.queryParameters.get("code"), let tenant,
                let outcome = try await gateway.sso.redeemSignInCode(code, tenant: tenant)
            else {
                context.audit?.update { $0.decision = "deny"; $0.reasons = ["invalidCode"] }
                throw Problem.unauthorized("the sign-in link is unknown, used or expired")
            }
            context.audit?.update {
                $0.tenant = tenant.id
                $0.resource = "User::\"\(outcome.user.id)\""
                $0.principal = "User::\"\(outcome.user.id)\""
                $0.decision = "allow"
                $0.detail["session_id"] = .string(outcome.session.id)
            }
            return gateway.sessionResponse(outcome, clearing: nil)
        }
    }

    /// `GET /sso/{tenant}`: the tenant's identity providers as a sign-in page needs them (name,
    /// protocol, login URL); nothing else of their configuration. Unknown tenants are 404.
    func addSignInOptionsRoute(to router: Router<FlowgateRequestContext>) {
        let gateway = self
        routes.add(method: "GET", path: "/sso/{tenant}", action: nil)
        router.get("sso/:tenant") { _, context in
            guard let tenant = try await gateway.identity.resolveTenant(context.parameters.get("tenant") ?? "") else {
                throw Problem.notFound("tenant")
            }
            let providers = try await gateway.sso.providers(in: tenant.id).map { record -> JSONValue in
                ["id": .string(record.id), "name": .string(record.name), "type": .string(record.type),
                 "login_url": .string("/sso/\(tenant.slug)/\(record.id)/login")]
            }
            return Response.json(["tenant": .string(tenant.slug), "providers": .array(providers)], headers: [.cacheControl: "no-store"])
        }
    }

    /// `GET /` and `GET /app/...`: the web editor's static files from the configured folder,
    /// with a strict Content-Security-Policy (no inline script, no eval).
    func addWebRoutes(to router: Router<FlowgateRequestContext>, root: String) {
        let base = URL(fileURLWithPath: root).standardizedFileURL.path
        router.get("/") { _, _ in try Self.staticFile(base: base, relative: "index.html") }
        router.get("app/**") { _, context in
            try Self.staticFile(base: base, relative: context.parameters.getCatchAll().joined(separator: "/"))
        }
    }

    static let contentSecurityPolicy =
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; worker-src 'self'; frame-src 'self' data:; "
        + "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

    static func staticFile(base: String, relative: String) throws -> Response {
        // Plain names only: no "..", no hidden files, no absolute paths.
        let parts = relative.split(separator: "/", omittingEmptySubsequences: false)
        guard !parts.isEmpty, relative.utf8.count <= 512,
            parts.allSatisfy({ !$0.isEmpty && !$0.hasPrefix(".") && $0.allSatisfy { $0.isLetter || $0.isNumber || "-_.".contains($0) } })
        else { throw Problem.notFound("file") }
        let path = base + "/" + relative
        let types = ["html": "text/html; charset=utf-8", "js": "text/javascript; charset=utf-8", "mjs": "text/javascript; charset=utf-8",
                     "css": "text/css; charset=utf-8", "svg": "image/svg+xml", "json": "application/json", "png": "image/png",
                     "txt": "text/plain; charset=utf-8", "woff2": "font/woff2", "map": "application/json"]
        guard let type = types[(relative as NSString).pathExtension.lowercased()], let data = FileManager.default.contents(atPath: path),
            data.count <= 16 << 20
        else { throw Problem.notFound("file") }
        return Response(status: .ok, headers: [
            .contentType: type, .cacheControl: "no-cache", .contentSecurityPolicy: contentSecurityPolicy,
            HTTPField.Name("X-Content-Type-Options")!: "nosniff", HTTPField.Name("Referrer-Policy")!: "no-referrer",
        ], body: .init(byteBuffer: ByteBuffer(bytes: Array(data))))
    }
}
