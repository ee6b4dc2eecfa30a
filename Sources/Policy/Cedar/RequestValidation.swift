/// Why a request does not fit the schema.
public struct RequestValidationError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: Hashable, Sendable { case action, principal, resource, context }
    private let code: Code
    /// What is wrong.
    public let message: String

    public var description: String { message }

    static func action(_ m: String) -> RequestValidationError { .init(code: .action, message: m) }
    static func principal(_ m: String) -> RequestValidationError { .init(code: .principal, message: m) }
    static func resource(_ m: String) -> RequestValidationError { .init(code: .resource, message: m) }
    static func context(_ m: String) -> RequestValidationError { .init(code: .context, message: m) }
}

extension Schema {
    /// Checks a request against the schema: the action is declared, the principal and resource
    /// types are ones it applies to, enumerated ids are valid, and the context has the declared shape.
    public func validate(_ request: CedarRequest) throws(RequestValidationError) {
        guard let action = actions[request.action] else {
            throw .action("request's action `\(request.action)` is not declared in the schema")
        }
        guard action.principalTypes.contains(request.principal.type) else {
            throw .principal("principal type `\(request.principal.type)` is not valid for `\(request.action)`")
        }
        guard action.resourceTypes.contains(request.resource.type) else {
            throw .resource("resource type `\(request.resource.type)` is not valid for `\(request.action)`")
        }
        for (uid, make) in [(request.principal, RequestValidationError.principal), (request.resource, RequestValidationError.resource)] {
            if let values = entityTypes[uid.type]?.enumValues, !values.contains(uid.id) {
                throw make("`\(uid)` is not a valid value of the enumerated type `\(uid.type)`")
            }
        }
        guard conforms(.record(request.context), to: .record(action.context)) else {
            throw .context("context does not conform to the declared context type of `\(request.action)`")
        }
    }

    /// Whether a value has a schema type (records closed unless declared open).
    func conforms(_ v: CedarValue, to t: SchemaType) -> Bool {
        switch (v, t) {
        case (.bool, .bool), (.long, .long), (.string, .string): return true
        case (.entity(let uid), .entity(let name)): return uid.type == name
        case (.ext(let e), .ext(let name)): return e.typeName == name
        case (.set(let s), .set(let el)): return s.allSatisfy { conforms($0, to: el) }
        case (.record(let r), .record(let rt)):
            for (k, a) in rt.attributes {
                if let x = r[k] {
                    if !conforms(x, to: a.type) { return false }
                } else if a.required {
                    return false
                }
            }
            return rt.isOpen || r.keys.allSatisfy { rt.attributes[$0] != nil }
        default: return false
        }
    }
}
