import Foundation
import JSON
import Testing

@testable import Policy

/// Runs the Cedar integration-test data (handwritten tests and the fuzzer corpus) and compares
/// decisions, reasons, erroring policies and `shouldValidate` with the reference results.
@Suite("Cedar conformance")
struct CedarConformanceTests {
    struct Tally {
        var files = 0
        var requests = 0
        var matched = 0
        var validateMatched = 0
        var mismatches: [String] = []
    }

    /// Runs one test file; paths inside are resolved against `bases` in order.
    static func runFile(_ file: URL, bases: [URL], tally: inout Tally) {
        func resolve(_ rel: String) -> URL? {
            for b in bases {
                let u = b.appendingPathComponent(rel)
                if FileManager.default.fileExists(atPath: u.path) { return u }
            }
            return nil
        }
        func fail(_ m: String) { tally.mismatches.append("\(file.lastPathComponent): \(m)") }
        tally.files += 1
        guard let text = try? CedarTestSupport.read(file), let json = try? JSONValue.parse(text),
              let policiesPath = json["policies"]?.stringValue.flatMap(resolve),
              let entitiesPath = json["entities"]?.stringValue.flatMap(resolve),
              let schemaPath = json["schema"]?.stringValue.flatMap(resolve),
              let requests = json["requests"]?.arrayValue
        else { return fail("unreadable test file") }
        let schema: Schema
        let policies: CedarPolicySet
        let entities: Entities
        do {
            schema = try Schema.parse(try CedarTestSupport.read(schemaPath))
            policies = try CedarPolicySet(text: try CedarTestSupport.read(policiesPath))
            entities = try Entities.parse(try CedarTestSupport.read(entitiesPath), schema: schema)
        } catch {
            tally.requests += requests.count
            return fail("setup failed: \(error)")
        }
        let expectValid = json["shouldValidate"]?.boolValue ?? true
        let issues = Validator(schema: schema).validate(policies)
        if issues.isEmpty == expectValid {
            tally.validateMatched += 1
        } else {
            fail("shouldValidate \(expectValid) but got \(issues.isEmpty ? "valid" : "invalid: \(issues.prefix(3))")")
        }
        let authorizer = CedarAuthorizer(policies: policies)
        for (i, r) in requests.enumerated() {
            tally.requests += 1
            do {
                let request = try CedarEngine.request(json: r, schema: schema)
                if r["validateRequest"]?.boolValue ?? false { try schema.validate(request) }
                let response = authorizer.isAuthorized(request, entities: entities)
                let wantDecision = r["decision"]?.stringValue ?? ""
                let wantReason = Set((r["reason"]?.arrayValue ?? []).compactMap(\.stringValue))
                let wantErrors = Set((r["errors"]?.arrayValue ?? []).compactMap(\.stringValue))
                let gotErrors = Set(response.errors.map(\.policyID))
                if response.decision.rawValue == wantDecision && Set(response.reason) == wantReason && gotErrors == wantErrors {
                    tally.matched += 1
                } else {
                    fail("request \(i): want \(wantDecision) \(wantReason.sorted()) errors \(wantErrors.sorted()); got \(response.decision.rawValue) \(response.reason.sorted()) errors \(response.errors.map { "\($0.policyID): \($0.error)" })")
                }
            } catch {
                fail("request \(i): \(error)")
            }
        }
    }

    @Test("handwritten integration tests")
    func handwritten() throws {
        guard let dir = CedarTestSupport.conformanceDirectory else {
            print("Cedar conformance data not found (set FLOWGATE_CEDAR_CONFORMANCE); skipping")
            return
        }
        var tally = Tally()
        let testsDir = dir.appendingPathComponent("tests")
        let files = (FileManager.default.enumerator(at: testsDir, includingPropertiesForKeys: nil)?.allObjects as? [URL] ?? [])
            .filter { $0.pathExtension == "json" }.sorted { $0.path < $1.path }
        for f in files { Self.runFile(f, bases: [dir], tally: &tally) }
        report("handwritten", tally)
        #expect(tally.files > 0)
        #expect(tally.mismatches.isEmpty)
    }

    @Test("fuzzer corpus")
    func corpus() async throws {
        guard let dir = CedarTestSupport.conformanceDirectory else {
            print("Cedar conformance data not found (set FLOWGATE_CEDAR_CONFORMANCE); skipping")
            return
        }
        let tmp = try CedarTestSupport.temporaryDirectory("cedar-corpus")
        defer { try? FileManager.default.removeItem(at: tmp) }
        let tar = try await CedarTestSupport.run("/bin/tar", ["xzf", dir.appendingPathComponent("corpus-tests-dev.tar.gz").path, "-C", tmp.path])
        #expect(tar.status == 0, "tar failed: \(tar.output)")
        let corpusDir = tmp.appendingPathComponent("corpus-tests")
        let files = try FileManager.default.contentsOfDirectory(at: corpusDir, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" && !$0.lastPathComponent.hasSuffix(".entities.json") }
            .sorted { $0.path < $1.path }
        var tally = Tally()
        for f in files { Self.runFile(f, bases: [tmp, dir], tally: &tally) }
        report("corpus", tally)
        #expect(tally.files == 4947)
        #expect(tally.mismatches.isEmpty)
    }

    func report(_ name: String, _ t: Tally) {
        print("conformance \(name): files=\(t.files) shouldValidate matched=\(t.validateMatched)/\(t.files) requests=\(t.requests) matched=\(t.matched)/\(t.requests) mismatches=\(t.mismatches.count)")
        for m in t.mismatches.filter({ !$0.contains("shouldValidate") }).prefix(40) { print("  MISMATCH \(m)") }
    }
}
