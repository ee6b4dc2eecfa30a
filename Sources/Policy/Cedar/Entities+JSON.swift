import JSON

extension Entities {
    /// Parses the Cedar entities JSON format: an array of `{uid, attrs, parents, tags}`.
    ///
    /// With a schema, attribute and tag values are read by their declared types (so `"1.5"` for
    /// a `decimal` attribute becomes a decimal and `{"type","id"}` for an entity attribute becomes
    /// a reference), values are checked against the schema, and the schema's action entities and
    /// their hierarchy are added.
    public static func parse(json: JSONValue, schema: Schema? = nil) throws(EntitiesError) -> Entities {
        guard case .array(let items) = json else { throw .invalid("entities JSON must be an array") }
        var list: [Entity] = []
        list.reserveCapacity(items.count)
        var actionIds: Set<EntityUID> = []
        if let schema {
            for (uid, def) in schema.actions {
                list.append(Entity(uid: uid, parents: def.memberOf))
                actionIds.insert(uid)
            }
        }
        for item in items {
            guard case .object(let o) = item else { throw .invalid("each entity must be an object") }
            guard let uidJSON = o["uid"] else { throw .invalid("entity is missing `uid`") }
            let uid = try JSONValueReader.entityUID(uidJSON, context: "uid")
            var parents: [EntityUID] = []
            if let p = o["parents"], !p.isNull {
                guard case .array(let arr) = p else { throw .invalid("`parents` of `\(uid)` must be an array") }
                for x in arr { parents.append(try JSONValueReader.entityUID(x, context: "parent of `\(uid)`")) }
            }
            if let schema {
                if actionIds.contains(uid) {
                    // The schema is the source of truth for actions.
                    continue
                }
                try JSONValueReader.checkEntity(uid, parents: parents, schema: schema)
            }
            let typeDef = schema?.entityTypes[uid.type]
            var attrs: [String: CedarValue] = [:]
            if let a = o["attrs"], !a.isNull {
                guard case .object(let ao) = a else { throw .invalid("`attrs` of `\(uid)` must be an object") }
                if let typeDef {
                    guard case .record(let r) = try JSONValueReader.value(a, expected: .record(typeDef.shape), path: "attrs of `\(uid)`") else {
                        throw .invalid("`attrs` of `\(uid)` must be an object")
                    }
                    attrs = r
                } else {
                    for (k, v) in ao { attrs[k] = try JSONValueReader.value(v, expected: nil, path: "attribute `\(k)` of `\(uid)`") }
                }
            } else if let typeDef, let missing = typeDef.shape.attributes.first(where: { $0.value.required }) {
                throw .schema("entity `\(uid)` is missing the required attribute `\(missing.key)`")
            }
            var tags: [String: CedarValue] = [:]
            if let t = o["tags"], !t.isNull {
                guard case .object(let to) = t else { throw .invalid("`tags` of `\(uid)` must be an object") }
                if let schema, !to.isEmpty, schema.entityTypes[uid.type]?.tags == nil {
                    throw .schema("entity `\(uid)` has tags but its type declares none")
                }
                for (k, v) in to { tags[k] = try JSONValueReader.value(v, expected: typeDef?.tags, path: "tag `\(k)` of `\(uid)`") }
            }
            list.append(Entity(uid: uid, attributes: attrs, parents: parents, tags: tags))
        }
        return try Entities(list)
    }

    /// Parses entities JSON text.
    public static func parse(_ text: String, schema: Schema? = nil) throws(EntitiesError) -> Entities {
        let json: JSONValue
        do {
            json = try JSONValue.parse(text)
        } catch {
            throw .invalid("invalid entities JSON: \(error)")
        }
        return try parse(json: json, schema: schema)
    }
}

/// Reads Cedar values from JSON, optionally directed by a schema type.
enum JSONValueReader {
    static func entityUID(_ json: JSONValue, context: String) throws(EntitiesError) -> EntityUID {
        var v = json
        if let inner = json["__entity"] { v = inner }
        guard case .object(let o) = v, let t = o["type"]?.stringValue, let id = o["id"]?.stringValue else {
            throw .invalid("\(context): expected an entity reference `{\"type\": ..., \"id\": ...}`")
        }
        return EntityUID(type: t, id: id)
    }

    static func checkEntity(_ uid: EntityUID, parents: [EntityUID], schema: Schema) throws(EntitiesError) {
        guard let def = schema.entityTypes[uid.type] else {
            throw .schema("entity `\(uid)` has type `\(uid.type)` which is not declared in the schema")
        }
        if let values = def.enumValues, !values.contains(uid.id) {
            throw .schema("entity `\(uid)` is not one of the values of the enumerated type `\(uid.type)`")
        }
        for p in parents where !def.memberOfTypes.contains(p.type) {
            throw .schema("`\(uid)` is not allowed to have a parent of type `\(p.type)`")
        }
    }

    static func extensionValue(fn: String, arg: String, path: String) throws(EntitiesError) -> CedarValue {
        try extensionCall(fn: fn, args: [.string(arg)], path: path)
    }

    static func extensionCall(fn: String, args: [CedarValue], path: String) throws(EntitiesError) -> CedarValue {
        let name = fn == "ipaddr" ? "ip" : fn
        guard let f = CedarExtFunction(rawValue: name) else { throw .invalid("\(path): unknown extension function `\(fn)`") }
        do {
            let v = try CedarEvaluator.applyExtension(f, args)
            guard case .ext = v else { throw EntitiesError.invalid("\(path): `\(fn)` does not produce an extension value") }
            return v
        } catch let e as EntitiesError {
            throw e
        } catch {
            throw .invalid("\(path): \(error)")
        }
    }

