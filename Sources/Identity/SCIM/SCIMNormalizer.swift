import JSON

/// Turns what a client sent into the canonical working document of a resource, and checks the
/// rules that span attributes.
///
/// The working document is the resource without what the server owns: core attributes under
/// their schema spelling, `externalId`, each known extension as an object under its URN, and
/// objects under unknown extension URNs (when kept). `id`, `meta`, `schemas`, the user's
/// `groups`, `password` and read-only sub-attributes are never in it. Group members are
/// `[{"value": id}]`.
///
/// Leniency is deliberate and limited to what Okta and Entra ID are known to send: attribute
/// names in any case, `"True"`/`"False"` for Booleans, a bare string for a complex attribute
/// with a `value` (Entra's `manager`), a single value where an array is expected, integers for
/// strings, and unknown core attributes, which are dropped rather than refused.
struct SCIMNormalizer {
    let type: SCIMResourceType
    let configuration: SCIMConfiguration

    // MARK: Whole resources

    /// The working document of a POST or PUT body.
    func resource(from body: JSONValue) throws(SCIMError) -> [String: JSONValue] {
        guard case .object(let members) = body else { throw .invalidSyntax("the body must be a JSON object") }
        try checkSchemas(members)
        var doc: [String: JSONValue] = [:]
        var seen: Set<String> = []
        for (key, value) in members.sorted(by: { $0.key < $1.key }) {
            let folded = SCIMText.fold(key)
            guard seen.insert(folded).inserted else { throw .invalidSyntax("attribute \"\(key)\" appears twice (names are case-insensitive)") }
            if folded == "schemas" || folded == "id" || folded == "meta" { continue }
            if folded == "externalid" {
                doc["externalId"] = try normalize(value, SCIMSchema.commonAttributes[1], path: "externalId")
            } else if let attribute = type.schema.attribute(named: key) {
                guard attribute.mutability != .readOnly else { continue }
                let normalized = try normalize(value, attribute, path: attribute.name)
                if attribute.mutability == .writeOnly { continue }
                doc[attribute.name] = normalized
            } else if let ext = type.extensionSchema(key) {
                try mergeExtension(&doc, ext, value)
            } else if let (ext, attributeName) = flattenedExtensionAttribute(key) {
                // `"urn:...:enterprise:2.0:User:department": "x"` at the top level.
                guard let attribute = ext.attribute(named: attributeName), attribute.mutability != .readOnly else { continue }
                var object = doc[ext.id]?.objectValue ?? [:]
                object[attribute.name] = try normalize(value, attribute, path: "\(ext.id):\(attribute.name)")
                doc[ext.id] = object.isEmpty ? nil : .object(object)
            } else if folded.hasPrefix("urn:") {
                try keepUnknownExtension(&doc, key, value)
            }
            // Anything else is an attribute no schema of ours defines: dropped, as RFC 7644
            // §3.3 lets a service provider do, so that clients sending extras still provision.
        }
        return doc
    }

    /// `schemas` must be an array of strings naming the core schema (RFC 7643 §3). Other URNs
    /// are tolerated: Entra sends a Microsoft-specific one on groups.
    private func checkSchemas(_ members: [String: JSONValue]) throws(SCIMError) {
        guard let schemas = members.first(where: { SCIMText.equalsIgnoringCase($0.key, "schemas") })?.value else {
            throw .invalidSyntax("\"schemas\" is missing; it must include \"\(type.schema.id)\"")
        }
        guard let list = schemas.arrayValue, list.allSatisfy({ $0.stringValue != nil }) else {
            throw .invalidSyntax("\"schemas\" must be an array of strings")
        }
        guard list.contains(where: { SCIMText.equalsIgnoringCase($0.stringValue ?? "", type.schema.id) }) else {
            throw .invalidSyntax("\"schemas\" must include \"\(type.schema.id)\"")
        }
    }

    /// Merges a client's extension object into the document.
    func mergeExtension(_ doc: inout [String: JSONValue], _ ext: SCIMSchema, _ value: JSONValue) throws(SCIMError) {
        if value.isNull { return }
        guard case .object(let members) = value else { throw .invalidValue("\"\(ext.id)\" must be an object") }
        var object = doc[ext.id]?.objectValue ?? [:]
        var seen: Set<String> = []
        for (key, sub) in members.sorted(by: { $0.key < $1.key }) {
            guard seen.insert(SCIMText.fold(key)).inserted else { throw .invalidSyntax("attribute \"\(key)\" appears twice in \"\(ext.id)\"") }
            guard let attribute = ext.attribute(named: key), attribute.mutability != .readOnly else { continue }
            let normalized = try normalize(sub, attribute, path: "\(ext.id):\(attribute.name)")
            if attribute.mutability == .writeOnly { continue }
            object[attribute.name] = normalized
        }
        doc[ext.id] = object.isEmpty ? nil : .object(object)
    }

