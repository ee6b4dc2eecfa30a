import FlowgateTesting
import Foundation
import JSON
import Secrets
import Store
import Testing

@Suite struct SecretServiceTests {
    static func service(_ store: Store, _ dir: URL) throws -> SecretService {
        SecretService(store: store, keys: try LocalKeyring(path: dir.appendingPathComponent("keyring.json").path), redactor: Redactor())
    }

    static func tenants(_ store: Store) async throws {
        try await store.write { db in
            try await TenantRepository(db).create(Tenant(id: TenantID("ta"), slug: "a", name: "A", createdAt: 1))
            try await TenantRepository(db).create(Tenant(id: TenantID("tb"), slug: "b", name: "B", createdAt: 1))
        }
    }

    @Test(arguments: TestBackend.all)
    func valuesAreWriteOnlyVersionedAndRotated(backend: TestBackend) async throws {
        let dir = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try await backend.withStore { store in
            try await Self.tenants(store)
            let secrets = try Self.service(store, dir)
            let a = TenantID("ta")
            let record = try await secrets.create(in: a, name: "slack_token", value: "xoxb-first-value", vault: nil)
            #expect(try await secrets.resolve(in: a, name: "slack_token").value.plaintext == "xoxb-first-value")
            // Nothing stored is the value.
            let rows = try await store.read { try await $0.query("SELECT * FROM secret_versions") }
            #expect(!rows.contains { "\($0.values)".contains("xoxb-first-value") })
            let updated = try await secrets.update(in: a, id: record.id, value: "xoxb-second-value", vault: nil, workflowIDs: nil, rotationIntervalSeconds: nil)
            #expect(updated.currentVersion == 2)
            #expect(try await secrets.resolve(in: a, name: "slack_token").value.plaintext == "xoxb-second-value")
            #expect(try await secrets.acceptedValues(in: a, name: "slack_token").map(\.plaintext) == ["xoxb-second-value"])
            // Rotation with an overlap keeps the previous value acceptable.
            _ = try await secrets.rotate(in: a, id: record.id, newValue: "xoxb-third-value", overlap: .seconds(600))
            #expect(try await secrets.acceptedValues(in: a, name: "slack_token").map(\.plaintext) == ["xoxb-third-value", "xoxb-second-value"])
            // The other tenant sees nothing.
            await #expect(throws: SecretsError.self) { _ = try await secrets.resolve(in: TenantID("tb"), name: "slack_token") }
            await #expect(throws: SecretsError.self) { try await secrets.delete(in: TenantID("tb"), id: record.id) }
            // Rules.
            await #expect(throws: SecretsError.self) { _ = try await secrets.create(in: a, name: "short", value: "abc", vault: nil) }
            await #expect(throws: SecretsError.self) { _ = try await secrets.create(in: a, name: "1bad", value: "abcd", vault: nil) }
            await #expect(throws: SecretsError.self) { _ = try await secrets.create(in: a, name: "slack_token", value: "abcd", vault: nil) }
            try await secrets.delete(in: a, id: record.id)
            await #expect(throws: SecretsError.self) { _ = try await secrets.resolve(in: a, name: "slack_token") }
        }
    }

