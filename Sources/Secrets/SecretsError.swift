/// Why a secrets operation failed. Messages name secrets, paths and servers, never values,
/// tokens or key material.
public struct SecretsError: Error, Sendable, CustomStringConvertible {
    private enum Code: Sendable { case invalid, notFound, conflict, decrypt, keyProvider, vault }
    private let code: Code
    /// The offending input field, when there is one.
    public let field: String?
    public let message: String

    private init(_ code: Code, field: String? = nil, _ message: String) {
        self.code = code
        self.field = field
        self.message = message
    }

    /// Input that does not meet the rules.
    public static func invalid(_ field: String, _ message: String) -> SecretsError { .init(.invalid, field: field, message) }
    /// No such secret (in this tenant).
    public static func notFound(_ what: String) -> SecretsError { .init(.notFound, "\(what) not found") }
    /// A name is taken.
    public static func conflict(_ message: String) -> SecretsError { .init(.conflict, message) }
    /// Authenticated decryption failed: wrong key, or the ciphertext was moved or altered.
    public static func decryptionFailed(_ what: String) -> SecretsError {
        .init(.decrypt, "\(what) could not be decrypted (wrong key, or the data was altered or moved)")
    }
    /// The key-encryption-key provider failed.
    public static func keyProvider(_ message: String) -> SecretsError { .init(.keyProvider, message) }

    public var isInvalid: Bool { code == .invalid }
    public var isNotFound: Bool { code == .notFound }
    public var isConflict: Bool { code == .conflict }
    public var isDecryptionFailure: Bool { code == .decrypt }
    public var description: String { message }
}
