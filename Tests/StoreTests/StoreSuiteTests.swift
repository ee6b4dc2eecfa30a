import FlowgateTesting
import JSON
import Store
import Testing

/// The same store suite on SQLite and on a real PostgreSQL (started by `make test`).
@Suite struct StoreSuiteTests {
    static func tenant(_ store: Store, _ slug: String) async throws -> Tenant {
        let tenant = Tenant(id: TenantID("t-\(slug)-id"), slug: slug, name: slug.uppercased(), createdAt: store.clock.nowMillis())
        try await store.write { try await TenantRepository($0).create(tenant) }
        return tenant
    }

    @Test(arguments: TestBackend.all)
    func migrationsAreIdempotent(backend: TestBackend) async throws {
        try await backend.withStore { store in
            try await store.migrate()
            let applied = try await store.read { try await $0.query("SELECT version FROM schema_migrations") }
            #expect(applied.count == Migration.all.count)
        }
    }

    @Test(arguments: TestBackend.all)
    func tenantsResolveBySlugOrIdAndSlugsAreUnique(backend: TestBackend) async throws {
        try await backend.withStore { store in
            let acme = try await Self.tenant(store, "acme")
            #expect(try await store.read { try await TenantRepository($0).resolve("acme") } == acme)
            #expect(try await store.read { try await TenantRepository($0).resolve(acme.id.rawValue) } == acme)
            #expect(try await store.read { try await TenantRepository($0).resolve("nope") } == nil)
            await #expect(throws: StoreError.self) {
                try await store.write {
                    try await TenantRepository($0).create(Tenant(id: TenantID("other"), slug: "acme", name: "x", createdAt: 0))
                }
            }
        }
    }

    @Test(arguments: TestBackend.all)
    func aFailedTransactionChangesNothing(backend: TestBackend) async throws {
        try await backend.withStore { store in
            let acme = try await Self.tenant(store, "acme")
            struct Boom: Error {}
            await #expect(throws: Boom.self) {
                try await store.write { db in
                    try await UserRepository(db, tenant: acme.id).create(User(tenantID: acme.id, id: "u1", userName: "ann", createdAt: 0, updatedAt: 0))
                    throw Boom()
                }
            }
            #expect(try await store.read { try await UserRepository($0, tenant: acme.id).get("u1") } == nil)
        }
    }

    @Test(arguments: TestBackend.all)
    func repositoriesNeverCrossTenants(backend: TestBackend) async throws {
        try await backend.withStore { store in
            let a = try await Self.tenant(store, "alpha")
            let b = try await Self.tenant(store, "beta")
            try await store.write { db in
                try await UserRepository(db, tenant: a.id).create(User(tenantID: a.id, id: "u1", userName: "ann", createdAt: 1, updatedAt: 1))
                try await WorkflowRepository(db, tenant: a.id).create(
                    WorkflowRecord(tenantID: a.id, id: "w1", name: "wf", description: "", currentVersion: 1, createdAt: 1, updatedAt: 1),
                    definition: "{}", createdBy: "x"
                )
            }
            let seenFromB = try await store.read { db in
                (
                    try await UserRepository(db, tenant: b.id).get("u1"),
                    try await UserRepository(db, tenant: b.id).list(limit: 10),
                    try await WorkflowRepository(db, tenant: b.id).get("w1"),
                    try await WorkflowRepository(db, tenant: b.id).versions("w1")
                )
            }
            #expect(seenFromB.0 == nil)
            #expect(seenFromB.1.isEmpty)
            #expect(seenFromB.2 == nil)
            #expect(seenFromB.3.isEmpty)
            #expect(try await store.read { try await UserRepository($0, tenant: a.id).get("u1") }?.userName == "ann")
            await #expect(throws: StoreError.self) { try await store.write { try await WorkflowRepository($0, tenant: b.id).delete("w1") } }
            await #expect(throws: StoreError.self) { try await store.write { try await UserRepository($0, tenant: b.id).delete("u1") } }
            // A group of B cannot take A's user as a member.
            await #expect(throws: StoreError.self) {
                try await store.write {
                    try await GroupRepository($0, tenant: b.id).create(Group(tenantID: b.id, id: "g", name: "g", memberIDs: ["u1"], createdAt: 0, updatedAt: 0))
                }
            }
        }
    }

    @Test(arguments: TestBackend.all)
    func rolesComeFromUsersAndGroups(backend: TestBackend) async throws {
        try await backend.withStore { store in
            let a = try await Self.tenant(store, "alpha")
            try await store.write { db in
                try await UserRepository(db, tenant: a.id).create(User(tenantID: a.id, id: "u1", userName: "ann", createdAt: 1, updatedAt: 1))
                try await GroupRepository(db, tenant: a.id).create(Group(tenantID: a.id, id: "g1", name: "ops", memberIDs: ["u1"], createdAt: 1, updatedAt: 1))
                let bindings = RoleBindingRepository(db, tenant: a.id)
                try await bindings.create(RoleBinding(tenantID: a.id, id: "b1", subjectType: "user", subjectID: "u1", role: "viewer", createdAt: 1))
                try await bindings.create(RoleBinding(tenantID: a.id, id: "b2", subjectType: "group", subjectID: "g1", role: "operator", createdAt: 1))
            }
            let roles = try await store.read { try await RoleBindingRepository($0, tenant: a.id).roles(ofUser: "u1") }
            #expect(roles == ["viewer", "operator"])
            try await store.write { try await GroupRepository($0, tenant: a.id).setMembers("g1", []) }
            #expect(try await store.read { try await RoleBindingRepository($0, tenant: a.id).roles(ofUser: "u1") } == ["viewer"])
        }
    }

    @Test(arguments: TestBackend.all)
    func workflowVersionsAreImmutableAndNumbered(backend: TestBackend) async throws {
        try await backend.withStore { store in
            let a = try await Self.tenant(store, "alpha")
            try await store.write { db in
                let workflows = WorkflowRepository(db, tenant: a.id)
                try await workflows.create(
                    WorkflowRecord(tenantID: a.id, id: "w1", name: "one", description: "", currentVersion: 1, createdAt: 1, updatedAt: 1),
                    definition: #"{"v":1}"#, createdBy: "me"
                )
                _ = try await workflows.addVersion("w1", name: "two", description: "d", definition: #"{"v":2}"#, at: 2, by: "me")
            }
            let (current, versions, first) = try await store.read { db in
                let workflows = WorkflowRepository(db, tenant: a.id)
                return (try await workflows.get("w1"), try await workflows.versions("w1"), try await workflows.version("w1", 1))
            }
            #expect(current?.currentVersion == 2)
            #expect(versions.map(\.definition) == [#"{"v":1}"#, #"{"v":2}"#])
            #expect(first?.definition == #"{"v":1}"#)
            await #expect(throws: StoreError.self) {
                try await store.write { _ = try await WorkflowRepository($0, tenant: a.id).addVersion("w1", name: "x", description: "", definition: "{}", at: 3, by: "me", expectedVersion: 1) }
            }
        }
    }

    @Test(arguments: TestBackend.all)
    func runsAreIdempotentAndEventsOrdered(backend: TestBackend) async throws {
        try await backend.withStore { store in
            let a = try await Self.tenant(store, "alpha")
            let run = RunRecord(tenantID: a.id, id: "r1", workflowID: "w1", workflowVersion: 1, status: "queued", idempotencyKey: "k",
                                traceID: "t", createdBy: "me", createdAt: 1, updatedAt: 1)
            let first = try await store.write { try await RunRepository($0, tenant: a.id).create(run) }
            var copy = run
            copy.id = "r2"
            let again = copy
            let second = try await store.write { try await RunRepository($0, tenant: a.id).create(again) }
            #expect(first.created && !second.created)
            #expect(second.run.id == "r1")
            try await store.write { db in
                let runs = RunRepository(db, tenant: a.id)
                try await runs.append("r1", [("A", nil, 1, "{}"), ("B", "n", 2, "{}")])
                try await runs.append("r1", [("C", nil, 3, "{}")])
            }
            let events = try await store.read { try await RunRepository($0, tenant: a.id).events("r1") }
            #expect(events.map(\.seq) == [1, 2, 3])
            #expect(events.map(\.type) == ["A", "B", "C"])
            let unfinished = try await store.read { try await UnfinishedRuns($0).list(limit: 10) }
            #expect(unfinished.map(\.id) == ["r1"])
        }
    }

    /// A statement marked prepared gives the rows an unprepared one gives, whatever its binds
    /// (a NULL first, then a number), and on PostgreSQL really is prepared on the connection,
    /// with the number kept per connection bounded however many texts are marked.
    @Test(arguments: TestBackend.all)
    func preparedStatementsAnswerAsUnpreparedOnesAndStayBounded(backend: TestBackend) async throws {
        try await backend.withStore { store in
            let a = try await Self.tenant(store, "alpha")
            _ = try await Self.tenant(store, "beta")
            let bySlug: @Sendable (String) -> SQLQuery = { "SELECT id, name FROM tenants WHERE slug = \($0) ORDER BY id" }
            for slug in ["alpha", "beta", "nope", "alpha", "beta", "alpha", "nope", "alpha"] {
                let prepared = try await store.read { try await $0.query(bySlug(slug).prepared()) }
                let plain = try await store.read { try await $0.query(bySlug(slug)) }
                #expect(prepared.map { $0.optionalString("name") } == plain.map { $0.optionalString("name") })
                #expect(prepared.count == (slug == "nope" ? 0 : 1))
            }
            for value in [nil, 5, nil, 7] as [Int64?] {
                let row = try await store.read { try await $0.first(("SELECT CAST(\(value) AS BIGINT) AS v" as SQLQuery).prepared()) }
                #expect(row?.optionalInt("v") == value)
            }
            let written = try await store.write { db in
                try await db.query(("UPDATE tenants SET name = \("Alpha Two") WHERE id = \(a.id.rawValue) RETURNING name" as SQLQuery).prepared())
            }
            #expect(written.first?.optionalString("name") == "Alpha Two")
            guard store.database.dialect == .postgres else { return }
            let held = try await store.read { db in
                for i in 0..<300 {
                    let row = try await db.first(("SELECT \(Int64(i)) + \(unsafeSQL: String(i)) AS v" as SQLQuery).prepared())
                    #expect(row?.optionalInt("v") == Int64(2 * i))
                }
                return try await db.query("SELECT name FROM pg_prepared_statements WHERE name LIKE 'fg\\_%'").count
            }
            #expect(held > 0, "statements are prepared on the connection")
            #expect(held <= 128, "at most 128 texts are kept prepared, not all 300")
        }
    }
}