    @Test(arguments: TestBackend.all)
    func movedCiphertextsDoNotDecrypt(backend: TestBackend) async throws {
        let dir = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try await backend.withStore { store in
            try await Self.tenants(store)
            let secrets = try Self.service(store, dir)
            let a1 = try await secrets.create(in: TenantID("ta"), name: "one", value: "value-of-one", vault: nil)
            let a2 = try await secrets.create(in: TenantID("ta"), name: "two", value: "value-of-two", vault: nil)
            let b1 = try await secrets.create(in: TenantID("tb"), name: "one", value: "value-of-b", vault: nil)
            // Copy secret one's ciphertext and wrapped key over secret two (same tenant) ...
            try await store.write { db in
                try await db.execute("""
                    UPDATE secret_versions SET ciphertext = (SELECT ciphertext FROM secret_versions WHERE secret_id = \(a1.id)),
                        wrapped_key = (SELECT wrapped_key FROM secret_versions WHERE secret_id = \(a1.id))
                    WHERE secret_id = \(a2.id)
                    """)
            }
            do {
                _ = try await secrets.resolve(in: TenantID("ta"), name: "two")
                Issue.record("a moved ciphertext decrypted")
            } catch let error as SecretsError {
                #expect(error.isDecryptionFailure)
            }
            // ... and over the other tenant's secret.
            try await store.write { db in
                try await db.execute("""
                    UPDATE secret_versions SET ciphertext = (SELECT ciphertext FROM secret_versions WHERE secret_id = \(a1.id)),
                        wrapped_key = (SELECT wrapped_key FROM secret_versions WHERE secret_id = \(a1.id))
                    WHERE secret_id = \(b1.id)
                    """)
            }
            do {
                _ = try await secrets.resolve(in: TenantID("tb"), name: "one")
                Issue.record("a ciphertext moved across tenants decrypted")
            } catch let error as SecretsError {
                #expect(error.isDecryptionFailure)
            }
            #expect(try await secrets.resolve(in: TenantID("ta"), name: "one").value.plaintext == "value-of-one")
        }
    }

    @Test(arguments: TestBackend.all)
    func keyEncryptionKeyRotationRewrapsWithoutTouchingCiphertexts(backend: TestBackend) async throws {
        let dir = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try await backend.withStore { store in
            try await Self.tenants(store)
            let secrets = try Self.service(store, dir)
            for i in 0..<5 { _ = try await secrets.create(in: TenantID(i % 2 == 0 ? "ta" : "tb"), name: "s\(i)", value: "value-number-\(i)", vault: nil) }
            let before = try await store.read { try await $0.query("SELECT secret_id, ciphertext, wrapped_key FROM secret_versions ORDER BY secret_id") }
            #expect(try await secrets.rotateKeyEncryptionKey() == 5)
            let after = try await store.read { try await $0.query("SELECT secret_id, ciphertext, wrapped_key FROM secret_versions ORDER BY secret_id") }
            for (b, a) in zip(before, after) {
                #expect(b["ciphertext"] == a["ciphertext"])
                #expect(b["wrapped_key"] != a["wrapped_key"])
            }
            for i in 0..<5 {
                #expect(try await secrets.resolve(in: TenantID(i % 2 == 0 ? "ta" : "tb"), name: "s\(i)").value.plaintext == "value-number-\(i)")
            }
        }
    }

    @Test(arguments: TestBackend.all)
    func generatedSecretsRotateOnTheirIntervalWithOverlapAndAudit(backend: TestBackend) async throws {
        let dir = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let clock = ManualClock()
        try await backend.withStore(clock: clock) { store in
            try await Self.tenants(store)
            let secrets = try Self.service(store, dir)
            let a = TenantID("ta")
            _ = try await secrets.create(in: a, name: "webhook_key", value: SecretService.generateValue(), vault: nil, rotationIntervalSeconds: 3600, generated: true)
            let first = try await secrets.resolve(in: a, name: "webhook_key").value
            #expect(try await secrets.rotateDueSecrets(overlap: .seconds(300)).isEmpty)
            clock.advance(millis: 3_600_001)
            let rotated = try await secrets.rotateDueSecrets(overlap: .seconds(300))
            #expect(rotated.count == 1)
            let second = try await secrets.resolve(in: a, name: "webhook_key").value
            #expect(second != first)
            #expect(try await secrets.acceptedValues(in: a, name: "webhook_key") == [second, first])
            clock.advance(millis: 300_001)
            #expect(try await secrets.acceptedValues(in: a, name: "webhook_key") == [second])
            let audit = try await store.read { try await AuditLog.page(tenant: a, afterSeq: 0, limit: 10, in: $0) }
            #expect(audit.contains { $0.record.action == "secret.rotate" && $0.record.principal == "System::\"rotation\"" })
            #expect(!audit.map { $0.record.detail.serialized() }.contains { $0.contains(first.plaintext) || $0.contains(second.plaintext) })
        }
    }
}
