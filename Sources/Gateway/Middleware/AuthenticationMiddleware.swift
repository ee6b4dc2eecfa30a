import HTTPTypes
import Hummingbird
import Identity

/// Authenticates `Authorization: Bearer <token>`, or else a browser session cookie; anything
/// else under the API is answered 401. A request authenticated by its session cookie that
/// changes state must carry the session's CSRF token in `X-CSRF-Token` (a cross-site form or
/// script cannot read it), else it is answered 403.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = FlowgateRequestContext
    let identity: IdentityService
    let sso: SSOService

    static let csrfHeader = HTTPField.Name("X-CSRF-Token")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let header = Self.authorization(request.headers) {
            guard let token = BearerToken.credential(fromAuthorization: header) else {
                throw Problem.unauthorized("the Authorization header must use the Bearer scheme")
            }
            guard token.utf8.count <= 512, let principal = try await identity.authenticate(bearer: token) else {
                throw Problem.unauthorized("the token is unknown, expired or revoked")
            }
            context.principal = principal
        } else if let cookie = Self.cookie(SSOService.sessionCookie, in: request) {
            guard let (session, principal) = try await sso.authenticate(cookie: cookie) else {
                throw Problem.unauthorized("the session has ended; sign in again")
            }
            let csrf = SSOService.csrfToken(forSession: cookie)
            if ![.get, .head, .options].contains(request.method) {
                guard let sent = request.headers[Self.csrfHeader], BearerToken.constantTimeEquals(sent, csrf) else {
                    throw Problem(.forbidden, kind: "csrf", title: "Forbidden",
                                  detail: "a browser session must send its CSRF token (from GET /api/v1/session) in X-CSRF-Token")
                }
            }
            context.principal = principal
            context.session = session
            context.csrfToken = csrf
        } else {
            throw Problem.unauthorized("send an API token as \"Authorization: Bearer <token>\", or sign in")
        }
        if let principal = context.principal {
            context.logger[metadataKey: "fg.principal"] = .string(principal.name)
            if let tenant = principal.tenant { context.logger[metadataKey: "fg.tenant"] = .string(tenant.rawValue) }
        }
        return try await next(request, context)
    }

    /// The `Authorization` header, as `headers[.authorization]` gives it (several joined by
    /// ", ", which no Bearer credential parses), without joining the usual single one: the
    /// generic joining showed in profiles of the governed read path.
    static func authorization(_ headers: HTTPFields) -> String? {
        var found: String?
        for field in headers where field.name == .authorization {
            if found != nil { return headers[.authorization] }
            found = field.value
        }
        return found
    }

    /// The value of a cookie in the request's `Cookie` headers (the first occurrence), nil when empty.
    static func cookie(_ name: String, in request: Request) -> String? {
        guard let value = request.cookies[name]?.value, !value.isEmpty else { return nil }
        return value
    }
}