    /// `(extension, attribute name)` for a key of the form `<extension URN>:<attribute>`.
    func flattenedExtensionAttribute(_ key: String) -> (SCIMSchema, String)? {
        for ext in type.extensions.map(\.schema) where key.utf8.count > ext.id.utf8.count + 1 {
            let prefix = String(decoding: key.utf8.prefix(ext.id.utf8.count), as: UTF8.self)
            let rest = key.utf8.dropFirst(ext.id.utf8.count)
            if SCIMText.equalsIgnoringCase(prefix, ext.id), rest.first == UInt8(ascii: ":") {
                return (ext, String(decoding: rest.dropFirst(), as: UTF8.self))
            }
        }
        return nil
    }

    /// Stores an unknown extension's object as sent, within the size limits, if configured to.
    func keepUnknownExtension(_ doc: inout [String: JSONValue], _ key: String, _ value: JSONValue) throws(SCIMError) {
        guard configuration.keepUnknownExtensions else { return }
        let existing = doc.keys.first { SCIMText.equalsIgnoringCase($0, key) } ?? key
        if value.isNull {
            doc[existing] = nil
            return
        }
        guard case .object(let object) = value else { throw .invalidValue("\"\(key)\" must be an object") }
        guard SCIMAttributePath.parse(key + ":x") != nil else { throw .invalidValue("\"\(key)\" is not a schema URN") }
        try checkDepth(value, depth: 0, path: key)
        doc[existing] = object.isEmpty ? nil : value
    }

    private func checkDepth(_ value: JSONValue, depth: Int, path: String) throws(SCIMError) {
        if depth > 4 { throw .invalidValue("\"\(path)\" is nested too deeply") }
        switch value {
        case .object(let o): for v in o.values { try checkDepth(v, depth: depth + 1, path: path) }
        case .array(let a): for v in a { try checkDepth(v, depth: depth + 1, path: path) }
        case .string(let s): try checkString(s, path: path)
        default: break
        }
    }

    // MARK: Values

    /// The canonical form of one attribute's value; `nil` means unassigned.
    func normalize(_ value: JSONValue, _ attribute: SCIMAttribute, path: String) throws(SCIMError) -> JSONValue? {
        if value.isNull { return nil }
        guard attribute.multiValued else { return try single(value, attribute, path: path) }
        // A lone value where an array belongs is taken as a one-element array.
        let elements = value.arrayValue ?? [value]
        var out: [JSONValue] = []
        for element in elements {
            guard let normalized = try single(element, attribute, path: path) else { continue }
            if isMembers(attribute) {
                if out.contains(where: { SCIMText.fold($0["value"]?.stringValue ?? "") == SCIMText.fold(normalized["value"]?.stringValue ?? "") }) { continue }
            } else if out.contains(normalized) {
                continue
            }
            out.append(normalized)
        }
        return out.isEmpty ? nil : .array(out)
    }

    /// One value of an attribute (an element, for multi-valued ones).
    func single(_ value: JSONValue, _ attribute: SCIMAttribute, path: String) throws(SCIMError) -> JSONValue? {
        if value.isNull { return nil }
        guard attribute.type == .complex else { return try simple(value, attribute, path: path) }
        let members: [String: JSONValue]
        switch value {
        case .object(let o): members = o
        case .string, .int:
            // Entra sends the enterprise `manager` as the manager's id alone.
            guard !attribute.multiValued, let valueAttribute = attribute.subAttribute(named: "value") else {
                throw .invalidValue("\"\(path)\" must be an object")
            }
            members = [valueAttribute.name: value]
        default:
            throw .invalidValue("\"\(path)\" must be an object")
        }
        var out: [String: JSONValue] = [:]
        var seen: Set<String> = []
        for (key, sub) in members.sorted(by: { $0.key < $1.key }) {
            guard seen.insert(SCIMText.fold(key)).inserted else { throw .invalidSyntax("\"\(path).\(key)\" appears twice") }
            guard let subAttribute = attribute.subAttribute(named: key), subAttribute.mutability != .readOnly else { continue }
            out[subAttribute.name] = try simple(sub, subAttribute, path: "\(path).\(subAttribute.name)")
        }
        if isMembers(attribute) { return try member(out, path: path) }
        return out.isEmpty ? nil : .object(out)
    }

    /// A group member as stored: its user id only (`type` must be `User`; `$ref` and
    /// `display` are the server's to compute).
    private func member(_ element: [String: JSONValue], path: String) throws(SCIMError) -> JSONValue? {
        guard let value = element["value"]?.stringValue, !value.isEmpty else {
            throw .invalidValue("every member needs a \"value\" (the id of a user)")
        }
        if let kind = element["type"]?.stringValue, !SCIMText.equalsIgnoringCase(kind, "User") {
            throw .invalidValue("member \"\(value)\" has type \"\(kind)\"; only users can be members (no nested groups)")
        }
        return .object(["value": .string(value)])
    }

