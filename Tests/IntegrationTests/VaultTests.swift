import FlowgateTesting
import Foundation
import JSON
import Logging
import Secrets
import Store
import Testing

/// Secrets against a real OpenBao (API-compatible with Vault) that `make test` starts.
@Suite(.serialized) struct VaultTests {
    @Test func kvVersionTwoReadsGivenVersionsAndReportsWhatIsMissing() async throws {
        guard let server = try VaultTestServer.fromEnvironment() else { return }
        let path = "apps/kv-\(UUID().uuidString.prefix(8))"
        try await server.writeKV(path, ["password": "first-password"])
        try await server.writeKV(path, ["password": "second-password"])
        let vault = server.root
        #expect(try await vault.readKV(path: path, field: "password") == "second-password")
        #expect(try await vault.readKV(path: path, field: "password", version: 1) == "first-password")
        do {
            _ = try await vault.readKV(path: path, field: "password", version: 7)
            Issue.record("a missing version was read")
        } catch let error as VaultError {
            #expect(error.isNotFound)
            #expect(error.message.contains("version 7"))
        }
        await #expect(throws: VaultError.self) { _ = try await vault.readKV(path: "apps/does-not-exist", field: "x") }
        do {
            _ = try await vault.readKV(path: path, field: "username")
            Issue.record("a missing field was read")
        } catch let error as VaultError {
            #expect(error.isNotFound && error.message.contains("username"))
        }
    }

    @Test func appRoleLogsInRenewsAndIsRefusedOutsideItsPolicy() async throws {
        guard let server = try VaultTestServer.fromEnvironment() else { return }
        let name = "flowgate-\(UUID().uuidString.prefix(8).lowercased())"
        try await server.writeKV("\(name)/db", ["password": "db-password"])
        try await server.writeKV("elsewhere-\(name)", ["password": "not-yours"])
        let (roleID, secretID) = try await server.appRole(
            name: name, policy: "path \"secret/data/\(name)/*\" { capabilities = [\"read\"] }", ttlSeconds: 120
        )
        // Renew whenever less than all of the lifetime is left, i.e. on every request after login.
        let client = VaultClient(configuration: VaultConfiguration(
            address: server.address, authentication: .appRole(roleID: roleID, secretID: secretID), renewBelowFraction: 1.0))
        #expect(try await client.readKV(path: "\(name)/db", field: "password") == "db-password")
        #expect(await client.logins == 1)
        #expect(await client.renewals == 0)
        #expect(try await client.readKV(path: "\(name)/db", field: "password") == "db-password")
        #expect(await client.renewals == 1)
        #expect(await client.logins == 1)
        #expect((await client.tokenSecondsLeft ?? 0) > 100)
        do {
            _ = try await client.readKV(path: "elsewhere-\(name)", field: "password")
            Issue.record("read outside the policy")
        } catch let error as VaultError {
            #expect(error.isForbidden)
            #expect(!error.message.contains("not-yours"))
        }
        let wrong = VaultClient(configuration: VaultConfiguration(
            address: server.address, authentication: .appRole(roleID: roleID, secretID: "00000000-0000-0000-0000-000000000000")))
        await #expect(throws: VaultError.self) { _ = try await wrong.readKV(path: "\(name)/db", field: "password") }
    }

    @Test func transitWrapsPerTenantRotatesAndRewraps() async throws {
        guard let server = try VaultTestServer.fromEnvironment() else { return }
        try await server.mount("transit", type: "transit")
        let provider = TransitKeyProvider(vault: server.root, keyName: "test-\(UUID().uuidString.prefix(8).lowercased())")
        try await provider.ensureKey()
        let dataKey = (0..<32).map { UInt8($0) }
        let wrapped = try await provider.wrap(dataKey, tenant: "tenant-a")
        #expect(wrapped.hasPrefix("vault:v1:"))
        #expect(try await provider.unwrap(wrapped, tenant: "tenant-a") == dataKey)
        // The tenant is the derivation context: another tenant cannot unwrap.
        await #expect(throws: VaultError.self) { _ = try await provider.unwrap(wrapped, tenant: "tenant-b") }
        try await provider.rotate()
        let rewrapped = try await provider.rewrap(wrapped, tenant: "tenant-a")
        #expect(rewrapped.hasPrefix("vault:v2:"))
        #expect(try await provider.unwrap(rewrapped, tenant: "tenant-a") == dataKey)

        // Through the secret service: values sealed under transit-wrapped data keys, and a
        // key-encryption-key rotation that rewraps inside OpenBao.
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        try await TestBackend.sqlite.withStore { store in
            try await store.write { try await TenantRepository($0).create(Tenant(id: TenantID("ta"), slug: "a", name: "A", createdAt: 1)) }
            let secrets = SecretService(store: store, keys: provider, vault: server.root, redactor: Redactor())
            _ = try await secrets.create(in: TenantID("ta"), name: "api_key", value: "transit-protected-value", vault: nil)
            #expect(try await secrets.rotateKeyEncryptionKey() == 1)
            let wrappedNow = try await store.read { try await $0.first("SELECT wrapped_key FROM secret_versions")?.string("wrapped_key") }
            #expect(wrappedNow?.hasPrefix("vault:v3:") == true)
            #expect(try await secrets.resolve(in: TenantID("ta"), name: "api_key").value.plaintext == "transit-protected-value")
            // External secrets resolve through KV v2 at run time.
            let path = "ext-\(UUID().uuidString.prefix(8))"
            try await server.writeKV(path, ["token": "external-token-value"])
            _ = try await secrets.create(in: TenantID("ta"), name: "external", value: nil, vault: VaultReference(path: path, field: "token"))
            #expect(try await secrets.resolve(in: TenantID("ta"), name: "external").value.plaintext == "external-token-value")
        }
    }

    @Test func unreachableAndSealedServersGiveClearErrors() async throws {
        guard try VaultTestServer.fromEnvironment() != nil else { return }
        let closed = VaultClient(configuration: VaultConfiguration(address: "http://127.0.0.1:1", authentication: .token("t"), requestTimeout: .seconds(2)))
        do {
            _ = try await closed.readKV(path: "x", field: "y")
            Issue.record("an unreachable server answered")
        } catch let error as VaultError {
            #expect(error.isUnreachable)
            #expect(error.message.contains("127.0.0.1:1"))
        }
        // A server of its own, sealed, so the shared one stays usable.
        guard let bao = ProcessInfo.processInfo.environment["FLOWGATE_BAO_BIN"] else { throw TestSetupError("FLOWGATE_BAO_BIN is not set") }
        let port = Int.random(in: 30_000...39_999)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: bao)
        process.arguments = ["server", "-dev", "-dev-root-token-id=sealme", "-dev-listen-address=127.0.0.1:\(port)"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { process.terminate(); process.waitUntilExit() }
        let address = "http://127.0.0.1:\(port)"
        let client = VaultClient(configuration: VaultConfiguration(address: address, authentication: .token("sealme")))
        var ready = false
        for _ in 0..<100 where !ready {
            ready = (try? await client.request(.GET, "sys/health", what: "health")) != nil
            if !ready { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(ready)
        _ = try await client.request(.PUT, "sys/seal", body: [:], what: "seal")
        do {
            _ = try await client.readKV(path: "x", field: "y")
            Issue.record("a sealed server answered")
        } catch let error as VaultError {
            #expect(error.isSealed, "\(error)")
            #expect(error.message == "Vault/OpenBao at \(address) is sealed")
        }
    }
}
