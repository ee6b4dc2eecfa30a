/// A secret held in memory. Its `description` and `debugDescription` never show the value, so
/// a secret that reaches string interpolation, a log call or an error message by mistake
/// prints as a placeholder.
public struct SecretValue: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The plaintext. Read it only where it is used (an outbound request), never to print.
    public let plaintext: String

    public init(_ plaintext: String) { self.plaintext = plaintext }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "SecretValue(<redacted>)" }
}
