import JSON

/// One PATCH operation (RFC 7644 §3.5.2).
public struct SCIMPatchOperation: Sendable, Equatable {
    /// `add`, `replace` or `remove`.
    public enum Kind: String, Sendable {
        case add, replace, remove
    }

    /// The operation.
    public var kind: Kind
    /// The target; `nil` for the path-less form (`add`/`replace` with an object value).
    public var path: SCIMPatchPath?
    /// The operation's value, as sent (normalized when applied).
    public var value: JSONValue?

    /// An operation from its parts.
    public init(_ kind: Kind, path: SCIMPatchPath? = nil, value: JSONValue? = nil) {
        self.kind = kind
        self.path = path
        self.value = value
    }
}

/// A parsed PATCH request body.
public struct SCIMPatchRequest: Sendable, Equatable {
    /// The operations, applied in order.
    public var operations: [SCIMPatchOperation]

    /// A request from parsed operations.
    public init(operations: [SCIMPatchOperation]) {
        self.operations = operations
    }

    /// Parses a `PatchOp` message. Member names and `op` values match case-insensitively
    /// (Entra sends `"Replace"`, `"Add"`, `"Remove"`).
    ///
    /// - Throws: `invalidSyntax` for a body of the wrong shape, `invalidPath` for a malformed
    ///   path, `tooMany` past the operation limit.
    public static func parse(_ body: JSONValue, configuration: SCIMConfiguration = .init()) throws(SCIMError) -> SCIMPatchRequest {
        guard case .object(let members) = body else { throw .invalidSyntax("the PATCH body must be a JSON object") }
        func member(_ object: [String: JSONValue], _ name: String) -> JSONValue? {
            object.first { SCIMText.equalsIgnoringCase($0.key, name) }?.value
        }
        guard let schemas = member(members, "schemas")?.arrayValue,
              schemas.contains(where: { SCIMText.equalsIgnoringCase($0.stringValue ?? "", SCIMSchema.patchOpURN) })
        else { throw .invalidSyntax("\"schemas\" must include \"\(SCIMSchema.patchOpURN)\"") }
        guard let list = member(members, "Operations")?.arrayValue else {
            throw .invalidSyntax("\"Operations\" must be an array of operations")
        }
        guard !list.isEmpty else { throw .invalidSyntax("\"Operations\" is empty") }
        guard list.count <= configuration.maxOperations else {
            throw .tooMany("at most \(configuration.maxOperations) operations per PATCH request")
        }
        var operations: [SCIMPatchOperation] = []
        var memberValues = 0
        for (index, item) in list.enumerated() {
            guard case .object(let o) = item else { throw .invalidSyntax("operation \(index + 1) must be an object") }
            guard let opName = member(o, "op")?.stringValue, let kind = SCIMPatchOperation.Kind(rawValue: SCIMText.fold(opName)) else {
                throw .invalidSyntax("operation \(index + 1): \"op\" must be \"add\", \"replace\" or \"remove\"")
            }
            var path: SCIMPatchPath?
            if let raw = member(o, "path"), !raw.isNull {
                guard let text = raw.stringValue else { throw .invalidPath("operation \(index + 1): \"path\" must be a string") }
                path = try SCIMPatchPath.parse(text, limits: configuration.filterLimits)
            }
            let value = member(o, "value")
            if kind != .remove, value == nil {
                throw .invalidSyntax("operation \(index + 1): \"\(kind.rawValue)\" needs a \"value\"")
            }
            if kind != .remove, path == nil, value?.objectValue == nil {
                throw .invalidSyntax("operation \(index + 1): without a \"path\", \"value\" must be an object of attributes")
            }
            if let value, SCIMText.equalsIgnoringCase(path?.attribute.name ?? "", "members") || member(value.objectValue ?? [:], "members") != nil {
                memberValues += (value.arrayValue ?? member(value.objectValue ?? [:], "members")?.arrayValue)?.count ?? 1
            }
            operations.append(SCIMPatchOperation(kind, path: path, value: value))
        }
        guard memberValues <= configuration.maxMembersPerRequest else {
            throw .tooMany("at most \(configuration.maxMembersPerRequest) member values per PATCH request")
        }
        return SCIMPatchRequest(operations: operations)
    }
}

