import Hummingbird
import Identity
import JSON
import Policy
import Store

extension Gateway {
    static func userJSON(_ u: User) -> JSONValue {
        [
            "id": .string(u.id), "user_name": .string(u.userName), "display_name": .optional(u.displayName),
            "email": .optional(u.email), "active": .bool(u.active), "created_at": .time(u.createdAt), "updated_at": .time(u.updatedAt),
        ]
    }

    static func groupJSON(_ g: Group) -> JSONValue {
        [
            "id": .string(g.id), "name": .string(g.name), "members": .array(g.memberIDs.map(JSONValue.string)),
            "created_at": .time(g.createdAt), "updated_at": .time(g.updatedAt),
        ]
    }

    static func bindingJSON(_ b: RoleBinding) -> JSONValue {
        [
            "id": .string(b.id), "subject_type": .string(b.subjectType), "subject_id": .string(b.subjectID),
            "role": .string(b.role), "created_at": .time(b.createdAt),
        ]
    }

    static func tokenJSON(_ t: APITokenRecord) -> JSONValue {
        [
            "id": .string(t.id), "name": .string(t.name), "role": .string(t.role), "user_id": .optional(t.userID),
            "created_at": .time(t.createdAt), "expires_at": .time(t.expiresAt), "revoked_at": .time(t.revokedAt),
        ]
    }

    static func page<T>(_ items: [T], limit: Int, cursor: (T) -> String, json: (T) -> JSONValue) -> Response {
        Response.json([
            "items": .array(items.map(json)),
            "next": items.count == limit ? .optional(items.last.map(cursor)) : .null,
        ])
    }

