import HTTPTypes
import Hummingbird
import Identity
import JSON
import Secrets

/// SCIM answers errors in its own format (RFC 7644 §3.12, `application/scim+json`), so the
/// SCIM endpoints map every error here rather than to problem+json.
struct SCIMErrorMiddleware: RouterMiddleware {
    typealias Context = FlowgateRequestContext
    let routes: RouteTable
    let redactor: Redactor

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            var response = try await next(request, context)
            if response.headers[.contentType] == "application/json" { response.headers[.contentType] = "application/scim+json" }
            return response
        } catch let error as SCIMError {
            return SCIMErrorMiddleware.response(status: error.status, body: error.responseBody(), headers: [:])
        } catch {
            var problem = Problem.from(error)
            if problem.status == .notFound, context.endpointPath == "NotFound" {
                let allowed = routes.methods(forPath: request.uri.path)
                if !allowed.isEmpty {
                    problem = Problem(.methodNotAllowed, kind: "method-not-allowed", title: "Method not allowed",
                                      detail: "\(request.method) is not supported here", headers: [.allow: allowed.joined(separator: ", ")])
                }
            }
            var body: [String: JSONValue] = [
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": .string(String(problem.status.code)),
                "detail": .string(redactor.redact(problem.detail)),
            ]
            if problem.status == .contentTooLarge { body["scimType"] = "tooMany" }
            if problem.status == .badRequest || problem.status == .unprocessableContent { body["scimType"] = "invalidSyntax" }
            let status = problem.status == .unprocessableContent ? 400 : Int(problem.status.code)
            return SCIMErrorMiddleware.response(status: status, body: .object(body), headers: problem.headers)
        }
    }

    static func response(status: Int, body: JSONValue, headers: HTTPFields) -> Response {
        var fields = headers
        fields[.contentType] = "application/scim+json"
        return Response(status: HTTPResponse.Status(code: status), headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: body.serializedBytes())))
    }
}

/// Authenticates SCIM clients by their tenant-scoped bearer token and resolves the tenant of
/// the path; a token of another tenant gets 404, as everywhere.
struct SCIMAuthenticationMiddleware: RouterMiddleware {
    typealias Context = FlowgateRequestContext
    let identity: IdentityService
    let policies: PolicyBook

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization], let token = BearerToken.credential(fromAuthorization: header) else {
            throw Problem.unauthorized("send the tenant's SCIM token as \"Authorization: Bearer <token>\"")
        }
        guard token.hasPrefix(BearerToken.scimPrefix), token.utf8.count <= 512,
              let principal = try await identity.authenticate(bearer: token), principal.kind == .scimClient
        else {
            throw Problem.unauthorized("the SCIM token is unknown, expired or revoked")
        }
        let name = context.parameters.get("tenant") ?? ""
        guard let tenant = try await identity.resolveTenant(name), principal.tenant == tenant.id else {
            throw Problem.notFound("tenant \"\(name)\"")
        }
        try await policies.prepare(tenant.id)
        var context = context
        context.principal = principal
        context.tenant = tenant
        context.logger[metadataKey: "fg.tenant"] = .string(tenant.id.rawValue)
        context.logger[metadataKey: "fg.principal"] = .string(principal.name)
        return try await next(request, context)
    }
}
