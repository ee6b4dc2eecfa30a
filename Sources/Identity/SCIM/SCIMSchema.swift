import JSON

/// One attribute of a SCIM schema with the characteristics of RFC 7643 §2.2.
///
/// The same definitions drive input validation, PATCH, filtering, sorting, projection and the
/// `/Schemas` discovery document, so what the service provider advertises is what it does.
public struct SCIMAttribute: Sendable {
    /// An attribute's data type (RFC 7643 §2.3).
    public struct DataType: Sendable, Hashable, CustomStringConvertible {
        let name: String
        /// Text.
        public static let string = DataType(name: "string")
        /// `true` or `false`.
        public static let boolean = DataType(name: "boolean")
        /// A real number.
        public static let decimal = DataType(name: "decimal")
        /// A whole number.
        public static let integer = DataType(name: "integer")
        /// An `xsd:dateTime`, stored in UTC.
        public static let dateTime = DataType(name: "dateTime")
        /// A URI.
        public static let reference = DataType(name: "reference")
        /// Base64-encoded bytes.
        public static let binary = DataType(name: "binary")
        /// An object of sub-attributes.
        public static let complex = DataType(name: "complex")
        public var description: String { name }

        /// Whether values compare as text (string, reference, binary).
        var isText: Bool { self == .string || self == .reference || self == .binary }
        /// Whether values compare as numbers.
        var isNumber: Bool { self == .integer || self == .decimal }
    }

    /// When an attribute may be written (RFC 7643 §2.2 `mutability`).
    public struct Mutability: Sendable, Hashable, CustomStringConvertible {
        let name: String
        /// Set by the server only.
        public static let readOnly = Mutability(name: "readOnly")
        /// Set by clients at any time.
        public static let readWrite = Mutability(name: "readWrite")
        /// Set once, when the value is added.
        public static let immutable = Mutability(name: "immutable")
        /// Accepted, never returned.
        public static let writeOnly = Mutability(name: "writeOnly")
        public var description: String { name }
    }

    /// When an attribute is returned (RFC 7643 §2.2 `returned`).
    public struct Returned: Sendable, Hashable, CustomStringConvertible {
        let name: String
        /// In every response.
        public static let always = Returned(name: "always")
        /// In no response.
        public static let never = Returned(name: "never")
        /// Unless excluded.
        public static let `default` = Returned(name: "default")
        /// Only when asked for by `attributes`.
        public static let request = Returned(name: "request")
        public var description: String { name }
    }

    /// How values must be unique (RFC 7643 §2.2 `uniqueness`).
    public struct Uniqueness: Sendable, Hashable, CustomStringConvertible {
        let name: String
        /// Values may repeat.
        public static let none = Uniqueness(name: "none")
        /// Unique within the tenant.
        public static let server = Uniqueness(name: "server")
        /// Unique everywhere.
        public static let global = Uniqueness(name: "global")
        public var description: String { name }
    }

    /// The attribute name as the schema spells it (names match case-insensitively).
    public var name: String
    /// The data type.
    public var type: DataType
    /// Whether the value is an array.
    public var multiValued: Bool
    public var description: String
    /// Whether resources must carry the extension.
    public var required: Bool
    /// Whether string comparisons respect case.
    public var caseExact: Bool
    /// When the attribute may be written.
    public var mutability: Mutability
    /// When the attribute is returned.
    public var returned: Returned
    /// How values must be unique.
    public var uniqueness: Uniqueness
    /// Suggested values (`work`, `home`); not enforced.
    public var canonicalValues: [String]
    /// What a reference may point to.
    public var referenceTypes: [String]
    /// Sub-attributes of a complex attribute.
    public var subAttributes: [SCIMAttribute]