    /// Users, groups, role bindings and API tokens of a tenant.
    func addIdentityRoutes(tenant: RouterGroup<FlowgateRequestContext>) {
        let identity = self.identity
        let store = self.store
        let prefix = "/api/v1/tenants/:tenant"
        let gateway = self

        // Users
        on(tenant, prefix: prefix, .post, "users", action: "user.create", resource: .tenant) { request, context in
            let t = try context.requireTenant()
            let body = try await JSONBody.read(request, context: context, allowed: ["user_name", "display_name", "email"])
            let user = try await identity.createUser(
                in: t, userName: try body.string("user_name"), displayName: try body.optionalString("display_name", nullable: true),
                email: try body.optionalString("email", nullable: true)
            )
            return Response.json(Gateway.userJSON(user), status: .created)
        }
        on(tenant, prefix: prefix, .get, "users", action: "user.list", resource: .tenant) { request, context in
            let t = try context.requireTenant()
            let paging = try Paging(request)
            let users = try await store.read { try await UserRepository($0, tenant: t).list(limit: paging.limit, afterID: paging.after) }
            return Gateway.page(users, limit: paging.limit, cursor: \.id, json: Gateway.userJSON)
        }
        on(tenant, prefix: prefix, .get, "users/:id", action: "user.read", resource: .parameter(type: "User", parameter: "id")) { _, context in
            let t = try context.requireTenant()
            let id = try context.parameter("id")
            guard let user = try await store.read({ try await UserRepository($0, tenant: t).get(id) }) else { throw Problem.notFound("user") }
            return Response.json(Gateway.userJSON(user))
        }
        on(tenant, prefix: prefix, .patch, "users/:id", action: "user.update", resource: .parameter(type: "User", parameter: "id")) { request, context in
            let t = try context.requireTenant()
            let id = try context.parameter("id")
            let body = try await JSONBody.read(request, context: context, allowed: ["display_name", "email", "active"])
            let user = try await identity.updateUser(
                in: t, userID: id,
                displayName: body.object["display_name"] == nil ? nil : .some(try body.optionalString("display_name", nullable: true)),
                email: body.object["email"] == nil ? nil : .some(try body.optionalString("email", nullable: true)),
                active: try body.optionalBool("active")
            )
            return Response.json(Gateway.userJSON(user))
        }
        on(tenant, prefix: prefix, .delete, "users/:id", action: "user.delete", resource: .parameter(type: "User", parameter: "id")) { _, context in
            try await identity.deleteUser(in: try context.requireTenant(), userID: try context.parameter("id"))
            return Response(status: .noContent)
        }

        // Groups
        on(tenant, prefix: prefix, .post, "groups", action: "group.create", resource: .tenant) { request, context in
            let t = try context.requireTenant()
            let body = try await JSONBody.read(request, context: context, allowed: ["name", "members"])
            let group = try await identity.createGroup(in: t, name: try body.string("name"), memberIDs: try body.optionalStrings("members") ?? [])
            return Response.json(Gateway.groupJSON(group), status: .created)
        }
        on(tenant, prefix: prefix, .get, "groups", action: "group.list", resource: .tenant) { request, context in
            let t = try context.requireTenant()
            let paging = try Paging(request)
            let groups = try await store.read { try await GroupRepository($0, tenant: t).list(limit: paging.limit, afterID: paging.after) }
            return Gateway.page(groups, limit: paging.limit, cursor: \.id, json: Gateway.groupJSON)
        }
        on(tenant, prefix: prefix, .get, "groups/:id", action: "group.read", resource: .parameter(type: "Group", parameter: "id")) { _, context in
            let t = try context.requireTenant()
            let id = try context.parameter("id")
            guard let group = try await store.read({ try await GroupRepository($0, tenant: t).get(id) }) else { throw Problem.notFound("group") }
            return Response.json(Gateway.groupJSON(group))
        }
        on(tenant, prefix: prefix, .patch, "groups/:id", action: "group.update", resource: .parameter(type: "Group", parameter: "id")) { request, context in
            let t = try context.requireTenant()
            let id = try context.parameter("id")
            let body = try await JSONBody.read(request, context: context, allowed: ["name", "members"])
            let group = try await identity.updateGroup(in: t, groupID: id, name: try body.optionalString("name"), memberIDs: try body.optionalStrings("members"))
            return Response.json(Gateway.groupJSON(group))
        }
        on(tenant, prefix: prefix, .delete, "groups/:id", action: "group.delete", resource: .parameter(type: "Group", parameter: "id")) { _, context in
            let t = try context.requireTenant()
            let id = try context.parameter("id")
            try await store.write { try await GroupRepository($0, tenant: t).delete(id) }
            identity.invalidateAuthenticationCache()
            return Response(status: .noContent)
        }

        // Role bindings
        on(tenant, prefix: prefix, .post, "role-bindings", action: "role_binding.create", resource: .tenant) { request, context in
            let t = try context.requireTenant()
            let body = try await JSONBody.read(request, context: context, allowed: ["subject_type", "subject_id", "role"])
            let role = try body.string("role")
            try gateway.authorizeGrant(context, role: role)
            let binding = try await identity.bindRole(in: t, subjectType: try body.string("subject_type"), subjectID: try body.string("subject_id"), role: role)
            return Response.json(Gateway.bindingJSON(binding), status: .created)
        }
        on(tenant, prefix: prefix, .get, "role-bindings", action: "role_binding.list", resource: .tenant) { request, context in
            let t = try context.requireTenant()
            let paging = try Paging(request)
            let bindings = try await store.read { try await RoleBindingRepository($0, tenant: t).list(limit: paging.limit, afterID: paging.after) }
            return Gateway.page(bindings, limit: paging.limit, cursor: \.id, json: Gateway.bindingJSON)
        }
        on(tenant, prefix: prefix, .get, "role-bindings/:id", action: "role_binding.read", resource: .parameter(type: "RoleBinding", parameter: "id")) { _, context in
            let t = try context.requireTenant()
            let id = try context.parameter("id")
            guard let binding = try await store.read({ try await RoleBindingRepository($0, tenant: t).get(id) }) else {
                throw Problem.notFound("role binding")
            }
            return Response.json(Gateway.bindingJSON(binding))
        }
        on(tenant, prefix: prefix, .delete, "role-bindings/:id", action: "role_binding.delete", resource: .parameter(type: "RoleBinding", parameter: "id")) { _, context in
            let t = try context.requireTenant()
            let id = try context.parameter("id")
            try await store.write { try await RoleBindingRepository($0, tenant: t).delete(id) }
            identity.invalidateAuthenticationCache()
            return Response(status: .noContent)
        }

        // API tokens
        on(tenant, prefix: prefix, .post, "tokens", action: "token.create", resource: .tenant) { request, context in
            let t = try context.requireTenant()
            let body = try await JSONBody.read(request, context: context, allowed: ["name", "role", "expires_at", "user_id"])
            let role = try body.string("role")
            try gateway.authorizeGrant(context, role: role)
            let (record, token) = try await identity.createToken(
                in: t, name: try body.string("name"), role: role, expiresAt: try body.optionalTime("expires_at"),
                userID: try body.optionalString("user_id")
            )
            var json = Gateway.tokenJSON(record)
            if case .object(var o) = json {
                o["token"] = .string(token)
                json = .object(o)
            }
            context.audit?.update { $0.detail["token_id"] = .string(record.id) }
            return Response.json(json, status: .created, headers: [.cacheControl: "no-store"])
        }
        on(tenant, prefix: prefix, .get, "tokens", action: "token.list", resource: .tenant) { request, context in
            let t = try context.requireTenant()
            let paging = try Paging(request)
            let tokens = try await store.read { try await APITokenRepository($0, tenant: t).list(limit: paging.limit, afterID: paging.after) }
            return Gateway.page(tokens, limit: paging.limit, cursor: \.id, json: Gateway.tokenJSON)
        }
        on(tenant, prefix: prefix, .get, "tokens/:id", action: "token.read", resource: .parameter(type: "ApiToken", parameter: "id")) { _, context in
            let t = try context.requireTenant()
            let id = try context.parameter("id")
            guard let token = try await store.read({ try await APITokenRepository($0, tenant: t).get(id) }) else { throw Problem.notFound("token") }
            return Response.json(Gateway.tokenJSON(token))
        }
        on(tenant, prefix: prefix, .delete, "tokens/:id", action: "token.revoke", resource: .parameter(type: "ApiToken", parameter: "id")) { _, context in
            _ = try await identity.revokeToken(in: try context.requireTenant(), id: try context.parameter("id"))
            return Response(status: .noContent)
        }
    }

