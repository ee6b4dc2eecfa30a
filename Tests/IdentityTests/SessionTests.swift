import AsyncHTTPClient
import FlowgateTesting
import Foundation
import Identity
import JSON
import Secrets
import Store
import Testing

/// Browser sessions on both backends, on a clock the test moves: idle and absolute timeouts,
/// revocation at once, and the CSRF token's derivation.
@Suite struct SessionTests {
    static func service(_ store: Store, idle: Duration = .seconds(1800), absolute: Duration = .seconds(4 * 3600)) throws -> (SSOService, IdentityService) {
        let dir = try TestEnvironment.temporaryDirectory()
        let secrets = SecretService(store: store, keys: try LocalKeyring(path: dir.appendingPathComponent("keyring.json").path), redactor: Redactor())
        let identity = IdentityService(store: store)
        let sso = SSOService(
            store: store, identity: identity, secrets: secrets, httpClient: HTTPClient.shared,
            configuration: .init(publicURL: "https://flowgate.example.test", sessionIdle: idle, sessionAbsolute: absolute)
        )
        return (sso, identity)
    }

    @Test("idle and absolute timeouts end a session; use within the idle window keeps it", arguments: TestBackend.all)
    func timeouts(backend: TestBackend) async throws {
        let clock = ManualClock()
        try await backend.withStore(clock: clock) { store in
            let (sso, identity) = try Self.service(store)
            let tenant = try await identity.createTenant(slug: "acme", name: "Acme")
            let user = try await identity.createUser(in: tenant.id, userName: "ada", displayName: nil, email: nil)

            // Idle: 30 minutes without use ends it.
            let (_, idleToken) = try await sso.createSession(tenant: tenant.id, userID: user.id, providerID: nil, groups: [])
            #expect(try await sso.authenticate(cookie: idleToken)?.principal.id == user.id)
            clock.advance(millis: 29 * 60_000)
            identity.invalidateAuthenticationCache()
            #expect(try await sso.authenticate(cookie: idleToken) != nil, "used within the idle window")
            clock.advance(millis: 31 * 60_000)
            identity.invalidateAuthenticationCache()
            #expect(try await sso.authenticate(cookie: idleToken) == nil, "idle for 31 minutes")

            // Absolute: used every 20 minutes, it still ends after 4 hours.
            let (_, busyToken) = try await sso.createSession(tenant: tenant.id, userID: user.id, providerID: nil, groups: [])
            for _ in 0..<11 {
                clock.advance(millis: 20 * 60_000)
                identity.invalidateAuthenticationCache()
                #expect(try await sso.authenticate(cookie: busyToken) != nil)
            }
            clock.advance(millis: 21 * 60_000)
            identity.invalidateAuthenticationCache()
            #expect(try await sso.authenticate(cookie: busyToken) == nil, "past the absolute lifetime")

            // A tenant's own settings replace the defaults for new sessions.
            let updated = try await sso.updateSettings(of: tenant, body: ["session_idle_minutes": 5])
            let (short, _) = try await sso.createSession(tenant: updated.id, userID: user.id, providerID: nil, groups: [])
            #expect(short.idleTimeoutMillis == 5 * 60_000)
            await #expect(throws: IdentityError.self) { try await sso.updateSettings(of: updated, body: ["session_idle_minutes": 0]) }
            await #expect(throws: IdentityError.self) { try await sso.updateSettings(of: updated, body: ["jit": true]) }
        }
    }

    @Test("deactivation ends sessions at once; groups from the provider map to roles; CSRF tokens differ per session", arguments: TestBackend.all)
    func revocationAndRoles(backend: TestBackend) async throws {
        try await backend.withStore { store in
            let (sso, identity) = try Self.service(store)
            let tenant = try await identity.createTenant(slug: "acme", name: "Acme")
            _ = try await identity.updateSettings(of: tenant) { $0["group_roles"] = ["sre": "operator"] }
            let user = try await identity.createUser(in: tenant.id, userName: "ada", displayName: nil, email: nil)
            let (_, token) = try await sso.createSession(tenant: tenant.id, userID: user.id, providerID: nil, groups: ["sre", "unmapped"])
            let (_, other) = try await sso.createSession(tenant: tenant.id, userID: user.id, providerID: nil, groups: [])
            let principal = try #require(try await sso.authenticate(cookie: token)?.principal)
            #expect(principal.kind == .user && principal.tenant == tenant.id)
            #expect(principal.roles == ["operator"])
            #expect(try await sso.authenticate(cookie: other)?.principal.roles == [])
            #expect(SSOService.csrfToken(forSession: token) != SSOService.csrfToken(forSession: other))
            #expect(!SSOService.csrfToken(forSession: token).contains(token))

            // Cached lookups do not outlive a deactivation.
            _ = try await identity.setActive(in: tenant.id, userID: user.id, active: false)
            #expect(try await sso.authenticate(cookie: token) == nil)
            #expect(try await sso.authenticate(cookie: other) == nil)
            _ = try await identity.setActive(in: tenant.id, userID: user.id, active: true)
            #expect(try await sso.authenticate(cookie: token) == nil, "revoked sessions stay revoked")

            // Malformed and unknown cookies are simply not sessions.
            for bad in ["", "fgb_", "fgt_" + String(token.dropFirst(4)), token + "x", String(repeating: "a", count: 10_000)] {
                #expect(try await sso.authenticate(cookie: bad) == nil)
            }
        }
    }
}
