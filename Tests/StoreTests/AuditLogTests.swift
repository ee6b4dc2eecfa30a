import Crypto
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
    func oneStatementAppendsOnlyAfterTheHeadItSaw(backend: TestBackend) async throws {
        try await backend.withStore { store in
            let first = try await store.write { db in try await AuditLog.append((1...2).map { Self.record(TenantID("a"), $0) }, in: db) }
            let head = (seq: first[1].seq, hash: first[1].hash)
            let next = try await store.writeStatement { db in
                try await AuditLog.append((3...5).map { Self.record(TenantID("a"), $0) }, after: head, in: db)
            }
            guard backend.isPostgres else {
                #expect(next == nil, "SQLite appends inside its write transaction instead")
                return
            }
            #expect(next?.map(\.seq) == [3, 4, 5])
            #expect(next?.first?.prevHash == head.hash)
            // A writer that saw the old head writes nothing.
            let stale = try await store.writeStatement { db in try await AuditLog.append([Self.record(TenantID("a"), 9)], after: head, in: db) }
            #expect(stale == nil)
            let result = try await store.read { try await AuditLog.verify($0) }
            #expect(result.isIntact)
            #expect(result.entriesChecked == 5)
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

/// The entry hash is written field by field for speed; it must stay the SHA-256 of the
/// canonical JSON object (sorted keys), or chains written before would no longer verify.
@Suite struct AuditHashTests {
    @Test func theHashIsOverTheCanonicalObject() async throws {
        let odd = "q\"uo\\te\n\t\u{01}é😀"
        let records = [
            AuditLogTests.record(TenantID("a"), 1),
            AuditRecord(tenant: TenantID("t-\(odd)"), at: -5, principal: odd, action: odd, resource: "", decision: "deny",
                        reasons: [odd, "", "x"], outcome: "denied", status: 403, requestID: odd, sourceIP: "::1",
                        detail: ["z": .array([.int(1), .double(2.5), .string("s"), .null, .bool(true)]), "a": ["nested": .string(odd)], "": .null]),
        ]
        try await TestBackend.sqlite.withStore { store in
            let entries = try await store.write { db in try await AuditLog.append(records, in: db) }
            for entry in entries {
                let r = entry.record
                let canonical: JSONValue = [
                    "tenant": .string(r.tenant.rawValue), "seq": .int(entry.seq), "at": .int(r.at), "principal": .string(r.principal),
                    "action": .string(r.action), "resource": .string(r.resource), "decision": .string(r.decision),
                    "reasons": .array(r.reasons.map { .string($0) }), "outcome": .string(r.outcome), "status": .int(Int64(r.status)),
                    "request_id": .string(r.requestID), "source_ip": .string(r.sourceIP), "detail": r.detail, "prev": .string(entry.prevHash),
                ]
                #expect(entry.hash == Hex.encode(SHA256.hash(data: canonical.serializedBytes())))
            }
        }
    }
}
