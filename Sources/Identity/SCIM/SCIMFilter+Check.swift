import JSON

/// A filter literal checked against the attribute it is compared with.
enum SCIMFilterLiteral: Sendable, Equatable {
    case string(String)
    case bool(Bool)
    case number(Double)
    /// Milliseconds since 1970; compared with stored values in their canonical text form.
    case dateTime(Int64)
}

/// What a filter term asks of one value.
enum SCIMFilterPredicate: Sendable, Equatable {
    case present
    case compare(SCIMFilter.Operator, SCIMFilterLiteral)
}

/// A filter resolved against a resource type: every path known, every operator allowed for its
/// attribute's type, every literal of the right type.
///
/// Semantics, shared by the SQL translation and the in-memory matcher (and documented for
/// clients): a term on a multi-valued attribute matches when *some* value matches (RFC 7644
/// §3.4.2.2), for every operator including `ne`; a term on an absent attribute matches nothing
/// except through `not`; `eq null` means `not (attr pr)` and `ne null` means `attr pr`;
/// `pr` is false for null, `""`, `[]` and `{}`.
indirect enum SCIMCheckedFilter: Sendable {
    /// A single-valued attribute, or (inside ``any(_:_:)``) a sub-attribute of the element —
    /// or the element itself when the path has no sub-attribute.
    case term(SCIMResolvedPath, SCIMFilterPredicate)
    case and(SCIMCheckedFilter, SCIMCheckedFilter)
    case or(SCIMCheckedFilter, SCIMCheckedFilter)
    case not(SCIMCheckedFilter)
    /// Some element of the multi-valued attribute satisfies the element-level filter.
    case any(SCIMResolvedPath, SCIMCheckedFilter)
    case constant(Bool)
}

extension SCIMFilter {
    /// Resolves and type-checks this filter for `type`.
    ///
    /// - Throws: ``SCIMError/invalidFilter(_:at:)`` for unknown attributes, operators that do
    ///   not apply to the attribute's type and literals of the wrong type.
    func checked(for type: SCIMResourceType) throws(SCIMError) -> SCIMCheckedFilter {
        try SCIMFilterChecker(type: type).check(nullRewritten, element: nil)
    }

    /// Resolves a value filter whose paths name sub-attributes of `parent` (PATCH paths).
    func checked(forElementsOf parent: SCIMResolvedPath, in type: SCIMResourceType) throws(SCIMError) -> SCIMCheckedFilter {
        try SCIMFilterChecker(type: type).check(nullRewritten, element: parent)
    }
}

private struct SCIMFilterChecker {
    let type: SCIMResourceType

    func check(_ filter: SCIMFilter, element: SCIMResolvedPath?) throws(SCIMError) -> SCIMCheckedFilter {
        switch filter {
        case .and(let a, let b): return .and(try check(a, element: element), try check(b, element: element))
        case .or(let a, let b): return .or(try check(a, element: element), try check(b, element: element))
        case .not(let f): return .not(try check(f, element: element))
        case .valuePath(let path, let inner):
            guard element == nil else { throw .invalidFilter("value filters cannot be nested") }
            guard let resolved = type.resolve(path), let attribute = resolved.attribute else {
                throw .invalidFilter("unknown attribute \"\(path)\"")
            }
            guard attribute.multiValued, resolved.subAttribute == nil else {
                throw .invalidFilter("\"\(resolved.displayName)\" is not multi-valued; value filters apply to multi-valued attributes")
            }
            try checkReadable(resolved)
            return .any(resolved, try check(inner, element: resolved))
        case .present(let path):
            return try term(path, nil, element: element)
        case .compare(let path, let op, let value):
            return try term(path, (op, value), element: element)
        }
    }

