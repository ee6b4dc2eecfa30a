/// Settings of the SCIM service provider. Every default is stated on its parameter.
public struct SCIMConfiguration: Sendable {
    /// Prefix of `meta.location` and `$ref` values. The default `""` gives relative references
    /// (`Users/<id>`), which resolve against the SCIM base URL; pass the absolute base
    /// (`https://host/scim/v2/acme/`, with the trailing slash) for absolute ones.
    public var baseLocation: String
    /// The User resource type: core schema plus the enterprise extension by default.
    public var userType: SCIMResourceType
    /// The Group resource type.
    public var groupType: SCIMResourceType
    /// Largest page a list returns (`filter.maxResults` in `/ServiceProviderConfig`). Default 200.
    public var maxResults: Int
    /// Page size when the client sends no `count`. Default 100.
    public var defaultPageSize: Int
    /// Bounds on filter text. Default ``SCIMFilterLimits/init(maxLength:maxDepth:maxComparisons:)``'s defaults.
    public var filterLimits: SCIMFilterLimits
    /// Most operations in one PATCH request. Default 1,000.
    public var maxOperations: Int
    /// Most member values one request may carry (POST, PUT or all of a PATCH's operations together). Default 10,000.
    public var maxMembersPerRequest: Int
    /// Most values of one multi-valued User attribute (`emails`, `roles`, ...). Default 100.
    public var maxValuesPerAttribute: Int
    /// Largest stored SCIM document (serialized, members not counted). Default 64 KiB.
    public var maxDocumentBytes: Int
    /// Longest string value, in UTF-8 bytes. Default 4,096.
    public var maxStringBytes: Int
    /// Whether objects under unknown extension URNs (an identity provider's custom attributes)
    /// are stored and returned as sent. When `false` they are dropped. Unknown attributes of the
    /// core schemas are always dropped. Default `true`.
    public var keepUnknownExtensions: Bool
    /// `documentationUri` of `/ServiceProviderConfig`, if any. Default `nil`.
    public var documentationURI: String?
    /// What to do when a client adds a member that is no user of the tenant. Default
    /// ``SCIMUnknownMemberPolicy/reject``.
    public var unknownMembers: SCIMUnknownMemberPolicy

    /// - Parameters: see the properties; each default is stated there.
    public init(
        baseLocation: String = "", userType: SCIMResourceType = .user, groupType: SCIMResourceType = .group,
        maxResults: Int = 200, defaultPageSize: Int = 100, filterLimits: SCIMFilterLimits = .init(),
        maxOperations: Int = 1000, maxMembersPerRequest: Int = 10_000, maxValuesPerAttribute: Int = 100,
        maxDocumentBytes: Int = 65_536, maxStringBytes: Int = 4096, keepUnknownExtensions: Bool = true,
        documentationURI: String? = nil, unknownMembers: SCIMUnknownMemberPolicy = .reject
    ) {
        self.baseLocation = baseLocation
        self.userType = userType
        self.groupType = groupType
        self.maxResults = maxResults
        self.defaultPageSize = defaultPageSize
        self.filterLimits = filterLimits
        self.maxOperations = maxOperations
        self.maxMembersPerRequest = maxMembersPerRequest
        self.maxValuesPerAttribute = maxValuesPerAttribute
        self.maxDocumentBytes = maxDocumentBytes
        self.maxStringBytes = maxStringBytes
        self.keepUnknownExtensions = keepUnknownExtensions
        self.documentationURI = documentationURI
        self.unknownMembers = unknownMembers
    }

    /// The resource type stored as `storage`.
    func resourceType(_ storage: SCIMResourceType.Storage) -> SCIMResourceType {
        storage == .user ? userType : groupType
    }
}

/// What happens when a group write names a member that is no user of the tenant.
///
/// RFC 7644 leaves this open. Rejecting (`invalidValue`, nothing written) is the default: the
/// client learns at once that its view of the tenant is stale. But Okta treats a 400 on a group
/// push as final and does not retry, so one user deleted here (and still assigned there) blocks
/// every later membership change of that group until an operator fixes it; tenants in that
/// situation can switch to ``ignore``, which applies the rest and reports what it skipped in
/// ``SCIMChanges/ignoredMemberIDs`` for the audit log. Removing an unknown member is never an
/// error.
public struct SCIMUnknownMemberPolicy: Sendable, Hashable {
    let ignores: Bool
    /// Refuse the whole request with `invalidValue` (400) naming the unknown ids.
    public static let reject = SCIMUnknownMemberPolicy(ignores: false)
    /// Skip unknown ids, apply the rest, and report the skipped ids.
    public static let ignore = SCIMUnknownMemberPolicy(ignores: true)
}
