import JSON
import Crypto
import _CryptoExtras

/// SP metadata for a connection (served at the entity id URL).
public enum SAMLMetadata {
    /// The SP's `EntityDescriptor`: entity id, ACS (HTTP-POST), NameID format and, when
    /// requests are signed, the signing certificate.
    public static func serviceProvider(_ sp: SAMLServiceProviderConfiguration) -> String {
        var descriptor = ""
        if let credential = sp.signingCredential {
            let body = credential.certificatePEM.split(whereSeparator: \.isNewline)
                .filter { !$0.hasPrefix("-----") }.joined()
            descriptor += """
                <md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data>\
                <ds:X509Certificate>\(XMLSupport.escape(body))</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
                """
        }
        if let format = sp.nameIDFormat {
            descriptor += "<md:NameIDFormat>\(XMLSupport.escape(format))</md:NameIDFormat>"
        }
        descriptor += """
            <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" \
            Location="\(XMLSupport.escape(sp.acsURL))" index="0" isDefault="true"/>
            """
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="\(XMLSupport.escape(sp.entityID))">\
            <md:SPSSODescriptor AuthnRequestsSigned="\(sp.signingCredential != nil)" \
            WantAssertionsSigned="\(sp.requireSignedAssertion)" \
            protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">\(descriptor)</md:SPSSODescriptor>\
            </md:EntityDescriptor>

            """
    }
}

/// An AuthnRequest waiting for its answer, kept in a `PendingLoginStore` keyed by its ID.
public struct SAMLPendingRequest: Sendable, CustomStringConvertible {
    /// The tenant and connection that sent the request; the response must reach the same.
    public var tenant: String
    public var connection: String
    /// The AuthnRequest ID (the expected InResponseTo).
    public var requestID: String
    /// The IdP it was sent to.
    public var idpEntityID: String
    /// The RelayState sent with it.
    public var relayState: String
    /// SHA-256 (hex) of the browser-binding cookie value.
    public var browserBindingHash: String
    /// Where the user wanted to go; the host validates it before use.
    public var returnTo: String?
    /// When the request was sent (since the epoch).
    public var createdAt: Duration
    /// When it stops being answerable (since the epoch).
    public var expiresAt: Duration

    public var description: String { "SAMLPendingRequest(tenant: \(tenant), connection: \(connection), <redacted>)" }
}

// In an extension, so that the memberwise initializer stays.
extension SAMLPendingRequest {
    /// The record as JSON, for hosts that keep pending requests in their database.
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "tenant": .string(tenant), "connection": .string(connection), "request_id": .string(requestID),
            "idp": .string(idpEntityID), "relay_state": .string(relayState), "binding": .string(browserBindingHash),
            "created_ms": .int(createdAt.milliseconds), "expires_ms": .int(expiresAt.milliseconds),
        ]
        if let returnTo { object["return_to"] = .string(returnTo) }
        return .object(object)
    }

    /// Reads a record written by `json`; nil when a field is missing.
    public init?(json: JSONValue) {
        guard let tenant = json["tenant"]?.stringValue, let connection = json["connection"]?.stringValue,
            let requestID = json["request_id"]?.stringValue, let idp = json["idp"]?.stringValue,
            let relayState = json["relay_state"]?.stringValue, let binding = json["binding"]?.stringValue,
            let created = json["created_ms"]?.intValue, let expires = json["expires_ms"]?.intValue
        else { return nil }
        self.tenant = tenant
        self.connection = connection
        self.requestID = requestID
        self.idpEntityID = idp
        self.relayState = relayState
        self.browserBindingHash = binding
        self.returnTo = json["return_to"]?.stringValue
        self.createdAt = .milliseconds(created)
        self.expiresAt = .milliseconds(expires)
    }
}

/// What the host does to start a SAML login.
public struct SAMLLoginStart: Sendable, CustomStringConvertible {
    /// Where to redirect the browser (302): the IdP's SSO URL with SAMLRequest, RelayState
    /// (and SigAlg/Signature when requests are signed).
    public var redirectURL: String
    /// The browser-binding cookie value. The response arrives as a cross-site POST, so the
    /// cookie must be `SameSite=None; Secure; HttpOnly`, Path=/sso/{tenant}/{idp}.
    public var browserBinding: String
    /// The cookie's lifetime.
    public var cookieMaxAge: Duration
    /// The stored record.
    public var pending: SAMLPendingRequest
    public var description: String { "SAMLLoginStart(<redacted>)" }
}

/// Builds AuthnRequests for the HTTP-Redirect binding: pure, given a clock reading and randomness.
public enum SAMLAuthnRequest {
    /// The AuthnRequest XML for `requestID`.
    static func xml(sp: SAMLServiceProviderConfiguration, idp: SAMLIdentityProviderConfiguration, requestID: String, now: Duration) -> String {
        var policy = ""
        if let format = sp.nameIDFormat {
            policy = "<samlp:NameIDPolicy Format=\"\(XMLSupport.escape(format))\" AllowCreate=\"true\"/>"
        }
        return """
            <samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" \
            xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="\(requestID)" Version="2.0" \
            IssueInstant="\(XMLSupport.formatDateTime(now))" Destination="\(XMLSupport.escape(idp.ssoURL))" \
            AssertionConsumerServiceURL="\(XMLSupport.escape(sp.acsURL))" \
            ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST">\
            <saml:Issuer>\(XMLSupport.escape(sp.entityID))</saml:Issuer>\(policy)</samlp:AuthnRequest>
            """
    }

    /// The redirect URL and the pending request for a new login.
    public static func make(
        sp: SAMLServiceProviderConfiguration, idp: SAMLIdentityProviderConfiguration, returnTo: String?, now: Duration,
        random: any SSORandom
    ) throws(SAMLError) -> SAMLLoginStart {
        // IDs must not start with a digit (xs:ID); 20 random bytes as hex.
        let requestID = "_" + random.bytes(20).map { byte in
            let digits = Array("0123456789abcdef")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
        }.joined()
        let relayState = SSOSupport.randomToken(random, bytes: 24)
        let binding = SSOSupport.randomToken(random)
        let request = xml(sp: sp, idp: idp, requestID: requestID, now: now)
        guard let deflated = XMLSec.deflate(Array(request.utf8)) else { throw .xmlsec }
        var query = "SAMLRequest=" + FormEncoding.percentEncode(Base64.encode(deflated))
            + "&RelayState=" + FormEncoding.percentEncode(relayState)
        if let credential = sp.signingCredential {
            // SAML bindings §3.4.4.1: sign the exact query string SAMLRequest&RelayState&SigAlg.
            query += "&SigAlg=" + FormEncoding.percentEncode("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256")
            let key: _RSA.Signing.PrivateKey
            do {
                key = try _RSA.Signing.PrivateKey(pemRepresentation: credential.privateKeyPEM.value)
            } catch {
                throw .signing("the SP signing key is not an RSA private key in PEM")
            }
            let signature: _RSA.Signing.RSASignature
            do {
                signature = try key.signature(for: SHA256.hash(data: Array(query.utf8)), padding: .insecurePKCS1v1_5)
            } catch {
                throw .signing("signing the AuthnRequest failed")
            }
            query += "&Signature=" + FormEncoding.percentEncode(Base64.encode(signature.rawRepresentation))
        }
        let separator = idp.ssoURL.contains("?") ? "&" : "?"
        let pending = SAMLPendingRequest(
            tenant: sp.tenant, connection: sp.connection, requestID: requestID, idpEntityID: idp.entityID,
            relayState: relayState, browserBindingHash: SSOSupport.sha256Hex(binding), returnTo: returnTo, createdAt: now,
            expiresAt: now + sp.requestLifetime
        )
        return SAMLLoginStart(
            redirectURL: idp.ssoURL + separator + query, browserBinding: binding, cookieMaxAge: sp.requestLifetime,
            pending: pending
        )
    }
}
