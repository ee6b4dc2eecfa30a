import Engine
import HTTPTypes
import Hummingbird
import JSON
import Store

extension Gateway {
    static func runJSON(_ run: RunRecord, _ state: RunState) -> JSONValue {
        var nodes: [String: JSONValue] = [:]
        for (id, node) in state.nodes {
            var o: [String: JSONValue] = [
                "status": .string(node.status), "attempts": .int(Int64(node.attempts)), "outputs": .object(node.outputs),
                "output": node.outputs["out"] ?? (node.outputs.count == 1 ? node.outputs.values.first ?? .null : .null),
            ]
            if let error = node.error { o["error"] = .string(error) }
            if let input = node.input { o["input"] = input }
            nodes[id] = .object(o)
        }
        return [
            "id": .string(run.id), "workflow_id": .string(run.workflowID), "workflow_version": .int(run.workflowVersion),
            "status": .string(state.status.rawValue), "trace_id": .string(run.traceID), "created_by": .string(run.createdBy),
            "created_at": .time(run.createdAt), "updated_at": .time(run.updatedAt), "input": state.input,
            "error": .optional(state.error), "nodes": .object(nodes),
        ]
    }

    static func eventJSON(_ e: RunEventRecord) -> JSONValue {
        [
            "seq": .int(e.seq), "type": .string(e.type), "node": .optional(e.nodeID), "at": .time(e.at),
            "data": (try? JSONValue.parse(e.data)) ?? [:],
        ]
    }

    /// Runs: start (with `Idempotency-Key`), read, events.
    func addRunRoutes(tenant: RouterGroup<FlowgateRequestContext>) {
        let engine = self.engine
        let store = self.store
        let prefix = "/api/v1/tenants/:tenant"

        on(tenant, prefix: prefix, .post, "workflows/:id/runs", action: "workflow.run", resource: .parameter(type: "Workflow", parameter: "id")) { request, context in
            let t = try context.requireTenant()
            let workflowID = try context.parameter("id")
            var input: JSONValue = [:]
            var request = request
            let buffer = try await request.collectBody(upTo: context.maxUploadSize)
            if buffer.readableBytes > 0 {
                guard case .object(let body) = try JSONValue.parse(buffer.readableBytesView) else {
                    throw Problem.unprocessable("the body must be a JSON object such as {\"input\": {...}}")
                }
                if let unknown = body.keys.filter({ $0 != "input" }).sorted().first { throw Problem.field(unknown, "is not a known field") }
                input = body["input"] ?? [:]
            }
            let key = request.headers[.idempotencyKey]
            if let key, key.isEmpty || key.utf8.count > 255 { throw Problem.badRequest("Idempotency-Key must be 1-255 characters") }
            guard let principal = context.principal else { throw Problem.unauthorized("authentication required") }
            let (run, created) = try await engine.startRun(
                tenant: t, workflowID: workflowID, input: input, idempotencyKey: key, principal: principal.policyInfo, traceID: context.traceID
            )
            context.audit?.update { $0.detail["run_id"] = .string(run.id) }
            guard let loaded = try await engine.state(tenant: t, runID: run.id) else { throw Problem.notFound("run") }
            return Response.json(Gateway.runJSON(loaded.run, loaded.state), status: created ? .created : .ok,
                                 headers: [.location: "/api/v1/tenants/\(context.tenant?.slug ?? "")/runs/\(run.id)"])
        }
        on(tenant, prefix: prefix, .get, "workflows/:id/runs", action: "run.list", resource: .parameter(type: "Workflow", parameter: "id")) { request, context in
            let t = try context.requireTenant()
            let workflowID = try context.parameter("id")
            let paging = try Paging(request)
            let runs: [RunRecord]? = try await store.read { db in
                guard try await WorkflowRepository(db, tenant: t).get(workflowID) != nil else { return nil }
                return try await RunRepository(db, tenant: t).list(workflowID: workflowID, limit: paging.limit)
            }
            guard let runs else { throw Problem.notFound("workflow") }
            return Response.json(["items": .array(runs.map { run in
                ["id": .string(run.id), "status": .string(run.status), "workflow_version": .int(run.workflowVersion),
                 "created_at": .time(run.createdAt), "updated_at": .time(run.updatedAt)]
            })])
        }
        for (path, workflowScoped) in [("runs/:run", false), ("workflows/:id/runs/:run", true)] {
            on(tenant, prefix: prefix, .get, path, action: "run.read", resource: .parameter(type: "Run", parameter: "run")) { _, context in
                let loaded = try await Gateway.loadRun(engine, context, workflowScoped: workflowScoped)
                return Response.json(Gateway.runJSON(loaded.run, loaded.state))
            }
            on(tenant, prefix: prefix, .get, path + "/events", action: "run.read", resource: .parameter(type: "Run", parameter: "run")) { request, context in
                let t = try context.requireTenant()
                let runID = try context.parameter("run")
                let query = request.uri.queryParameters
                var afterSeq: Int64 = 0
                if let text = query.get("after_seq") {
                    guard let n = Int64(text), n >= 0 else { throw Problem.badRequest("after_seq must be a non-negative integer") }
                    afterSeq = n
                }
                var limit = 1_000
                if let text = query.get("limit") {
                    guard let n = Int(text), (1...10_000).contains(n) else { throw Problem.badRequest("limit must be an integer from 1 to 10000") }
                    limit = n
                }
                let (from, count) = (afterSeq, limit)
                let page: [RunEventRecord]? = try await store.read { db in
                    let runs = RunRepository(db, tenant: t)
                    guard let run = try await runs.get(runID) else { return nil }
                    if workflowScoped, run.workflowID != context.parameters.get("id") { return nil }
                    return try await runs.events(runID, afterSeq: from, limit: count)
                }
                guard let page else { throw Problem.notFound("run") }
                let next: JSONValue = page.count == limit ? (page.last.map { .int($0.seq) } ?? .null) : .null
                return Response.json(["events": .array(page.map(Gateway.eventJSON)), "next_after_seq": next])
            }
        }
    }

