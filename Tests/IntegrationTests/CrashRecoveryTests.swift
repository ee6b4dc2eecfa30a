import FlowgateTesting
import Foundation
import JSON
import Logging
import Synchronization
import Testing

/// Durable runs through the real binary: runs are interrupted by SIGKILL at several points
/// (while a sink's request is in flight, just after a sink answered, and during a retry's
/// backoff), the server is restarted on the same database, and every run completes. A counting
/// sink shows that no item was lost and that only steps whose outcome was never recorded ran
/// again (with the same idempotency key, so the receiver could drop the repeat); the runs'
/// event logs show that no step that had succeeded was started again, and that retries and dead
/// letters kept their configured counts across the crashes.
@Suite(.serialized) struct CrashRecoveryTests {
    static let steps = 12
    static let chains = 3

    /// Sink endpoints: `/chain` answers 204 after a delay (so a kill can land mid-request);
    /// `/flaky` fails the first two deliveries of each key with 503; `/down` always fails.
    static func sink() -> RecordingServer {
        let flaky = Mutex<[String: Int]>([:])
        return RecordingServer(delay: .milliseconds(60)) { request in
            if request.uri.hasPrefix("/down") { return .init(status: 503, contentType: "text/plain", body: Array("down".utf8)) }
            if request.uri.hasPrefix("/flaky") {
                let n = flaky.withLock { $0[request.headers["idempotency-key"] ?? "", default: 0] += 1; return $0[request.headers["idempotency-key"] ?? ""] ?? 0 }
                if n <= 2 { return .init(status: 503, contentType: "text/plain", body: Array("try later".utf8)) }
            }
            return .init(status: 204)
        }
    }

    /// SIGKILL: no shutdown, no flush, nothing but what was committed survives.
    static func crash(_ server: ServerProcess) async {
        let status = await server.stop(signal: SIGKILL)
        #expect(status == SIGKILL)
    }

