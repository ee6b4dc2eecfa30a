/// Parser for the human-readable schema syntax (`.cedarschema`).
struct SchemaTextParser {
    var p: PolicyParser

    init(bytes: [UInt8], limits: CedarParserLimits) throws(CedarParseError) {
        p = try PolicyParser(bytes: bytes, limits: limits)
    }

    mutating func parse() throws(SchemaError) -> RawSchema {
        do {
            return try parseSchema()
        } catch {
            throw SchemaError.syntax(error)
        }
    }

    private mutating func parseSchema() throws(CedarParseError) -> RawSchema {
        var schema = RawSchema()
        var top = RawNamespace(name: "")
        while p.peek.kind != .end {
            try skipAnnotations()
            if p.isIdent(p.peek, "namespace") && !p.isPunct(p.peek(1), ":") {
                p.pos += 1
                let name = try p.parsePath()
                var ns = RawNamespace(name: name)
                try p.expectPunct("{")
                while !p.isPunct(p.peek, "}") {
                    guard p.peek.kind != .end else { throw p.unexpected() }
                    try skipAnnotations()
                    try parseDecl(&ns)
                }
                try p.expectPunct("}")
                schema.namespaces.append(ns)
            } else {
                try parseDecl(&top)
            }
        }
        schema.namespaces.insert(top, at: 0)
        return schema
    }

    private mutating func skipAnnotations() throws(CedarParseError) {
        while p.eatPunct("@") {
            guard p.peek.kind == .identifier else { throw p.unexpected() }
            p.pos += 1
            if p.eatPunct("(") {
                _ = try p.stringLiteral()
                try p.expectPunct(")")
            }
        }
    }

    private mutating func name() throws(CedarParseError) -> String {
        if p.peek.kind == .string { return try p.stringLiteral() }
        guard p.peek.kind == .identifier else { throw p.unexpected() }
        return p.text(p.advance())
    }

    private mutating func parseDecl(_ ns: inout RawNamespace) throws(CedarParseError) {
        if p.isIdent(p.peek, "entity") {
            p.pos += 1
            var names: [String] = []
            repeat {
                guard p.peek.kind == .identifier else { throw p.unexpected() }
                names.append(p.text(p.advance()))
            } while p.eatPunct(",")
            if p.isIdent(p.peek, "enum") {
                p.pos += 1
                try p.expectPunct("[")
                var values: [String] = []
                while !p.isPunct(p.peek, "]") {
                    values.append(try p.stringLiteral())
                    if !p.eatPunct(",") { break }
                }
                try p.expectPunct("]")
                try p.expectPunct(";")
                for n in names {
                    ns.entityTypes.append(RawEntityType(name: n, memberOf: [], shape: nil, tags: nil, enumValues: values))
                }
                return
            }
            var parents: [String] = []
            if p.isIdent(p.peek, "in") {
                p.pos += 1
                parents = try typeList()
            }
            var shape: RawType?
            if p.eatPunct("=") {
                shape = try recordType()
            } else if p.isPunct(p.peek, "{") {
                shape = try recordType()
            }
            var tags: RawType?
            if p.isIdent(p.peek, "tags") {
                p.pos += 1
                tags = try parseType()
            }
            try p.expectPunct(";")
            for n in names {
                ns.entityTypes.append(RawEntityType(name: n, memberOf: parents, shape: shape, tags: tags, enumValues: nil))
            }
        } else if p.isIdent(p.peek, "action") {
            p.pos += 1
            var names: [String] = []
            repeat { names.append(try name()) } while p.eatPunct(",")
            var parents: [RawActionRef] = []
            if p.isIdent(p.peek, "in") {
                p.pos += 1
                if p.eatPunct("[") {
                    while !p.isPunct(p.peek, "]") {
                        parents.append(try actionRef())
                        if !p.eatPunct(",") { break }
                    }
                    try p.expectPunct("]")
                } else {
                    parents.append(try actionRef())
                }
            }
            var principals: [String]?
            var resources: [String]?
            var context: RawType?
            if p.isIdent(p.peek, "appliesTo") {
                p.pos += 1
                try p.expectPunct("{")
                principals = []
                resources = []
                while !p.isPunct(p.peek, "}") {
                    let keyToken = p.peek
                    let key = try name()
                    try p.expectPunct(":")
                    switch key {
                    case "principal": principals = try typeList()
                    case "resource": resources = try typeList()
                    case "context": context = try parseType()
                    default: throw p.error("unexpected key `\(key)` in appliesTo", keyToken)
                    }
                    if !p.eatPunct(",") { break }
                }
                try p.expectPunct("}")
            }
            if p.isIdent(p.peek, "attributes") {
                p.pos += 1
                _ = try recordType()
            }
            try p.expectPunct(";")
            for n in names {
                ns.actions.append(RawAction(id: n, memberOf: parents, principalTypes: principals, resourceTypes: resources, context: context))
            }
        } else if p.isIdent(p.peek, "type") {
            p.pos += 1
            guard p.peek.kind == .identifier else { throw p.unexpected() }
            let n = p.text(p.advance())
            try p.expectPunct("=")
            let t = try parseType()
            try p.expectPunct(";")
            ns.commonTypes.append((n, t))
        } else {
            throw p.unexpected()
        }
    }

