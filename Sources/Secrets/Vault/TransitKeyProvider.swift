import Foundation
import JSON

/// Key-encryption keys held by Vault/OpenBao's Transit engine: one derived key, with the
/// tenant as derivation context, so each tenant's data keys are wrapped under a key of its
/// own without one Vault key per tenant. Rotation and rewrap happen inside Vault; a data key
/// is never exposed during rewrap.
public struct TransitKeyProvider: KeyProvider {
    public let vault: VaultClient
    public let keyName: String
    public var name: String { "transit key \"\(keyName)\"" }

    public init(vault: VaultClient, keyName: String = "flowgate") {
        self.vault = vault
        self.keyName = keyName
    }

    /// Creates the derived key if it does not exist yet.
    public func ensureKey() async throws {
        let mount = vault.configuration.transitMount
        do {
            _ = try await vault.request(.GET, "\(mount)/keys/\(keyName)", what: "transit key \(keyName)")
        } catch let error as VaultError where error.isNotFound {
            _ = try await vault.request(.POST, "\(mount)/keys/\(keyName)", body: ["derived": true, "type": "aes256-gcm96"],
                                        what: "creating transit key \(keyName)")
        }
    }

    static func context(_ tenant: String) -> JSONValue { .string(Data(tenant.utf8).base64EncodedString()) }

    public func wrap(_ dataKey: [UInt8], tenant: String) async throws -> String {
        let mount = vault.configuration.transitMount
        let answer = try await vault.request(
            .POST, "\(mount)/encrypt/\(keyName)",
            body: ["plaintext": .string(Data(dataKey).base64EncodedString()), "context": Self.context(tenant)],
            what: "transit encrypt with \(keyName)"
        )
        guard let ciphertext = answer["data"]?["ciphertext"]?.stringValue else { throw VaultError.badResponse("no ciphertext") }
        return ciphertext
    }

    public func unwrap(_ wrapped: String, tenant: String) async throws -> [UInt8] {
        let mount = vault.configuration.transitMount
        let answer = try await vault.request(
            .POST, "\(mount)/decrypt/\(keyName)", body: ["ciphertext": .string(wrapped), "context": Self.context(tenant)],
            what: "transit decrypt with \(keyName)"
        )
        guard let b64 = answer["data"]?["plaintext"]?.stringValue, let data = Data(base64Encoded: b64) else {
            throw VaultError.badResponse("no plaintext")
        }
        return Array(data)
    }

    public func rotate() async throws {
        let mount = vault.configuration.transitMount
        _ = try await vault.request(.POST, "\(mount)/keys/\(keyName)/rotate", body: [:], what: "rotating transit key \(keyName)")
    }

    public func rewrap(_ wrapped: String, tenant: String) async throws -> String {
        let mount = vault.configuration.transitMount
        let answer = try await vault.request(
            .POST, "\(mount)/rewrap/\(keyName)", body: ["ciphertext": .string(wrapped), "context": Self.context(tenant)],
            what: "transit rewrap with \(keyName)"
        )
        guard let ciphertext = answer["data"]?["ciphertext"]?.stringValue else { throw VaultError.badResponse("no ciphertext") }
        return ciphertext
    }
}
