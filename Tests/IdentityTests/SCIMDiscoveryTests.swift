import JSON
import Testing

@testable import Identity

@Suite struct SCIMDiscoveryTests {
    let discovery = SCIMDiscovery()
    let base = "https://flowgate.example/scim/v2/acme"

    @Test func serviceProviderConfig() {
        #expect(discovery.serviceProviderConfig(baseURL: base) == [
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
            "patch": ["supported": true],
            "bulk": ["supported": false, "maxOperations": 0, "maxPayloadSize": 0],
            "filter": ["supported": true, "maxResults": 200],
            "changePassword": ["supported": false],
            "sort": ["supported": true],
            "etag": ["supported": true],
            "authenticationSchemes": [[
                "type": "oauthbearertoken", "name": "OAuth Bearer Token",
                "description": "Authentication scheme using the OAuth Bearer Token Standard",
                "specUri": "http://www.rfc-editor.org/info/rfc6750", "primary": true,
            ]],
            "meta": ["resourceType": "ServiceProviderConfig", "location": "https://flowgate.example/scim/v2/acme/ServiceProviderConfig"],
        ])
        let documented = SCIMDiscovery(configuration: .init(maxResults: 50, documentationURI: "https://docs.example/scim"))
        #expect(documented.serviceProviderConfig(baseURL: base + "/")["filter"] == ["supported": true, "maxResults": 50])
        #expect(documented.serviceProviderConfig(baseURL: base)["documentationUri"] == "https://docs.example/scim")
    }

    @Test func resourceTypes() {
        let list = discovery.resourceTypes(baseURL: base)
        #expect(list["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:ListResponse"])
        #expect(list["totalResults"] == 2 && list["itemsPerPage"] == 2 && list["startIndex"] == 1)
        #expect(list["Resources"]?[0] == [
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": "User", "name": "User", "endpoint": "/Users", "description": "User Account",
            "schema": "urn:ietf:params:scim:schemas:core:2.0:User",
            "schemaExtensions": [["schema": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "required": false]],
            "meta": ["resourceType": "ResourceType", "location": "https://flowgate.example/scim/v2/acme/ResourceTypes/User"],
        ])
        #expect(discovery.resourceType(id: "group", baseURL: base)?["endpoint"] == "/Groups")
        #expect(discovery.resourceType(id: "group", baseURL: base)?["schemaExtensions"] == nil)
        #expect(discovery.resourceType(id: "Device", baseURL: base) == nil)
    }

    @Test func schemas() throws {
        let list = discovery.schemas(baseURL: base)
        #expect(list["totalResults"] == 3)
        let ids = list["Resources"]?.arrayValue?.compactMap { $0["id"]?.stringValue }
        #expect(ids == [SCIMSchema.userURN, SCIMSchema.enterpriseUserURN, SCIMSchema.groupURN])
        let user = try #require(discovery.schema(id: SCIMSchema.userURN.uppercased(), baseURL: base))
        #expect(user["meta"] == ["resourceType": "Schema", "location": .string(base + "/Schemas/" + SCIMSchema.userURN)])
        let attributes = user["attributes"]?.arrayValue ?? []
        #expect(attributes.compactMap { $0["name"]?.stringValue } == [
            "userName", "name", "displayName", "nickName", "profileUrl", "title", "userType", "preferredLanguage", "locale", "timezone",
            "active", "password", "emails", "phoneNumbers", "ims", "photos", "addresses", "groups", "entitlements", "roles", "x509Certificates",
        ])
        #expect(attributes[0] == [
            "name": "userName", "type": "string", "multiValued": false, "description": "Unique identifier for the User, used to sign in.",
            "required": true, "caseExact": false, "mutability": "readWrite", "returned": "default", "uniqueness": "server",
        ])
        let password = attributes.first { $0["name"] == "password" }
        #expect(password?["mutability"] == "writeOnly" && password?["returned"] == "never")
        let groups = attributes.first { $0["name"] == "groups" }
        #expect(groups?["mutability"] == "readOnly" && groups?["multiValued"] == true)
        #expect(groups?["subAttributes"]?.arrayValue?.map { $0["name"] } == ["value", "$ref", "display", "type"])
        #expect(groups?["subAttributes"]?[1]?["referenceTypes"] == ["User", "Group"])
        let emails = attributes.first { $0["name"] == "emails" }
        #expect(emails?["subAttributes"]?[2]?["canonicalValues"] == ["work", "home", "other"])
        let enterpriseSchema = try #require(discovery.schema(id: SCIMSchema.enterpriseUserURN, baseURL: base))
        let manager = enterpriseSchema["attributes"]?.arrayValue?.first { $0["name"] == "manager" }
        #expect(manager?["subAttributes"]?.arrayValue?.map { $0["mutability"] } == ["readWrite", "readWrite", "readOnly"])
        let group = try #require(discovery.schema(id: SCIMSchema.groupURN, baseURL: base))
        let members = group["attributes"]?.arrayValue?.first { $0["name"] == "members" }
        #expect(members?["subAttributes"]?[0]?["mutability"] == "immutable")
        #expect(discovery.schema(id: "urn:nope", baseURL: base) == nil)
    }

    @Test func customExtensionsAreAdvertisedAndFilterable() throws {
        let custom = SCIMSchema(id: "urn:example:params:scim:schemas:extension:acme:2.0:User", name: "AcmeUser", description: "Acme", attributes: [
            SCIMAttribute("badgeNumber", type: .integer),
            SCIMAttribute("hiredAt", type: .dateTime),
        ])
        let type = SCIMResourceType.user.adding(.init(schema: custom))
        let discovery = SCIMDiscovery(configuration: .init(userType: type))
        #expect(discovery.schemas(baseURL: base)["totalResults"] == 4)
        #expect(discovery.resourceType(id: "User", baseURL: base)?["schemaExtensions"]?.arrayValue?.count == 2)
        #expect(throws: Never.self) { try SCIMFilter.parse("\(custom.id):badgeNumber gt 10").checked(for: type) }
        expectSCIMErrorSync("invalidFilter") { _ = try SCIMFilter.parse("\(custom.id):badgeNumber co \"1\"").checked(for: type) }
    }
}