    /// `Ref` in an action's `in`: `"id"`, `id`, or `Path::"id"`.
    private mutating func actionRef() throws(CedarParseError) -> RawActionRef {
        if p.peek.kind == .string { return RawActionRef(type: nil, id: try p.stringLiteral()) }
        guard p.peek.kind == .identifier else { throw p.unexpected() }
        var segments: [String] = [p.text(p.advance())]
        while p.eatPunct("::") {
            if p.peek.kind == .string {
                return RawActionRef(type: segments.joined(separator: "::"), id: try p.stringLiteral())
            }
            guard p.peek.kind == .identifier else { throw p.unexpected() }
            segments.append(p.text(p.advance()))
        }
        guard segments.count == 1 else { throw p.unexpected() }
        return RawActionRef(type: nil, id: segments[0])
    }

    private mutating func typeList() throws(CedarParseError) -> [String] {
        if p.eatPunct("[") {
            var out: [String] = []
            while !p.isPunct(p.peek, "]") {
                out.append(try rawPath())
                if !p.eatPunct(",") { break }
            }
            try p.expectPunct("]")
            return out
        }
        return [try rawPath()]
    }

    private mutating func rawPath() throws(CedarParseError) -> String {
        var segments: [String] = []
        repeat {
            guard p.peek.kind == .identifier else { throw p.unexpected() }
            segments.append(p.text(p.advance()))
        } while p.eatPunct("::")
        return segments.joined(separator: "::")
    }

    private mutating func parseType() throws(CedarParseError) -> RawType {
        try p.enter()
        defer { p.depth -= 1 }
        if p.isPunct(p.peek, "{") { return try recordType() }
        if p.isIdent(p.peek, "Set") && p.isPunct(p.peek(1), "<") {
            p.pos += 2
            let element = try parseType()
            try p.expectPunct(">")
            return .set(element)
        }
        return .name(try rawPath())
    }

    private mutating func recordType() throws(CedarParseError) -> RawType {
        try p.enter()
        defer { p.depth -= 1 }
        try p.expectPunct("{")
        var attrs: [String: RawAttribute] = [:]
        while !p.isPunct(p.peek, "}") {
            try skipAnnotations()
            let keyToken = p.peek
            let key = try name()
            let required = !p.eatPunct("?")
            try p.expectPunct(":")
            let t = try parseType()
            guard attrs[key] == nil else { throw p.error("duplicate attribute `\(key)`", keyToken) }
            attrs[key] = RawAttribute(type: t, required: required)
            if !p.eatPunct(",") { break }
        }
        try p.expectPunct("}")
        return .record(attrs, isOpen: false)
    }
}