/// Applies PATCH operations to a working document: a pure function of the document, the
/// operations and the schemas, so the repository can apply to a copy, validate the result and
/// only then write (all-or-nothing), and tests need no database.
struct SCIMPatchEngine {
    let type: SCIMResourceType
    let normalizer: SCIMNormalizer

    init(type: SCIMResourceType, configuration: SCIMConfiguration) {
        self.type = type
        self.normalizer = SCIMNormalizer(type: type, configuration: configuration)
    }

    /// The document after every operation, validated. `id` is the resource's id (a path-less
    /// value may repeat it, as Okta does when renaming a group).
    func apply(_ request: SCIMPatchRequest, to document: [String: JSONValue], id: String) throws(SCIMError) -> [String: JSONValue] {
        var doc = document
        for operation in request.operations {
            try apply(operation, to: &doc, id: id)
        }
        try normalizer.validate(doc)
        return doc
    }

    private func apply(_ operation: SCIMPatchOperation, to doc: inout [String: JSONValue], id: String) throws(SCIMError) {
        guard let path = operation.path else {
            guard operation.kind != .remove else { throw .noTarget("\"remove\" needs a \"path\"") }
            guard case .object(let members)? = operation.value else { throw .invalidSyntax("without a \"path\", \"value\" must be an object") }
            try applyPathless(operation.kind, members, to: &doc, id: id)
            return
        }
        try apply(operation.kind, path, operation.value, to: &doc, explicit: true)
    }

    /// The path-less form: each member of the value is an attribute (or, as Entra sends, an
    /// attribute path such as `name.givenName`, `emails[type eq "work"].value` or
    /// `urn:...:enterprise:2.0:User:department`) to add or replace.
    private func applyPathless(_ kind: SCIMPatchOperation.Kind, _ members: [String: JSONValue], to doc: inout [String: JSONValue], id: String) throws(SCIMError) {
        for (key, value) in members.sorted(by: { $0.key < $1.key }) {
            let folded = SCIMText.fold(key)
            if folded == "schemas" || folded == "meta" { continue }
            if folded == "id" {
                guard value.stringValue == id else { throw .mutability("\"id\" is read-only") }
                continue
            }
            let path: SCIMPatchPath
            do {
                path = try SCIMPatchPath.parse(key, limits: normalizer.configuration.filterLimits)
            } catch {
                if folded.hasPrefix("urn:") {
                    try applyUnknownExtension(kind, key: key, sub: nil, value, to: &doc)
                    continue
                }
                throw error
            }
            try apply(kind, path, value, to: &doc, explicit: false)
        }
    }

