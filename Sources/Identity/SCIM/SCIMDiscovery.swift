import JSON

/// The discovery documents (RFC 7644 §4): `/ServiceProviderConfig`, `/ResourceTypes` and
/// `/Schemas`, built from the same schema definitions the service provider validates,
/// filters and projects with.
public struct SCIMDiscovery: Sendable {
    /// The schemas and limits advertised.
    public let configuration: SCIMConfiguration

    /// - Parameter configuration: the same configuration the repository uses (default: standard schemas and limits).
    public init(configuration: SCIMConfiguration = .init()) {
        self.configuration = configuration
    }

    private var resourceTypes: [SCIMResourceType] { [configuration.userType, configuration.groupType] }

    /// Every schema served, core schemas first.
    private var schemas: [SCIMSchema] {
        var seen: Set<String> = []
        return resourceTypes.flatMap { [$0.schema] + $0.extensions.map(\.schema) }.filter { seen.insert($0.id).inserted }
    }

    /// `/ServiceProviderConfig`: PATCH, filtering (up to ``SCIMConfiguration/maxResults``),
    /// sorting and ETags supported; bulk and password change not; OAuth bearer tokens.
    ///
    /// - Parameter baseURL: the SCIM base URL of the tenant, e.g. `https://host/scim/v2/acme`.
    public func serviceProviderConfig(baseURL: String) -> JSONValue {
        var o: [String: JSONValue] = [
            "schemas": [.string(SCIMSchema.serviceProviderConfigURN)],
            "patch": ["supported": true],
            "bulk": ["supported": false, "maxOperations": 0, "maxPayloadSize": 0],
            "filter": ["supported": true, "maxResults": .int(Int64(configuration.maxResults))],
            "changePassword": ["supported": false],
            "sort": ["supported": true],
            "etag": ["supported": true],
            "authenticationSchemes": [
                [
                    "type": "oauthbearertoken",
                    "name": "OAuth Bearer Token",
                    "description": "Authentication scheme using the OAuth Bearer Token Standard",
                    "specUri": "http://www.rfc-editor.org/info/rfc6750",
                    "primary": true,
                ],
            ],
            "meta": meta("ServiceProviderConfig", Self.join(baseURL, "ServiceProviderConfig")),
        ]
        if let uri = configuration.documentationURI { o["documentationUri"] = .string(uri) }
        return .object(o)
    }

    /// `/ResourceTypes` as a `ListResponse`.
    public func resourceTypes(baseURL: String) -> JSONValue {
        list(resourceTypes.map { resourceType($0, baseURL: baseURL) })
    }

    /// `/ResourceTypes/{id}` (`User`, `Group`), or `nil` for an unknown id (404).
    public func resourceType(id: String, baseURL: String) -> JSONValue? {
        resourceTypes.first { SCIMText.equalsIgnoringCase($0.id, id) }.map { resourceType($0, baseURL: baseURL) }
    }

    /// `/Schemas` as a `ListResponse`.
    public func schemas(baseURL: String) -> JSONValue {
        list(schemas.map { schema($0, baseURL: baseURL) })
    }

    /// `/Schemas/{urn}`, or `nil` for an unknown URN (404).
    public func schema(id: String, baseURL: String) -> JSONValue? {
        schemas.first { SCIMText.equalsIgnoringCase($0.id, id) }.map { schema($0, baseURL: baseURL) }
    }

    private func resourceType(_ type: SCIMResourceType, baseURL: String) -> JSONValue {
        var o: [String: JSONValue] = [
            "schemas": [.string(SCIMSchema.resourceTypeURN)],
            "id": .string(type.id),
            "name": .string(type.name),
            "endpoint": .string(type.endpoint),
            "description": .string(type.description),
            "schema": .string(type.schema.id),
            "meta": meta("ResourceType", Self.join(baseURL, "ResourceTypes/" + type.id)),
        ]
        if !type.extensions.isEmpty {
            o["schemaExtensions"] = .array(type.extensions.map { ["schema": .string($0.schema.id), "required": .bool($0.required)] })
        }
        return .object(o)
    }

    private func schema(_ schema: SCIMSchema, baseURL: String) -> JSONValue {
        [
            "schemas": [.string(SCIMSchema.schemaURN)],
            "id": .string(schema.id),
            "name": .string(schema.name),
            "description": .string(schema.description),
            "attributes": .array(schema.attributes.map(\.json)),
            "meta": meta("Schema", Self.join(baseURL, "Schemas/" + schema.id)),
        ]
    }

    private func meta(_ resourceType: String, _ location: String) -> JSONValue {
        ["resourceType": .string(resourceType), "location": .string(location)]
    }

    private func list(_ resources: [JSONValue]) -> JSONValue {
        SCIMListResponse(totalResults: resources.count, startIndex: 1, resources: resources).json
    }

    private static func join(_ base: String, _ path: String) -> String {
        base.hasSuffix("/") ? base + path : base + "/" + path
    }
}
