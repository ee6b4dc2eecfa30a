import FlowgateTesting
import Foundation
import JSON
import Logging
import Testing

/// A secret with a unique value goes into a header, comes back in the output, fails a step in
/// an error message and is logged; afterwards the plaintext, raw or encoded, is nowhere: not in
/// an API response, the audit log, run data, the server's log or the database files.
@Suite(.serialized) struct SecretCanaryTests {
    /// The forms in which a leak would show.
    static func forms(of value: String) -> [String] {
        let bytes = Array(value.utf8)
        return [
            value,
            Data(bytes).base64EncodedString(),
            Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_"),
            value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? value,
            bytes.map { String(format: "%02x", $0) }.joined(),
            bytes.map { String(format: "%02X", $0) }.joined(),
            // The middle of the value, in case a leak was cut short.
            String(value.dropFirst(6).dropLast(6)),
        ]
    }

    static func leaks(in haystack: [UInt8], _ value: String) -> [String] {
        forms(of: value).filter { form in
            let needle = Array(form.utf8)
            guard needle.count <= haystack.count else { return false }
            var i = 0
            while i + needle.count <= haystack.count {
                if haystack[i] == needle[0], Array(haystack[i..<(i + needle.count)]) == needle { return true }
                i += 1
            }
            return false
        }
    }

    @Test(arguments: TestBackend.all)
    func theCanaryAppearsNowhere(backend: TestBackend) async throws {
        let canary = "cnry_\(UUID().uuidString.prefix(8).lowercased())/Zeta+Omega=="
        let dir = try TestEnvironment.temporaryDirectory("flowgate-canary")
        defer { try? FileManager.default.removeItem(at: dir) }
        var logger = Logger(label: "canary")
        logger.logLevel = .warning
        var postgresURL: String?
        if backend.isPostgres, let admin = ProcessInfo.processInfo.environment["FLOWGATE_TEST_POSTGRES_URL"] {
            postgresURL = try await backend.createPostgresDatabase(adminURL: admin, logger: logger).url
        }
        let databaseURL = postgresURL
        let echo = EchoServer()
        let token = "fgp_canary_bootstrap_token_\(UUID().uuidString.prefix(8))"
        let responses = try await echo.run { echoURL in
            let server = try await ServerProcess.start(dataDirectory: dir.path, databaseURL: databaseURL, environment: ["FLOWGATE_BOOTSTRAP_TOKEN": token])
            var bodies: [String] = []
            func keep(_ r: APIResponse) -> APIResponse {
                bodies.append(r.text)
                bodies.append(r.headers.map { "\($0.0): \($0.1)" }.joined(separator: "\n"))
                return r
            }
            let admin = APIClient(baseURL: server.baseURL, token: token)
            _ = keep(try await admin.post("/api/v1/tenants", ["slug": "acme", "name": "Acme"]))
            let created = keep(try await admin.post("/api/v1/tenants/acme/secrets", ["name": "canary", "value": .string(canary)]))
            #expect(created.status == 201)
            #expect(created.json["value"] == nil)
            _ = keep(try await admin.post("/api/v1/tenants/acme/secrets", ["name": "short", "value": "abc"]))
            let definition: JSONValue = [
                "nodes": [
                    ["id": "call", "type": "http.request", "config": [
                        "url": .string("\(echoURL)/echo"), "method": "POST",
                        "headers": ["Authorization": "Basic {{ secrets.canary }}", "X-Api-Key": "{{ secrets.canary }}"],
                        "body": ["token": "{{secrets.canary}}"],
                    ]],
                    ["id": "log", "type": "core.log", "config": ["message": "about to leak {{ secrets.canary }} into the log"]],
                    ["id": "fail", "type": "core.fail", "config": ["message": "failed because of {{ secrets.canary }}"]],
                ],
                "edges": [["from": "call", "to": "log"], ["from": "log", "to": "fail"]],
            ]
            let workflow = keep(try await admin.post("/api/v1/tenants/acme/workflows", ["name": "canary", "definition": definition])).json
            let runPath = "/api/v1/tenants/acme/workflows/\(workflow["id"]?.stringValue ?? "")/runs"
            let run = keep(try await admin.post(runPath, ["input": [:]])).json
            let finished = try await admin.waitForRun("/api/v1/tenants/acme/runs/\(run["id"]?.stringValue ?? "")")
            bodies.append(finished.serialized())
            #expect(finished["status"] == "failed")
            #expect(finished["nodes"]?["call"]?["status"] == "succeeded")
            #expect(finished["nodes"]?["fail"]?["error"]?.stringValue?.hasPrefix("failed because of ***") == true)
            _ = keep(try await admin.get("/api/v1/tenants/acme/runs/\(run["id"]?.stringValue ?? "")/events"))
            _ = keep(try await admin.get("/api/v1/tenants/acme/audit?limit=1000"))
            _ = keep(try await admin.get("/api/v1/tenants/acme/secrets"))
            let secretID = created.json["id"]?.stringValue ?? ""
            _ = keep(try await admin.get("/api/v1/tenants/acme/secrets/\(secretID)"))
            _ = keep(try await admin.get("/api/v1/tenants/acme/workflows/\(workflow["id"]?.stringValue ?? "")"))
            _ = keep(try await admin.get("/metrics"))
            #expect(await server.stop() == 0)
            bodies.append(server.outputText)
            #expect(server.outputText.contains("about to leak *** into the log"))
            return bodies
        }
        // The secret really reached the outside system: substitution happened at execution.
        let received = echo.requests.first
        #expect(received?["headers"]?["x-api-key"] == .string(canary))
        #expect(received?["headers"]?["authorization"] == .string("Basic \(canary)"))
        #expect(received?["body"] == .string(#"{"token":"\#(canary)"}"#))

        for (index, body) in responses.enumerated() {
            #expect(Self.leaks(in: Array(body.utf8), canary).isEmpty, "response or log \(index) leaks the canary: \(body.prefix(300))")
        }
        // Database files, byte by byte (SQLite file and its journal, or a PostgreSQL dump).
        var stored: [UInt8] = []
        if let databaseURL {
            let dump = try await ChildProcess.run(URL(fileURLWithPath: "/usr/bin/env"), ["pg_dump", "--no-owner", databaseURL])
            stored = Array(dump.stdout)
            #expect(dump.status == 0)
            #expect(String(decoding: stored, as: UTF8.self).contains("secret_versions"))
        } else {
            for file in try FileManager.default.contentsOfDirectory(atPath: dir.path) {
                stored += Array(try Data(contentsOf: dir.appendingPathComponent(file)))
            }
            #expect(stored.count > 10_000)
        }
        #expect(Self.leaks(in: stored, canary).isEmpty, "the database holds the canary")
        // The check itself finds a canary where there is one.
        #expect(!Self.leaks(in: Array("x \(Data(canary.utf8).base64EncodedString()) y".utf8), canary).isEmpty)
    }
}