    /// One operation on one path. `explicit` is false for members of a path-less value, where
    /// read-only and unknown attributes are skipped instead of refused (clients echo them).
    private func apply(_ kind: SCIMPatchOperation.Kind, _ path: SCIMPatchPath, _ value: JSONValue?,
                       to doc: inout [String: JSONValue], explicit: Bool) throws(SCIMError) {
        guard let resolved = type.resolve(path.attribute) else {
            if let uri = path.attribute.uri, SCIMText.fold(uri).hasPrefix("urn:"), type.extensionSchema(uri) == nil,
               !SCIMText.equalsIgnoringCase(uri, type.schema.id), path.valueFilter == nil
            {
                // `urn:a:b:Ext` may be a whole extension or attribute `Ext` of `urn:a:b`: it is the
                // extension when one is stored under that key or when the value is an object.
                let whole = uri + ":" + path.attribute.name
                if path.attribute.subAttribute == nil,
                   doc.keys.contains(where: { SCIMText.equalsIgnoringCase($0, whole) }) || value?.objectValue != nil
                {
                    try applyUnknownExtension(kind, key: whole, sub: nil, value, to: &doc)
                } else {
                    try applyUnknownExtension(kind, key: uri, sub: path.attribute, value, to: &doc)
                }
                return
            }
            if !explicit { return }
            throw .invalidPath("\"\(path.attribute)\" is not an attribute of \(type.name)")
        }
        if resolved.root == .common {
            guard resolved.attribute?.name == "externalId", resolved.subAttribute == nil, path.valueFilter == nil else {
                if !explicit { return }
                throw .mutability("\"\(resolved.displayName)\" is read-only")
            }
        }
        guard let attribute = resolved.attribute else {
            try applyWholeExtension(kind, resolved, value, to: &doc)
            return
        }
        let leaf = path.subAttribute.flatMap { attribute.subAttribute(named: $0) } ?? resolved.leaf ?? attribute
        if attribute.mutability == .readOnly || leaf.mutability == .readOnly {
            if !explicit { return }
            throw .mutability("\"\(resolved.displayName)\" is read-only")
        }
        if attribute.mutability == .writeOnly {
            // The password is accepted and discarded: this service provider stores none.
            return
        }
        if attribute.mutability == .immutable, current(doc, resolved) != nil {
            // Immutable: may be given a value once, never changed or removed afterwards.
            throw .mutability("\"\(resolved.displayName)\" is immutable")
        }
        let before = current(doc, resolved.withoutSub)
        if let filter = path.valueFilter {
            try applyFiltered(kind, resolved, filter, path.subAttribute, value, to: &doc)
        } else if let sub = resolved.subAttribute {
            try applySub(kind, resolved, sub, value, to: &doc)
        } else {
            try applyAttribute(kind, resolved, attribute, value, to: &doc)
        }
        if attribute.isMultiValuedComplex { try demoteOtherPrimaries(resolved, before: before, in: &doc) }
    }

    // MARK: Targets

    private func applyAttribute(_ kind: SCIMPatchOperation.Kind, _ resolved: SCIMResolvedPath, _ attribute: SCIMAttribute,
                                _ value: JSONValue?, to doc: inout [String: JSONValue]) throws(SCIMError) {
        let name = resolved.displayName
        switch kind {
        case .remove:
            if attribute.multiValued, let value, !value.isNull {
                // Entra removes members as `{"op":"Remove","path":"members","value":[{"value":"id"}]}`:
                // remove those values, not the whole attribute.
                let targets = (value.arrayValue ?? [value]).compactMap { $0["value"] ?? ($0.stringValue != nil ? $0 : nil) }
                let valueAttribute = attribute.subAttribute(named: "value")
                let kept = (current(doc, resolved)?.arrayValue ?? []).filter { element in
                    !targets.contains { target in sameValue(element["value"], target, caseExact: valueAttribute?.caseExact ?? false) }
                }
                write(&doc, resolved, kept.isEmpty ? nil : .array(kept))
            } else {
                write(&doc, resolved, nil)
            }
        case .add where attribute.multiValued:
            guard let value else { throw .invalidValue("\"add\" to \"\(name)\" needs a value") }
            let added = try normalizer.normalize(value, attribute, path: name)?.arrayValue ?? []
            var elements = current(doc, resolved)?.arrayValue ?? []
            for element in added where !elements.contains(where: { isSameElement($0, element, attribute) }) {
                elements.append(element)
            }
            write(&doc, resolved, elements.isEmpty ? nil : .array(elements))
        case .add, .replace:
            guard let value else { throw .invalidValue("\"\(kind.rawValue)\" of \"\(name)\" needs a value") }
            let normalized = try normalizer.normalize(value, attribute, path: name)
            if attribute.type == .complex, !attribute.multiValued, case .object(let new)? = normalized {
                // Complex values merge: sub-attributes not given are left as they are (§3.5.2.3).
                var merged = current(doc, resolved)?.objectValue ?? [:]
                for (k, v) in new { merged[k] = v }
                write(&doc, resolved, .object(merged))
            } else {
                write(&doc, resolved, normalized)
            }
        }
    }