    /// Granting a role is its own decision (`role.grant` on `Role::"<role>"`), so that nobody
    /// hands out more than policy lets them.
    func authorizeGrant(_ context: FlowgateRequestContext, role: String) throws {
        guard DefaultPolicies.rank(of: role) != nil else {
            throw Problem.field("role", "must be one of \(DefaultPolicies.roles.joined(separator: ", "))")
        }
        let notes = context.audit?.snapshot
        try authorize(context, action: "role.grant", resource: EntityRef("Role", role))
        // The request's own action stays the one recorded; the grant decision joins its reasons.
        if let notes {
            context.audit?.update {
                let grant = $0.reasons
                $0.action = notes.action
                $0.resource = notes.resource
                $0.reasons = notes.reasons + grant.map { "role.grant:\($0)" }
            }
        }
    }
}

extension FlowgateRequestContext {
    /// The tenant the path resolved to.
    func requireTenant() throws -> TenantID {
        guard let tenant else { throw Problem.notFound("tenant") }
        return tenant.id
    }

    /// A path parameter.
    /// A path parameter, percent-decoded (as the client meant it; an invalid escape is kept as sent).
    func parameter(_ name: String) throws -> String {
        guard let value = parameters.get(name), !value.isEmpty else { throw Problem.notFound(name) }
        return Self.percentDecoded(value)
    }

    /// A path segment with its percent escapes decoded (Foundation's decoder only when there
    /// is an escape: ids are mostly plain).
    static func percentDecoded(_ value: String) -> String {
        guard value.utf8.contains(UInt8(ascii: "%")) else { return value }
        return value.removingPercentEncoding ?? value
    }
}