    /// - Parameters: the characteristics of RFC 7643 §2.2; defaults are the RFC's defaults
    ///   (single-valued, optional, not case-exact, readWrite, returned by default, not unique).
    public init(
        _ name: String, type: DataType = .string, multiValued: Bool = false, description: String = "", required: Bool = false,
        caseExact: Bool = false, mutability: Mutability = .readWrite, returned: Returned = .default, uniqueness: Uniqueness = .none,
        canonicalValues: [String] = [], referenceTypes: [String] = [], subAttributes: [SCIMAttribute] = []
    ) {
        self.name = name
        self.type = type
        self.multiValued = multiValued
        self.description = description
        self.required = required
        self.caseExact = caseExact
        self.mutability = mutability
        self.returned = returned
        self.uniqueness = uniqueness
        self.canonicalValues = canonicalValues
        self.referenceTypes = referenceTypes
        self.subAttributes = subAttributes
    }

    /// The sub-attribute with this name, ignoring case.
    public func subAttribute(named name: String) -> SCIMAttribute? {
        subAttributes.first { SCIMText.equalsIgnoringCase($0.name, name) }
    }

    /// Whether this is a multi-valued complex attribute (`emails`, `members`).
    var isMultiValuedComplex: Bool { multiValued && type == .complex }

    /// The attribute's definition as `/Schemas` lists it (RFC 7643 §7).
    public var json: JSONValue {
        var o: [String: JSONValue] = [
            "name": .string(name), "type": .string(type.name), "multiValued": .bool(multiValued),
            "description": .string(description), "required": .bool(required), "caseExact": .bool(caseExact),
            "mutability": .string(mutability.name), "returned": .string(returned.name), "uniqueness": .string(uniqueness.name),
        ]
        if !canonicalValues.isEmpty { o["canonicalValues"] = .array(canonicalValues.map { .string($0) }) }
        if type == .reference { o["referenceTypes"] = .array(referenceTypes.map { .string($0) }) }
        if type == .complex { o["subAttributes"] = .array(subAttributes.map(\.json)) }
        return .object(o)
    }
}

/// A SCIM schema: a URN and its attributes (RFC 7643 §7).
public struct SCIMSchema: Sendable {
    /// The schema URN, e.g. `urn:ietf:params:scim:schemas:core:2.0:User`.
    public var id: String
    /// A short name (`User`, `EnterpriseUser`).
    public var name: String
    public var description: String
    /// The attributes, in the order `/Schemas` lists them.
    public var attributes: [SCIMAttribute]

    /// A schema from its parts.
    public init(id: String, name: String, description: String, attributes: [SCIMAttribute]) {
        self.id = id
        self.name = name
        self.description = description
        self.attributes = attributes
    }

    /// The attribute with this name, ignoring case.
    public func attribute(named name: String) -> SCIMAttribute? {
        attributes.first { SCIMText.equalsIgnoringCase($0.name, name) }
    }

    /// The core User schema.
    public static let userURN = "urn:ietf:params:scim:schemas:core:2.0:User"
    /// The core Group schema.
    public static let groupURN = "urn:ietf:params:scim:schemas:core:2.0:Group"
    /// The enterprise User extension.
    public static let enterpriseUserURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    /// The list response message.
    public static let listResponseURN = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
    /// The PATCH request message.
    public static let patchOpURN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    /// The `.search` request message.
    public static let searchRequestURN = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
    /// The error message.
    public static let errorURN = "urn:ietf:params:scim:api:messages:2.0:Error"
    /// The `/ServiceProviderConfig` resource.
    public static let serviceProviderConfigURN = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
    /// A `/ResourceTypes` resource.
    public static let resourceTypeURN = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
    /// A `/Schemas` resource.
    public static let schemaURN = "urn:ietf:params:scim:schemas:core:2.0:Schema"

