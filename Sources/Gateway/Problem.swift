import Engine
import Hummingbird
import Identity
import JSON
import Policy
import Secrets
import Store

/// An RFC 9457 problem: every error answer of the API has this shape
/// (`application/problem+json`), with a `detail` that says what to change.
public struct Problem: Error, HTTPResponseError, Sendable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    /// A short slug naming the kind of problem; the `type` URI ends with it.
    public var kind: String
    public var title: String
    public var detail: String
    /// Extra members (e.g. `errors` for validation, `line`/`column` for parse errors).
    public var extra: [String: JSONValue]
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, kind: String, title: String, detail: String, extra: [String: JSONValue] = [:], headers: HTTPFields = [:]) {
        self.status = status
        self.kind = kind
        self.title = title
        self.detail = detail
        self.extra = extra
        self.headers = headers
    }

    public var description: String { "\(status.code) \(title): \(detail)" }

    /// The body, without the request id (added when the response is built).
    func body(requestID: String?, instance: String?) -> JSONValue {
        var o = extra
        o["type"] = .string("https://flowgate.dev/problems/\(kind)")
        o["title"] = .string(title)
        o["status"] = .int(Int64(status.code))
        o["detail"] = .string(detail)
        if let requestID { o["request_id"] = .string(requestID) }
        if let instance { o["instance"] = .string(instance) }
        return .object(o)
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let requestID = (context as? FlowgateRequestContext)?.requestID
        var fields = headers
        fields[.contentType] = "application/problem+json"
        return Response(status: status, headers: fields,
                        body: .init(byteBuffer: ByteBuffer(bytes: body(requestID: requestID, instance: request.uri.path).serializedBytes())))
    }

    // MARK: Common problems

    static func badRequest(_ detail: String, extra: [String: JSONValue] = [:]) -> Problem {
        Problem(.badRequest, kind: "bad-request", title: "Bad request", detail: detail, extra: extra)
    }
    static func unprocessable(_ detail: String, errors: [JSONValue] = []) -> Problem {
        Problem(.unprocessableContent, kind: "validation", title: "Invalid input", detail: detail,
                extra: errors.isEmpty ? [:] : ["errors": .array(errors)])
    }
    static func notFound(_ what: String) -> Problem {
        Problem(.notFound, kind: "not-found", title: "Not found", detail: "\(what) was not found")
    }
    static func conflict(_ detail: String) -> Problem {
        Problem(.conflict, kind: "conflict", title: "Conflict", detail: detail)
    }
    static func unauthorized(_ detail: String) -> Problem {
        Problem(.unauthorized, kind: "unauthorized", title: "Unauthorized", detail: detail,
                headers: [.wwwAuthenticate: "Bearer realm=\"flowgate\""])
    }
    static func forbidden(_ action: String) -> Problem {
        Problem(.forbidden, kind: "forbidden", title: "Forbidden", detail: "you are not allowed to perform \(action) on this resource")
    }
    static func field(_ field: String, _ message: String) -> Problem {
        unprocessable("\(field): \(message)", errors: [["field": .string(field), "message": .string(message)]])
    }

    /// The one mapping from errors of the core modules to problems.
    static func from(_ error: any Error) -> Problem {
        switch error {
        case let problem as Problem:
            return problem
        case let error as JSONParseError:
            return badRequest("the body is not valid JSON: \(error)", extra: ["line": .int(Int64(error.line)), "column": .int(Int64(error.column))])
        case let error as WorkflowValidationError:
            return unprocessable(
                "the workflow definition is invalid: \(error)",
                errors: error.problems.map { p in
                    var o: [String: JSONValue] = ["message": .string(p.message)]
                    if let node = p.node { o["node"] = .string(node) }
                    if let edge = p.edge { o["edge"] = .string(edge) }
                    if let port = p.port { o["port"] = .string(port) }
                    if let field = p.field { o["field"] = .string(field) }
                    return .object(o)
                }
            )
        case let error as IdentityError:
            if error.isNotFound { return notFound(error.message.replacingOccurrences(of: " not found", with: "")) }
            if error.isConflict { return conflict(error.message) }
            return field(error.field ?? "body", error.message)
        case let error as SCIMError:
            return Problem(HTTPResponse.Status(code: error.status), kind: "scim", title: "SCIM error", detail: error.detail)
        case let error as SecretsError:
            if error.isNotFound { return notFound(error.message.replacingOccurrences(of: " not found", with: "")) }
            if error.isConflict { return conflict(error.message) }
            if error.isInvalid { return field(error.field ?? "body", error.message) }
            return Problem(.badGateway, kind: "key-provider", title: "Key provider failed", detail: error.message)
        case let error as VaultError:
            return Problem(error.isNotFound ? .unprocessableContent : .badGateway, kind: "vault", title: "Vault/OpenBao", detail: error.message)
        case let error as QuotaError:
            return unprocessable(error.description)
        case let error as RunError:
            if error.isQuota {
                return Problem(.tooManyRequests, kind: "quota", title: "Quota exceeded", detail: error.message, headers: [.retryAfter: "1"])
            }
            if error.isConflict { return conflict(error.message) }
            return error.isNotFound ? notFound(error.message.replacingOccurrences(of: " not found", with: "")) : unprocessable(error.message)
        case let error as StoreError:
            if error.isNotFound { return notFound(error.message.replacingOccurrences(of: " not found", with: "")) }
            if error.isUniqueViolation { return conflict("a resource with these values already exists") }
            if error.isConflict { return conflict(error.message) }
            return Problem(.serviceUnavailable, kind: "storage", title: "Storage unavailable", detail: "the database could not complete the request; retry later")
        case let error as HTTPError:
            switch error.status {
            case .contentTooLarge:
                return Problem(.contentTooLarge, kind: "too-large", title: "Payload too large", detail: "the request body is larger than the configured limit")
            case .notFound:
                return notFound("the requested resource")
            default:
                return Problem(error.status, kind: "http", title: error.status.reasonPhrase, detail: error.body ?? error.status.reasonPhrase, headers: error.headers)
            }
        case let error as any HTTPResponseError:
            return Problem(error.status, kind: "http", title: error.status.reasonPhrase, detail: error.status.reasonPhrase)
        default:
            return Problem(.internalServerError, kind: "internal", title: "Internal error", detail: "an unexpected error occurred; it was logged with the request id")
        }
    }
}
