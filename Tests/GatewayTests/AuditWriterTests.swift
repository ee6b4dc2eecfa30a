import FlowgateTesting
import JSON
import Logging
import Secrets
import Store
import Testing

@testable import Gateway

/// The group-committing audit writer under many concurrent requests of several tenants, with
/// groups capped small so that a queue longer than a group is taken in parts: every entry is
/// committed exactly once, in one unbroken chain per tenant, before its request goes on. (No
/// time limit: cancelling the test stops the store's PostgreSQL pool, and the writer's last
/// drain would then wait on it; a lost entry shows as a test that never ends.)
@Suite struct AuditWriterTests {
    @Test(arguments: TestBackend.all)
    func concurrentEntriesLandOnceInUnbrokenChains(_ backend: TestBackend) async throws {
        try await backend.withStore { store in
            let writer = AuditWriter(store: store, redactor: Redactor(), logger: Logger(label: "test.audit"), maxBatch: 5)
            let tenants = ["a", "b", "c"].map { TenantID($0) }
            let perTenant = 40
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await writer.run() }
                try await withThrowingTaskGroup(of: Void.self) { requests in
                    for n in 0..<perTenant {
                        for tenant in tenants {
                            requests.addTask {
                                let record = AuditRecord(
                                    tenant: tenant, at: Int64(n), principal: "ApiToken::\"t\"", action: "workflow.read",
                                    resource: "Workflow::\"w\(n)\"", decision: "allow", reasons: ["role:viewer"], outcome: "success",
                                    status: 200, requestID: "\(tenant.rawValue)-\(n)", sourceIP: "127.0.0.1", detail: [:]
                                )
                                try await writer.write(record)
                                // Committed before write returns: the entry is readable now.
                                guard n % 20 == 0 else { return }
                                let found = try await store.read { db in
                                    try await AuditLog.page(tenant: tenant, afterSeq: 0, limit: perTenant + 1, in: db)
                                }
                                #expect(found.contains { $0.record.requestID == record.requestID })
                            }
                        }
                    }
                    try await requests.waitForAll()
                }
                group.cancelAll()
                try await group.waitForAll()
            }
            let verification = try await store.read { try await AuditLog.verify($0) }
            #expect(verification.isIntact)
            #expect(verification.chainsChecked == tenants.count)
            #expect(verification.entriesChecked == tenants.count * perTenant)
            for tenant in tenants {
                let entries = try await store.read { try await AuditLog.page(tenant: tenant, afterSeq: 0, limit: 1_000, in: $0) }
                #expect(entries.map(\.seq) == (1...Int64(perTenant)).map { $0 })
                #expect(Set(entries.map(\.record.requestID)).count == perTenant)
            }
        }
    }
}