    /// Resolves a term's path (at resource level or inside a value filter) and wraps terms on
    /// multi-valued attributes in ``SCIMCheckedFilter/any(_:_:)``. `comparison` is `nil` for `pr`.
    private func term(
        _ path: SCIMAttributePath, _ comparison: (SCIMFilter.Operator, JSONValue)?, element: SCIMResolvedPath?
    ) throws(SCIMError) -> SCIMCheckedFilter {
        func makePredicate(_ leaf: SCIMAttribute) throws(SCIMError) -> SCIMFilterPredicate {
            guard let (op, value) = comparison else { return .present }
            return try predicate(op, value, leaf)
        }
        if let element, let parent = element.attribute {
            // Inside `attr[...]`: a sub-attribute of the element, or `value` of a simple multi-valued one.
            guard parent.type == .complex else {
                guard SCIMText.equalsIgnoringCase(path.name, "value") else {
                    throw .invalidFilter("\"\(element.displayName)\" has no sub-attribute \"\(path.name)\"")
                }
                return .term(element.withoutSub, try makePredicate(parent))
            }
            guard let sub = parent.subAttribute(named: path.name) else {
                throw .invalidFilter("\"\(element.displayName)\" has no sub-attribute \"\(path.name)\"")
            }
            let resolved = SCIMResolvedPath(root: element.root, attribute: parent, subAttribute: sub)
            try checkReadable(resolved)
            return .term(resolved, try makePredicate(sub))
        }
        guard let resolved = type.resolve(path), let attribute = resolved.attribute else {
            throw .invalidFilter("unknown attribute \"\(path)\"")
        }
        try checkReadable(resolved)
        if attribute.multiValued {
            // `emails co "x"` means `emails.value co "x"` (RFC 7644 §3.4.2.2); `emails pr` means
            // the attribute has at least one value.
            if let sub = resolved.subAttribute {
                return .any(resolved.withoutSub, .term(resolved, try makePredicate(sub)))
            }
            if attribute.type == .complex {
                if comparison == nil { return .any(resolved, .constant(true)) }
                guard let value = attribute.subAttribute(named: "value") else {
                    throw .invalidFilter("\"\(resolved.displayName)\" has no \"value\"; name a sub-attribute")
                }
                let elementPath = SCIMResolvedPath(root: resolved.root, attribute: attribute, subAttribute: value)
                return .any(resolved, .term(elementPath, try makePredicate(value)))
            }
            return .any(resolved, .term(resolved, try makePredicate(attribute)))
        }
        return .term(resolved, try makePredicate(resolved.leaf ?? attribute))
    }

    private func checkReadable(_ resolved: SCIMResolvedPath) throws(SCIMError) {
        if resolved.attribute?.returned == .never || resolved.subAttribute?.returned == .never {
            throw .invalidFilter("\"\(resolved.displayName)\" is never returned and cannot be filtered on")
        }
    }

    /// Checks that `op` applies to `leaf`'s type and converts the literal.
    private func predicate(_ op: SCIMFilter.Operator, _ value: JSONValue, _ leaf: SCIMAttribute) throws(SCIMError) -> SCIMFilterPredicate {
        let name = leaf.name
        if leaf.type == .complex {
            throw .invalidFilter("\"\(name)\" is complex; compare one of its sub-attributes")
        }
        if value.isNull {
            // `eq null` and `ne null` were rewritten as presence tests before checking.
            throw .invalidFilter("null can only be compared with eq or ne")
        }
        switch leaf.type {
        case .boolean:
            guard op == .eq || op == .ne else { throw .invalidFilter("operator \(op.rawValue) does not apply to the boolean \"\(name)\"") }
            if let b = value.boolValue { return .compare(op, .bool(b)) }
            if let s = value.stringValue, let b = SCIMValues.booleanString(s) { return .compare(op, .bool(b)) }
            throw .invalidFilter("\"\(name)\" is a boolean; compare it with true or false")
        case .integer, .decimal:
            guard ![.co, .sw, .ew].contains(op) else { throw .invalidFilter("operator \(op.rawValue) does not apply to the number \"\(name)\"") }
            guard let d = value.doubleValue else { throw .invalidFilter("\"\(name)\" is a number; compare it with a number") }
            return .compare(op, .number(d))
        case .dateTime:
            guard ![.co, .sw, .ew].contains(op) else { throw .invalidFilter("operator \(op.rawValue) does not apply to the dateTime \"\(name)\"") }
            guard let s = value.stringValue, let ms = SCIMDateTime.parse(s) else {
                throw .invalidFilter("\"\(name)\" is a dateTime; compare it with a string such as \"2024-01-31T12:00:00Z\"")
            }
            return .compare(op, .dateTime(ms))
        case .binary:
            guard op == .eq || op == .ne || op == .co || op == .sw || op == .ew else {
                throw .invalidFilter("operator \(op.rawValue) does not apply to the binary \"\(name)\"")
            }
            guard let s = value.stringValue else { throw .invalidFilter("\"\(name)\" is binary; compare it with a string") }
            return .compare(op, .string(s))
        default:
            guard let s = value.stringValue else { throw .invalidFilter("\"\(name)\" is a string; compare it with a quoted string") }
            return .compare(op, .string(s))
        }
    }
}

extension SCIMResolvedPath {
    /// The same attribute without its sub-attribute.
    var withoutSub: SCIMResolvedPath { SCIMResolvedPath(root: root, attribute: attribute, subAttribute: nil) }
}

extension SCIMFilter {
    /// `eq null` and `ne null` rewritten as presence tests, before checking.
    var nullRewritten: SCIMFilter {
        switch self {
        case .compare(let path, .eq, .null): return .not(.present(path))
        case .compare(let path, .ne, .null): return .present(path)
        case .compare: return self
        case .present: return self
        case .and(let a, let b): return .and(a.nullRewritten, b.nullRewritten)
        case .or(let a, let b): return .or(a.nullRewritten, b.nullRewritten)
        case .not(let f): return .not(f.nullRewritten)
        case .valuePath(let p, let f): return .valuePath(p, f.nullRewritten)
        }
    }
}

// MARK: In-memory matching

