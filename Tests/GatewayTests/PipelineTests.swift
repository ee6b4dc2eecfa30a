import FlowgateTesting
import Foundation
import Gateway
import JSON
import Testing

@Suite struct PipelineTests {
    @Test func problemsFollowRFC9457() async throws {
        try await TestGateway.with { api in
            let anonymous = api.with(token: nil)
            let missing = try await anonymous.get("/api/v1/tenants")
            #expect(missing.status == 401)
            #expect(missing.header("content-type") == "application/problem+json")
            #expect(missing.header("www-authenticate")?.hasPrefix("Bearer") == true)
            #expect(missing.json["status"] == 401)
            #expect(missing.json["type"]?.stringValue?.hasPrefix("https://flowgate.dev/problems/") == true)
            #expect(missing.json["request_id"]?.stringValue == missing.header("x-request-id"))

            #expect(try await anonymous.send(.GET, "/api/v1/tenants", headers: [("Authorization", "Basic abc")]).status == 401)
            #expect(try await api.with(token: "fgt_" + String(repeating: "A", count: 43)).get("/api/v1/tenants").status == 401)

            let unknown = try await api.get("/api/v1/nothing-here")
            #expect(unknown.status == 404)
            #expect(unknown.json["title"] == "Not found")

            let wrongMethod = try await api.send(.DELETE, "/api/v1/tenants")
            #expect(wrongMethod.status == 405)
            #expect(wrongMethod.header("allow") == "GET, POST")
        }
    }

    @Test func badBodiesGetClearAnswers() async throws {
        try await TestGateway.with(maxBodyBytes: 4096) { api in
            let malformed = try await api.send(.POST, "/api/v1/tenants", raw: Array("{\"slug\": \"x\",\n \"name\": }".utf8))
            #expect(malformed.status == 400)
            #expect(malformed.json["line"] == 2)
            #expect(malformed.json["detail"]?.stringValue?.contains("not valid JSON") == true)

            let wrongType = try await api.post("/api/v1/tenants", ["slug": 5, "name": "x"])
            #expect(wrongType.status == 422)
            #expect(wrongType.json["errors"]?.arrayValue?.first?["field"] == "slug")

            let unknownField = try await api.post("/api/v1/tenants", ["slug": "acme", "name": "x", "admin": true])
            #expect(unknownField.status == 422)
            #expect(unknownField.json["detail"]?.stringValue?.contains("admin") == true)

            let notObject = try await api.post("/api/v1/tenants", [1, 2])
            #expect(notObject.status == 422)

            let huge = try await api.send(.POST, "/api/v1/tenants", raw: Array(repeating: UInt8(ascii: " "), count: 10_000))
            #expect(huge.status == 413)

            let empty = try await api.send(.POST, "/api/v1/tenants", raw: [])
            #expect(empty.status == 400)

            // Nothing of the above was created.
            let list = try await api.get("/api/v1/tenants")
            #expect(list.json["items"] == [])
        }
    }

    @Test func requestIDsAndTraceContextFlowThrough() async throws {
        try await TestGateway.with { api in
            let echoed = try await api.send(.GET, "/healthz", headers: [("X-Request-Id", "abc-123")])
            #expect(echoed.header("x-request-id") == "abc-123")
            let replaced = try await api.send(.GET, "/healthz", headers: [("X-Request-Id", "has spaces;and=more")])
            #expect(replaced.header("x-request-id") != nil)
            #expect(replaced.header("x-request-id") != "has spaces;and=more")

            _ = try await api.post("/api/v1/tenants", ["slug": "acme", "name": "Acme"])
            let token = try await api.post("/api/v1/tenants/acme/tokens", ["name": "ed", "role": "editor"]).json["token"]?.stringValue
            let editor = api.with(token: token)
            let workflow = try await editor.post("/api/v1/tenants/acme/workflows", [
                "name": "wf", "definition": ["nodes": [["id": "a", "type": "core.noop"]], "edges": []],
            ]).json
            let traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
            let run = try await editor.send(.POST, "/api/v1/tenants/acme/workflows/\(workflow["id"]?.stringValue ?? "")/runs",
                                            json: ["input": [:]], headers: [("traceparent", "00-\(traceID)-00f067aa0ba902b7-01")])
            #expect(run.status == 201)
            #expect(run.json["trace_id"] == .string(traceID))
            let audit = try await api.get("/api/v1/tenants/acme/audit?action=workflow.run").json
            #expect(audit["items"]?[0]?["detail"]?["trace_id"] == .string(traceID))
        }
    }

