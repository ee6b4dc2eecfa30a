import Identity
import JSON
import Policy
import Store
import Synchronization

/// Keeps each tenant's policies and tenant attributes installed in the authorizer: loaded on
/// first use, reinstalled at once after a change made here, and rechecked against the stored
/// revision every few seconds for changes made by other processes.
final class PolicyBook: Sendable {
    let authorizer: FlowgateAuthorizer
    let store: Store
    let identity: IdentityService
    /// How long an installed set is trusted before its revision is checked again.
    let recheckAfter: Duration
    private let checked = Mutex<[String: ContinuousClock.Instant]>([:])

    init(authorizer: FlowgateAuthorizer, store: Store, identity: IdentityService, recheckAfter: Duration = .seconds(5)) {
        self.authorizer = authorizer
        self.store = store
        self.identity = identity
        self.recheckAfter = recheckAfter
    }

    /// Makes sure `tenant`'s current policies are installed.
    func prepare(_ tenant: TenantID) async throws {
        let now = ContinuousClock.now
        if let last = checked.withLock({ $0[tenant.rawValue] }), now - last < recheckAfter,
           authorizer.installedVersion(of: tenant.rawValue) != nil {
            return
        }
        let revision = try await store.read { try await TenantPolicyRepository($0, tenant: tenant).revision() }
        if authorizer.installedVersion(of: tenant.rawValue) != revision {
            try await reload(tenant)
        }
        checked.withLock { $0[tenant.rawValue] = now }
    }

    /// Loads and installs `tenant`'s policies and attributes now.
    func reload(_ tenant: TenantID) async throws {
        let (policies, revision) = try await store.read { db in
            let repository = TenantPolicyRepository(db, tenant: tenant)
            return (try await repository.current(), try await repository.revision())
        }
        var attributes: [String: JSONValue] = [:]
        if let record = try await identity.resolveTenant(tenant.rawValue) {
            attributes["slug"] = .string(record.slug)
            let settings = (try? JSONValue.parse(record.settings)) ?? [:]
            if let allowed = settings["allowed_node_types"], case .array = allowed { attributes["allowed_node_types"] = allowed }
            if let scripts = settings["scripts_allowed"], case .bool = scripts { attributes["scripts_allowed"] = scripts }
        }
        try authorizer.setTenant(tenant.rawValue, policies: policies.map { ($0.id, $0.text) }, attributes: attributes, version: revision)
        checked.withLock { $0[tenant.rawValue] = .now }
    }
}
