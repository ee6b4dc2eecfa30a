import Crypto
import Foundation

/// Envelope encryption of one secret version: a fresh 256-bit data key, AES-256-GCM with a
/// random 96-bit nonce, and associated data binding the ciphertext to its tenant, secret and
/// version, so a ciphertext copied to another row does not decrypt.
public enum Envelope {
    /// The associated data for a secret version.
    public static func associatedData(tenant: String, secret: String, version: Int64) -> [UInt8] {
        Array("flowgate-secret|\(tenant)|\(secret)|\(version)".utf8)
    }

    /// A new random data key.
    public static func newDataKey() -> SymmetricKey { SymmetricKey(size: .bits256) }

    /// Encrypts `plaintext` under `dataKey`; returns the sealed box (nonce, ciphertext, tag) as base64.
    public static func seal(_ plaintext: [UInt8], dataKey: SymmetricKey, associatedData: [UInt8]) throws -> String {
        let box = try AES.GCM.seal(plaintext, using: dataKey, nonce: AES.GCM.Nonce(), authenticating: associatedData)
        guard let combined = box.combined else { throw SecretsError.keyProvider("AES-GCM produced no combined box") }
        return combined.base64EncodedString()
    }

    /// Decrypts a sealed box made by ``seal(_:dataKey:associatedData:)``; any mismatch of key,
    /// associated data or content fails.
    public static func open(_ sealed: String, dataKey: SymmetricKey, associatedData: [UInt8], what: String) throws -> [UInt8] {
        guard let data = Data(base64Encoded: sealed), let box = try? AES.GCM.SealedBox(combined: data) else {
            throw SecretsError.decryptionFailed(what)
        }
        do {
            return Array(try AES.GCM.open(box, using: dataKey, authenticating: associatedData))
        } catch {
            throw SecretsError.decryptionFailed(what)
        }
    }
}

extension SymmetricKey {
    /// The key's bytes (for wrapping).
    var bytes: [UInt8] { withUnsafeBytes { Array($0) } }
}