    /// `GET .../runs/{run}/stream`: the run's events as server-sent events (`id` = sequence
    /// number, `event` = type, `data` = the event as in `/events`), from after `Last-Event-ID`
    /// (or `after_seq`), until the run has ended and every event was sent. A stream lasts at
    /// most a minute (a comment every 15 s keeps proxies from closing it); browsers reconnect
    /// with `Last-Event-ID` and continue where it stopped. Server-side it polls the run's log
    /// every 200 ms, so it works whichever server process executes the run.
    func addRunStreamRoute(tenant: RouterGroup<FlowgateRequestContext>) {
        let store = self.store
        on(tenant, prefix: "/api/v1/tenants/:tenant", .get, "runs/:run/stream", action: "run.read", resource: .parameter(type: "Run", parameter: "run")) { request, context in
            let t = try context.requireTenant()
            let runID = try context.parameter("run")
            var afterSeq: Int64 = 0
            let sent: String? = request.headers[.lastEventID] ?? request.uri.queryParameters.get("after_seq").map { String($0) }
            if let text = sent {
                guard let n = Int64(text), n >= 0 else { throw Problem.badRequest("Last-Event-ID (or after_seq) must be a non-negative integer") }
                afterSeq = n
            }
            guard try await store.read({ try await RunRepository($0, tenant: t).get(runID) }) != nil else { throw Problem.notFound("run") }
            let start = afterSeq
            let body = ResponseBody { writer in
                let clock = ContinuousClock()
                let deadline = clock.now + .seconds(60)
                var lastWrite = clock.now
                var seq = start
                while clock.now < deadline {
                    let after = seq
                    let (page, finished): ([RunEventRecord], Bool) = try await store.read { db in
                        let runs = RunRepository(db, tenant: t)
                        let page = try await runs.events(runID, afterSeq: after, limit: 500)
                        let status = try await runs.get(runID).map { RunStatus($0.status) }
                        return (page, status?.isTerminal ?? true)
                    }
                    if !page.isEmpty {
                        var text = ""
                        for event in page {
                            text += "id: \(event.seq)\nevent: \(event.type)\ndata: \(Gateway.eventJSON(event).serialized())\n\n"
                        }
                        try await writer.write(ByteBuffer(string: text))
                        seq = page.last?.seq ?? seq
                        lastWrite = clock.now
                        if page.count == 500 { continue }
                    }
                    // The status is read after the events: ended with nothing left means done.
                    if finished && page.count < 500 {
                        let sent = seq
                        let rest = try await store.read { try await RunRepository($0, tenant: t).events(runID, afterSeq: sent, limit: 1) }
                        if rest.isEmpty { break }
                        continue
                    }
                    if clock.now - lastWrite > .seconds(15) {
                        try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                        lastWrite = clock.now
                    }
                    try await Task.sleep(for: .milliseconds(200))
                }
                try await writer.finish(nil)
            }
            return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"], body: body)
        }
    }

    static func loadRun(_ engine: RunEngine, _ context: FlowgateRequestContext, workflowScoped: Bool) async throws -> (run: RunRecord, state: RunState, events: [RunEventRecord]) {
        let t = try context.requireTenant()
        let runID = try context.parameter("run")
        guard let loaded = try await engine.state(tenant: t, runID: runID) else { throw Problem.notFound("run") }
        if workflowScoped, loaded.run.workflowID != context.parameters.get("id") { throw Problem.notFound("run") }
        return loaded
    }
}
