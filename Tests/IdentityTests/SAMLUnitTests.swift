import Testing

import FlowgateTesting
@testable import Identity

/// SAML pieces that need no IdP: times, metadata, the policy checks on synthetic facts, codecs.
@Suite("SAML and shared helpers (no network)")
struct SAMLUnitTests {
    @Test("xs:dateTime parsing and formatting")
    func dateTimes() {
        #expect(XMLSupport.parseDateTime("1970-01-01T00:00:00Z") == .zero)
        #expect(XMLSupport.parseDateTime("2026-11-27T08:44:04Z") == .seconds(1_795_769_044))
        #expect(XMLSupport.parseDateTime("2026-11-27T08:44:04.250Z") == .seconds(1_795_769_044) + .milliseconds(250))
        #expect(XMLSupport.parseDateTime("2026-11-27T09:44:04+01:00") == .seconds(1_795_769_044))
        #expect(XMLSupport.parseDateTime("2026-11-27T08:44:04") == .seconds(1_795_769_044))
        #expect(XMLSupport.parseDateTime("2000-02-29T00:00:00Z") == .seconds(951_782_400))
        for bad in ["", "2026-11-27", "2026-13-01T00:00:00Z", "2026-11-27T08:44:04Zjunk", "2026-11-27T08:44:04.Z", "２026-11-27T08:44:04Z"] {
            #expect(XMLSupport.parseDateTime(bad) == nil, "\(bad)")
        }
        #expect(XMLSupport.formatDateTime(.seconds(1_795_769_044)) == "2026-11-27T08:44:04Z")
        #expect(XMLSupport.formatDateTime(.seconds(951_782_400)) == "2000-02-29T00:00:00Z")
    }

    @Test("SP metadata names the entity id (metadata URL) and the ACS, escaped")
    func metadata() {
        let sp = SAMLServiceProviderConfiguration(tenant: "acme & co", connection: "okta", baseURL: "https://flowgate.example/")
        #expect(sp.entityID == "https://flowgate.example/sso/acme%20%26%20co/okta/metadata")
        #expect(sp.acsURL == "https://flowgate.example/sso/acme%20%26%20co/okta/acs")
        let xml = SAMLMetadata.serviceProvider(sp)
        #expect(xml.contains("entityID=\"https://flowgate.example/sso/acme%20%26%20co/okta/metadata\""))
        #expect(xml.contains("Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" Location=\"https://flowgate.example/sso/acme%20%26%20co/okta/acs\""))
        #expect(xml.contains("AuthnRequestsSigned=\"false\""))
        #expect(XMLSupport.escape("a<b>&\"c'") == "a&lt;b&gt;&amp;&quot;c&apos;")
    }

    static let sp = SAMLServiceProviderConfiguration(tenant: "acme", connection: "corp", baseURL: "https://fg.example")
    static let idp = SAMLIdentityProviderConfiguration(entityID: "https://idp.example", ssoURL: "https://idp.example/sso", certificates: [])
    static let now: Duration = .seconds(1_800_000_000)

    static func facts(_ changes: [String: String?] = [:], extra: [(String, String)] = []) -> SAMLFacts {
        let soon = XMLSupport.formatDateTime(now + .seconds(300))
        let earlier = XMLSupport.formatDateTime(now - .seconds(10))
        var pairs: [(String, String)] = [
            ("response.version", "2.0"), ("response.destination", sp.acsURL), ("response.inresponseto", "_req"),
            ("response.issuer", idp.entityID), ("assertion.version", "2.0"), ("assertion.signed", "1"),
            ("assertion.id", "_a1"), ("assertion.issuer", idp.entityID), ("nameid", "u@example.test"),
            ("nameid.format", "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"),
            ("confirmation", "urn:oasis:names:tc:SAML:2.0:cm:bearer"), ("confirmation.recipient", sp.acsURL),
            ("confirmation.notonorafter", soon), ("confirmation.inresponseto", "_req"),
            ("conditions", "1"), ("conditions.notbefore", earlier), ("conditions.notonorafter", soon),
            ("audiencerestriction", "1"), ("audience", "https://other.example"), ("audience", sp.entityID),
            ("authn", "1"), ("attribute", "groups"), ("attribute.value", "g1"), ("attribute.value", "g2"),
        ]
        // Changes replace every fact with that key in place (position decides the group); nil removes them.
        for (key, value) in changes {
            if pairs.contains(where: { $0.0 == key }) {
                if let value {
                    for index in pairs.indices where pairs[index].0 == key { pairs[index].1 = value }
                } else {
                    pairs.removeAll { $0.0 == key }
                }
            } else if let value {
                pairs.append((key, value))
            }
        }
        return SAMLFacts(pairs: (pairs + extra).map { (key: $0.0, value: $0.1) })
    }

    static func check(_ facts: SAMLFacts, expected: String? = "_req", sp: SAMLServiceProviderConfiguration = sp) -> SAMLError? {
        do {
            _ = try SAMLResponseValidator.validate(facts, sp: sp, idp: idp, expectedRequestID: expected, now: now)
            return nil
        } catch {
            return error
        }
    }

