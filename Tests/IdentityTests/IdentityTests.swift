import FlowgateTesting
import Identity
import Store
import Testing

@Suite struct BearerTokenTests {
    @Test func tokensAre256BitsBehindAPrefix() {
        let a = BearerToken.generate(prefix: BearerToken.tenantPrefix)
        let b = BearerToken.generate(prefix: BearerToken.tenantPrefix)
        #expect(a != b)
        #expect(a.hasPrefix("fgt_"))
        #expect(a.utf8.count == 47)
        #expect(BearerToken.isWellFormed(a))
        #expect(!BearerToken.isWellFormed("fgt_short"))
        #expect(!BearerToken.isWellFormed("xyz_" + String(repeating: "a", count: 43)))
    }

    @Test func hashIsStableHexSHA256() {
        #expect(BearerToken.hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func constantTimeEquality() {
        #expect(BearerToken.constantTimeEquals("abc", "abc"))
        #expect(!BearerToken.constantTimeEquals("abc", "abd"))
        #expect(!BearerToken.constantTimeEquals("abc", "abcd"))
    }
}

@Suite struct IdentityServiceTests {
    @Test(arguments: TestBackend.all)
    func bootstrapHappensOnce(backend: TestBackend) async throws {
        try await backend.withStore { store in
            let identity = IdentityService(store: store)
            let token = try #require(try await identity.bootstrap(token: nil))
            #expect(token.hasPrefix("fgp_"))
            #expect(try await identity.bootstrap(token: nil) == nil)
            let principal = try #require(try await identity.authenticate(bearer: token))
            #expect(principal.kind == .platformAdmin)
            #expect(try await identity.authenticate(bearer: token + "x") == nil)
            // Only the hash is stored.
            let rows = try await store.read { try await $0.query("SELECT token_hash FROM platform_tokens") }
            #expect(rows.count == 1)
            #expect(try rows[0].string("token_hash") == BearerToken.hash(token))
        }
    }

    @Test(arguments: TestBackend.all)
    func tokensExpireAndRevoke(backend: TestBackend) async throws {
        let clock = ManualClock()
        try await backend.withStore(clock: clock) { store in
            let identity = IdentityService(store: store, configuration: .init(authenticationCacheTTL: .zero))
            let tenant = try await identity.createTenant(slug: "acme", name: "Acme")
            let (record, token) = try await identity.createToken(in: tenant.id, name: "ci", role: "editor", expiresAt: clock.nowMillis() + 60_000)
            let principal = try #require(try await identity.authenticate(bearer: token))
            #expect(principal.tenant == tenant.id)
            #expect(principal.roles == ["editor"])
            clock.advance(millis: 60_001)
            #expect(try await identity.authenticate(bearer: token) == nil)

            let (other, second) = try await identity.createToken(in: tenant.id, name: "ci2", role: "viewer", expiresAt: nil)
            #expect(try await identity.authenticate(bearer: second) != nil)
            _ = try await identity.revokeToken(in: tenant.id, id: other.id)
            #expect(try await identity.authenticate(bearer: second) == nil)
            #expect(record.tokenHash != token)
        }
    }

    @Test(arguments: TestBackend.all)
    func deactivatingAUserRevokesTheirTokensAtOnce(backend: TestBackend) async throws {
        try await backend.withStore { store in
            let identity = IdentityService(store: store)
            let tenant = try await identity.createTenant(slug: "acme", name: "Acme")
            let user = try await identity.createUser(in: tenant.id, userName: "ann", displayName: nil, email: "ann@example.com")
            _ = try await identity.bindRole(in: tenant.id, subjectType: "user", subjectID: user.id, role: "editor")
            let (_, token) = try await identity.createToken(in: tenant.id, name: "ann's", role: "owner", expiresAt: nil, userID: user.id)
            // A user's token acts with no more than the user holds.
            #expect(try await identity.authenticate(bearer: token)?.roles == [])
            let (_, editorToken) = try await identity.createToken(in: tenant.id, name: "ann's 2", role: "editor", expiresAt: nil, userID: user.id)
            #expect(try await identity.authenticate(bearer: editorToken)?.roles == ["editor"])
            _ = try await identity.setActive(in: tenant.id, userID: user.id, active: false)
            #expect(try await identity.authenticate(bearer: editorToken) == nil)
        }
    }

    @Test(arguments: TestBackend.all)
    func inputIsValidated(backend: TestBackend) async throws {
        try await backend.withStore { store in
            let identity = IdentityService(store: store)
            for slug in ["", "A", "-x", "x-", "a b", String(repeating: "a", count: 64)] {
                await #expect(throws: IdentityError.self, "slug \(slug)") { _ = try await identity.createTenant(slug: slug, name: "n") }
            }
            let tenant = try await identity.createTenant(slug: "ok", name: "OK")
            await #expect(throws: IdentityError.self) { _ = try await identity.createTenant(slug: "ok", name: "again") }
            await #expect(throws: IdentityError.self) { _ = try await identity.createToken(in: tenant.id, name: "x", role: "root", expiresAt: nil) }
            await #expect(throws: IdentityError.self) { _ = try await identity.createUser(in: tenant.id, userName: "a\u{0}b", displayName: nil, email: nil) }
            await #expect(throws: IdentityError.self) { _ = try await identity.createUser(in: tenant.id, userName: "ann", displayName: nil, email: "nope") }
        }
    }
}
