import Hummingbird
import Identity
import JSON
import Store

extension Gateway {
    static func scimTokenJSON(_ t: SCIMTokenRecord) -> JSONValue {
        ["id": .string(t.id), "name": .string(t.name), "created_at": .time(t.createdAt), "expires_at": .time(t.expiresAt), "revoked_at": .time(t.revokedAt)]
    }

    /// SCIM tokens, and the tenant's group-to-role mapping that provisioned groups use.
    func addSCIMTokenRoutes(tenant: RouterGroup<FlowgateRequestContext>) {
        let identity = self.identity
        let store = self.store
        let gateway = self
        let prefix = "/api/v1/tenants/:tenant"
        on(tenant, prefix: prefix, .post, "scim-tokens", action: "scim_token.create", resource: .tenant) { request, context in
            let body = try await JSONBody.read(request, context: context, allowed: ["name"])
            let (record, token) = try await identity.createSCIMToken(in: try context.requireTenant(), name: try body.string("name"))
            var json = Gateway.scimTokenJSON(record)
            if case .object(var o) = json {
                o["token"] = .string(token)
                o["scim_base_url"] = .string("/scim/v2/\(context.tenant?.slug ?? "")")
                json = .object(o)
            }
            context.audit?.update { $0.resource = "ScimToken::\"\(record.id)\"" }
            return Response.json(json, status: .created, headers: [.cacheControl: "no-store"])
        }
        on(tenant, prefix: prefix, .get, "scim-tokens", action: "scim_token.list", resource: .tenant) { _, context in
            let t = try context.requireTenant()
            let tokens = try await store.read { try await SCIMTokenRepository($0, tenant: t).list() }
            return Response.json(["items": .array(tokens.map(Gateway.scimTokenJSON))])
        }
        on(tenant, prefix: prefix, .delete, "scim-tokens/:id", action: "scim_token.revoke", resource: .parameter(type: "ScimToken", parameter: "id")) { _, context in
            try await identity.revokeSCIMToken(in: try context.requireTenant(), id: try context.parameter("id"))
            return Response(status: .noContent)
        }
        on(tenant, prefix: prefix, .post, "scim-tokens/:id/rotate", action: "scim_token.create", resource: .parameter(type: "ScimToken", parameter: "id")) { request, context in
            var overlap: Int64 = 3600
            var request = request
            let buffer = try await request.collectBody(upTo: context.maxUploadSize)
            if buffer.readableBytes > 0 {
                guard case .object(let o) = try JSONValue.parse(buffer.readableBytesView) else { throw Problem.unprocessable("the body must be an object") }
                if let unknown = o.keys.filter({ $0 != "overlap_seconds" }).sorted().first { throw Problem.field(unknown, "is not a known field") }
                if let v = o["overlap_seconds"] {
                    guard case .int(let i) = v, (0...2_592_000).contains(i) else { throw Problem.field("overlap_seconds", "must be an integer from 0 to 2592000") }
                    overlap = i
                }
            }
            let (record, token) = try await identity.rotateSCIMToken(in: try context.requireTenant(), id: try context.parameter("id"), overlap: .seconds(overlap))
            var json = Gateway.scimTokenJSON(record)
            if case .object(var o) = json {
                o["token"] = .string(token)
                json = .object(o)
            }
            context.audit?.update { $0.detail["new_token_id"] = .string(record.id); $0.detail["overlap_seconds"] = .int(overlap) }
            return Response.json(json, status: .created, headers: [.cacheControl: "no-store"])
        }
        on(tenant, prefix: prefix, .get, "group-roles", action: "group_role.read", resource: .tenant) { _, context in
            guard let t = context.tenant else { throw Problem.notFound("tenant") }
            let settings = (try? JSONValue.parse(t.settings)) ?? [:]
            return Response.json(["mappings": settings["group_roles"] ?? [:]])
        }
        on(tenant, prefix: prefix, .put, "group-roles", action: "group_role.update", resource: .tenant) { request, context in
            guard let t = context.tenant else { throw Problem.notFound("tenant") }
            let body = try await JSONBody.read(request, context: context, allowed: ["mappings"])
            guard case .object(let mappings) = try body.value("mappings") else { throw Problem.field("mappings", "must be an object of group name to role") }
            for (group, role) in mappings {
                guard let name = role.stringValue, DefaultPolicies.rank(of: name) != nil else {
                    throw Problem.field("mappings.\(group)", "must be one of \(DefaultPolicies.roles.joined(separator: ", "))")
                }
                try gateway.authorizeGrant(context, role: name)
            }
            let value = JSONValue.object(mappings)
            _ = try await identity.updateSettings(of: t) { $0["group_roles"] = value }
            identity.invalidateAuthenticationCache()
            return Response.json(["mappings": value])
        }
    }
}

import Policy
