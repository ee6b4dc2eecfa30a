import Hummingbird
import Logging
import Secrets

/// Turns every error into a problem+json answer, and a request for a path that exists with
/// another method into 405 with `Allow`. Unexpected errors are logged with the request id and
/// answered with a generic 500 that reveals nothing.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = FlowgateRequestContext
    let routes: RouteTable
    let redactor: Redactor

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            var problem = Problem.from(error)
            if problem.status == .notFound, context.endpointPath == "NotFound" {
                let allowed = routes.methods(forPath: request.uri.path)
                if !allowed.isEmpty {
                    problem = Problem(
                        .methodNotAllowed, kind: "method-not-allowed", title: "Method not allowed",
                        detail: "\(request.method) is not supported here; use \(allowed.joined(separator: ", "))",
                        headers: [.allow: allowed.joined(separator: ", ")]
                    )
                }
            }
            problem.detail = redactor.redact(problem.detail)
            if problem.status == .internalServerError {
                context.logger.error("unhandled error", metadata: ["error.type": .string(String(describing: type(of: error)))])
            }
            return try problem.response(from: request, context: context)
        }
    }
}
