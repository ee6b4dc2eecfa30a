import Engine
import Hummingbird
import JSON
import Store

extension Gateway {
    static func deadLetterJSON(_ d: DeadLetterRecord) -> JSONValue {
        [
            "id": .string(d.id), "run_id": .string(d.runID), "workflow_id": .string(d.workflowID), "node_id": .string(d.nodeID),
            "item_index": d.itemIndex.map(JSONValue.int) ?? .null, "error": .string(d.error), "attempts": .int(d.attempts),
            "status": .string(d.status), "created_at": .time(d.createdAt), "redriven_at": d.redrivenAt.map(JSONValue.time) ?? .null,
        ]
    }

    /// Dead letters (list, read, redrive), dry runs of a workflow or part of it, and the
    /// tenant's run retention.
    func addEngineRoutes(tenant: RouterGroup<FlowgateRequestContext>) {
        let engine = self.engine
        let store = self.store
        let prefix = "/api/v1/tenants/:tenant"

        on(tenant, prefix: prefix, .get, "dead-letters", action: "dead_letter.list", resource: .tenant) { request, context in
            let t = try context.requireTenant()
            let paging = try Paging(request)
            let status = request.uri.queryParameters.get("status") ?? "all"
            guard status == "open" || status == "all" else { throw Problem.badRequest("the query parameter status must be open or all") }
            let items = try await store.read { try await DeadLetterRepository($0, tenant: t).list(limit: paging.limit, openOnly: status == "open") }
            return Response.json(["items": .array(items.map(Gateway.deadLetterJSON))])
        }
        on(tenant, prefix: prefix, .get, "dead-letters/:letter", action: "dead_letter.read", resource: .parameter(type: "DeadLetter", parameter: "letter")) { _, context in
            let t = try context.requireTenant()
            let id = try context.parameter("letter")
            guard let letter = try await store.read({ try await DeadLetterRepository($0, tenant: t).get(id) }) else { throw Problem.notFound("dead letter") }
            return Response.json(Gateway.deadLetterJSON(letter))
        }
        on(tenant, prefix: prefix, .post, "dead-letters/:letter/redrive", action: "dead_letter.redrive",
           resource: .parameter(type: "DeadLetter", parameter: "letter")) { _, context in
            let t = try context.requireTenant()
            let id = try context.parameter("letter")
            guard let principal = context.principal else { throw Problem.unauthorized("authentication required") }
            let run = try await engine.redrive(tenant: t, deadLetterID: id, principal: principal.policyInfo)
            context.audit?.update { $0.detail["run_id"] = .string(run.id) }
            guard let loaded = try await engine.state(tenant: t, runID: run.id) else { throw Problem.notFound("run") }
            return Response.json(Gateway.runJSON(loaded.run, loaded.state), status: .accepted)
        }

        // A dry run: the saved definition (or one sent, as an editor has it before saving),
        // all of it or the nodes named in `nodes`, with `input`. Sinks write nothing.
        on(tenant, prefix: prefix, .post, "workflows/:id/test", action: "workflow.run", resource: .parameter(type: "Workflow", parameter: "id")) { request, context in
            let t = try context.requireTenant()
            let workflowID = try context.parameter("id")
            let body = try await JSONBody.read(request, context: context, allowed: ["definition", "input", "nodes"])
            let stored: String? = try await store.read { db in
                let workflows = WorkflowRepository(db, tenant: t)
                guard let w = try await workflows.get(workflowID) else { return nil }
                return try await workflows.version(workflowID, w.currentVersion)?.definition
            }
            guard let stored else { throw Problem.notFound("workflow") }
            let definition: WorkflowDefinition
            if let sent = body.object["definition"] {
                definition = try WorkflowDefinition.decode(sent)
                try WorkflowValidator(registry: engine.registry).validate(definition)
                try await engine.registry.check(definition)
            } else {
                definition = try WorkflowDefinition.decode(try JSONValue.parse(stored))
            }
            var only: Set<String>?
            if let nodes = body.object["nodes"] {
                let names = nodes.arrayValue?.compactMap(\.stringValue) ?? []
                guard let list = nodes.arrayValue, !list.isEmpty, list.count <= 1_000, names.count == list.count else {
                    throw Problem.field("nodes", "must be a non-empty array of node ids")
                }
                let known = Set(definition.nodes.map(\.id))
                if let unknown = names.first(where: { !known.contains($0) }) { throw Problem.field("nodes", "names no node \"\(unknown)\"") }
                only = Set(names)
            }
            guard let principal = context.principal else { throw Problem.unauthorized("authentication required") }
            let result = try await engine.test(tenant: t, workflowID: workflowID, definition: definition, input: body.object["input"] ?? [:], only: only,
                                               principal: principal.policyInfo, traceID: context.traceID)
            let record = RunRecord(tenantID: t, id: "test", workflowID: workflowID, workflowVersion: 0, status: result.state.status.rawValue,
                                   idempotencyKey: nil, traceID: context.traceID, createdBy: principal.name, createdAt: 0, updatedAt: 0)
            var json = Gateway.runJSON(record, result.state).objectValue ?? [:]
            for key in ["id", "created_at", "updated_at", "workflow_version"] { json[key] = nil }
            json["dry_run"] = true
            return Response.json(.object(json))
        }

        on(tenant, prefix: prefix, .get, "retention", action: "tenant.read", resource: .tenant) { _, context in
            let t = try context.requireTenant()
            // From the database: the tenant the request carries may be a cached copy.
            guard let tenant = try await store.read({ try await TenantRepository($0).get(t) }) else { throw Problem.notFound("tenant") }
            return Response.json((RetentionSettings(settings: tenant.settings) ?? RetentionSettings()).json)
        }
        on(tenant, prefix: prefix, .put, "retention", action: "tenant.update", resource: .tenant) { request, context in
            let t = try context.requireTenant()
            let body = try await JSONBody.read(request, context: context, allowed: ["max_age_days", "max_runs"])
            func bound(_ key: String, _ range: ClosedRange<Int64>) throws -> Int64? {
                guard let value = body.object[key], value != .null else { return nil }
                guard let n = value.intValue, value.doubleValue == Double(n), range.contains(n) else {
                    throw Problem.field(key, "must be null or an integer from \(range.lowerBound) to \(range.upperBound)")
                }
                return n
            }
            let retention = RetentionSettings(maxAgeDays: try bound("max_age_days", 1...36_500), maxRuns: try bound("max_runs", 1...100_000_000).map(Int.init))
            try await store.write { db in
                let tenants = TenantRepository(db)
                guard var tenant = try await tenants.get(t) else { throw Problem.notFound("tenant") }
                var settings = (try? JSONValue.parse(tenant.settings))?.objectValue ?? [:]
                settings["retention"] = retention.json
                tenant.settings = JSONValue.object(settings).serialized()
                try await tenants.update(tenant)
            }
            return Response.json(retention.json)
        }
    }
}
