import CXMLSec

/// The facts the C shim read from a verified document, as an ordered list of key/value pairs.
///
/// For a Response these come from the Response element and from the one Assertion the shim
/// verified (signed itself or covered by the signed Response); nothing is read from anywhere
/// else in the document.
struct SAMLFacts: Sendable {
    var pairs: [(key: String, value: String)]

    /// The first value for `key`.
    func first(_ key: String) -> String? { pairs.first { $0.key == key }?.value }

    /// All values for `key`.
    func all(_ key: String) -> [String] { pairs.filter { $0.key == key }.map(\.value) }

    /// Splits the list into groups, each starting at a `start` key and running until the next
    /// `start` key or a key outside `members`.
    func groups(start: String, members: Set<String>) -> [[(key: String, value: String)]] {
        var result: [[(key: String, value: String)]] = []
        var current: [(key: String, value: String)]?
        for pair in pairs {
            if pair.key == start {
                if let current { result.append(current) }
                current = [pair]
            } else if members.contains(pair.key), current != nil {
                current?.append(pair)
            } else if let done = current {
                result.append(done)
                current = nil
            }
        }
        if let current { result.append(current) }
        return result
    }

    /// Copies a C fact list (the caller frees it).
    init(_ facts: OpaquePointer) {
        var pairs: [(key: String, value: String)] = []
        let count = cxmlsec_facts_count(facts)
        for i in 0..<count {
            guard let key = cxmlsec_facts_key(facts, i), let value = cxmlsec_facts_value(facts, i) else { continue }
            pairs.append((String(cString: key), String(cString: value)))
        }
        self.pairs = pairs
    }

    init(pairs: [(key: String, value: String)]) {
        self.pairs = pairs
    }
}

/// Calls into the C shim.
enum XMLSec {
    /// Maps a shim result code to the refusal it stands for.
    static func error(for code: Int32) -> SAMLError {
        switch code {
        case Int32(CXMLSEC_ERR_TOO_LARGE): return .tooLarge
        case Int32(CXMLSEC_ERR_PARSE): return .malformed("not well-formed XML")
        case Int32(CXMLSEC_ERR_DTD): return .doctype
        case Int32(CXMLSEC_ERR_ROOT): return .malformed("unexpected root element")
        case Int32(CXMLSEC_ERR_DUPLICATE_ID): return .duplicateID
        case Int32(CXMLSEC_ERR_ASSERTION_COUNT): return .wrapping
        case Int32(CXMLSEC_ERR_ENCRYPTED): return .encrypted
        case Int32(CXMLSEC_ERR_SIGNATURE_PLACEMENT), Int32(CXMLSEC_ERR_SIGNATURE_SHAPE): return .signatureShape
        case Int32(CXMLSEC_ERR_SIGNATURE_INVALID): return .signatureInvalid
        case Int32(CXMLSEC_ERR_UNSIGNED): return .signatureMissing
        case Int32(CXMLSEC_ERR_CERTIFICATE): return .certificate
        case Int32(CXMLSEC_ERR_UNEXPECTED_CONTENT): return .nameIDContent
        case Int32(CXMLSEC_ERR_STRUCTURE): return .structure("a required element is missing or repeated")
        case Int32(CXMLSEC_ERR_ALGORITHM): return .algorithm
        default: return .xmlsec
        }
    }

    /// Verifies a Response (see `cxmlsec_saml_response_open`); returns its facts and whether
    /// the IdP's status was success.
    static func openResponse(
        _ xml: [UInt8], maxBytes: Int, certificates: [String], allowSHA1: Bool
    ) throws(SAMLError) -> (facts: SAMLFacts, success: Bool) {
        let pems = certificates.map { Array($0.utf8) }
        var out: OpaquePointer?
        let rc: Int32 = xml.withUnsafeBufferPointer { xmlBuffer in
            // Keep every PEM buffer alive across the call.
            withPEMs(pems) { certs in
                xmlBuffer.withMemoryRebound(to: CChar.self) { chars in
                    cxmlsec_saml_response_open(
                        chars.baseAddress, chars.count, maxBytes, certs.baseAddress, certs.count,
                        allowSHA1 ? UInt32(CXMLSEC_FLAG_ALLOW_SHA1) : 0, &out
                    )
                }
            }
        }
        guard rc == Int32(CXMLSEC_OK) || rc == Int32(CXMLSEC_STATUS_NOT_SUCCESS), let out else { throw error(for: rc) }
        defer { cxmlsec_facts_free(out) }
        return (SAMLFacts(out), rc == Int32(CXMLSEC_OK))
    }

    /// Reads IdP metadata facts.
    static func openMetadata(_ xml: [UInt8], maxBytes: Int) throws(SAMLError) -> SAMLFacts {
        var out: OpaquePointer?
        let rc: Int32 = xml.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                cxmlsec_metadata_open(chars.baseAddress, chars.count, maxBytes, &out)
            }
        }
        guard rc == Int32(CXMLSEC_OK), let out else { throw .metadata("metadata unreadable: \(error(for: rc).message)") }
        defer { cxmlsec_facts_free(out) }
        return SAMLFacts(out)
    }

    /// Raw DEFLATE of `input`.
    static func deflate(_ input: [UInt8]) -> [UInt8]? {
        var capacity = cxmlsec_deflate_bound(input.count)
        var output = [UInt8](repeating: 0, count: capacity)
        let rc = input.withUnsafeBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                cxmlsec_deflate_raw(inBuffer.baseAddress, inBuffer.count, outBuffer.baseAddress, &capacity)
            }
        }
        guard rc == Int32(CXMLSEC_OK) else { return nil }
        return Array(output.prefix(capacity))
    }

    private static func withPEMs<R>(_ pems: [[UInt8]], _ body: (UnsafeBufferPointer<cxmlsec_certificate>) -> R) -> R {
        // Recursion pins each buffer for the duration of `body`.
        func pin(_ index: Int, _ collected: [cxmlsec_certificate]) -> R {
            if index == pems.count { return collected.withUnsafeBufferPointer(body) }
            return pems[index].withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { chars in
                    pin(index + 1, collected + [cxmlsec_certificate(pem: chars.baseAddress, length: chars.count)])
                }
            }
        }
        return pin(0, [])
    }
}