    /// `name.givenName`, `emails.type` (every element), `urn:...:manager.value`.
    private func applySub(_ kind: SCIMPatchOperation.Kind, _ resolved: SCIMResolvedPath, _ sub: SCIMAttribute,
                          _ value: JSONValue?, to doc: inout [String: JSONValue]) throws(SCIMError) {
        guard let attribute = resolved.attribute else { return }
        if sub.mutability == .immutable, current(doc, resolved.withoutSub).map(SCIMValues.isPresent) == true {
            throw .mutability("\"\(resolved.displayName)\" is immutable")
        }
        let normalized: JSONValue? = kind == .remove ? nil : try normalizer.simple(value ?? .null, sub, path: resolved.displayName)
        if attribute.multiValued {
            var elements = current(doc, resolved.withoutSub)?.arrayValue ?? []
            if elements.isEmpty, let normalized {
                elements = [.object([sub.name: normalized])]
            } else {
                elements = elements.map { element in
                    var o = element.objectValue ?? [:]
                    o[sub.name] = normalized
                    return .object(o)
                }.filter { $0.objectValue?.isEmpty == false }
            }
            write(&doc, resolved.withoutSub, elements.isEmpty ? nil : .array(elements))
        } else {
            var object = current(doc, resolved.withoutSub)?.objectValue ?? [:]
            object[sub.name] = normalized
            write(&doc, resolved.withoutSub, object.isEmpty ? nil : .object(object))
        }
    }

    /// `emails[type eq "work"]`, `emails[type eq "work"].value`, `members[value eq "id"]`.
    private func applyFiltered(_ kind: SCIMPatchOperation.Kind, _ resolved: SCIMResolvedPath, _ filter: SCIMFilter,
                               _ subName: String?, _ value: JSONValue?, to doc: inout [String: JSONValue]) throws(SCIMError) {
        guard let attribute = resolved.attribute, attribute.multiValued, resolved.subAttribute == nil else {
            throw .invalidPath("\"\(resolved.displayName)\" is not multi-valued; value filters apply to multi-valued attributes")
        }
        let checked: SCIMCheckedFilter
        do {
            checked = try filter.checked(forElementsOf: resolved, in: type)
        } catch {
            throw .invalidPath(error.detail)
        }
        var sub: SCIMAttribute?
        if let subName {
            guard let s = attribute.subAttribute(named: subName) else {
                throw .invalidPath("\"\(resolved.displayName)\" has no sub-attribute \"\(subName)\"")
            }
            sub = s
        }
        var elements = current(doc, resolved)?.arrayValue ?? []
        let matches = elements.indices.filter { checked.matches(element: elements[$0]) }
        let name = resolved.displayName + (sub.map { "." + $0.name } ?? "")
        if let sub, sub.mutability == .immutable, !matches.isEmpty {
            throw .mutability("\"\(name)\" is immutable")
        }
        switch (kind, sub) {
        case (.remove, nil):
            for i in matches.reversed() { elements.remove(at: i) }
        case (.remove, let sub?):
            for i in matches {
                var o = elements[i].objectValue ?? [:]
                o[sub.name] = nil
                elements[i] = .object(o)
            }
            elements.removeAll { $0.objectValue?.isEmpty == true }
        case (_, let sub?):
            let normalized = try normalizer.simple(value ?? .null, sub, path: name)
            if matches.isEmpty {
                // No element yet: create it from the filter's equalities (Entra sends
                // `emails[type eq "work"].value` to set the first work e-mail).
                guard var seed = equalitySeed(filter, attribute) else {
                    throw .noTarget("no value of \"\(resolved.displayName)\" matches the filter")
                }
                seed[sub.name] = normalized
                if let element = try normalizer.single(.object(seed), attribute, path: resolved.displayName) { elements.append(element) }
            } else {
                for i in matches {
                    var o = elements[i].objectValue ?? [:]
                    o[sub.name] = normalized
                    elements[i] = .object(o)
                }
            }
        case (_, nil):
            guard let value, let normalized = try normalizer.single(value, attribute, path: name)?.objectValue else {
                throw .invalidValue("\"\(kind.rawValue)\" of \"\(name)\" needs an object value")
            }
            if matches.isEmpty {
                guard var seed = equalitySeed(filter, attribute) else {
                    throw .noTarget("no value of \"\(resolved.displayName)\" matches the filter")
                }
                for (k, v) in normalized { seed[k] = v }
                if let element = try normalizer.single(.object(seed), attribute, path: name) { elements.append(element) }
            } else {
                for i in matches {
                    var o = kind == .add ? elements[i].objectValue ?? [:] : [:]
                    for (k, v) in normalized { o[k] = v }
                    if immutableChanged(from: elements[i], to: .object(o), attribute) {
                        throw .mutability("an immutable sub-attribute of \"\(resolved.displayName)\" would change")
                    }
                    elements[i] = .object(o)
                }
            }
        }
        write(&doc, resolved, elements.isEmpty ? nil : .array(elements))
    }