extension SCIMCheckedFilter {
    /// Whether a resource (its SCIM JSON, canonical attribute names) matches. Used for PATCH
    /// value filters; the list endpoints translate filters to SQL instead.
    func matches(resource: JSONValue) -> Bool { evaluate(resource, element: nil) }

    /// Whether one element of a multi-valued attribute matches an element-level filter.
    func matches(element: JSONValue) -> Bool { evaluate(.null, element: element) }

    private func evaluate(_ resource: JSONValue, element: JSONValue?) -> Bool {
        switch self {
        case .constant(let b): return b
        case .and(let a, let b): return a.evaluate(resource, element: element) && b.evaluate(resource, element: element)
        case .or(let a, let b): return a.evaluate(resource, element: element) || b.evaluate(resource, element: element)
        case .not(let f): return !f.evaluate(resource, element: element)
        case .any(let path, let inner):
            guard let values = resource.value(at: path.attributeKeys)?.arrayValue else { return false }
            return values.contains { inner.evaluate(resource, element: $0) }
        case .term(let path, let predicate):
            let value: JSONValue?
            if let element {
                value = path.subAttribute.map { element[$0.name] } ?? element
            } else {
                let base = resource.value(at: path.attributeKeys)
                value = path.subAttribute.map { base?[$0.name] } ?? base
            }
            guard let value, let leaf = path.leaf else { return false }
            return SCIMValues.satisfies(value, predicate, caseExact: leaf.caseExact, type: leaf.type)
        }
    }
}

extension JSONValue {
    /// The value at a chain of object keys.
    func value(at keys: [String]) -> JSONValue? {
        var current: JSONValue? = self
        for key in keys { current = current?[key] }
        return current
    }
}

/// Value rules shared by input normalization, PATCH and in-memory matching.
enum SCIMValues {
    /// `true`/`false` in any case (Entra sends `"True"`, `"False"`).
    static func booleanString(_ s: String) -> Bool? {
        switch SCIMText.fold(s) {
        case "true": return true
        case "false": return false
        default: return nil
        }
    }

    /// Whether a value counts as assigned: not null, not `""`, not empty (RFC 7643 §2.5).
    static func isPresent(_ v: JSONValue) -> Bool {
        switch v {
        case .null: return false
        case .string(let s): return !s.isEmpty
        case .array(let a): return !a.isEmpty
        case .object(let o): return !o.isEmpty
        default: return true
        }
    }

    /// Compares text the way both SQL backends do: byte by byte in UTF-8 (SQLite's BINARY
    /// collation, PostgreSQL's "C"), not by Swift's canonical equivalence.
    static func compareText(_ a: String, _ b: String) -> Int {
        var ia = a.utf8.makeIterator(), ib = b.utf8.makeIterator()
        while true {
            switch (ia.next(), ib.next()) {
            case (nil, nil): return 0
            case (nil, _): return -1
            case (_, nil): return 1
            case (let x?, let y?): if x != y { return x < y ? -1 : 1 }
            }
        }
    }

    static func satisfies(_ value: JSONValue, _ predicate: SCIMFilterPredicate, caseExact: Bool, type: SCIMAttribute.DataType) -> Bool {
        guard case .compare(let op, let literal) = predicate else { return isPresent(value) }
        switch literal {
        case .bool(let b):
            guard let v = value.boolValue else { return false }
            return op == .eq ? v == b : v != b
        case .number(let n):
            guard let v = value.doubleValue else { return false }
            return ordered(op, v < n ? -1 : (v > n ? 1 : 0))
        case .dateTime(let ms):
            guard let s = value.stringValue, let v = SCIMDateTime.parse(s) else { return false }
            return ordered(op, v < ms ? -1 : (v > ms ? 1 : 0))
        case .string(let lit):
            guard let s = value.stringValue else { return false }
            let a = caseExact ? s : SCIMText.fold(s)
            let b = caseExact ? lit : SCIMText.fold(lit)
            switch op {
            case .co: return b.isEmpty || containsBytes(a, b)
            case .sw: return a.utf8.starts(with: b.utf8)
            case .ew: return a.utf8.count >= b.utf8.count && a.utf8.suffix(b.utf8.count).elementsEqual(b.utf8)
            default: return ordered(op, compareText(a, b))
            }
        }
    }

    private static func ordered(_ op: SCIMFilter.Operator, _ c: Int) -> Bool {
        switch op {
        case .eq: return c == 0
        case .ne: return c != 0
        case .gt: return c > 0
        case .ge: return c >= 0
        case .lt: return c < 0
        case .le: return c <= 0
        case .co, .sw, .ew: return false
        }
    }

    private static func containsBytes(_ haystack: String, _ needle: String) -> Bool {
        let h = Array(haystack.utf8), n = Array(needle.utf8)
        guard n.count <= h.count else { return false }
        for start in 0...(h.count - n.count) where h[start] == n[0] {
            if h[start..<(start + n.count)].elementsEqual(n) { return true }
        }
        return false
    }
}