    @Test("policy checks on a verified response, one defect at a time")
    func policy() throws {
        let ok = try SAMLResponseValidator.validate(Self.facts(), sp: Self.sp, idp: Self.idp, expectedRequestID: "_req", now: Self.now)
        #expect(ok.identity.subject == "u@example.test")
        #expect(ok.identity.email == "u@example.test")
        #expect(ok.identity.groups == ["g1", "g2"])
        #expect(ok.expiresAt == Self.now + .seconds(360))

        #expect(Self.check(Self.facts(["response.destination": "https://fg.example/sso/globex/corp/acs"])) == .destination)
        #expect(Self.check(Self.facts(["response.destination": nil])) == .destination)
        #expect(Self.check(Self.facts(["assertion.issuer": "https://evil.example"])) == .issuer)
        #expect(Self.check(Self.facts(["response.issuer": "https://evil.example"])) == .issuer)
        #expect(Self.check(Self.facts(["confirmation.recipient": "https://evil.example/acs"])) == .recipient)
        #expect(Self.check(Self.facts(["confirmation.inresponseto": "_other"])) == .inResponseTo)
        #expect(Self.check(Self.facts(["response.inresponseto": "_other"])) == .inResponseTo)
        #expect(Self.check(Self.facts(), expected: nil) == .inResponseTo)
        #expect(Self.check(Self.facts(["confirmation": "urn:oasis:names:tc:SAML:2.0:cm:holder-of-key"])) == .bearer(""))
        #expect(Self.check(Self.facts(["confirmation.notonorafter": nil])) == .bearer(""))
        #expect(Self.check(Self.facts(["confirmation.notonorafter": XMLSupport.formatDateTime(Self.now - .seconds(61))])) == .expired)
        #expect(Self.check(Self.facts(["conditions.notonorafter": XMLSupport.formatDateTime(Self.now - .seconds(61))])) == .expired)
        #expect(Self.check(Self.facts(["conditions.notonorafter": XMLSupport.formatDateTime(Self.now - .seconds(30))])) == nil)  // skew
        #expect(Self.check(Self.facts(["conditions.notbefore": XMLSupport.formatDateTime(Self.now + .seconds(61))])) == .notYetValid)
        #expect(Self.check(Self.facts(["conditions": nil])) == .structure(""))
        #expect(Self.check(Self.facts(["audience": "https://other.example"])) == .audience)
        // Two restrictions: both must admit us.
        #expect(Self.check(Self.facts(extra: [("audiencerestriction", "1"), ("audience", "https://other.example")])) == .audience)
        #expect(Self.check(Self.facts(["authn": nil])) == .structure(""))
        #expect(Self.check(Self.facts(["response.version": "1.1"])) == .version)
        var strict = Self.sp
        strict.requireSignedAssertion = true
        #expect(Self.check(Self.facts(["assertion.signed": "0"]), sp: strict) == .signatureMissing)
    }

    @Test("IdP configuration from metadata; unusable metadata is refused")
    func idpMetadata() throws {
        let xml = """
            <md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example">
            <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
            <md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data>
            <ds:X509Certificate>MIIB
            AAAA</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
            <md:KeyDescriptor use="encryption"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data>
            <ds:X509Certificate>ENCR</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
            <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example/sso"/>
            </md:IDPSSODescriptor></md:EntityDescriptor>
            """
        let idp = try SAMLIdentityProviderConfiguration.fromMetadata(xml)
        #expect(idp.entityID == "https://idp.example")
        #expect(idp.ssoURL == "https://idp.example/sso")
        #expect(idp.certificates == ["-----BEGIN CERTIFICATE-----\nMIIBAAAA\n-----END CERTIFICATE-----\n"])
        #expect(!idp.allowIdPInitiated)

        #expect(throws: SAMLError.metadata("")) { try SAMLIdentityProviderConfiguration.fromMetadata("<x/>") }
        let withEntity = "<!DOCTYPE x [<!ENTITY e \"boom\">]>" + xml
        #expect(throws: SAMLError.metadata("")) { try SAMLIdentityProviderConfiguration.fromMetadata(withEntity) }
    }

    @Test("an oversized or non-base64 SAMLResponse is refused before parsing")
    func inputLimits() async {
        let sp = SAMLServiceProvider(
            serviceProvider: Self.sp, identityProvider: Self.idp, store: InMemoryPendingLoginStore<SAMLPendingRequest>(),
            replayCache: InMemorySAMLReplayCache()
        )
        #expect(await refusal(SAMLError.self) { try await sp.consume(samlResponse: "%%%", relayState: nil, browserBinding: nil) } == .malformed(""))
        let huge = String(repeating: "A", count: 800 * 1024)
        #expect(await refusal(SAMLError.self) { try await sp.consume(samlResponse: huge, relayState: nil, browserBinding: nil) } == .tooLarge)
        let notXML = Base64.encode(Array("hello".utf8))
        #expect(await refusal(SAMLError.self) { try await sp.consume(samlResponse: notXML, relayState: nil, browserBinding: nil) } == .malformed(""))
    }

    @Test("base64 and form encoding round trips; strict decoding")
    func codecs() {
        for length in 0..<20 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 * 37 + 11) }
            #expect(Base64.decode(Base64.encode(bytes)) == bytes)
            #expect(Base64.decode(Base64.encode(bytes, url: true)) == bytes)
        }
        #expect(Base64.encode(Array("hi?>".utf8)) == "aGk/Pg==")
        #expect(Base64.encode(Array("hi?>".utf8), url: true) == "aGk_Pg")
        #expect(Base64.decode("aGk/Pg==x") == nil)
        #expect(Base64.decode("a") == nil)
        #expect(Base64.decode("aG k=") == nil)
        #expect(Base64.decode("aGk\n/Pg==", ignoringWhitespace: true) == Array("hi?>".utf8))
        #expect(FormEncoding.percentEncode("a b&c=d/é") == "a%20b%26c%3Dd%2F%C3%A9")
        let pairs = FormEncoding.decode("a=1&b=x+y%21&c")
        #expect(pairs?.map(\.0) == ["a", "b", "c"])
        #expect(pairs?.map(\.1) == ["1", "x y!", ""])
        #expect(FormEncoding.decode("a=%zz") == nil)
    }
}
