import Engine
import Hummingbird
import JSON
import Store

extension Gateway {
    static func workflowJSON(_ w: WorkflowRecord, definition: JSONValue?) -> JSONValue {
        var o: [String: JSONValue] = [
            "id": .string(w.id), "name": .string(w.name), "description": .string(w.description), "version": .int(w.currentVersion),
            "created_at": .time(w.createdAt), "updated_at": .time(w.updatedAt),
        ]
        if let definition { o["definition"] = definition }
        return .object(o)
    }

    /// `workflowJSON(w, definition:)` serialized, around a definition already serialized: the
    /// same bytes, without rebuilding and re-sorting the definition's objects on every read.
    static func workflowBody(_ w: WorkflowRecord, definition: [UInt8]?) -> [UInt8] {
        guard let definition else { return workflowJSON(w, definition: nil).serializedBytes() }
        // The members in the sorted order JSONValue.serialized() writes them.
        var out: [UInt8] = []
        out.reserveCapacity(definition.count + 256)
        // Timestamps are plain ASCII, so they are quoted, not escaped.
        out.append(contentsOf: #"{"created_at":""#.utf8)
        CivilCalendar.writeRFC3339(milliseconds: w.createdAt, into: &out)
        out.append(UInt8(ascii: "\""))
        out.append(contentsOf: #","definition":"#.utf8)
        out.append(contentsOf: definition)
        out.append(contentsOf: #","description":"#.utf8)
        JSONValue.writeString(w.description, into: &out)
        out.append(contentsOf: #","id":"#.utf8)
        JSONValue.writeString(w.id, into: &out)
        out.append(contentsOf: #","name":"#.utf8)
        JSONValue.writeString(w.name, into: &out)
        out.append(contentsOf: #","updated_at":""#.utf8)
        CivilCalendar.writeRFC3339(milliseconds: w.updatedAt, into: &out)
        out.append(UInt8(ascii: "\""))
        out.append(contentsOf: #","version":"#.utf8)
        out.append(contentsOf: String(w.currentVersion).utf8)
        out.append(UInt8(ascii: "}"))
        return out
    }

    static func versionJSON(_ v: WorkflowVersionRecord) -> JSONValue {
        [
            "version": .int(v.version), "created_at": .time(v.createdAt), "created_by": .string(v.createdBy),
            "definition": (try? JSONValue.parse(v.definition)) ?? .null,
        ]
    }

    /// The parts of a workflow create or replace request, from JSON or (on import) YAML.
    struct WorkflowInput {
        var name: String?
        var description: String?
        var definition: WorkflowDefinition
        var expectedVersion: Int64?
    }

    func readWorkflowInput(_ request: Request, context: FlowgateRequestContext, nameRequired: Bool) async throws -> WorkflowInput {
        let allowed: Set<String> = ["name", "description", "definition", "version"]
        let contentType = request.headers[.contentType]?.lowercased() ?? "application/json"
        let body: JSONBody
        if contentType.hasPrefix("application/yaml") || contentType.hasPrefix("application/x-yaml") || contentType.hasPrefix("text/yaml") {
            var request = request
            let buffer = try await request.collectBody(upTo: context.maxUploadSize)
            let text = String(decoding: buffer.readableBytesView, as: UTF8.self)
            let json: JSONValue
            do {
                json = try YAMLImport.parse(text)
            } catch {
                throw Problem.badRequest("the body is not valid YAML: \(error)")
            }
            guard case .object(let o) = json else { throw Problem.unprocessable("the body must be a YAML mapping") }
            body = JSONBody(object: o)
            if let unknown = o.keys.filter({ !allowed.contains($0) }).sorted().first { throw Problem.field(unknown, "is not a known field") }
        } else {
            body = try await JSONBody.read(request, context: context, allowed: allowed)
        }
        let name = nameRequired ? try body.string("name") : try body.optionalString("name")
        if let name {
            let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty || name.utf8.count > 200 || name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                throw Problem.field("name", "must be 1-200 bytes without control characters")
            }
        }
        let description = try body.optionalString("description")
        if let description, description.utf8.count > 10_000 { throw Problem.field("description", "must be at most 10,000 bytes") }
        let definition = try WorkflowDefinition.decode(try body.value("definition"))
        try WorkflowValidator(registry: engine.registry).validate(definition)
        // What a schema cannot say: jq programs and SQL queries must compile.
        try await engine.registry.check(definition)
        var expected: Int64?
        if let v = body.object["version"] {
            guard let i = v.intValue, v.doubleValue != nil else { throw Problem.field("version", "must be an integer") }
            expected = i
        }
        return WorkflowInput(name: name, description: description, definition: definition, expectedVersion: expected)
    }

    /// Workflows and their versions.
    func addWorkflowRoutes(api: RouterGroup<FlowgateRequestContext>, tenant: RouterGroup<FlowgateRequestContext>) {
        let store = self.store
        let prefix = "/api/v1/tenants/:tenant"
        let gateway = self

        on(tenant, prefix: prefix, .post, "workflows", action: "workflow.create", resource: .tenant) { request, context in
            let t = try context.requireTenant()
            let input = try await gateway.readWorkflowInput(request, context: context, nameRequired: true)
            let now = store.clock.nowMillis()
            let record = WorkflowRecord(tenantID: t, id: UUIDv7.generate(millis: now), name: input.name ?? "", description: input.description ?? "",
                                        currentVersion: 1, createdAt: now, updatedAt: now)
            let definition = input.definition.json
            let principal = context.principal?.name ?? ""
            guard let saver = context.principal?.policyInfo else { throw Problem.unauthorized("authentication required") }
            try await gateway.writeWorkflows { db in
                try await WorkflowRepository(db, tenant: t).create(record, definition: definition.serialized(), createdBy: principal)
                try await TriggerRepository(db, tenant: t).replace(
                    workflowID: record.id, with: Triggers.records(for: input.definition, tenant: t, workflowID: record.id, principal: saver, now: now))
            }
            context.audit?.update { $0.resource = "Workflow::\"\(record.id)\"" }
            return Response.json(Gateway.workflowJSON(record, definition: definition), status: .created,
                                 headers: [.location: "/api/v1/tenants/\(context.tenant?.slug ?? "")/workflows/\(record.id)"])
        }
        on(tenant, prefix: prefix, .get, "workflows", action: "workflow.list", resource: .tenant) { request, context in
            let t = try context.requireTenant()
            let paging = try Paging(request)
            let items = try await store.read { try await WorkflowRepository($0, tenant: t).list(limit: paging.limit, afterID: paging.after) }
            return Gateway.page(items, limit: paging.limit, cursor: \.id) { Gateway.workflowJSON($0, definition: nil) }
        }
        on(tenant, prefix: prefix, .get, "workflows/:id", action: "workflow.read", resource: .parameter(type: "Workflow", parameter: "id")) { _, context in
            let t = try context.requireTenant()
            let id = try context.parameter("id")
            let bodies = gateway.workflowReads
            let readKey = WorkflowReadCache.Key(tenant: t, workflow: id)
            if let body = bodies.body(readKey) { return Response.json(bytes: body) }
            let generation = bodies.generation()
            let cache = gateway.definitions
            guard let workflow = try await store.readStatement({ try await WorkflowRepository($0, tenant: t).get(id) }) else {
                throw Problem.notFound("workflow")
            }
            let key = cache.key(t, id, workflow.currentVersion)
            var definition = cache.get(key)
            if definition == nil {
                // A version never changes, so reading it apart from the workflow's row is safe;
                // it is gone only if the workflow was deleted in between.
                let text = try await store.readStatement { try await WorkflowRepository($0, tenant: t).version(id, workflow.currentVersion)?.definition }
                guard let text else { throw Problem.notFound("workflow") }
                if let bytes = (try? JSONValue.parse(text))?.serializedBytes() {
                    definition = bytes
                    cache.put(key, bytes, size: text.utf8.count)
                }
            }
            let body = Gateway.workflowBody(workflow, definition: definition)
            if definition != nil { bodies.store(body, for: readKey, readAt: generation) }
            return Response.json(bytes: body)
        }
        on(tenant, prefix: prefix, .put, "workflows/:id", action: "workflow.update", resource: .parameter(type: "Workflow", parameter: "id")) { request, context in
            let t = try context.requireTenant()
            let id = try context.parameter("id")
            let input = try await gateway.readWorkflowInput(request, context: context, nameRequired: false)
            let now = store.clock.nowMillis()
            let definition = input.definition.json
            let principal = context.principal?.name ?? ""
            guard let saver = context.principal?.policyInfo else { throw Problem.unauthorized("authentication required") }
            let updated: WorkflowRecord = try await gateway.writeWorkflows { db in
                let workflows = WorkflowRepository(db, tenant: t)
                guard let current = try await workflows.get(id) else { throw Problem.notFound("workflow") }
                let updated = try await workflows.addVersion(
                    id, name: input.name ?? current.name, description: input.description ?? current.description,
                    definition: definition.serialized(), at: now, by: principal, expectedVersion: input.expectedVersion
                )
                try await TriggerRepository(db, tenant: t).replace(
                    workflowID: id, with: Triggers.records(for: input.definition, tenant: t, workflowID: id, principal: saver, now: now))
                return updated
            }
            context.audit?.update { $0.detail["version"] = .int(updated.currentVersion) }
            return Response.json(Gateway.workflowJSON(updated, definition: definition))
        }
        on(tenant, prefix: prefix, .delete, "workflows/:id", action: "workflow.delete", resource: .parameter(type: "Workflow", parameter: "id")) { _, context in
            let t = try context.requireTenant()
            let id = try context.parameter("id")
            try await gateway.writeWorkflows { try await WorkflowRepository($0, tenant: t).delete(id) }
            return Response(status: .noContent)
        }
        on(tenant, prefix: prefix, .get, "workflows/:id/versions", action: "workflow.read", resource: .parameter(type: "Workflow", parameter: "id")) { _, context in
            let t = try context.requireTenant()
            let id = try context.parameter("id")
            let versions: [WorkflowVersionRecord]? = try await store.read { db in
                let workflows = WorkflowRepository(db, tenant: t)
                guard try await workflows.get(id) != nil else { return nil }
                return try await workflows.versions(id)
            }
            guard let versions else { throw Problem.notFound("workflow") }
            return Response.json(["items": .array(versions.map(Gateway.versionJSON))])
        }
        on(tenant, prefix: prefix, .get, "workflows/:id/versions/:version", action: "workflow.read", resource: .parameter(type: "Workflow", parameter: "id")) { _, context in
            let t = try context.requireTenant()
            let id = try context.parameter("id")
            guard let number = Int64(try context.parameter("version")) else { throw Problem.notFound("version") }
            guard let version = try await store.read({ try await WorkflowRepository($0, tenant: t).version(id, number) }) else {
                throw Problem.notFound("workflow version")
            }
            return Response.json(Gateway.versionJSON(version))
        }
        on(api, prefix: "/api/v1", .get, "node-types", action: "node_type.list", resource: .platform) { _, _ in
            Response.json(["items": .array(gateway.engine.registry.descriptors.map(\.json))])
        }
    }
}

/// YAML import goes through the same converter the engine uses for definitions.
enum YAMLImport {
    static func parse(_ text: String) throws -> JSONValue {
        try WorkflowDefinition.yamlToJSON(text)
    }
}
