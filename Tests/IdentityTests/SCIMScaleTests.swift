import FlowgateTesting
import Foundation
import JSON
import Store
import Testing

@testable import Identity

/// 100,000 users in one tenant: lookups and pages must stay index-bound. Slow (minutes on
/// PostgreSQL), so it runs only with `SCIM_SCALE_TEST=1`; it prints its timings.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["SCIM_SCALE_TEST"] == "1"))
struct SCIMScaleTests {
    static let userCount = 100_000

    static func percentile(_ sorted: [Duration], _ p: Double) -> Duration {
        sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
    }

    static func ms(_ d: Duration) -> String {
        let millis = Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
        return String(format: "%.2f ms", millis)
    }

    @Test(arguments: TestBackend.all)
    func hundredThousandUsers(backend: TestBackend) async throws {
        try await backend.withStore { store in
            let tenant = try await makeTenant(store, "big")
            let clock = ContinuousClock()
            // Created through the repository, 1,000 per transaction; the response needs no
            // groups, so none are loaded.
            let slim = try SCIMProjection(attributes: ["id"], excludedAttributes: [], for: .user)
            let insertStart = clock.now
            for batch in stride(from: 0, to: Self.userCount, by: 1000) {
                let range = batch..<min(batch + 1000, Self.userCount)
                try await store.scim(tenant) { repo in
                    for i in range {
                        let body: JSONValue = [
                            "schemas": [.string(coreUser)], "userName": .string("user-\(i)@example.com"),
                            "displayName": .string("User \(i)"), "externalId": .string("ext-\(i)"),
                            "emails": [["value": .string("user-\(i)@example.com"), "type": "work", "primary": true]],
                        ]
                        _ = try await repo.create(.users, body, projection: slim)
                    }
                }
            }
            let insertTime = clock.now - insertStart
            print("[scale \(backend)] inserted \(Self.userCount) users in \(Self.ms(insertTime))")

            var rng = SystemRandomNumberGenerator()
            var lookups: [Duration] = []
            for _ in 0..<500 {
                let n = Int.random(in: 0..<Self.userCount, using: &rng)
                // Mixed case: the lookup is case-insensitive and still one index probe.
                let query = SCIMListQuery(filter: "userName eq \"USER-\(n)@Example.com\"")
                let start = clock.now
                let page = try await store.read { try await SCIMRepository($0, tenant: tenant).list(.users, query) }
                lookups.append(clock.now - start)
                #expect(page.totalResults == 1 && page.resources.first?["userName"] == .string("user-\(n)@example.com"))
            }
            lookups.sort()
            print("[scale \(backend)] userName eq: p50 \(Self.ms(Self.percentile(lookups, 0.5))), p99 \(Self.ms(Self.percentile(lookups, 0.99))) over \(lookups.count)")

            var external: [Duration] = []
            for _ in 0..<200 {
                let n = Int.random(in: 0..<Self.userCount, using: &rng)
                let start = clock.now
                let page = try await store.read { try await SCIMRepository($0, tenant: tenant).list(.users, SCIMListQuery(filter: "externalId eq \"ext-\(n)\"")) }
                external.append(clock.now - start)
                #expect(page.totalResults == 1)
            }
            external.sort()
            print("[scale \(backend)] externalId eq: p50 \(Self.ms(Self.percentile(external, 0.5))), p99 \(Self.ms(Self.percentile(external, 0.99)))")

            for (label, query) in [
                ("first page (200)", SCIMListQuery(startIndex: 1, count: 200)),
                ("page at 50,001 (200)", SCIMListQuery(startIndex: 50_001, count: 200)),
                ("last page (200)", SCIMListQuery(startIndex: Self.userCount - 199, count: 200)),
                ("count only", SCIMListQuery(count: 0)),
                ("sorted by userName, page at 50,001", SCIMListQuery(sortBy: "userName", startIndex: 50_001, count: 200)),
                ("emails.value eq (JSON scan)", SCIMListQuery(filter: #"emails.value eq "user-77777@example.com""#)),
                ("displayName sw (scan)", SCIMListQuery(filter: #"displayName sw "user 9999""#, count: 200)),
            ] {
                var times: [Duration] = []
                var total = 0
                for _ in 0..<5 {
                    let start = clock.now
                    let page = try await store.read { try await SCIMRepository($0, tenant: tenant).list(.users, query) }
                    times.append(clock.now - start)
                    total = page.totalResults
                }
                times.sort()
                print("[scale \(backend)] \(label): median \(Self.ms(times[2])) (totalResults \(total))")
            }
        }
    }
}
