import JSON

/// The entry points the host application calls: parsing, authorization, validation, and the two
/// CLI commands (`validate`, `authorize`) as pure functions.
public enum CedarEngine {
    /// Parses policy text; errors carry line and column.
    public static func parsePolicies(_ text: String, limits: CedarParserLimits = .init()) throws(CedarParseError) -> CedarPolicySet {
        try CedarPolicySet(text: text, limits: limits)
    }

    /// Parses a schema in either form (JSON when the text starts with `{`).
    public static func parseSchema(_ text: String) throws(SchemaError) -> Schema {
        try Schema.parse(text)
    }

    /// Parses entities JSON, schema-directed when a schema is given.
    public static func parseEntities(_ json: String, schema: Schema? = nil) throws(EntitiesError) -> Entities {
        try Entities.parse(json, schema: schema)
    }

    /// Builds a request from its JSON form
    /// `{"principal": {"type","id"}, "action": ..., "resource": ..., "context": {...}}`
    /// (entity references may also be written `Type::"id"`).
    public static func request(json: JSONValue, schema: Schema? = nil) throws(EntitiesError) -> CedarRequest {
        guard case .object(let o) = json else { throw .invalid("a request must be a JSON object") }
        func uid(_ key: String) throws(EntitiesError) -> EntityUID {
            guard let v = o[key] else { throw .invalid("request is missing `\(key)`") }
            if case .string(let s) = v { return try entityUID(text: s) }
            return try JSONValueReader.entityUID(v, context: key)
        }
        let principal = try uid("principal")
        let action = try uid("action")
        let resource = try uid("resource")
        let context = try JSONValueReader.context(o["context"] ?? .object([:]), action: action, schema: schema)
        return CedarRequest(principal: principal, action: action, resource: resource, context: context)
    }

    /// Reads a request context from JSON (`__entity`/`__extn` escapes allowed); with a schema,
    /// values are read by the action's declared context type and checked against it.
    public static func context(json: JSONValue, action: EntityUID, schema: Schema? = nil) throws(EntitiesError) -> [String: CedarValue] {
        try JSONValueReader.context(json, action: action, schema: schema)
    }

    /// Parses `Type::"id"`.
    public static func entityUID(text: String) throws(EntitiesError) -> EntityUID {
        do {
            var p = try PolicyParser(bytes: Array(text.utf8), limits: .init())
            let uid = try p.parseEntityUID()
            guard p.peek.kind == .end else { throw EntitiesError.invalid("unexpected text after entity reference `\(text)`") }
            return uid
        } catch let e as EntitiesError {
            throw e
        } catch {
            throw .invalid("invalid entity reference `\(text)`: \(error)")
        }
    }

    /// Decides a request.
    public static func authorize(_ request: CedarRequest, policies: CedarPolicySet, entities: Entities) -> CedarResponse {
        CedarAuthorizer(policies: policies).isAuthorized(request, entities: entities)
    }

    /// Validates policies against a schema (strict mode); empty means valid.
    public static func validate(_ policies: CedarPolicySet, schema: Schema) -> [ValidationIssue] {
        Validator(schema: schema).validate(policies)
    }

    /// Validates a request against a schema.
    public static func validate(_ request: CedarRequest, schema: Schema) throws(RequestValidationError) {
        try schema.validate(request)
    }

    // MARK: - CLI commands

    /// `cedar validate`: parses both inputs and validates; `ok` is false on any parse or
    /// validation error, and `messages` says what (one line each).
    public static func validate(schema schemaText: String, policies policyText: String) -> (ok: Bool, messages: [String]) {
        let schema: Schema
        do {
            schema = try parseSchema(schemaText)
        } catch {
            return (false, ["schema error: \(error)"])
        }
        let policies: CedarPolicySet
        do {
            policies = try parsePolicies(policyText)
        } catch {
            return (false, ["policy parse error: \(error)"])
        }
        let issues = validate(policies, schema: schema)
        return (issues.isEmpty, issues.map(\.description))
    }

    /// `cedar authorize`: one JSON line per request,
    /// `{"decision":"allow|deny","reason":[ids],"errors":[ids]}`, or `{"error": "..."}` for a
    /// request (or input) that could not be read. `requestJSON` is one request or an array.
    public static func authorize(policies policyText: String, entities entitiesText: String, schema schemaText: String?, requestJSON: String) -> [String] {
        func failure(_ m: String) -> String { JSONValue.object(["error": .string(m)]).serialized() }
        var schema: Schema?
        if let schemaText {
            do { schema = try parseSchema(schemaText) } catch { return [failure("schema error: \(error)")] }
        }
        let policies: CedarPolicySet
        do { policies = try parsePolicies(policyText) } catch { return [failure("policy parse error: \(error)")] }
        let entities: Entities
        do { entities = try parseEntities(entitiesText, schema: schema) } catch { return [failure("entities error: \(error)")] }
        let json: JSONValue
        do { json = try JSONValue.parse(requestJSON) } catch { return [failure("request JSON error: \(error)")] }
        let items: [JSONValue]
        if case .array(let a) = json { items = a } else { items = [json] }
        let authorizer = CedarAuthorizer(policies: policies)
        return items.map { item in
            do {
                let r = try request(json: item, schema: schema)
                if let schema { try schema.validate(r) }
                let response = authorizer.isAuthorized(r, entities: entities)
                return JSONValue.object([
                    "decision": .string(response.decision.rawValue),
                    "reason": .array(response.reason.map { .string($0) }),
                    "errors": .array(response.errors.map { .string($0.policyID) }),
                ]).serialized()
            } catch {
                return failure("request error: \(error)")
            }
        }
    }
}