    /// `{"__extn": {"fn": f, "arg": x}}` or `{"__extn": {"fn": f, "args": [x, y]}}`.
    static func escapedExtension(_ ext: JSONValue, path: String, depth: Int) throws(EntitiesError) -> CedarValue {
        guard let fn = ext["fn"]?.stringValue else { throw .invalid("\(path): `__extn` needs a `fn` string") }
        var args: [CedarValue] = []
        if let a = ext["arg"] {
            args = [try value(a, expected: nil, path: path, depth: depth + 1)]
        } else if case .array(let list)? = ext["args"] {
            for a in list { args.append(try value(a, expected: nil, path: path, depth: depth + 1)) }
        } else {
            throw .invalid("\(path): `__extn` needs `arg` or `args`")
        }
        return try extensionCall(fn: fn, args: args, path: path)
    }

    static func value(_ json: JSONValue, expected: SchemaType?, path: String, depth: Int = 0) throws(EntitiesError) -> CedarValue {
        guard depth < 128 else { throw .invalid("\(path): value nested too deeply") }
        if case .object(let o) = json, o.count == 1, let ext = o["__extn"] {
            let v = try escapedExtension(ext, path: path, depth: depth)
            if let expected, case .ext(let name) = expected, name != v.typeName { throw mismatch(path, expected, v) }
            if let expected, !isExt(expected) { throw mismatch(path, expected, v) }
            return v
        }
        if case .object(let o) = json, o.count == 1, o["__entity"] != nil {
            let v = CedarValue.entity(try entityUID(json, context: path))
            if let expected {
                guard case .entity(let t) = expected, case .entity(let uid) = v, uid.type == t else { throw mismatch(path, expected, v) }
            }
            return v
        }
        guard let expected else { return try untyped(json, path: path, depth: depth) }
        switch expected {
        case .bool:
            guard case .bool(let b) = json else { throw .schema("\(path): expected Bool, got \(json.typeName)") }
            return .bool(b)
        case .long:
            guard case .int(let i) = json else { throw .schema("\(path): expected Long, got \(json.typeName)") }
            return .long(i)
        case .string:
            guard case .string(let s) = json else { throw .schema("\(path): expected String, got \(json.typeName)") }
            return .string(s)
        case .entity(let t):
            let uid = try entityUID(json, context: path)
            guard uid.type == t else { throw .schema("\(path): expected an entity of type `\(t)`, got `\(uid)`") }
            return .entity(uid)
        case .ext(let name):
            if case .string(let s) = json {
                return try extensionValue(fn: name == "ipaddr" ? "ip" : name, arg: s, path: path)
            }
            if case .object(let o) = json, o["fn"] != nil {
                return try escapedExtension(json, path: path, depth: depth)
            }
            throw .schema("\(path): expected \(name), got \(json.typeName)")
        case .set(let element):
            guard case .array(let arr) = json else { throw .schema("\(path): expected a set, got \(json.typeName)") }
            var s = Set<CedarValue>()
            for x in arr { s.insert(try value(x, expected: element, path: path, depth: depth + 1)) }
            return .set(s)
        case .record(let r):
            guard case .object(let o) = json else { throw .schema("\(path): expected a record, got \(json.typeName)") }
            var out: [String: CedarValue] = [:]
            for (k, v) in o {
                if let a = r.attributes[k] {
                    out[k] = try value(v, expected: a.type, path: "\(path).\(k)", depth: depth + 1)
                } else if r.isOpen {
                    out[k] = try untyped(v, path: "\(path).\(k)", depth: depth + 1)
                } else {
                    throw .schema("\(path): attribute `\(k)` is not declared in the schema")
                }
            }
            for (k, a) in r.attributes where a.required && out[k] == nil {
                throw .schema("\(path): required attribute `\(k)` is missing")
            }
            return .record(out)
        }
    }

    private static func isExt(_ t: SchemaType) -> Bool {
        if case .ext = t { return true }
        return false
    }

    private static func mismatch(_ path: String, _ expected: SchemaType, _ got: CedarValue) -> EntitiesError {
        .schema("\(path): expected \(expected), got \(got.typeName)")
    }

    static func untyped(_ json: JSONValue, path: String, depth: Int) throws(EntitiesError) -> CedarValue {
        guard depth < 128 else { throw .invalid("\(path): value nested too deeply") }
        switch json {
        case .null: throw .invalid("\(path): null is not a Cedar value")
        case .bool(let b): return .bool(b)
        case .int(let i): return .long(i)
        case .double: throw .invalid("\(path): floating-point numbers are not Cedar values")
        case .string(let s): return .string(s)
        case .array(let arr):
            var s = Set<CedarValue>()
            for x in arr { s.insert(try value(x, expected: nil, path: path, depth: depth + 1)) }
            return .set(s)
        case .object(let o):
            if o.count == 1, o["__entity"] != nil || o["__extn"] != nil {
                return try value(json, expected: nil, path: path, depth: depth)
            }
            var out: [String: CedarValue] = [:]
            for (k, v) in o { out[k] = try value(v, expected: nil, path: "\(path).\(k)", depth: depth + 1) }
            return .record(out)
        }
    }

    /// Reads a request context: a JSON object, typed by the action's context when a schema is given.
    static func context(_ json: JSONValue, action: EntityUID, schema: Schema?) throws(EntitiesError) -> [String: CedarValue] {
        if json.isNull { return [:] }
        guard case .object = json else { throw .invalid("context must be a JSON object") }
        var expected: SchemaType?
        if let schema {
            guard let a = schema.actions[action] else { throw .schema("action `\(action)` is not declared in the schema") }
            expected = .record(a.context)
        }
        guard case .record(let r) = try value(json, expected: expected, path: "context") else {
            throw .invalid("context must be a record")
        }
        return r
    }
}
