import Foundation
import JSON
import Testing

@testable import Policy

/// Compares our authorizer with the reference engine (cedarpy, wrapping the Rust crate) on
/// thousands of randomly generated, seeded scenarios.
@Suite("Differential testing against cedarpy")
struct CedarDifferentialTests {
    static let scenarios = 600
    static let requestsPerScenario = 8

    @Test("random policies, entities and requests agree with the reference engine")
    func differential() async throws {
        let env = ProcessInfo.processInfo.environment
        guard let python = env["FLOWGATE_PYTHON"], !python.isEmpty else {
            if env["FLOWGATE_REQUIRE_PEERS"] == "1" {
                Issue.record("FLOWGATE_PYTHON is not set but FLOWGATE_REQUIRE_PEERS=1")
            } else {
                print("differential: FLOWGATE_PYTHON not set (a Python with cedarpy installed); skipping")
            }
            return
        }
        let seed = env["FLOWGATE_DIFF_SEED"].flatMap { UInt64($0) } ?? 0xCEDA_2026
        var generator = CedarScenarioGenerator(seed: seed)
        var scenarios: [JSONValue] = []
        var ourRequests = 0
        var parseFailures = 0
        var allows = 0
        var withErrors = 0
        var validations: [JSONValue] = []
        var validCount = 0
        let schema = try Schema.parse(text: CedarScenarioGenerator.schema)
        for _ in 0..<Self.scenarios {
            let policyList = generator.policies()
            let policyText = policyList.joined(separator: "\n")
            for p in policyList {
                guard let parsed = try? CedarPolicySet(text: p) else { continue }
                let valid = Validator(schema: schema).validate(parsed).isEmpty
                if valid { validCount += 1 }
                validations.append(["policy": .string(p), "valid": .bool(valid)])
            }
            let entityJSON = generator.entities()
            let requests = (0..<Self.requestsPerScenario).map { _ in generator.request() }
            var policies: CedarPolicySet?
            do {
                policies = try CedarPolicySet(text: policyText)
            } catch {
                parseFailures += 1
                print("differential: generated policy text did not parse (\(error)); the oracle must reject it too")
            }
            let entities = try Entities.parse(json: .array(entityJSON))
            var items: [JSONValue] = []
            for r in requests {
                var ours: JSONValue = ["parseError": true]
                if let policies {
                    let request = try CedarEngine.request(json: r)
                    let response = CedarAuthorizer(policies: policies).isAuthorized(request, entities: entities)
                    if response.decision == .allow { allows += 1 }
                    if !response.errors.isEmpty { withErrors += 1 }
                    ours = .object([
                        "decision": .string(response.decision.rawValue),
                        "reason": .array(response.reason.map { .string($0) }),
                        "errors": .array(response.errors.map { .string($0.policyID) }),
                    ])
                }
                ourRequests += 1
                items.append(["request": r, "ours": ours])
            }
            scenarios.append(["policies": .string(policyText), "entities": .array(entityJSON), "requests": .array(items)])
        }
        let dir = try CedarTestSupport.temporaryDirectory("cedar-diff")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("cases.json")
        try JSONValue.object(["scenarios": .array(scenarios), "schema": .string(CedarScenarioGenerator.schema), "validations": .array(validations)]).serialized().write(to: file, atomically: true, encoding: .utf8)
        let script = CedarTestSupport.packageRoot.appendingPathComponent("Tests/PolicyTests/cedar_oracle.py").path
        let result = try await CedarTestSupport.run(python, [script, file.path])
        #expect(result.status == 0, "oracle failed: \(result.output)")
        guard result.status == 0 else { return }
        let report = try JSONValue.parse(result.output.trimmingCharacters(in: .whitespacesAndNewlines))
        let compared = report["compared"]?.intValue ?? 0
        let disagreements = report["disagreements"]?.arrayValue ?? []
        let validated = report["validated"]?.intValue ?? 0
        let validationDisagreements = report["validationDisagreements"]?.arrayValue ?? []
        print("differential validation: policies=\(validations.count) valid=\(validCount) compared=\(validated) disagreements=\(validationDisagreements.count)")
        for d in validationDisagreements.prefix(5) { print("  DISAGREE-VALIDATION \(d.serialized())") }
        #expect(validated == validations.count)
        #expect(validationDisagreements.isEmpty)
        print("differential: seed=\(seed) scenarios=\(Self.scenarios) requests=\(ourRequests) compared=\(compared) disagreements=\(disagreements.count) allow=\(allows) withErrors=\(withErrors) policySetsThatFailedToParse=\(parseFailures)")
        for d in disagreements.prefix(5) { print("  DISAGREE \(d.serialized())") }
        #expect(compared == ourRequests)
        #expect(disagreements.isEmpty)
    }
}
