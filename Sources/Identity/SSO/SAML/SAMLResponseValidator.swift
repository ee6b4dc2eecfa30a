/// The policy checks on a verified Response: pure, given the facts the shim read, the
/// connection's configuration, the outstanding request (if any) and the time.
enum SAMLResponseValidator {
    struct Validated: Sendable {
        var assertionID: String
        /// When the assertion stops being acceptable (for the replay cache).
        var expiresAt: Duration
        var identity: SSOIdentity
        var sessionIndex: String?
    }

    static let bearer = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
    static let emailFormat = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"

    /// Checks Destination, Issuer, version, signing requirement, bearer SubjectConfirmation
    /// (Recipient, NotOnOrAfter, InResponseTo), Conditions (validity, AudienceRestriction) and
    /// the AuthnStatement; returns the identity.
    ///
    /// - Parameter expectedRequestID: the outstanding AuthnRequest's ID, or nil for an
    ///   unsolicited response (which the caller has already allowed).
    static func validate(
        _ facts: SAMLFacts, sp: SAMLServiceProviderConfiguration, idp: SAMLIdentityProviderConfiguration,
        expectedRequestID: String?, now: Duration
    ) throws(SAMLError) -> Validated {
        let skew = sp.clockSkew
        guard facts.first("response.version") == "2.0", facts.first("assertion.version") == "2.0" else { throw .version }

        if let issuer = facts.first("response.issuer"), issuer != idp.entityID { throw .issuer }
        guard facts.first("assertion.issuer") == idp.entityID else { throw .issuer }

        // The profile requires Destination on signed responses; we require it always.
        guard facts.first("response.destination") == sp.acsURL else { throw .destination }

        if sp.requireSignedAssertion, facts.first("assertion.signed") != "1" { throw .signatureMissing }

        let responseInResponseTo = facts.first("response.inresponseto")
        if let responseInResponseTo, responseInResponseTo != expectedRequestID { throw .inResponseTo }
        if expectedRequestID == nil, responseInResponseTo != nil { throw .inResponseTo }

        // Bearer confirmation (SAML profiles §4.1.4.2): one must satisfy every condition.
        let confirmations = facts.groups(
            start: "confirmation",
            members: ["confirmation.recipient", "confirmation.notonorafter", "confirmation.notbefore", "confirmation.inresponseto"]
        )
        var confirmationExpiry: Duration?
        var firstProblem: SAMLError?
        confirmationLoop: for group in confirmations where group.first?.value == bearer {
            func value(_ key: String) -> String? { group.first { $0.key == key }?.value }
            do throws(SAMLError) {
                guard value("confirmation.recipient") == sp.acsURL else { throw .recipient }
                guard let notOnOrAfterText = value("confirmation.notonorafter"),
                    let notOnOrAfter = XMLSupport.parseDateTime(notOnOrAfterText)
                else { throw .bearer("bearer confirmation without NotOnOrAfter") }
                guard now < notOnOrAfter + skew else { throw .expired }
                if let notBeforeText = value("confirmation.notbefore") {
                    guard let notBefore = XMLSupport.parseDateTime(notBeforeText) else { throw .malformed("bad NotBefore") }
                    guard now + skew >= notBefore else { throw .notYetValid }
                }
                guard value("confirmation.inresponseto") == expectedRequestID else { throw .inResponseTo }
                confirmationExpiry = notOnOrAfter
                break confirmationLoop
            } catch {
                if firstProblem == nil { firstProblem = error }
            }
        }
        guard let confirmationExpiry else {
            throw firstProblem ?? .bearer("no bearer SubjectConfirmation")
        }

        guard facts.first("conditions") == "1" else { throw .structure("assertion has no Conditions") }
        var expiresAt = confirmationExpiry
        if let text = facts.first("conditions.notbefore") {
            guard let notBefore = XMLSupport.parseDateTime(text) else { throw .malformed("bad Conditions NotBefore") }
            guard now + skew >= notBefore else { throw .notYetValid }
        }
        if let text = facts.first("conditions.notonorafter") {
            guard let notOnOrAfter = XMLSupport.parseDateTime(text) else { throw .malformed("bad Conditions NotOnOrAfter") }
            guard now < notOnOrAfter + skew else { throw .expired }
            expiresAt = min(expiresAt, notOnOrAfter)
        }
        let restrictions = facts.groups(start: "audiencerestriction", members: ["audience"])
        guard !restrictions.isEmpty else { throw .audience }
        for restriction in restrictions {
            // Each restriction must admit us; within one, any listed audience will do.
            guard restriction.contains(where: { $0.key == "audience" && $0.value == sp.entityID }) else { throw .audience }
        }

        guard facts.first("authn") == "1" else { throw .structure("assertion has no AuthnStatement") }
        guard let assertionID = facts.first("assertion.id"), !assertionID.isEmpty else { throw .structure("assertion has no ID") }
        guard let nameID = facts.first("nameid"), !nameID.isEmpty, nameID.utf8.count <= 1024 else {
            throw .structure("assertion has no NameID")
        }

        var attributes: [String: [String]] = [:]
        var friendly: [String: [String]] = [:]
        for group in facts.groups(start: "attribute", members: ["attribute.friendlyname", "attribute.value"]) {
            guard let name = group.first?.value else { continue }
            let values = group.filter { $0.key == "attribute.value" }.map(\.value)
            attributes[name, default: []] += values
            if let friendlyName = group.first(where: { $0.key == "attribute.friendlyname" })?.value {
                friendly[friendlyName, default: []] += values
            }
        }
        func attribute(_ name: String?) -> [String] {
            guard let name else { return [] }
            return attributes[name] ?? friendly[name] ?? []
        }
        let email = attribute(idp.emailAttribute).first
            ?? (facts.first("nameid.format") == emailFormat ? nameID : nil)
        let identity = SSOIdentity(
            tenant: sp.tenant, connection: sp.connection, issuer: idp.entityID, subject: nameID, email: email,
            name: attribute(idp.nameAttribute).first, groups: attribute(idp.groupsAttribute), attributes: attributes
        )
        return Validated(
            assertionID: assertionID, expiresAt: expiresAt + skew, identity: identity,
            sessionIndex: facts.first("authn.sessionindex")
        )
    }
}
