import Foundation
import JSON
import Policy

/// `cedar-bench`: authorization latency of the Swift Cedar engine on a multi-tenant RBAC
/// workload and on the conformance corpus, plus a case file for `cedarpy_bench.py` so the
/// reference (Rust) engine can be measured on the same requests.
///
/// Options: `--requests N` (timed RBAC authorizations, default 200000), `--conformance DIR`
/// (default `$FLOWGATE_CEDAR_CONFORMANCE` or `../shared/conformance/cedar`), `--out FILE`
/// (case file, default `.build/cedar-bench-cases.json`), `--skip-corpus`.
@main
struct BenchMain {
    static func main() throws {
        let options = BenchOptions(arguments: CommandLine.arguments)
        var cases: [String: JSONValue] = [:]
        cases["rbac"] = try runRBAC(options)
        cases["defaults"] = try runDefaults(options)
        if !options.skipCorpus {
            if let corpus = try runCorpus(options) { cases["corpus"] = corpus }
        }
        try JSONValue.object(cases).serialized().write(toFile: options.outFile, atomically: true, encoding: .utf8)
        print(JSONValue.object(["cases_file": .string(options.outFile)]).serialized())
    }

    /// Times the RBAC workload and returns its cases for the reference engine.
    static func runRBAC(_ options: BenchOptions) throws -> JSONValue {
        let loadStart = ContinuousClock.now
        let scenario = RBACScenario.make(seed: 42, requestCount: 10_000)
        let policies = try CedarPolicySet(text: scenario.policies)
        let entities = try Entities.parse(json: scenario.entities)
        let requests = try scenario.requests.map { try CedarEngine.request(json: $0) }
        let loadTime = ContinuousClock.now - loadStart
        let authorizer = CedarAuthorizer(policies: policies)
        var allows = 0
        // Warm up caches and the allocator before measuring.
        for r in requests { if authorizer.isAuthorized(r, entities: entities).decision == .allow { allows += 1 } }
        var stats = LatencyStats()
        stats.samples.reserveCapacity(options.requests)
        let clock = ContinuousClock()
        var i = 0
        while i < options.requests {
            let r = requests[i % requests.count]
            let start = clock.now
            let response = authorizer.isAuthorized(r, entities: entities)
            let end = clock.now
            stats.add((end - start).nanoseconds)
            if response.reason.count > 1_000_000 { print("unreachable") }
            i += 1
        }
        print(stats.jsonLine(bench: "rbac", engine: "swift", extra: [
            "entities": .int(Int64(entities.count)),
            "policies": .int(Int64(policies.policies.count)),
            "allow_fraction": .double(Double(allows) / Double(requests.count)),
            "load_ms": .double(Double(loadTime.nanoseconds) / 1e6),
        ]))
        return ["policies": .string(scenario.policies), "entities": scenario.entities, "requests": .array(scenario.requests)]
    }

    /// Times Flowgate's default policies (schema-directed entities, so actions come with the
    /// groups the roles are written against).
    static func runDefaults(_ options: BenchOptions) throws -> JSONValue {
        let scenario = DefaultsScenario.make(seed: 7)
        let schema = try Schema.parse(DefaultPolicies.schemaText)
        let policies = try CedarPolicySet(text: DefaultPolicies.policyText)
        let entities = try Entities.parse(json: scenario.entities, schema: schema)
        let requests = try scenario.requests.map { try CedarEngine.request(json: $0, schema: schema) }
        let authorizer = CedarAuthorizer(policies: policies)
        var allows = 0
        for r in requests { if authorizer.isAuthorized(r, entities: entities).decision == .allow { allows += 1 } }
        var stats = LatencyStats()
        stats.samples.reserveCapacity(options.requests)
        let clock = ContinuousClock()
        var i = 0
        while i < options.requests {
            let r = requests[i % requests.count]
            let start = clock.now
            let response = authorizer.isAuthorized(r, entities: entities)
            stats.add((clock.now - start).nanoseconds)
            if response.reason.count > 1_000_000 { print("unreachable") }
            i += 1
        }
        print(stats.jsonLine(bench: "defaults", engine: "swift", extra: [
            "entities": .int(Int64(entities.count)), "policies": .int(Int64(policies.policies.count)),
            "allow_fraction": .double(Double(allows) / Double(requests.count)),
        ]))
        return ["policies": .string(DefaultPolicies.policyText), "schema": .string(DefaultPolicies.schemaText),
                "entities": scenario.entities, "requests": .array(scenario.requests)]
    }

