import Crypto

/// Wraps and unwraps data keys with a key-encryption key (KEK) that never leaves the provider.
/// Wrapped keys are self-describing strings (`local:<key id>:<base64>`, `vault:v1:...`) so a
/// provider can tell which of its KEK versions made one.
public protocol KeyProvider: Sendable {
    /// A name for logs and errors (`local keyring`, `OpenBao transit key "flowgate"`).
    var name: String { get }
    /// Wraps a data key for `tenant` (the tenant is bound into the wrapping).
    func wrap(_ dataKey: [UInt8], tenant: String) async throws -> String
    /// Unwraps a data key wrapped for `tenant`.
    func unwrap(_ wrapped: String, tenant: String) async throws -> [UInt8]
    /// Makes a new KEK version the one that wraps from now on.
    func rotate() async throws
    /// Re-wraps with the newest KEK version. Providers that can do this without exposing the
    /// data key (Vault's rewrap) do; the default unwraps and wraps in memory. Secret values
    /// are never decrypted either way.
    func rewrap(_ wrapped: String, tenant: String) async throws -> String
}

extension KeyProvider {
    public func rewrap(_ wrapped: String, tenant: String) async throws -> String {
        var key = try await unwrap(wrapped, tenant: tenant)
        defer { for i in key.indices { key[i] = 0 } }
        return try await wrap(key, tenant: tenant)
    }
}