    static func waitUntil(_ what: String, timeout: Duration = .seconds(60), _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while !condition() {
            if ContinuousClock.now > deadline { throw TestSetupError("timed out waiting for \(what)") }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    @Test(arguments: TestBackend.all)
    func killedServersResumeEveryRunWithoutRepeatingSucceededSteps(backend: TestBackend) async throws {
        let dir = try TestEnvironment.temporaryDirectory("flowgate-crash")
        defer { try? FileManager.default.removeItem(at: dir) }
        var databaseURL: String?
        if backend.isPostgres {
            guard let admin = ProcessInfo.processInfo.environment["FLOWGATE_TEST_POSTGRES_URL"] else {
                throw TestSetupError("PostgreSQL is required but FLOWGATE_TEST_POSTGRES_URL is not set")
            }
            var logger = Logger(label: "crash")
            logger.logLevel = .warning
            databaseURL = try await backend.createPostgresDatabase(adminURL: admin, logger: logger).url
        }
        let token = "fgp_" + String(repeating: "c", count: 43)
        let path = dir.path
        let dbURL = databaseURL
        let start: @Sendable () async throws -> ServerProcess = { try await ServerProcess.start(dataDirectory: path, databaseURL: dbURL, environment: ["FLOWGATE_BOOTSTRAP_TOKEN": token]) }
        let sink = Self.sink()
        try await sink.run { url in
            var server = try await start()
            var api = APIClient(baseURL: server.baseURL, token: token)
            #expect(try await api.post("/api/v1/tenants", ["slug": "acme", "name": "Acme"]).status == 201)

            func create(_ name: String, _ nodes: [JSONValue]) async throws -> String {
                let edges: [JSONValue] = zip(nodes, nodes.dropFirst()).map { ["from": $0["id"] ?? "", "to": $1["id"] ?? ""] }
                let created = try await api.post("/api/v1/tenants/acme/workflows",
                                                 ["name": .string(name), "definition": ["nodes": .array(nodes), "edges": .array(edges)]])
                #expect(created.status == 201, "\(created.text)")
                return created.json["id"]?.stringValue ?? ""
            }
            let chain = try await create("chain", (1...Self.steps).map { i in
                ["id": .string("s\(i)"), "type": "sink.http", "config": ["url": .string("\(url)/chain/\(i)")]]
            })
            let backoff: JSONValue = ["max_attempts": 3, "initial_backoff_ms": 700, "multiplier": 1, "jitter": 0]
            let flaky = try await create("flaky", [["id": "f", "type": "sink.http", "config": ["url": .string("\(url)/flaky")], "retry": backoff]])
            let doomed = try await create("doomed", [["id": "d", "type": "sink.http", "config": ["url": .string("\(url)/down")], "retry": backoff]])

            var runs: [(id: String, workflow: String)] = []
            for (workflow, count) in [(chain, Self.chains), (flaky, 1), (doomed, 1)] {
                for _ in 0..<count {
                    let run = try await api.post("/api/v1/tenants/acme/workflows/\(workflow)/runs", ["input": ["n": 1]])
                    #expect(run.status == 201)
                    runs.append((run.json["id"]?.stringValue ?? "", workflow))
                }
            }
            let chainRequests = { sink.requests.filter { $0.uri.hasPrefix("/chain") }.count }
            let chainAnswers = { sink.answered.filter { $0.uri.hasPrefix("/chain") }.count }

            // 1. During a side effect: a chain request has arrived and is not yet answered.
            try await Self.waitUntil("the fourth chain request") { chainRequests() >= 4 }
            await Self.crash(server)
            server = try await start()
            api = APIClient(baseURL: server.baseURL, token: token)

            // 2. Just after a side effect: a reply has been handed back, its step not (yet) recorded.
            let answered = chainAnswers()
            try await Self.waitUntil("another chain answer") { chainAnswers() > answered }
            await Self.crash(server)
            server = try await start()
            api = APIClient(baseURL: server.baseURL, token: token)

            // 3. Before a side effect: in the middle of a retry's backoff, and between chain steps.
            let downBefore = sink.requests.filter { $0.uri.hasPrefix("/down") }.count
            try await Self.waitUntil("a failed delivery to /down") { sink.requests.filter { $0.uri.hasPrefix("/down") }.count > downBefore }
            try await Task.sleep(for: .milliseconds(150))
            await Self.crash(server)
            server = try await start()
            api = APIClient(baseURL: server.baseURL, token: token)

            var finished: [String: JSONValue] = [:]
            for run in runs {
                finished[run.id] = try await api.waitForRun("/api/v1/tenants/acme/runs/\(run.id)", timeout: .seconds(120))
            }
            for run in runs where run.workflow == chain || run.workflow == flaky {
                #expect(finished[run.id]?["status"] == "succeeded", "\(finished[run.id] ?? .null)")
            }

            // No item lost: every chain step of every run reached the sink, under its own key.
            let chainDeliveries = sink.requests.filter { $0.uri.hasPrefix("/chain") }
            var perKey: [String: Int] = [:]
            for request in chainDeliveries { perKey[request.headers["idempotency-key"] ?? "", default: 0] += 1 }
            let expectedKeys = Set(runs.filter { $0.workflow == chain }.flatMap { run in (1...Self.steps).map { "\(run.id):s\($0):0" } })
            #expect(Set(perKey.keys) == expectedKeys)
            // Repeats happen only to a step in flight at a kill: at most one per kill and run.
            let repeats = perKey.values.reduce(0) { $0 + $1 - 1 }
            #expect(perKey.values.allSatisfy { $0 <= 1 + 3 })
            #expect(repeats <= 3 * Self.chains, "\(repeats) repeated deliveries")

            for run in runs {
                let events = try await api.get("/api/v1/tenants/acme/runs/\(run.id)/events").json["events"]?.arrayValue ?? []
                var succeeded: Set<String> = []
                var started: [String: Int] = [:]
                var failures: [String: Int] = [:]
                for event in events {
                    guard let node = event["node"]?.stringValue else { continue }
                    switch event["type"]?.stringValue {
                    case "StepStarted":
                        // A step that succeeded is never started again.
                        #expect(!succeeded.contains(node), "run \(run.id): \(node) started after it had succeeded")
                        started[node, default: 0] += 1
                    case "StepSucceeded":
                        #expect(succeeded.insert(node).inserted, "run \(run.id): \(node) succeeded twice")
                    case "StepFailed":
                        failures[node, default: 0] += 1
                    default: break
                    }
                }
                if run.workflow == chain {
                    #expect(succeeded.count == Self.steps)
                    // Each delivery of a step's key is one of its attempts.
                    for (node, count) in started {
                        #expect((perKey["\(run.id):\(node):0"] ?? 0) <= count)
                    }
                } else if run.workflow == flaky {
                    // Two 503s, then success on the third delivery of the same key. A delivery
                    // whose answer a kill cut off is repeated without counting as a failure.
                    let deliveries = sink.requests.filter { $0.headers["idempotency-key"] == "\(run.id):f:0" }.count
                    #expect((failures["f"] ?? 0) <= 2)
                    #expect(deliveries >= 3 && deliveries <= started["f"] ?? 0)
                } else {
                    // Exactly max_attempts failures across the crashes, then one dead letter.
                    #expect(finished[run.id]?["status"] == "failed")
                    #expect(failures["d"] == 3)
                    let letters = try await api.get("/api/v1/tenants/acme/dead-letters?status=open").json["items"]?.arrayValue ?? []
                    #expect(letters.count == 1)
                    #expect(letters.first?["run_id"]?.stringValue == run.id)
                    #expect(letters.first?["attempts"] == 3)
                }
            }
            let last = server
            let status = await last.stop()
            #expect(status == 0, "\(last.outputText.suffix(2000))")
        }
    }
}