    /// The whole enterprise extension as a path.
    private func applyWholeExtension(_ kind: SCIMPatchOperation.Kind, _ resolved: SCIMResolvedPath, _ value: JSONValue?,
                                     to doc: inout [String: JSONValue]) throws(SCIMError) {
        guard case .extension(let urn) = resolved.root, let ext = type.extensionSchema(urn) else { return }
        switch kind {
        case .remove:
            doc[urn] = nil
        case .add, .replace:
            guard let value, case .object(let members) = value else { throw .invalidValue("\"\(urn)\" needs an object value") }
            for (key, sub) in members.sorted(by: { $0.key < $1.key }) {
                guard let attribute = ext.attribute(named: key) else { continue }
                try apply(kind, SCIMPatchPath(attribute: SCIMAttributePath(uri: urn, name: attribute.name)), sub, to: &doc, explicit: false)
            }
        }
    }

    /// Custom attributes under an extension URN no schema of ours defines, kept as sent.
    private func applyUnknownExtension(_ kind: SCIMPatchOperation.Kind, key: String, sub path: SCIMAttributePath?, _ value: JSONValue?,
                                       to doc: inout [String: JSONValue]) throws(SCIMError) {
        guard normalizer.configuration.keepUnknownExtensions else { return }
        let existing = doc.keys.first { SCIMText.equalsIgnoringCase($0, key) }
        guard let path else {
            // The whole extension object.
            switch kind {
            case .remove: if let existing { doc[existing] = nil }
            case .replace: try normalizer.keepUnknownExtension(&doc, existing ?? key, value ?? .null)
            case .add:
                var merged = existing.flatMap { doc[$0]?.objectValue } ?? [:]
                for (k, v) in value?.objectValue ?? [:] { merged[k] = v }
                try normalizer.keepUnknownExtension(&doc, existing ?? key, .object(merged))
            }
            return
        }
        var object = existing.flatMap { doc[$0]?.objectValue } ?? [:]
        let name = object.keys.first { SCIMText.equalsIgnoringCase($0, path.name) } ?? path.name
        if let subName = path.subAttribute {
            var inner = object[name]?.objectValue ?? [:]
            let subKey = inner.keys.first { SCIMText.equalsIgnoringCase($0, subName) } ?? subName
            inner[subKey] = kind == .remove ? nil : value
            object[name] = inner.isEmpty ? nil : .object(inner)
        } else if kind == .add, case .array(let added)? = value, case .array(let old)? = object[name] {
            object[name] = .array(old + added.filter { !old.contains($0) })
        } else {
            object[name] = kind == .remove ? nil : value
        }
        try normalizer.keepUnknownExtension(&doc, existing ?? key, .object(object))
    }