    /// Times every corpus request (parsed once, authorized `repeats` times each).
    static func runCorpus(_ options: BenchOptions) throws -> JSONValue? {
        guard let dir = options.conformanceDirectory else {
            print(JSONValue.object(["bench": "corpus", "skipped": "conformance data not found"]).serialized())
            return nil
        }
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("cedar-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/bin/tar")
        tar.arguments = ["xzf", dir.appendingPathComponent("corpus-tests-dev.tar.gz").path, "-C", tmp.path]
        try tar.run()
        tar.waitUntilExit()
        let corpusDir = tmp.appendingPathComponent("corpus-tests")
        let files = try FileManager.default.contentsOfDirectory(atPath: corpusDir.path)
            .filter { $0.hasSuffix(".json") && !$0.hasSuffix(".entities.json") }.sorted()
        var stats = LatencyStats()
        var out: [JSONValue] = []
        let repeats = 5
        let clock = ContinuousClock()
        for name in files {
            func read(_ rel: String) throws -> String { try String(contentsOf: tmp.appendingPathComponent(rel), encoding: .utf8) }
            let test = try JSONValue.parse(try read("corpus-tests/\(name)"))
            guard let pPath = test["policies"]?.stringValue, let ePath = test["entities"]?.stringValue,
                  let sPath = test["schema"]?.stringValue, let reqs = test["requests"]?.arrayValue else { continue }
            let schemaText = try read(sPath)
            let policyText = try read(pPath)
            let entityText = try read(ePath)
            let schema = try Schema.parse(schemaText)
            let policies = try CedarPolicySet(text: policyText)
            let entities = try Entities.parse(entityText, schema: schema)
            let authorizer = CedarAuthorizer(policies: policies)
            var requestJSON: [JSONValue] = []
            for r in reqs {
                let request = try CedarEngine.request(json: r, schema: schema)
                _ = authorizer.isAuthorized(request, entities: entities)
                for _ in 0..<repeats {
                    let start = clock.now
                    _ = authorizer.isAuthorized(request, entities: entities)
                    stats.add((clock.now - start).nanoseconds)
                }
                requestJSON.append(.object(["principal": r["principal"] ?? .null, "action": r["action"] ?? .null, "resource": r["resource"] ?? .null, "context": r["context"] ?? .object([:])]))
            }
            out.append(["policies": .string(policyText), "entities": .string(entityText), "schema": .string(schemaText), "requests": .array(requestJSON)])
        }
        print(stats.jsonLine(bench: "corpus", engine: "swift", extra: ["files": .int(Int64(out.count)), "repeats": .int(Int64(repeats))]))
        return .array(out)
    }
}

/// Command-line options of `cedar-bench`.
struct BenchOptions {
    var requests = 200_000
    var conformance: String?
    var outFile = ".build/cedar-bench-cases.json"
    var skipCorpus = false

    init(arguments: [String]) {
        var i = 1
        while i < arguments.count {
            let a = arguments[i]
            let next = i + 1 < arguments.count ? arguments[i + 1] : nil
            switch a {
            case "--requests": requests = next.flatMap { Int($0) } ?? requests; i += 1
            case "--conformance": conformance = next; i += 1
            case "--out": outFile = next ?? outFile; i += 1
            case "--skip-corpus": skipCorpus = true
            default: break
            }
            i += 1
        }
    }

    var conformanceDirectory: URL? {
        let path = conformance ?? ProcessInfo.processInfo.environment["FLOWGATE_CEDAR_CONFORMANCE"] ?? "../shared/conformance/cedar"
        let url = URL(fileURLWithPath: path)
        return FileManager.default.fileExists(atPath: url.appendingPathComponent("corpus-tests-dev.tar.gz").path) ? url : nil
    }
}
