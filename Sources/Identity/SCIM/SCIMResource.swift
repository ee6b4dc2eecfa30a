import JSON
import Store

/// Which collection a request addresses: `/Users` or `/Groups`.
public struct SCIMResourceKind: Sendable, Hashable, CustomStringConvertible {
    let storage: SCIMResourceType.Storage
    /// `/Users`.
    public static let users = SCIMResourceKind(storage: .user)
    /// `/Groups`.
    public static let groups = SCIMResourceKind(storage: .group)

    /// The kind for an endpoint segment (`Users`, `/Groups`), matched case-insensitively.
    public init?(endpoint: String) {
        switch SCIMText.fold(String(endpoint.drop { $0 == "/" })) {
        case "users": storage = .user
        case "groups": storage = .group
        default: return nil
        }
    }

    private init(storage: SCIMResourceType.Storage) { self.storage = storage }

    public var description: String { storage == .user ? "Users" : "Groups" }
}

/// A resource as the service provider returns it.
public struct SCIMResource: Sendable, Equatable {
    /// The resource type's id: `User` or `Group`.
    public let resourceType: String
    /// The server-assigned id.
    public let id: String
    /// Incremented on every change; the source of the entity tag.
    public let version: Int64
    /// Creation time, milliseconds since 1970.
    public let created: Int64
    /// Last change, milliseconds since 1970.
    public let lastModified: Int64
    /// The full representation: every attribute returned by default, with `meta`.
    public let json: JSONValue

    /// The weak entity tag for `ETag` and `meta.version`: `W/"<version>"`.
    public var etag: String { SCIMETag.make(version) }

    /// `meta.location`, as configured (relative by default).
    public var location: String { json["meta"]?["location"]?.stringValue ?? "" }

    /// The representation for a response that asked for `attributes` or `excludedAttributes`.
    public func projected(_ projection: SCIMProjection) -> JSONValue { projection.apply(to: json) }
}

/// Weak entity tags over resource versions (RFC 7644 §3.14).
public enum SCIMETag {
    /// `W/"<version>"`.
    public static func make(_ version: Int64) -> String { "W/\"\(version)\"" }

    /// Whether an `If-Match` header value names `version`: `*`, or a comma-separated list of
    /// tags, weak or strong (the comparison is weak, as RFC 7232 allows for `If-Match` on
    /// versions that change with every write). A value that is no tag at all matches nothing.
    public static func matches(ifMatch header: String, version: Int64) -> Bool {
        for part in header.split(separator: ",") {
            var tag = part.trimmingSpaces
            if tag == "*" { return true }
            if tag.hasPrefix("W/") || tag.hasPrefix("w/") { tag = tag.dropFirst(2) }
            guard tag.count >= 2, tag.first == "\"", tag.last == "\"" else { continue }
            if Int64(tag.dropFirst().dropLast()) == version { return true }
        }
        return false
    }
}

/// `attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5) with the `returned` rules of
/// RFC 7643 §2.2: `always` attributes (`id`, `schemas`) are in every response, `never` ones
/// (`password`) in none, `request` ones only when named in `attributes`.
public struct SCIMProjection: Sendable {
    private enum Mode: Sendable {
        case defaults
        case include
        case exclude
    }

    /// One named attribute: `(root key, attribute, sub-attribute)`, where the root key is the
    /// extension URN or `""` for core and common attributes, and `attribute` is `nil` for a
    /// whole extension.
    private struct Selector: Sendable, Hashable {
        let root: String
        let attribute: String?
        let sub: String?
    }

    private let mode: Mode
    private let selectors: Set<Selector>
    private let type: SCIMResourceType?

    /// Every attribute returned by default.
    public static let `default` = SCIMProjection(mode: .defaults, selectors: [], type: nil)

    private init(mode: Mode, selectors: Set<Selector>, type: SCIMResourceType?) {
        self.mode = mode
        self.selectors = selectors
        self.type = type
    }

