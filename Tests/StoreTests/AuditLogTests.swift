import FlowgateTesting
import JSON
import Store
import Testing

@Suite struct AuditLogTests {
    static func record(_ tenant: TenantID, _ n: Int) -> AuditRecord {
        AuditRecord(tenant: tenant, at: Int64(n), principal: "ApiToken::\"t\"", action: "workflow.read", resource: "Workflow::\"w\(n)\"",
                    decision: "allow", reasons: ["role:viewer"], outcome: "success", status: 200, requestID: "r\(n)",
                    sourceIP: "127.0.0.1", detail: ["n": .int(Int64(n))])
    }

    static func fill(_ store: Store) async throws {
        try await store.write { db in
            try await AuditLog.append((1...5).map { record(TenantID("a"), $0) } + (1...3).map { record(TenantID("b"), $0) }, in: db)
        }
        try await store.write { db in try await AuditLog.append([record(TenantID("a"), 6)], in: db) }
    }

    @Test(arguments: TestBackend.all)
    func chainsPerTenantVerify(backend: TestBackend) async throws {
        try await backend.withStore { store in
            try await Self.fill(store)
            let result = try await store.read { try await AuditLog.verify($0) }
            #expect(result.isIntact)
            #expect(result.entriesChecked == 9)
            #expect(result.chainsChecked == 2)
            let page = try await store.read { try await AuditLog.page(tenant: TenantID("a"), afterSeq: 2, limit: 2, in: $0) }
            #expect(page.map(\.seq) == [3, 4])
            #expect(page[0].prevHash != page[0].hash)
            #expect(page[1].prevHash == page[0].hash)
        }
    }

    @Test(arguments: TestBackend.all)
    func anEditedEntryIsNamed(backend: TestBackend) async throws {
        try await backend.withStore { store in
            try await Self.fill(store)
            try await store.write { try await $0.execute("UPDATE audit_log SET decision = 'deny' WHERE tenant_id = 'a' AND seq = 3") }
            let result = try await store.read { try await AuditLog.verify($0) }
            #expect(result.firstBroken?.tenant == TenantID("a"))
            #expect(result.firstBroken?.seq == 3)
        }
    }

    @Test(arguments: TestBackend.all)
    func aRehashedEditBreaksTheNextLink(backend: TestBackend) async throws {
        try await backend.withStore { store in
            try await Self.fill(store)
            // Editing a row and its own hash still breaks the link from the next entry.
            try await store.write { try await $0.execute("UPDATE audit_log SET hash = 'f00d' WHERE tenant_id = 'b' AND seq = 2") }
            let result = try await store.read { try await AuditLog.verify($0) }
            #expect(result.firstBroken?.tenant == TenantID("b"))
            #expect(result.firstBroken?.seq == 2)
        }
    }

    @Test(arguments: TestBackend.all)
    func deletedEntriesAreNamedAnywhereInTheChain(backend: TestBackend) async throws {
        try await backend.withStore { store in
            try await Self.fill(store)
            try await store.write { try await $0.execute("DELETE FROM audit_log WHERE tenant_id = 'a' AND seq = 2") }
            let middle = try await store.read { try await AuditLog.verify($0) }
            #expect(middle.firstBroken?.seq == 2)
            #expect(middle.firstBroken?.reason.contains("missing") == true)
        }
        try await backend.withStore { store in
            try await Self.fill(store)
            try await store.write { try await $0.execute("DELETE FROM audit_log WHERE tenant_id = 'a' AND seq = 6") }
            let tail = try await store.read { try await AuditLog.verify($0) }
            #expect(tail.firstBroken?.tenant == TenantID("a"))
            #expect(tail.firstBroken?.seq == 6)
        }
    }
}
