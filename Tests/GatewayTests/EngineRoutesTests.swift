import Crypto
import FlowgateTesting
import Foundation
import Gateway
import JSON
import Synchronization
import Testing

@Suite struct EngineRoutesTests {
    static func signature(_ body: [UInt8], key: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Array(key.utf8)))
        return "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    static func tenant(_ api: APIClient, _ slug: String) async throws {
        #expect(try await api.post("/api/v1/tenants", ["slug": .string(slug), "name": .string(slug)]).status == 201)
    }

    @Test func webhooksCheckTheirSignatureAndStartOneRunPerKey() async throws {
        try await TestGateway.with { api in
            try await Self.tenant(api, "acme")
            try await Self.tenant(api, "other")
            let key = "whsec-0123456789abcdef"
            #expect(try await api.post("/api/v1/tenants/acme/secrets", ["name": "hook_key", "value": .string(key)]).status == 201)
            let definition: JSONValue = [
                "nodes": [
                    ["id": "hook", "type": "trigger.webhook", "config": ["path": "alerts/grafana", "secret": "hook_key"]],
                    ["id": "tag", "type": "core.set", "config": ["fields": ["seen": true]]],
                ],
                "edges": [["from": "hook", "to": "tag"]],
            ]
            let created = try await api.post("/api/v1/tenants/acme/workflows", ["name": "alerts", "definition": definition])
            #expect(created.status == 201)
            let body = Array(#"{"alert":"disk full","value":97}"#.utf8)

            let unsigned = try await api.with(token: nil).send(.POST, "/hooks/acme/alerts/grafana", raw: body)
            #expect(unsigned.status == 401)
            #expect(unsigned.header("content-type") == "application/problem+json")
            let forged = try await api.with(token: nil).send(.POST, "/hooks/acme/alerts/grafana", raw: body,
                                                             headers: [("X-Flowgate-Signature-256", Self.signature(body, key: "wrong-key"))])
            #expect(forged.status == 401)
            // The body signed is the body checked: one changed byte fails.
            var tampered = body
            tampered[tampered.count - 2] = UInt8(ascii: "8")
            let replayed = try await api.with(token: nil).send(.POST, "/hooks/acme/alerts/grafana", raw: tampered,
                                                               headers: [("X-Flowgate-Signature-256", Self.signature(body, key: key))])
            #expect(replayed.status == 401)
            // Unknown paths, and the right path under another tenant, do not exist.
            #expect(try await api.with(token: nil).send(.POST, "/hooks/acme/alerts/other", raw: body).status == 404)
            #expect(try await api.with(token: nil).send(.POST, "/hooks/other/alerts/grafana", raw: body,
                                                        headers: [("X-Flowgate-Signature-256", Self.signature(body, key: key))]).status == 404)
            #expect(try await api.with(token: nil).send(.POST, "/hooks/nobody/alerts/grafana", raw: body).status == 404)

            let headers = [("X-Flowgate-Signature-256", Self.signature(body, key: key)), ("Idempotency-Key", "delivery-1"),
                           ("Content-Type", "application/json")]
            let accepted = try await api.with(token: nil).send(.POST, "/hooks/acme/alerts/grafana?source=grafana", raw: body, headers: headers)
            #expect(accepted.status == 202)
            let runID = try #require(accepted.json["run_id"]?.stringValue)
            #expect(accepted.header("location") == "/api/v1/tenants/acme/runs/\(runID)")
            let run = try await api.waitForRun("/api/v1/tenants/acme/runs/\(runID)")
            #expect(run["status"] == "succeeded")
            #expect(run["input"]?["body"] == ["alert": "disk full", "value": 97])
            #expect(run["input"]?["query"] == ["source": "grafana"])
            #expect(run["input"]?["headers"]?["idempotency-key"] == "delivery-1")
            // Neither the signature nor any credential reaches the run.
            #expect(run["input"]?["headers"]?["x-flowgate-signature-256"] == nil)
            #expect(run["nodes"]?["tag"]?["output"]?["seen"] == true)

            // A redelivery with the same key is the same run.
            let again = try await api.with(token: nil).send(.POST, "/hooks/acme/alerts/grafana", raw: body, headers: headers)
            #expect(again.status == 202)
            #expect(again.json["run_id"]?.stringValue == runID)
            #expect(again.json["created"] == false)

            // The call is audited, acting as the workflow's saver, naming the trigger.
            let audit = try await api.get("/api/v1/tenants/acme/audit?action=workflow.run").json["items"]?.arrayValue ?? []
            #expect(audit.contains { $0["detail"]?["trigger"] == "webhook alerts/grafana" && $0["detail"]?["run_id"]?.stringValue == runID })

            // Another workflow of the tenant cannot take the same path.
            let clash = try await api.post("/api/v1/tenants/acme/workflows", ["name": "clash", "definition": [
                "nodes": [["id": "h", "type": "trigger.webhook", "config": ["path": "alerts/grafana"]]]]])
            #expect(clash.status == 409)
            #expect(try await api.get("/api/v1/tenants/acme/workflows").json["items"]?.arrayValue?.count == 1)

            // Deleting the workflow removes its webhook.
            let id = try #require(created.json["id"]?.stringValue)
            #expect(try await api.delete("/api/v1/tenants/acme/workflows/\(id)").status == 204)
            #expect(try await api.with(token: nil).send(.POST, "/hooks/acme/alerts/grafana", raw: body, headers: headers).status == 404)
        }
    }

    @Test func exhaustedRetriesAreDeadLetteredAndRedrivenThroughTheAPI() async throws {
        let healthy = Mutex(false)
        let sink = RecordingServer { _ in healthy.withLock { $0 } ? .init(status: 204) : .init(status: 503, contentType: "text/plain", body: Array("busy".utf8)) }
        try await sink.run { url in
            try await TestGateway.with { api in
                try await Self.tenant(api, "acme")
                let definition: JSONValue = ["nodes": [
                    ["id": "push", "type": "sink.http", "config": ["url": .string(url + "/ingest")],
                     "retry": ["max_attempts": 2, "initial_backoff_ms": 1, "jitter": 0]],
                ]]
                let workflow = try await api.post("/api/v1/tenants/acme/workflows", ["name": "push", "definition": definition])
                let id = try #require(workflow.json["id"]?.stringValue)

                // A dry run writes nothing and shows what would be written.
                let dry = try await api.post("/api/v1/tenants/acme/workflows/\(id)/test", ["input": ["cpu": 0.5]])
                #expect(dry.status == 200)
                #expect(dry.json["dry_run"] == true)
                #expect(dry.json["nodes"]?["push"]?["input"]?["in"] == ["cpu": 0.5])
                #expect(dry.json["nodes"]?["push"]?["output"]?["would_write"]?["body"] == ["cpu": 0.5])
                #expect(sink.requests.isEmpty)
                let badSubgraph = try await api.post("/api/v1/tenants/acme/workflows/\(id)/test", ["nodes": ["ghost"]])
                #expect(badSubgraph.status == 422)

                let started = try await api.post("/api/v1/tenants/acme/workflows/\(id)/runs", ["input": ["cpu": 0.9]])
                let runID = try #require(started.json["id"]?.stringValue)
                let failed = try await api.waitForRun("/api/v1/tenants/acme/runs/\(runID)")
                #expect(failed["status"] == "failed")
                #expect(failed["nodes"]?["push"]?["attempts"] == 2)
                #expect(sink.requests.count == 2)
                // Both attempts carried the same idempotency key.
                #expect(Set(sink.requests.compactMap { $0.headers["idempotency-key"] }) == ["\(runID):push:0"])

                let letters = try await api.get("/api/v1/tenants/acme/dead-letters?status=open").json["items"]?.arrayValue ?? []
                #expect(letters.count == 1)
                let letter = try #require(letters.first)
                #expect(letter["run_id"]?.stringValue == runID)
                #expect(letter["node_id"] == "push")
                #expect(letter["attempts"] == 2)
                #expect(letter["error"]?.stringValue?.contains("503") == true)
                let letterID = try #require(letter["id"]?.stringValue)
                #expect(try await api.get("/api/v1/tenants/acme/dead-letters/\(letterID)").json["id"] == letter["id"])
                #expect(try await api.get("/api/v1/tenants/acme/dead-letters/nope").status == 404)

                healthy.withLock { $0 = true }
                let redriven = try await api.post("/api/v1/tenants/acme/dead-letters/\(letterID)/redrive")
                #expect(redriven.status == 202)
                let done = try await api.waitForRun("/api/v1/tenants/acme/runs/\(runID)")
                #expect(done["status"] == "succeeded")
                #expect(sink.requests.count == 3)
                #expect(try await api.get("/api/v1/tenants/acme/dead-letters/\(letterID)").json["status"] == "redriven")
                #expect(try await api.post("/api/v1/tenants/acme/dead-letters/\(letterID)/redrive").status == 409)
                #expect(try await api.get("/api/v1/tenants/acme/dead-letters?status=open").json["items"] == [])
            }
        }
    }

    @Test func runEventsStreamAsServerSentEventsUntilTheRunEnds() async throws {
        try await TestGateway.with { api in
            try await Self.tenant(api, "acme")
            try await Self.tenant(api, "other")
            let definition: JSONValue = [
                "nodes": [["id": "a", "type": "core.set", "config": ["fields": ["k": "v"]]], ["id": "b", "type": "core.noop"]],
                "edges": [["from": "a", "to": "b"]],
            ]
            let workflow = try await api.post("/api/v1/tenants/acme/workflows", ["name": "streamed", "definition": definition])
            let wf = workflow.json["id"]?.stringValue ?? ""
            let run = try await api.post("/api/v1/tenants/acme/workflows/\(wf)/runs", ["input": ["x": 1]]).json["id"]?.stringValue ?? ""

            // The whole log, in order, ending once the run has ended.
            let stream = try await api.get("/api/v1/tenants/acme/runs/\(run)/stream")
            #expect(stream.status == 200)
            #expect(stream.header("content-type") == "text/event-stream")
            let frames = stream.text.components(separatedBy: "\n\n").filter { $0.hasPrefix("id: ") }
            let ids = frames.compactMap { Int64($0.split(separator: "\n")[0].dropFirst(4)) }
            #expect(ids == Array(1...Int64(ids.count)) && ids.count >= 6, "\(ids)")
            #expect(frames.first?.contains("event: RunCreated") == true)
            #expect(frames.last?.contains("event: RunSucceeded") == true)
            let events = try await api.get("/api/v1/tenants/acme/runs/\(run)/events").json["events"]?.arrayValue ?? []
            #expect(events.count == frames.count)
            if let last = frames.last, let data = last.split(separator: "\n").first(where: { $0.hasPrefix("data: ") }) {
                #expect(try JSONValue.parse(String(data.dropFirst(6))) == events.last)
            }

            // A reconnecting browser sends the last id it saw and gets only what followed.
            let resumed = try await api.send(.GET, "/api/v1/tenants/acme/runs/\(run)/stream", headers: [("Last-Event-ID", "\(ids.count - 1)")])
            #expect(resumed.text.components(separatedBy: "\n\n").filter { $0.hasPrefix("id: ") }.count == 1)
            #expect(try await api.send(.GET, "/api/v1/tenants/acme/runs/\(run)/stream", headers: [("Last-Event-ID", "x")]).status == 400)

            // Another tenant's token cannot find the run; an unknown run is 404 too.
            let otherToken = try await api.post("/api/v1/tenants/other/tokens", ["name": "o", "role": "owner"]).json["token"]?.stringValue
            #expect(try await api.with(token: otherToken).get("/api/v1/tenants/acme/runs/\(run)/stream").status == 404)
            #expect(try await api.with(token: otherToken).get("/api/v1/tenants/other/runs/\(run)/stream").status == 404)
            #expect(try await api.get("/api/v1/tenants/acme/runs/no-such-run/stream").status == 404)
        }
    }

    @Test func retentionIsReadAndSetPerTenant() async throws {
        try await TestGateway.with { api in
            try await Self.tenant(api, "acme")
            #expect(try await api.get("/api/v1/tenants/acme/retention").json == ["max_age_days": nil, "max_runs": nil])
            let set = try await api.put("/api/v1/tenants/acme/retention", ["max_age_days": 30, "max_runs": 1000])
            #expect(set.status == 200)
            #expect(try await api.get("/api/v1/tenants/acme/retention").json == ["max_age_days": 30, "max_runs": 1000])
            for bad: JSONValue in [["max_age_days": 0], ["max_runs": "many"], ["max_runs": 1.5], ["keep": 1]] {
                #expect(try await api.put("/api/v1/tenants/acme/retention", bad).status == 422, "\(bad)")
            }
            #expect(try await api.get("/api/v1/tenants/acme/retention").json == ["max_age_days": 30, "max_runs": 1000])
        }
    }
}