    /// A projection from the two query parameters, each a list of attribute paths (already
    /// split at commas, or not: both forms are accepted). When both are given, `attributes`
    /// wins. Paths that name no attribute of `type` are ignored, as a later schema may add them.
    ///
    /// - Throws: `invalidValue` for a malformed path.
    public init(attributes: [String], excludedAttributes: [String], for type: SCIMResourceType) throws(SCIMError) {
        let included = try Self.selectors(attributes, type)
        if !attributes.isEmpty {
            self.init(mode: .include, selectors: included, type: type)
        } else if !excludedAttributes.isEmpty {
            self.init(mode: .exclude, selectors: try Self.selectors(excludedAttributes, type), type: type)
        } else {
            self.init(mode: .defaults, selectors: [], type: type)
        }
    }

    private static func selectors(_ lists: [String], _ type: SCIMResourceType) throws(SCIMError) -> Set<Selector> {
        var out: Set<Selector> = []
        for list in lists {
            for raw in list.split(separator: ",") {
                let text = raw.trimmingSpaces
                if text.isEmpty { continue }
                guard let path = SCIMAttributePath.parse(text) else { throw .invalidValue("\"\(text)\" is not an attribute path") }
                if let resolved = type.resolve(path) {
                    let root: String
                    if case .extension(let urn) = resolved.root { root = urn } else { root = "" }
                    out.insert(Selector(root: root, attribute: resolved.attribute?.name, sub: resolved.subAttribute?.name))
                } else if path.subAttribute == nil, let uri = path.uri {
                    // An unknown extension, named whole.
                    out.insert(Selector(root: SCIMText.fold(uri + ":" + path.name), attribute: nil, sub: nil))
                }
            }
        }
        return out
    }

    /// Whether the computed attribute `name` (`groups`, `members`) will appear, so that the
    /// repository loads it only then.
    func includes(_ name: String) -> Bool {
        switch mode {
        case .defaults: return true
        case .include: return selectors.contains { $0.root.isEmpty && $0.attribute == name }
        case .exclude: return !selectors.contains(Selector(root: "", attribute: name, sub: nil))
        }
    }

    /// The projected representation of a full resource.
    func apply(to resource: JSONValue) -> JSONValue {
        guard case .object(let members) = resource, let type else { return resource }
        var out: [String: JSONValue] = [:]
        for (key, value) in members {
            if key == "schemas" {
                out[key] = value
            } else if let ext = type.extensionSchema(key) {
                if let v = projectExtension(ext, value) { out[key] = v }
            } else if key.hasPrefix("urn:") {
                if keepWhole(root: SCIMText.fold(key)) { out[key] = value }
            } else if let attribute = SCIMSchema.commonAttributes.first(where: { $0.name == key }) ?? type.schema.attribute(named: key) {
                if let v = project(root: "", attribute, value) { out[key] = v }
            }
        }
        return .object(out)
    }

    private func keepWhole(root: String) -> Bool {
        switch mode {
        case .defaults: return true
        case .include: return selectors.contains { $0.root == root }
        case .exclude: return !selectors.contains(Selector(root: root, attribute: nil, sub: nil))
        }
    }

    private func projectExtension(_ ext: SCIMSchema, _ value: JSONValue) -> JSONValue? {
        guard case .object(let members) = value else { return nil }
        let whole = Selector(root: ext.id, attribute: nil, sub: nil)
        if mode == .include, selectors.contains(whole) { return dropNever(ext, members) }
        if mode == .exclude, selectors.contains(whole) { return nil }
        var out: [String: JSONValue] = [:]
        for (key, v) in members {
            guard let attribute = ext.attribute(named: key) else { continue }
            if let projected = project(root: ext.id, attribute, v) { out[key] = projected }
        }
        return out.isEmpty ? nil : .object(out)
    }

    private func dropNever(_ ext: SCIMSchema, _ members: [String: JSONValue]) -> JSONValue? {
        let kept = members.filter { ext.attribute(named: $0.key)?.returned != .never }
        return kept.isEmpty ? nil : .object(kept)
    }

