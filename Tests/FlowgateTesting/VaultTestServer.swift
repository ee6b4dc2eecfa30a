import Foundation
import JSON
import Secrets

/// The OpenBao dev server `make test` starts (`FLOWGATE_TEST_VAULT_ADDR`, root token in
/// `FLOWGATE_TEST_VAULT_TOKEN`), with helpers to configure it as an operator would.
public struct VaultTestServer: Sendable {
    public let address: String
    public let rootToken: String
    public let root: VaultClient

    /// The server, or `nil` (with a printed note) when it is not running here; with
    /// `FLOWGATE_REQUIRE_PEERS=1` its absence is an error.
    public static func fromEnvironment() throws -> VaultTestServer? {
        let env = ProcessInfo.processInfo.environment
        guard let address = env["FLOWGATE_TEST_VAULT_ADDR"], let token = env["FLOWGATE_TEST_VAULT_TOKEN"] else {
            if env["FLOWGATE_REQUIRE_PEERS"] == "1" { throw TestSetupError("OpenBao is required but FLOWGATE_TEST_VAULT_ADDR is not set") }
            print("note: FLOWGATE_TEST_VAULT_ADDR is not set; OpenBao tests skipped (make test starts OpenBao)")
            return nil
        }
        return VaultTestServer(address: address, rootToken: token,
                               root: VaultClient(configuration: VaultConfiguration(address: address, authentication: .token(token))))
    }

    /// Mounts an engine unless it is mounted already.
    public func mount(_ path: String, type: String) async throws {
        let mounts = try await root.request(.GET, "sys/mounts", what: "mounts")
        if mounts["\(path)/"] != nil || mounts["data"]?["\(path)/"] != nil { return }
        _ = try await root.request(.POST, "sys/mounts/\(path)", body: ["type": .string(type)], what: "mount \(path)")
    }

    /// Enables AppRole and creates a role whose tokens have `policy`; returns role id and secret id.
    public func appRole(name: String, policy: String, ttlSeconds: Int) async throws -> (roleID: String, secretID: String) {
        let auths = try await root.request(.GET, "sys/auth", what: "auth methods")
        if auths["approle/"] == nil && auths["data"]?["approle/"] == nil {
            _ = try await root.request(.POST, "sys/auth/approle", body: ["type": "approle"], what: "enable approle")
        }
        _ = try await root.request(.PUT, "sys/policies/acl/\(name)", body: ["policy": .string(policy)], what: "policy \(name)")
        _ = try await root.request(.POST, "auth/approle/role/\(name)", body: [
            "token_policies": [.string(name)], "token_ttl": .string("\(ttlSeconds)s"), "token_max_ttl": "1h",
        ], what: "role \(name)")
        let roleID = try await root.request(.GET, "auth/approle/role/\(name)/role-id", what: "role id")["data"]?["role_id"]?.stringValue
        let secretID = try await root.request(.POST, "auth/approle/role/\(name)/secret-id", body: [:], what: "secret id")["data"]?["secret_id"]?.stringValue
        guard let roleID, let secretID else { throw TestSetupError("AppRole setup returned no ids") }
        return (roleID, secretID)
    }

    /// Writes a KV v2 secret (a new version each time).
    public func writeKV(_ path: String, _ data: JSONValue) async throws {
        _ = try await root.request(.POST, "secret/data/\(path)", body: ["data": data], what: "write \(path)")
    }
}