    @Test func operationalEndpoints() async throws {
        try await TestGateway.with { api in
            #expect(try await api.get("/healthz").json["status"] == "ok")
            #expect(try await api.get("/readyz").json["database"] == "ok")
            _ = try await api.get("/api/v1/tenants")
            let metrics = try await api.get("/metrics")
            #expect(metrics.status == 200)
            #expect(metrics.text.contains("hb_requests"))
            #expect(metrics.text.contains(#"http_route="/api/v1/tenants""#))
            #expect(metrics.text.contains("http_server_request_duration"))
            let openapi = try await api.get("/openapi.json").json
            #expect(openapi["openapi"] == "3.1.0")
        }
    }

    @Test func openAPIDocumentListsExactlyTheRegisteredRoutes() async throws {
        let routes = RouteTable()
        try await TestGateway.with(routes: routes) { _ in }
        let document = try JSONValue.parse(OpenAPIDocument.bytes)
        var documented: Set<String> = []
        for (path, item) in document["paths"]?.objectValue ?? [:] {
            for method in (item.objectValue ?? [:]).keys where method != "parameters" {
                documented.insert("\(method.uppercased()) \(path)")
            }
        }
        let registered = Set(routes.all.map { "\($0.method) \($0.path)" })
        #expect(!registered.isEmpty)
        #expect(registered.subtracting(documented).isEmpty, "undocumented: \(registered.subtracting(documented).sorted())")
        #expect(documented.subtracting(registered).isEmpty, "documented but not served: \(documented.subtracting(registered).sorted())")
    }
}

@Suite struct QuotaTests {
    @Test func rateLimitedTokensGet429WithHeadersAndAreAudited() async throws {
        try await TestGateway.with { api in
            _ = try await api.post("/api/v1/tenants", ["slug": "acme", "name": "Acme"])
            let owner = api.with(token: try await api.post("/api/v1/tenants/acme/tokens", ["name": "o", "role": "owner"]).json["token"]?.stringValue)
            // Tenants cannot raise their own limits.
            #expect(try await owner.put("/api/v1/tenants/acme/quotas", ["principal_requests_per_second": 1000]).status == 403)
            let set = try await api.put("/api/v1/tenants/acme/quotas", ["principal_requests_per_second": 1, "principal_burst": 2])
            #expect(set.status == 200)
            #expect(set.json["principal_burst"] == 2)
            #expect(try await api.put("/api/v1/tenants/acme/quotas", ["principal_burst": 0]).status == 422)
            let viewer = api.with(token: try await owner.post("/api/v1/tenants/acme/tokens", ["name": "v", "role": "viewer"]).json["token"]?.stringValue)
            let first = try await viewer.get("/api/v1/tenants/acme/workflows")
            #expect(first.status == 200)
            #expect(first.header("ratelimit-limit") == "2")
            #expect(first.header("ratelimit-remaining") == "1")
            // Ten more at once: the bucket (one more now, one per second) cannot admit them all,
            // however slowly a loaded machine serves them.
            let burst = try await withThrowingTaskGroup(of: APIResponse.self) { group in
                for _ in 0..<10 { group.addTask { try await viewer.get("/api/v1/tenants/acme/workflows") } }
                var all: [APIResponse] = []
                for try await response in group { all.append(response) }
                return all
            }
            let refusals = burst.filter { $0.status == 429 }
            #expect(!refusals.isEmpty)
            #expect(burst.allSatisfy { $0.status == 200 || $0.status == 429 })
            let refused = try #require(refusals.first)
            #expect(refused.header("retry-after") == "1")
            #expect(refused.header("ratelimit-remaining") == "0")
            #expect(refused.header("content-type") == "application/problem+json")
            // Other principals are unaffected.
            // (The platform admin reads: the owner token is under the same tight quota now.)
            #expect(try await api.get("/api/v1/tenants/acme/quotas").json["principal_burst"] == 2)
            let audit = try await api.get("/api/v1/tenants/acme/audit?outcome=throttled").json["items"]?.arrayValue ?? []
            // Each refusal is audited, with the quota that refused it.
            #expect(audit.count == refusals.count)
            #expect(audit.allSatisfy { $0["reasons"] == ["quota:principal-rate"] })
            let metrics = try await api.get("/metrics").text
            #expect(metrics.contains(#"flowgate_quota_limit{tenant="acme",quota="principal_burst"} 2"#))
            #expect(metrics.contains("flowgate_quota_rejections_total"))
        }
    }
}
