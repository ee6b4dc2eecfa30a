import JSON

/// Why a SCIM request was refused: the HTTP status, the RFC 7644 §3.12 `scimType` where one
/// applies, and a detail written for the provisioning client's operator.
///
/// Details name attributes, operators and positions, never stored values of other resources, so
/// they are safe to return and to log. The HTTP layer turns an error into a response with
/// ``responseBody()`` (content type `application/scim+json`) and ``status``.
public struct SCIMError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Code: Sendable, Equatable {
        case invalidFilter, tooMany, uniqueness, mutability, invalidSyntax, invalidPath, noTarget
        case invalidValue, notFound, preconditionFailed, payloadTooLarge, notImplemented
    }

    private let code: Code
    /// The HTTP status code.
    public let status: Int
    /// The RFC 7644 `scimType` keyword, `nil` for errors that have none (404, 412, 413, 501).
    public let scimType: String?
    /// What was wrong, for the client.
    public let detail: String
    /// For filter and path syntax errors: the offset (in Unicode scalars, from 0) where the
    /// input stopped making sense.
    public let position: Int?

    private init(_ code: Code, _ status: Int, _ scimType: String?, _ detail: String, position: Int? = nil) {
        self.code = code
        self.status = status
        self.scimType = scimType
        self.detail = detail
        self.position = position
    }

    /// 400 `invalidFilter`: the filter is malformed or names an attribute or operator that
    /// cannot be used. `position` is set for syntax errors.
    public static func invalidFilter(_ detail: String, at position: Int? = nil) -> SCIMError {
        .init(.invalidFilter, 400, "invalidFilter", position.map { "\(detail) (at position \($0))" } ?? detail, position: position)
    }
    /// 400 `tooMany`: the request asks for more work than the limits allow.
    public static func tooMany(_ detail: String) -> SCIMError { .init(.tooMany, 400, "tooMany", detail) }
    /// 409 `uniqueness`: a value that must be unique is taken.
    public static func uniqueness(_ detail: String) -> SCIMError { .init(.uniqueness, 409, "uniqueness", detail) }
    /// 400 `mutability`: the request changes a read-only or immutable attribute.
    public static func mutability(_ detail: String) -> SCIMError { .init(.mutability, 400, "mutability", detail) }
    /// 400 `invalidSyntax`: the body does not have the shape of the request.
    public static func invalidSyntax(_ detail: String) -> SCIMError { .init(.invalidSyntax, 400, "invalidSyntax", detail) }
    /// 400 `invalidPath`: a PATCH `path` (or another attribute path) is malformed or unknown.
    public static func invalidPath(_ detail: String, at position: Int? = nil) -> SCIMError {
        .init(.invalidPath, 400, "invalidPath", position.map { "\(detail) (at position \($0))" } ?? detail, position: position)
    }
    /// 400 `noTarget`: a PATCH path matched nothing where it had to.
    public static func noTarget(_ detail: String) -> SCIMError { .init(.noTarget, 400, "noTarget", detail) }
    /// 400 `invalidValue`: a value is missing, of the wrong type or refers to nothing.
    public static func invalidValue(_ detail: String) -> SCIMError { .init(.invalidValue, 400, "invalidValue", detail) }
    /// 404: the resource does not exist in this tenant.
    public static func notFound(_ detail: String) -> SCIMError { .init(.notFound, 404, nil, detail) }
    /// 412: `If-Match` named no current version of the resource.
    public static func preconditionFailed(_ detail: String) -> SCIMError { .init(.preconditionFailed, 412, nil, detail) }
    /// 413: the request body or one of its values is larger than allowed.
    public static func payloadTooLarge(_ detail: String) -> SCIMError { .init(.payloadTooLarge, 413, nil, detail) }
    /// 501: a SCIM feature this service provider does not implement (bulk, password change).
    public static func notImplemented(_ detail: String) -> SCIMError { .init(.notImplemented, 501, nil, detail) }

    /// Whether this is a filter error.
    public var isInvalidFilter: Bool { code == .invalidFilter }
    /// Whether a unique value was taken.
    public var isUniqueness: Bool { code == .uniqueness }
    /// Whether the resource was not found.
    public var isNotFound: Bool { code == .notFound }

    /// The RFC 7644 §3.12 error document. `status` is a string there, as the RFC's examples and
    /// schema have it; some clients (Entra among them) reject a number.
    public func responseBody() -> JSONValue {
        var body: [String: JSONValue] = [
            "schemas": [.string(SCIMSchema.errorURN)],
            "status": .string(String(status)),
            "detail": .string(detail),
        ]
        if let scimType { body["scimType"] = .string(scimType) }
        return .object(body)
    }

    public var description: String { "SCIMError \(status)\(scimType.map { " \($0)" } ?? ""): \(detail)" }
}
