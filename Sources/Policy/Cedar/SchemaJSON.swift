import JSON

/// Reads the JSON schema form into the unresolved model.
enum SchemaJSONReader {
    static func read(_ json: JSONValue) throws(SchemaError) -> RawSchema {
        guard case .object(let top) = json else { throw .invalid("a JSON schema must be an object") }
        var schema = RawSchema()
        for (nsName, nsValue) in top.sorted(by: { $0.key < $1.key }) {
            guard case .object(let ns) = nsValue else { throw .invalid("namespace `\(nsName)` must be an object") }
            var raw = RawNamespace(name: nsName)
            for key in ns.keys where !["entityTypes", "actions", "commonTypes", "annotations"].contains(key) {
                throw .invalid("unknown field `\(key)` in namespace `\(nsName)`")
            }
            if let ets = ns["entityTypes"] {
                guard case .object(let entities) = ets else { throw .invalid("`entityTypes` must be an object") }
                for (name, def) in entities {
                    guard case .object(let d) = def else { throw .invalid("entity type `\(name)` must be an object") }
                    var enumValues: [String]?
                    if let e = d["enum"] {
                        guard case .array(let arr) = e else { throw .invalid("`enum` must be an array") }
                        enumValues = try arr.map { (v) throws(SchemaError) in
                            guard case .string(let s) = v else { throw .invalid("`enum` values must be strings") }
                            return s
                        }
                    }
                    let memberOf = try strings(d["memberOfTypes"], "memberOfTypes")
                    let shape = try d["shape"].map { (v) throws(SchemaError) in try type(v) }
                    let tags = try d["tags"].map { (v) throws(SchemaError) in try type(v) }
                    raw.entityTypes.append(RawEntityType(name: name, memberOf: memberOf, shape: shape, tags: tags, enumValues: enumValues))
                }
            }
            if let acts = ns["actions"] {
                guard case .object(let actions) = acts else { throw .invalid("`actions` must be an object") }
                for (id, def) in actions {
                    guard case .object(let d) = def else { throw .invalid("action `\(id)` must be an object") }
                    var parents: [RawActionRef] = []
                    if let m = d["memberOf"], !m.isNull {
                        guard case .array(let arr) = m else { throw .invalid("`memberOf` must be an array") }
                        for ref in arr {
                            guard let pid = ref["id"]?.stringValue else { throw .invalid("action reference needs an `id`") }
                            parents.append(RawActionRef(type: ref["type"]?.stringValue, id: pid))
                        }
                    }
                    var principals: [String]?
                    var resources: [String]?
                    var context: RawType?
                    if let a = d["appliesTo"], !a.isNull {
                        principals = try strings(a["principalTypes"], "principalTypes")
                        resources = try strings(a["resourceTypes"], "resourceTypes")
                        context = try a["context"].map { (v) throws(SchemaError) in try type(v) }
                    }
                    raw.actions.append(RawAction(id: id, memberOf: parents, principalTypes: principals, resourceTypes: resources, context: context))
                }
            }
            if let cts = ns["commonTypes"] {
                guard case .object(let commons) = cts else { throw .invalid("`commonTypes` must be an object") }
                for (name, def) in commons { raw.commonTypes.append((name, try type(def))) }
            }
            schema.namespaces.append(raw)
        }
        return schema
    }

    private static func strings(_ v: JSONValue?, _ field: String) throws(SchemaError) -> [String] {
        guard let v, !v.isNull else { return [] }
        guard case .array(let arr) = v else { throw .invalid("`\(field)` must be an array") }
        return try arr.map { (x) throws(SchemaError) in
            guard case .string(let s) = x else { throw .invalid("`\(field)` must hold strings") }
            return s
        }
    }

    static func type(_ v: JSONValue, depth: Int = 0) throws(SchemaError) -> RawType {
        guard depth < 128 else { throw .invalid("schema type nested too deeply") }
        guard case .object(let o) = v, let t = o["type"]?.stringValue else { throw .invalid("a schema type needs a `type` field") }
        switch t {
        case "Long": return .long
        case "String": return .string
        case "Boolean": return .bool
        case "Set":
            guard let e = o["element"] else { throw .invalid("`Set` needs an `element`") }
            return .set(try type(e, depth: depth + 1))
        case "Record":
            var attrs: [String: RawAttribute] = [:]
            if let a = o["attributes"] {
                guard case .object(let ao) = a else { throw .invalid("`attributes` must be an object") }
                for (k, av) in ao {
                    let required = av["required"]?.boolValue ?? true
                    attrs[k] = RawAttribute(type: try type(av, depth: depth + 1), required: required)
                }
            }
            return .record(attrs, isOpen: o["additionalAttributes"]?.boolValue ?? false)
        case "Entity":
            guard let n = o["name"]?.stringValue else { throw .invalid("`Entity` needs a `name`") }
            return .entityName(n)
        case "Extension":
            guard let n = o["name"]?.stringValue else { throw .invalid("`Extension` needs a `name`") }
            return .extensionName(n)
        case "EntityOrCommon":
            guard let n = o["name"]?.stringValue else { throw .invalid("`EntityOrCommon` needs a `name`") }
            return .name(n)
        default:
            return .name(t)
        }
    }
}
