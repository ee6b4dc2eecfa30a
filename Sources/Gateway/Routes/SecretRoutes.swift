import Hummingbird
import JSON
import Secrets
import Store

extension Gateway {
    static func secretJSON(_ s: SecretRecord, versions: [SecretVersionRecord]? = nil) -> JSONValue {
        var o: [String: JSONValue] = [
            "id": .string(s.id), "name": .string(s.name), "kind": .string(s.kind), "version": .int(s.currentVersion),
            "workflow_ids": s.workflowIDs.map { .array($0.map(JSONValue.string)) } ?? .null,
            "rotation_interval_seconds": s.rotationIntervalSeconds.map(JSONValue.int) ?? .null,
            "generated": .bool(s.generated), "last_rotated_at": .time(s.lastRotatedAt),
            "created_at": .time(s.createdAt), "updated_at": .time(s.updatedAt),
        ]
        if let versions {
            // Metadata only: version numbers, times and, for Vault references, the path.
            o["versions"] = .array(versions.map { v in
                var entry: [String: JSONValue] = ["version": .int(v.version), "created_at": .time(v.createdAt), "valid_until": .time(v.validUntil)]
                if let ref = v.vaultRef, let json = try? JSONValue.parse(ref) { entry["vault"] = json }
                return .object(entry)
            })
        }
        return .object(o)
    }

    static func vaultReference(_ body: JSONBody) throws -> VaultReference? {
        guard let value = body.object["vault"] else { return nil }
        guard case .object(let o) = value else { throw Problem.field("vault", "must be an object {\"path\", \"field\", \"version\"}") }
        if let unknown = o.keys.filter({ !["path", "field", "version"].contains($0) }).sorted().first {
            throw Problem.field("vault.\(unknown)", "is not a known field")
        }
        guard case .string(let path)? = o["path"] else { throw Problem.field("vault.path", "is required and must be a string") }
        guard case .string(let field)? = o["field"] else { throw Problem.field("vault.field", "is required and must be a string") }
        var version: Int?
        if let v = o["version"], v != .null {
            guard case .int(let i) = v else { throw Problem.field("vault.version", "must be an integer") }
            version = Int(i)
        }
        return VaultReference(path: path, field: field, version: version)
    }

    static func rotationInterval(_ body: JSONBody) throws -> Int64?? {
        guard let value = body.object["rotation_interval_seconds"] else { return nil }
        if value == .null { return .some(nil) }
        guard case .int(let i) = value else { throw Problem.field("rotation_interval_seconds", "must be an integer or null") }
        return .some(i)
    }

    static func workflowScope(_ body: JSONBody) throws -> [String]?? {
        guard let value = body.object["workflow_ids"] else { return nil }
        if value == .null { return .some(nil) }
        return .some(try body.optionalStrings("workflow_ids"))
    }

    /// Secrets: write-only values; no route ever returns one.
    func addSecretRoutes(tenant: RouterGroup<FlowgateRequestContext>) {
        let store = self.store
        let secrets = self.secrets
        let prefix = "/api/v1/tenants/:tenant"
        let fields: Set<String> = ["name", "value", "vault", "workflow_ids", "rotation_interval_seconds", "generate"]

        on(tenant, prefix: prefix, .post, "secrets", action: "secret.create", resource: .tenant) { request, context in
            let t = try context.requireTenant()
            let body = try await JSONBody.read(request, context: context, allowed: fields)
            let generate = try body.optionalBool("generate") ?? false
            var value = try body.optionalString("value")
            if generate {
                if value != nil || body.object["vault"] != nil { throw Problem.field("generate", "cannot be combined with value or vault") }
                value = SecretService.generateValue()
            }
            let record = try await secrets.create(
                in: t, name: try body.string("name"), value: value, vault: try Gateway.vaultReference(body),
                workflowIDs: (try Gateway.workflowScope(body)) ?? nil, rotationIntervalSeconds: (try Gateway.rotationInterval(body)) ?? nil,
                generated: generate
            )
            context.audit?.update { $0.resource = "Secret::\"\(record.id)\""; $0.detail["name"] = .string(record.name) }
            return Response.json(Gateway.secretJSON(record), status: .created)
        }
        on(tenant, prefix: prefix, .get, "secrets", action: "secret.list", resource: .tenant) { request, context in
            let t = try context.requireTenant()
            let paging = try Paging(request)
            let items = try await store.read { try await SecretRepository($0, tenant: t).list(limit: paging.limit, afterName: paging.after) }
            return Gateway.page(items, limit: paging.limit, cursor: \.name) { Gateway.secretJSON($0) }
        }
        on(tenant, prefix: prefix, .get, "secrets/:id", action: "secret.read", resource: .parameter(type: "Secret", parameter: "id")) { _, context in
            let t = try context.requireTenant()
            let id = try context.parameter("id")
            let found: (SecretRecord, [SecretVersionRecord])? = try await store.read { db in
                let repository = SecretRepository(db, tenant: t)
                guard let s = try await repository.get(id) else { return nil }
                return (s, try await repository.versions(id))
            }
            guard let (secret, versions) = found else { throw Problem.notFound("secret") }
            return Response.json(Gateway.secretJSON(secret, versions: versions))
        }
        on(tenant, prefix: prefix, .put, "secrets/:id", action: "secret.update", resource: .parameter(type: "Secret", parameter: "id")) { request, context in
            let t = try context.requireTenant()
            let body = try await JSONBody.read(request, context: context, allowed: fields.subtracting(["name", "generate"]))
            let record = try await secrets.update(
                in: t, id: try context.parameter("id"), value: try body.optionalString("value"), vault: try Gateway.vaultReference(body),
                workflowIDs: try Gateway.workflowScope(body), rotationIntervalSeconds: try Gateway.rotationInterval(body)
            )
            context.audit?.update { $0.detail["version"] = .int(record.currentVersion) }
            return Response.json(Gateway.secretJSON(record))
        }
        on(tenant, prefix: prefix, .delete, "secrets/:id", action: "secret.delete", resource: .parameter(type: "Secret", parameter: "id")) { _, context in
            try await secrets.delete(in: try context.requireTenant(), id: try context.parameter("id"))
            return Response(status: .noContent)
        }
        on(tenant, prefix: prefix, .post, "secrets/:id/rotate", action: "secret.rotate", resource: .parameter(type: "Secret", parameter: "id")) { request, context in
            let t = try context.requireTenant()
            var value: String?
            var overlap: Int64 = 0
            var request = request
            let buffer = try await request.collectBody(upTo: context.maxUploadSize)
            if buffer.readableBytes > 0 {
                guard case .object(let o) = try JSONValue.parse(buffer.readableBytesView) else { throw Problem.unprocessable("the body must be a JSON object") }
                let body = JSONBody(object: o)
                if let unknown = o.keys.filter({ $0 != "value" && $0 != "overlap_seconds" }).sorted().first { throw Problem.field(unknown, "is not a known field") }
                value = try body.optionalString("value")
                if let v = o["overlap_seconds"] {
                    guard case .int(let i) = v, (0...2_592_000).contains(i) else { throw Problem.field("overlap_seconds", "must be an integer from 0 to 2592000") }
                    overlap = i
                }
            }
            let record = try await secrets.rotate(in: t, id: try context.parameter("id"), newValue: value, overlap: .seconds(overlap))
            context.audit?.update { $0.detail["version"] = .int(record.currentVersion); $0.detail["overlap_seconds"] = .int(overlap) }
            return Response.json(Gateway.secretJSON(record))
        }
    }
}
