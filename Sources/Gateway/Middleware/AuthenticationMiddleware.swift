import Hummingbird
import Identity

/// Authenticates `Authorization: Bearer <token>`; anything else under the API is answered 401.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = FlowgateRequestContext
    let identity: IdentityService

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            throw Problem.unauthorized("send an API token as \"Authorization: Bearer <token>\"")
        }
        guard header.count > 7, header.prefix(7).lowercased() == "bearer " else {
            throw Problem.unauthorized("the Authorization header must use the Bearer scheme")
        }
        let token = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        guard token.utf8.count <= 512, let principal = try await identity.authenticate(bearer: token) else {
            throw Problem.unauthorized("the token is unknown, expired or revoked")
        }
        var context = context
        context.principal = principal
        context.logger[metadataKey: "fg.principal"] = .string(principal.entity.description)
        if let tenant = principal.tenant { context.logger[metadataKey: "fg.tenant"] = .string(tenant.rawValue) }
        return try await next(request, context)
    }
}