    // MARK: Helpers

    private func current(_ doc: [String: JSONValue], _ resolved: SCIMResolvedPath) -> JSONValue? {
        var value = JSONValue.object(doc).value(at: resolved.attributeKeys)
        if let sub = resolved.subAttribute, let attribute = resolved.attribute, !attribute.multiValued { value = value?[sub.name] }
        return value
    }

    /// Sets (or with `nil` removes) the attribute at `resolved` (never a sub-attribute).
    private func write(_ doc: inout [String: JSONValue], _ resolved: SCIMResolvedPath, _ value: JSONValue?) {
        guard let attribute = resolved.attribute else { return }
        switch resolved.root {
        case .extension(let urn):
            var object = doc[urn]?.objectValue ?? [:]
            object[attribute.name] = value
            doc[urn] = object.isEmpty ? nil : .object(object)
        case .core, .common:
            doc[attribute.name] = value
        }
    }

    private func isSameElement(_ a: JSONValue, _ b: JSONValue, _ attribute: SCIMAttribute) -> Bool {
        if normalizer.isMembers(attribute) { return sameValue(a["value"], b["value"] ?? .null, caseExact: false) }
        return a == b
    }

    private func sameValue(_ a: JSONValue?, _ b: JSONValue, caseExact: Bool) -> Bool {
        guard let x = a?.stringValue, let y = b.stringValue else { return a == b }
        return caseExact ? SCIMValues.compareText(x, y) == 0 : SCIMText.fold(x) == SCIMText.fold(y)
    }

    /// The sub-attribute values an `eq`-only filter pins down (`type eq "work" and primary eq
    /// true`), for creating the element it describes; `nil` for any other filter.
    private func equalitySeed(_ filter: SCIMFilter, _ attribute: SCIMAttribute) -> [String: JSONValue]? {
        switch filter {
        case .compare(let path, .eq, let value) where !value.isNull && path.uri == nil && path.subAttribute == nil:
            guard let sub = attribute.subAttribute(named: path.name), sub.mutability != .readOnly else { return nil }
            return [sub.name: value]
        case .and(let a, let b):
            guard let x = equalitySeed(a, attribute), let y = equalitySeed(b, attribute) else { return nil }
            return x.merging(y) { first, _ in first }
        default:
            return nil
        }
    }

    private func immutableChanged(from old: JSONValue, to new: JSONValue, _ attribute: SCIMAttribute) -> Bool {
        attribute.subAttributes.contains { sub in
            sub.mutability == .immutable && old[sub.name] != nil && old[sub.name] != new[sub.name]
        }
    }

    /// RFC 7644 §3.5.2: setting `primary` on one value clears it on the others. The value made
    /// primary by this operation wins; an operation that itself brings two primaries is refused
    /// (RFC 7643 §2.4).
    private func demoteOtherPrimaries(_ resolved: SCIMResolvedPath, before: JSONValue?, in doc: inout [String: JSONValue]) throws(SCIMError) {
        let target = resolved.withoutSub
        guard var elements = current(doc, target)?.arrayValue else { return }
        let primaries = elements.indices.filter { elements[$0]["primary"]?.boolValue == true }
        guard primaries.count > 1 else { return }
        let old = before?.arrayValue ?? []
        let fresh = primaries.filter { !old.contains(elements[$0]) }
        if fresh.count > 1 { throw .invalidValue("at most one of \"\(target.displayName)\" can be primary") }
        let keeper = fresh.first ?? primaries[primaries.count - 1]
        for i in primaries where i != keeper {
            var o = elements[i].objectValue ?? [:]
            o["primary"] = .bool(false)
            elements[i] = .object(o)
        }
        write(&doc, target, .array(elements))
    }
}