    private func project(root: String, _ attribute: SCIMAttribute, _ value: JSONValue) -> JSONValue? {
        if attribute.returned == .never { return nil }
        if attribute.returned == .always { return value }
        let whole = Selector(root: root, attribute: attribute.name, sub: nil)
        let subs = Set(selectors.filter { $0.root == root && $0.attribute == attribute.name }.compactMap(\.sub))
        switch mode {
        case .defaults:
            return attribute.returned == .request ? nil : value
        case .include:
            if selectors.contains(whole) { return value }
            return subs.isEmpty ? nil : filterSubs(value) { subs.contains($0) || attribute.subAttribute(named: $0)?.returned == .always }
        case .exclude:
            if attribute.returned == .request || selectors.contains(whole) { return nil }
            return subs.isEmpty ? value : filterSubs(value) { !subs.contains($0) || attribute.subAttribute(named: $0)?.returned == .always }
        }
    }

    /// Keeps the sub-attributes `keep` accepts, in an object or in each element of an array.
    private func filterSubs(_ value: JSONValue, _ keep: (String) -> Bool) -> JSONValue? {
        switch value {
        case .object(let o):
            let kept = o.filter { keep($0.key) }
            return kept.isEmpty ? nil : .object(kept)
        case .array(let a):
            let kept = a.compactMap { filterSubs($0, keep) }
            return kept.isEmpty ? nil : .array(kept)
        default:
            return value
        }
    }
}

/// The query of a list or search request (RFC 7644 §3.4.2, §3.4.3).
public struct SCIMListQuery: Sendable, Equatable {
    /// `ascending` or `descending`.
    public enum SortOrder: String, Sendable {
        case ascending, descending
    }

    /// The `filter` expression, unparsed.
    public var filter: String?
    /// The attribute path to sort by; creation order when absent.
    public var sortBy: String?
    /// Ascending unless `descending`.
    public var sortOrder: SortOrder?
    /// 1-based; values below 1 count as 1.
    public var startIndex: Int?
    /// Page size; negative counts as 0, larger than the maximum as the maximum.
    public var count: Int?
    /// The `attributes` parameter: paths, or comma-separated lists of them.
    public var attributes: [String]
    /// The `excludedAttributes` parameter, in the same form.
    public var excludedAttributes: [String]

    /// A query from its parts; every part is optional.
    public init(filter: String? = nil, sortBy: String? = nil, sortOrder: SortOrder? = nil, startIndex: Int? = nil, count: Int? = nil,
                attributes: [String] = [], excludedAttributes: [String] = []) {
        self.filter = filter
        self.sortBy = sortBy
        self.sortOrder = sortOrder
        self.startIndex = startIndex
        self.count = count
        self.attributes = attributes
        self.excludedAttributes = excludedAttributes
    }

    /// The query from URL parameters (names and values already percent-decoded). Names match
    /// case-insensitively; unknown names are ignored.
    ///
    /// - Throws: `invalidValue` for a `startIndex`, `count` or `sortOrder` that is not one.
    public init(parameters: [(name: String, value: String)]) throws(SCIMError) {
        self.init()
        for (name, value) in parameters {
            switch SCIMText.fold(name) {
            case "filter": filter = value
            case "sortby": sortBy = value
            case "sortorder": sortOrder = try Self.order(value)
            case "startindex": startIndex = try Self.integer(value, "startIndex")
            case "count": count = try Self.integer(value, "count")
            case "attributes": attributes.append(value)
            case "excludedattributes": excludedAttributes.append(value)
            default: break
            }
        }
    }

    /// The query from a `POST .search` body (`SearchRequest`).
    public init(searchRequest body: JSONValue) throws(SCIMError) {
        self.init()
        guard case .object(let members) = body else { throw .invalidSyntax("the search request must be a JSON object") }
        for (name, value) in members {
            func string() throws(SCIMError) -> String {
                guard let s = value.stringValue else { throw .invalidValue("\"\(name)\" must be a string") }
                return s
            }
            func strings() throws(SCIMError) -> [String] {
                if let s = value.stringValue { return [s] }
                guard let a = value.arrayValue, a.allSatisfy({ $0.stringValue != nil }) else {
                    throw .invalidValue("\"\(name)\" must be an array of strings")
                }
                return a.compactMap(\.stringValue)
            }
            func integer() throws(SCIMError) -> Int {
                if let i = value.intValue, let n = Int(exactly: i) { return n }
                if let s = value.stringValue { return try Self.integer(s, name) }
                throw .invalidValue("\"\(name)\" must be an integer")
            }
            switch SCIMText.fold(name) {
            case "filter": filter = try string()
            case "sortby": sortBy = try string()
            case "sortorder": sortOrder = try Self.order(try string())
            case "startindex": startIndex = try integer()
            case "count": count = try integer()
            case "attributes": attributes = try strings()
            case "excludedattributes": excludedAttributes = try strings()
            default: break
            }
        }
    }