    /// `id`, `externalId` and `meta`: on every resource, in no schema (RFC 7643 §3.1).
    public static let commonAttributes: [SCIMAttribute] = [
        SCIMAttribute("id", description: "Unique identifier for the SCIM resource as defined by the service provider.",
                      caseExact: true, mutability: .readOnly, returned: .always, uniqueness: .server),
        SCIMAttribute("externalId", description: "Identifier for the resource as defined by the provisioning client.", caseExact: true),
        SCIMAttribute("meta", type: .complex, description: "Resource metadata.", mutability: .readOnly, subAttributes: [
            SCIMAttribute("resourceType", caseExact: true, mutability: .readOnly),
            SCIMAttribute("created", type: .dateTime, mutability: .readOnly),
            SCIMAttribute("lastModified", type: .dateTime, mutability: .readOnly),
            SCIMAttribute("location", type: .reference, caseExact: true, mutability: .readOnly, referenceTypes: ["uri"]),
            SCIMAttribute("version", caseExact: true, mutability: .readOnly),
        ]),
    ]

    /// A multi-valued complex attribute with the usual `value`, `display`, `type`, `primary`.
    private static func plural(_ name: String, _ description: String, value: SCIMAttribute.DataType = .string,
                               referenceTypes: [String] = [], types: [String] = []) -> SCIMAttribute {
        SCIMAttribute(name, type: .complex, multiValued: true, description: description, subAttributes: [
            SCIMAttribute("value", type: value, referenceTypes: referenceTypes),
            SCIMAttribute("display"),
            SCIMAttribute("type", canonicalValues: types),
            SCIMAttribute("primary", type: .boolean),
        ])
    }

    /// The core User schema (RFC 7643 §4.1).
    public static let user = SCIMSchema(id: userURN, name: "User", description: "User Account", attributes: [
        SCIMAttribute("userName", description: "Unique identifier for the User, used to sign in.", required: true, uniqueness: .server),
        SCIMAttribute("name", type: .complex, description: "The components of the user's real name.", subAttributes: [
            SCIMAttribute("formatted"), SCIMAttribute("familyName"), SCIMAttribute("givenName"), SCIMAttribute("middleName"),
            SCIMAttribute("honorificPrefix"), SCIMAttribute("honorificSuffix"),
        ]),
        SCIMAttribute("displayName", description: "The name of the User, suitable for display to end-users."),
        SCIMAttribute("nickName"),
        SCIMAttribute("profileUrl", type: .reference, referenceTypes: ["external"]),
        SCIMAttribute("title"),
        SCIMAttribute("userType"),
        SCIMAttribute("preferredLanguage"),
        SCIMAttribute("locale"),
        SCIMAttribute("timezone"),
        SCIMAttribute("active", type: .boolean, description: "The User's administrative status."),
        SCIMAttribute("password", description: "Accepted and discarded: this service provider does not store passwords.",
                      mutability: .writeOnly, returned: .never),
        plural("emails", "Email addresses for the user.", types: ["work", "home", "other"]),
        plural("phoneNumbers", "Phone numbers for the User.", types: ["work", "home", "mobile", "fax", "pager", "other"]),
        plural("ims", "Instant messaging addresses for the User.", types: ["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"]),
        plural("photos", "URLs of photos of the User.", value: .reference, referenceTypes: ["external"], types: ["photo", "thumbnail"]),
        SCIMAttribute("addresses", type: .complex, multiValued: true, description: "A physical mailing address for this User.", subAttributes: [
            SCIMAttribute("formatted"), SCIMAttribute("streetAddress"), SCIMAttribute("locality"), SCIMAttribute("region"),
            SCIMAttribute("postalCode"), SCIMAttribute("country"), SCIMAttribute("type", canonicalValues: ["work", "home", "other"]),
            SCIMAttribute("primary", type: .boolean),
        ]),
        SCIMAttribute("groups", type: .complex, multiValued: true, description: "Groups the user belongs to (direct membership).",
                      mutability: .readOnly, subAttributes: [
            SCIMAttribute("value", mutability: .readOnly),
            SCIMAttribute("$ref", type: .reference, mutability: .readOnly, referenceTypes: ["User", "Group"]),
            SCIMAttribute("display", mutability: .readOnly),
            SCIMAttribute("type", mutability: .readOnly, canonicalValues: ["direct", "indirect"]),
        ]),
        plural("entitlements", "A list of entitlements for the User."),
        plural("roles", "A list of roles for the User."),
        plural("x509Certificates", "A list of certificates issued to the User.", value: .binary),
    ])

