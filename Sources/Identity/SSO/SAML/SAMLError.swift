/// Why a SAML login was refused. Messages never contain assertions, NameIDs or keys.
public struct SAMLError: Error, Sendable, CustomStringConvertible, Equatable {
    private enum Code: String, Sendable {
        case malformed, tooLarge, doctype, structure, wrapping, duplicateID, encrypted
        case signatureMissing, signatureInvalid, signatureShape, algorithm, certificate, nameIDContent
        case idpStatus, destination, issuer, recipient, bearer, inResponseTo, unsolicited, expired, notYetValid
        case audience, replay, connectionMismatch, browserBinding, relayState, version, metadata, signing, store, xmlsec
    }

    private let code: Code
    /// What went wrong, for logs and the problem detail. Never secret.
    public let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "SAML \(code.rawValue): \(message)" }
    /// The refusal's short code (e.g. `nonce`, `wrapping`), for audit reasons and metrics.
    public var reason: String { code.rawValue }
    public static func == (a: SAMLError, b: SAMLError) -> Bool { a.code == b.code }

    /// Not base64, not XML, or missing a required part.
    public static func malformed(_ m: String) -> SAMLError { .init(.malformed, m) }
    /// Larger than the configured limit.
    public static let tooLarge = SAMLError(.tooLarge, "SAML message exceeds the size limit")
    /// A DOCTYPE, entity or processing instruction.
    public static let doctype = SAMLError(.doctype, "SAML message contains a DOCTYPE, entity or processing instruction")
    /// A required element missing or repeated.
    public static func structure(_ m: String) -> SAMLError { .init(.structure, m) }
    /// Not exactly one Assertion, directly under the Response (signature wrapping).
    public static let wrapping = SAMLError(.wrapping, "not exactly one assertion directly under the response (signature wrapping)")
    /// Two elements share one ID (signature wrapping).
    public static let duplicateID = SAMLError(.duplicateID, "duplicate ID attribute (signature wrapping)")
    /// Encrypted assertions or NameIDs are not supported.
    public static let encrypted = SAMLError(.encrypted, "encrypted assertions are not supported")
    /// Neither the Response nor the Assertion is signed (or the assertion must be and is not).
    public static let signatureMissing = SAMLError(.signatureMissing, "response is not signed")
    /// A signature does not verify under the connection's IdP certificates.
    public static let signatureInvalid = SAMLError(.signatureInvalid, "signature does not verify with the configured IdP certificates")
    /// A signature in the wrong place, with other than one Reference to its parent, or a forbidden transform.
    public static let signatureShape = SAMLError(.signatureShape, "signature placement or reference not allowed (signature wrapping)")
    /// A signature, digest or canonicalization algorithm outside the allow-list.
    public static let algorithm = SAMLError(.algorithm, "signature algorithm or transform not allowed")
    /// A configured certificate could not be loaded.
    public static let certificate = SAMLError(.certificate, "an IdP certificate could not be loaded")
    /// NameID (or another text value) contains a comment or markup.
    public static let nameIDContent = SAMLError(.nameIDContent, "a comment or markup inside a text value such as NameID")
    /// The IdP answered with a non-success status.
    public static func idpStatus(_ status: String) -> SAMLError { .init(.idpStatus, "IdP status \(sanitized(status))") }
    /// Response Destination is not this SP's ACS URL.
    public static let destination = SAMLError(.destination, "Destination is not this service provider's ACS URL")
    /// Issuer is not the configured IdP.
    public static let issuer = SAMLError(.issuer, "Issuer is not the configured IdP")
    /// Recipient is not this SP's ACS URL.
    public static let recipient = SAMLError(.recipient, "SubjectConfirmationData Recipient is not this ACS URL")
    /// No usable bearer SubjectConfirmation.
    public static func bearer(_ m: String) -> SAMLError { .init(.bearer, m) }
    /// InResponseTo does not name an outstanding request of this connection.
    public static let inResponseTo = SAMLError(.inResponseTo, "InResponseTo does not match an outstanding request (unknown, expired or used)")
    /// An unsolicited response where IdP-initiated login is not allowed.
    public static let unsolicited = SAMLError(.unsolicited, "unsolicited response and IdP-initiated login is not allowed")
    /// Past NotOnOrAfter (beyond skew).
    public static let expired = SAMLError(.expired, "assertion expired")
    /// Before NotBefore (beyond skew).
    public static let notYetValid = SAMLError(.notYetValid, "assertion not yet valid")
    /// AudienceRestriction does not name this SP.
    public static let audience = SAMLError(.audience, "assertion audience is not this service provider")
    /// The assertion was already used.
    public static let replay = SAMLError(.replay, "assertion already used (replay)")
    /// The request was started for another tenant or connection.
    public static let connectionMismatch = SAMLError(.connectionMismatch, "the request belongs to another tenant or connection")
    /// The response arrived in a browser other than the one that started the login.
    public static let browserBinding = SAMLError(.browserBinding, "the login was started in another browser")
    /// RelayState does not match the request's.
    public static let relayState = SAMLError(.relayState, "RelayState does not match the request")
    /// Not SAML 2.0.
    public static let version = SAMLError(.version, "not a SAML 2.0 message")
    /// IdP metadata unusable.
    public static func metadata(_ m: String) -> SAMLError { .init(.metadata, m) }
    /// The SP signing key is unusable.
    public static func signing(_ m: String) -> SAMLError { .init(.signing, m) }
    /// The request store or replay cache failed.
    public static let store = SAMLError(.store, "the SAML request store failed")
    /// libxmlsec1 failed to initialize or ran out of memory.
    public static let xmlsec = SAMLError(.xmlsec, "XML security library failure")

    static func sanitized(_ text: String) -> String {
        String(text.unicodeScalars.prefix(120).filter { $0.value >= 0x20 && $0.value < 0x7F }.map(Character.init))
    }
}