    private static func integer(_ s: String, _ name: String) throws(SCIMError) -> Int {
        guard let n = Int(s.trimmingSpaces) else { throw .invalidValue("\"\(name)\" must be an integer") }
        return n
    }

    private static func order(_ s: String) throws(SCIMError) -> SortOrder {
        guard let order = SortOrder(rawValue: SCIMText.fold(s)) else { throw .invalidValue("\"sortOrder\" must be \"ascending\" or \"descending\"") }
        return order
    }
}

/// One page of a list or search (RFC 7644 §3.4.2).
public struct SCIMListResponse: Sendable, Equatable {
    /// Matching resources in all pages.
    public var totalResults: Int
    /// The 1-based index of the first resource of this page.
    public var startIndex: Int
    /// This page, already projected.
    public var resources: [JSONValue]

    /// Resources on this page.
    public var itemsPerPage: Int { resources.count }

    /// The `ListResponse` message.
    public var json: JSONValue {
        [
            "schemas": [.string(SCIMSchema.listResponseURN)],
            "totalResults": .int(Int64(totalResults)),
            "startIndex": .int(Int64(startIndex)),
            "itemsPerPage": .int(Int64(itemsPerPage)),
            "Resources": .array(resources),
        ]
    }
}

/// What a write did that the rest of the platform must act on, in the same transaction:
/// revoke sessions and API tokens of deactivated and deleted users, and forget cached group
/// memberships (group-to-role mapping) of users whose groups changed.
public struct SCIMChanges: Sendable, Equatable {
    /// Users whose `active` went from true to false.
    public var deactivatedUserIDs: [String] = []
    /// Users whose `active` went from false to true.
    public var reactivatedUserIDs: [String] = []
    /// Users deleted.
    public var deletedUserIDs: [String] = []
    /// Groups whose members changed (created and deleted groups included).
    public var membershipChanges: [SCIMMembershipChange] = []
    /// Member ids that named no user of the tenant and were skipped (only with
    /// ``SCIMUnknownMemberPolicy/ignore``).
    public var ignoredMemberIDs: [String] = []

    /// No changes.
    public init() {}

    /// Users whose sessions and API tokens must be revoked.
    public var usersToRevoke: [String] { deactivatedUserIDs + deletedUserIDs }

    /// Users whose group memberships (and so roles) changed.
    public var usersWithChangedGroups: [String] {
        var seen: Set<String> = []
        return membershipChanges.flatMap { $0.addedUserIDs + $0.removedUserIDs }.filter { seen.insert($0).inserted }
    }
}

/// Members added to and removed from one group.
public struct SCIMMembershipChange: Sendable, Equatable {
    /// The group.
    public var groupID: String
    /// Users who became members.
    public var addedUserIDs: [String]
    /// Users who stopped being members.
    public var removedUserIDs: [String]

    /// A change from its parts.
    public init(groupID: String, addedUserIDs: [String], removedUserIDs: [String]) {
        self.groupID = groupID
        self.addedUserIDs = addedUserIDs
        self.removedUserIDs = removedUserIDs
    }
}

/// The outcome of a create, replace or patch.
public struct SCIMWriteResult: Sendable, Equatable {
    /// The resource after the write.
    public var resource: SCIMResource
    /// Whether anything changed (a PATCH or PUT that repeats the current state changes
    /// nothing and keeps the version).
    public var changed: Bool
    /// What the host must act on.
    public var changes: SCIMChanges
}