    /// The enterprise User extension (RFC 7643 §4.3).
    public static let enterpriseUser = SCIMSchema(id: enterpriseUserURN, name: "EnterpriseUser", description: "Enterprise User", attributes: [
        SCIMAttribute("employeeNumber"),
        SCIMAttribute("costCenter"),
        SCIMAttribute("organization"),
        SCIMAttribute("division"),
        SCIMAttribute("department"),
        SCIMAttribute("manager", type: .complex, description: "The User's manager.", subAttributes: [
            SCIMAttribute("value", description: "The id of the manager's User resource."),
            SCIMAttribute("$ref", type: .reference, referenceTypes: ["User"]),
            SCIMAttribute("displayName", mutability: .readOnly),
        ]),
    ])

    /// The core Group schema (RFC 7643 §4.2). `displayName` is required and unique per tenant
    /// here because the `groups` table has always required both.
    public static let group = SCIMSchema(id: groupURN, name: "Group", description: "Group", attributes: [
        SCIMAttribute("displayName", description: "A human-readable name for the Group.", required: true, uniqueness: .server),
        SCIMAttribute("members", type: .complex, multiValued: true, description: "A list of members of the Group (users only).", subAttributes: [
            SCIMAttribute("value", description: "The id of a User of this tenant.", mutability: .immutable),
            SCIMAttribute("$ref", type: .reference, mutability: .immutable, referenceTypes: ["User"]),
            SCIMAttribute("type", mutability: .immutable, canonicalValues: ["User"]),
            SCIMAttribute("display", mutability: .readOnly),
        ]),
    ])
}

/// A kind of resource the service provider serves (RFC 7643 §6): its endpoint, core schema and
/// extensions.
public struct SCIMResourceType: Sendable, Hashable {
    /// A schema extension of a resource type.
    public struct Extension: Sendable {
        /// The extension schema.
        public var schema: SCIMSchema
        /// Whether resources must carry the extension.
        public var required: Bool
        /// An extension, optional by default.
        public init(schema: SCIMSchema, required: Bool = false) {
            self.schema = schema
            self.required = required
        }
    }

    /// What the repository stores the resource as.
    struct Storage: Sendable, Hashable {
        let name: String
        static let user = Storage(name: "user")
        static let group = Storage(name: "group")
    }

    /// `User` or `Group`.
    public let id: String
    /// The resource type name.
    public let name: String
    /// The endpoint relative to the SCIM base, e.g. `/Users`.
    public let endpoint: String
    /// A human-readable description.
    public let description: String
    /// The core schema.
    public let schema: SCIMSchema
    /// The schema extensions.
    public let extensions: [Extension]
    let storage: Storage

    /// Users with the enterprise extension.
    public static let user = SCIMResourceType(
        id: "User", name: "User", endpoint: "/Users", description: "User Account", schema: .user,
        extensions: [Extension(schema: .enterpriseUser)], storage: .user
    )
    /// Groups of users.
    public static let group = SCIMResourceType(
        id: "Group", name: "Group", endpoint: "/Groups", description: "Group", schema: .group, extensions: [], storage: .group
    )

    /// This resource type with one more schema extension, for tenants whose identity provider
    /// sends typed custom attributes (they are validated, stored, filterable and listed in
    /// `/Schemas`). Unknown extensions are kept untyped instead (see ``SCIMConfiguration``).
    public func adding(_ extension: Extension) -> SCIMResourceType {
        SCIMResourceType(id: id, name: name, endpoint: endpoint, description: description, schema: schema,
                         extensions: extensions + [`extension`], storage: storage)
    }

    /// Resource types are equal when their ids and extensions are.
    public static func == (a: SCIMResourceType, b: SCIMResourceType) -> Bool {
        a.id == b.id && a.extensions.map(\.schema.id) == b.extensions.map(\.schema.id)
    }