    func isMembers(_ attribute: SCIMAttribute) -> Bool {
        type.storage == .group && attribute.name == "members"
    }

    /// A value of a non-complex attribute.
    func simple(_ value: JSONValue, _ attribute: SCIMAttribute, path: String) throws(SCIMError) -> JSONValue? {
        switch value {
        case .null: return nil
        case .array, .object:
            throw .invalidValue("\"\(path)\" must be a single \(attribute.type)")
        default: break
        }
        switch attribute.type {
        case .boolean:
            if let b = value.boolValue { return .bool(b) }
            if let s = value.stringValue, let b = SCIMValues.booleanString(s) { return .bool(b) }
            throw .invalidValue("\"\(path)\" must be true or false")
        case .integer:
            guard let i = value.intValue else { throw .invalidValue("\"\(path)\" must be an integer") }
            return .int(i)
        case .decimal:
            guard value.doubleValue != nil else { throw .invalidValue("\"\(path)\" must be a number") }
            return value
        case .dateTime:
            guard let s = value.stringValue, let canonical = SCIMDateTime.canonical(s) else {
                throw .invalidValue("\"\(path)\" must be a date-time such as \"2024-01-31T12:00:00Z\"")
            }
            return .string(canonical)
        default:
            switch value {
            case .string(let s):
                try checkString(s, path: path)
                return .string(s)
            case .int(let i):
                // Some clients send numeric ids (employeeNumber) unquoted.
                return .string(String(i))
            default:
                throw .invalidValue("\"\(path)\" must be a string")
            }
        }
    }

    private func checkString(_ s: String, path: String) throws(SCIMError) {
        if s.utf8.count > configuration.maxStringBytes {
            throw .invalidValue("\"\(path)\" is longer than \(configuration.maxStringBytes) bytes")
        }
    }

    // MARK: Whole-document rules

    /// Rules that span attributes, checked on every document before it is stored: required
    /// attributes, identifiers that must be usable names, at most one primary value, value
    /// counts and document size.
    func validate(_ doc: [String: JSONValue]) throws(SCIMError) {
        for attribute in type.schema.attributes where attribute.required {
            guard let value = doc[attribute.name], SCIMValues.isPresent(value) else {
                throw .invalidValue("\"\(attribute.name)\" is required")
            }
        }
        for ext in type.extensions {
            for attribute in ext.schema.attributes where attribute.required && doc[ext.schema.id] != nil {
                guard let value = doc[ext.schema.id]?[attribute.name], SCIMValues.isPresent(value) else {
                    throw .invalidValue("\"\(ext.schema.id):\(attribute.name)\" is required")
                }
            }
        }
        let nameAttribute = type.storage == .user ? "userName" : "displayName"
        if let name = doc[nameAttribute]?.stringValue {
            if name.trimmingSpaces.isEmpty { throw .invalidValue("\"\(nameAttribute)\" must not be blank") }
            if name.utf8.count > 256 { throw .invalidValue("\"\(nameAttribute)\" is longer than 256 bytes") }
            if SCIMText.hasControlCharacters(name) { throw .invalidValue("\"\(nameAttribute)\" must not contain control characters") }
        }
        var stored = doc
        if type.storage == .group, let members = doc["members"]?.arrayValue {
            if members.count > configuration.maxMembersPerRequest {
                throw .tooMany("at most \(configuration.maxMembersPerRequest) members can be set in one request")
            }
            stored["members"] = nil
        }
        for (key, value) in stored {
            if let array = value.arrayValue, array.count > configuration.maxValuesPerAttribute {
                throw .invalidValue("\"\(key)\" has more than \(configuration.maxValuesPerAttribute) values")
            }
        }
        try checkPrimaries(doc)
        if JSONValue.object(stored).serializedBytes().count > configuration.maxDocumentBytes {
            throw .payloadTooLarge("the resource is larger than \(configuration.maxDocumentBytes) bytes")
        }
    }

    /// RFC 7643 §2.4: `primary` may be true for at most one value of an attribute.
    private func checkPrimaries(_ doc: [String: JSONValue]) throws(SCIMError) {
        func check(_ value: JSONValue, _ name: String) throws(SCIMError) {
            guard let array = value.arrayValue else { return }
            if array.filter({ $0["primary"]?.boolValue == true }).count > 1 {
                throw .invalidValue("at most one of \"\(name)\" can be primary")
            }
        }
        for (key, value) in doc {
            try check(value, key)
            if key.hasPrefix("urn:"), let object = value.objectValue {
                for (sub, v) in object { try check(v, "\(key):\(sub)") }
            }
        }
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces, tabs and line breaks.
    var trimmingSpaces: SubSequence {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return self[startIndex..<startIndex]
        }
        return self[first...last]
    }
}
