import FlowgateTesting
import JSON
import Store
import Testing

@testable import Gateway

/// Reads of a workflow served from ``WorkflowReadCache`` must never be stale, never cross a
/// tenant, and still be authorized and audited like any other request.
@Suite struct WorkflowReadCacheTests {
    @Test func aReadStartedBeforeAWriteIsNeverKept() {
        let cache = WorkflowReadCache(enabled: true, capacity: 1_600)
        let key = WorkflowReadCache.Key(tenant: TenantID("t1"), workflow: "w")
        let before = cache.generation()
        cache.invalidate()
        cache.store([1, 2, 3], for: key, readAt: before)
        #expect(cache.body(key) == nil)

        let now = cache.generation()
        cache.store([1, 2, 3], for: key, readAt: now)
        #expect(cache.body(key) == [1, 2, 3])
        #expect(cache.body(WorkflowReadCache.Key(tenant: TenantID("t2"), workflow: "w")) == nil)
        cache.invalidate()
        #expect(cache.body(key) == nil)

        // A body over a sixteenth of the capacity is not kept; a full cache starts over.
        cache.store([UInt8](repeating: 0, count: 101), for: key, readAt: cache.generation())
        #expect(cache.body(key) == nil)
        for i in 0..<17 {
            cache.store([UInt8](repeating: 0, count: 100), for: .init(tenant: TenantID("t1"), workflow: "w\(i)"), readAt: cache.generation())
        }
        #expect(cache.body(.init(tenant: TenantID("t1"), workflow: "w0")) == nil)
        #expect(cache.body(.init(tenant: TenantID("t1"), workflow: "w16"))?.count == 100)

        let off = WorkflowReadCache(enabled: false)
        off.store([1], for: key, readAt: off.generation())
        #expect(off.body(key) == nil)
    }

    @Test(arguments: TestBackend.all)
    func readsFollowEveryWriteAndStayGoverned(_ backend: TestBackend) async throws {
        try await TestGateway.with(backend: backend) { api in
            for slug in ["acme", "other"] {
                #expect(try await api.post("/api/v1/tenants", ["slug": .string(slug), "name": .string(slug)]).status == 201)
            }
            let editorToken = try await api.post("/api/v1/tenants/acme/tokens", ["name": "ed", "role": "editor"]).json["token"]?.stringValue
            let otherToken = try await api.post("/api/v1/tenants/other/tokens", ["name": "ot", "role": "owner"]).json["token"]?.stringValue
            let editor = api.with(token: editorToken)
            let outsider = api.with(token: otherToken)
            let definition: JSONValue = ["nodes": [["id": "a", "type": "core.set", "config": ["fields": ["k": "v1"]]]], "edges": []]
            let created = try await editor.post("/api/v1/tenants/acme/workflows", ["name": "first", "definition": definition])
            #expect(created.status == 201)
            let id = try #require(created.json["id"]?.stringValue)
            let path = "/api/v1/tenants/acme/workflows/\(id)"

            // Twice: the second read is the cached one, and both are the same.
            let first = try await editor.get(path)
            let second = try await editor.get(path)
            #expect(first.status == 200)
            #expect(second.body == first.body)
            #expect(second.json["definition"] == definition)

            // Another tenant's principal, under either tenant's path, finds nothing.
            #expect(try await outsider.get(path).status == 404)
            #expect(try await outsider.get("/api/v1/tenants/other/workflows/\(id)").status == 404)
            #expect(try await api.get("/api/v1/tenants/other/workflows/\(id)").status == 404)

            // A new version is read at once.
            let changed: JSONValue = ["nodes": [["id": "a", "type": "core.set", "config": ["fields": ["k": "v2"]]]], "edges": []]
            #expect(try await editor.put(path, ["name": "second", "definition": changed]).status == 200)
            let updated = try await editor.get(path)
            #expect(updated.json["version"] == 2)
            #expect(updated.json["name"] == "second")
            #expect(updated.json["definition"] == changed)
            #expect(try await editor.get(path).body == updated.body)

            // A refused write changes nothing; a deleted workflow is gone at once.
            let viewerToken = try await api.post("/api/v1/tenants/acme/tokens", ["name": "vi", "role": "viewer"]).json["token"]?.stringValue
            let viewer = api.with(token: viewerToken)
            #expect(try await viewer.put(path, ["name": "third", "definition": definition]).status == 403)
            #expect(try await viewer.get(path).body == updated.body)
            #expect(try await editor.delete(path).status == 204)
            #expect(try await editor.get(path).status == 404)
            #expect(try await viewer.get(path).status == 404)

            // Every read was authorized and audited, cached or not: 200s and 404s alike.
            let audit = try await api.get("/api/v1/tenants/acme/audit?action=workflow.read&limit=100").json["items"]?.arrayValue ?? []
            #expect(audit.count == 7)
            #expect(audit.filter { $0["outcome"] == "success" }.count == 5)
            #expect(audit.allSatisfy { $0["decision"] == "allow" })
        }
    }
}