    /// Hashes what ``==(_:_:)`` compares.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(id)
        hasher.combine(extensions.map(\.schema.id))
    }

    /// The endpoint without its slash, for `meta.location`: `Users`.
    var pathSegment: String { String(endpoint.drop { $0 == "/" }) }

    /// The extension with this URN, ignoring case.
    func extensionSchema(_ urn: String) -> SCIMSchema? {
        extensions.first { SCIMText.equalsIgnoringCase($0.schema.id, urn) }?.schema
    }

    /// Every schema URN of this type, core first.
    var schemaURNs: [String] { [schema.id] + extensions.map(\.schema.id) }
}

/// An attribute path resolved against a resource type: where the attribute lives in a resource
/// and what its definition is.
struct SCIMResolvedPath: Sendable {
    /// The part of the resource the attribute belongs to.
    enum Root: Sendable, Equatable {
        /// `id`, `externalId`, `meta`.
        case common
        /// The core schema (top-level keys).
        case core
        /// An extension, stored under its URN key.
        case `extension`(String)
    }

    let root: Root
    /// `nil` when the path names a whole extension object.
    let attribute: SCIMAttribute?
    let subAttribute: SCIMAttribute?

    /// The most specific attribute named.
    var leaf: SCIMAttribute? { subAttribute ?? attribute }

    /// The object keys from the resource root to the attribute (not the sub-attribute).
    var attributeKeys: [String] {
        var keys: [String] = []
        if case .extension(let urn) = root { keys.append(urn) }
        if let attribute { keys.append(attribute.name) }
        return keys
    }

    /// The name as a client would write it, for messages: `name.givenName`, `urn:...:department`.
    var displayName: String {
        var s = ""
        if case .extension(let urn) = root { s = attribute == nil ? urn : urn + ":" }
        if let attribute { s += attribute.name }
        if let subAttribute { s += "." + subAttribute.name }
        return s
    }
}

extension SCIMResourceType {
    /// Resolves `[uri:]name[.sub]`; `nil` when the resource type has no such attribute.
    func resolve(_ path: SCIMAttributePath) -> SCIMResolvedPath? {
        if let uri = path.uri {
            // The whole-extension form `urn:...:enterprise:2.0:User` splits at its last colon.
            if path.subAttribute == nil, let ext = extensionSchema(uri + ":" + path.name) {
                return SCIMResolvedPath(root: .extension(ext.id), attribute: nil, subAttribute: nil)
            }
            if SCIMText.equalsIgnoringCase(uri, schema.id) {
                guard let attribute = schema.attribute(named: path.name) else { return nil }
                return withSub(SCIMResolvedPath(root: .core, attribute: attribute, subAttribute: nil), path.subAttribute)
            }
            guard let ext = extensionSchema(uri), let attribute = ext.attribute(named: path.name) else { return nil }
            return withSub(SCIMResolvedPath(root: .extension(ext.id), attribute: attribute, subAttribute: nil), path.subAttribute)
        }
        if let common = SCIMSchema.commonAttributes.first(where: { SCIMText.equalsIgnoringCase($0.name, path.name) }) {
            return withSub(SCIMResolvedPath(root: .common, attribute: common, subAttribute: nil), path.subAttribute)
        }
        guard let attribute = schema.attribute(named: path.name) else { return nil }
        return withSub(SCIMResolvedPath(root: .core, attribute: attribute, subAttribute: nil), path.subAttribute)
    }

    private func withSub(_ resolved: SCIMResolvedPath, _ sub: String?) -> SCIMResolvedPath? {
        guard let sub else { return resolved }
        guard let attribute = resolved.attribute, attribute.type == .complex, let subAttribute = attribute.subAttribute(named: sub) else {
            return nil
        }
        return SCIMResolvedPath(root: resolved.root, attribute: attribute, subAttribute: subAttribute)
    }
}
