import Crypto
import FlowgateTesting
import Foundation
import JSON
@testable import Secrets
import Testing

@Suite struct EnvelopeTests {
    @Test func ciphertextIsBoundToTenantSecretAndVersion() throws {
        let key = Envelope.newDataKey()
        let aad = Envelope.associatedData(tenant: "t1", secret: "s1", version: 1)
        let sealed = try Envelope.seal(Array("the value".utf8), dataKey: key, associatedData: aad)
        #expect(try Envelope.open(sealed, dataKey: key, associatedData: aad, what: "x") == Array("the value".utf8))
        for other in [("t2", "s1", 1), ("t1", "s2", 1), ("t1", "s1", 2)] {
            #expect(throws: SecretsError.self) {
                try Envelope.open(sealed, dataKey: key, associatedData: Envelope.associatedData(tenant: other.0, secret: other.1, version: Int64(other.2)), what: "x")
            }
        }
        #expect(throws: SecretsError.self) { try Envelope.open(sealed, dataKey: Envelope.newDataKey(), associatedData: aad, what: "x") }
        var bytes = Array(Data(base64Encoded: sealed) ?? Data())
        bytes[20] ^= 1
        #expect(throws: SecretsError.self) { try Envelope.open(Data(bytes).base64EncodedString(), dataKey: key, associatedData: aad, what: "x") }
        // A fresh nonce every time: the same value never gives the same ciphertext.
        #expect(try Envelope.seal(Array("the value".utf8), dataKey: key, associatedData: aad) != sealed)
    }
}

@Suite struct LocalKeyringTests {
    @Test func wrapsRotatesAndSeesAnotherProcessesRotation() async throws {
        let dir = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("keyring.json").path
        let ring = try LocalKeyring(path: path)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let dataKey = Array(repeating: UInt8(7), count: 32)
        let wrapped = try await ring.wrap(dataKey, tenant: "t1")
        #expect(wrapped.hasPrefix("local:\(ring.activeKeyID):"))
        #expect(try await ring.unwrap(wrapped, tenant: "t1") == dataKey)
        await #expect(throws: SecretsError.self) { try await ring.unwrap(wrapped, tenant: "t2") }

        // Another process (the rotate-kek command) rotates the same file.
        let other = try LocalKeyring(path: path)
        try await other.rotate()
        #expect(other.activeKeyID != ring.activeKeyID)
        let rewrapped = try await other.rewrap(wrapped, tenant: "t1")
        #expect(try await ring.unwrap(rewrapped, tenant: "t1") == dataKey)
        #expect(try await ring.wrap(dataKey, tenant: "t1").hasPrefix("local:\(other.activeKeyID):"))
        try other.retireInactiveKeys()
        #expect(try await ring.unwrap(rewrapped, tenant: "t1") == dataKey)
        await #expect(throws: SecretsError.self) { try await ring.unwrap(wrapped, tenant: "t1") }
    }
}

@Suite struct RedactorTests {
    let secret = "s3cr3t-Pa55/word+"

    func masked(_ text: String, _ secrets: [String]) -> String {
        let r = Redactor()
        for s in secrets { r.register(s) }
        return r.redact(text)
    }

    @Test func rawAndCommonEncodingsAreMasked() {
        let encodings = [
            secret,
            Data(secret.utf8).base64EncodedString(),
            Data(secret.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_"),
            secret.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "",
            "s3cr3t-Pa55%2Fword%2B",
            "s3cr3t-Pa55%2fword%2b",
            Array(secret.utf8).map { String(format: "%02x", $0) }.joined(),
            Array(secret.utf8).map { String(format: "%02X", $0) }.joined(),
        ]
        for encoded in encodings {
            let out = masked("before \(encoded) after", [secret])
            #expect(!out.contains(encoded), "\(encoded) -> \(out)")
            #expect(out.hasPrefix("before ") && out.hasSuffix(" after"))
        }
    }

    @Test func basicAuthAtEveryOffsetIsMasked() {
        for user in ["a", "ab", "abc", "user", "admin1"] {
            let header = "Basic " + Data("\(user):\(secret)".utf8).base64EncodedString()
            let out = masked("Authorization: \(header)", [secret])
            // What remains of the encoding is at most the characters that mix user and password bytes.
            let remaining = out.replacingOccurrences(of: "Authorization: Basic ", with: "")
            #expect(remaining.contains(Redactor.mask), "user \(user): \(out)")
            let decoded = Data(base64Encoded: remaining.replacingOccurrences(of: Redactor.mask, with: ""))
                .flatMap { String(data: $0, encoding: .utf8) } ?? ""
            #expect(!decoded.contains(secret))
            #expect(remaining.count < header.count - 12, "user \(user): \(out)")
        }
    }

    @Test func jsonEscapedAndMultiLineValuesAreMasked() {
        let pem = "-----BEGIN KEY-----\nMIIBVgIBADANBgkqhkiG9w0BAQEFAASCAUAwggE8AgEAAkEA\nq7BFUpkGp3+XQ/5KSQnk\n-----END KEY-----"
        let json = JSONValue.object(["key": .string(pem)]).serialized()
        let out = masked(json, [pem])
        #expect(!out.contains("MIIBVgIBADANBgkqhkiG9w0BAQEFAASCAUAwggE8AgEAAkEA"))
        // Line by line: one line of the value leaking alone is masked too.
        let oneLine = masked("leaked: q7BFUpkGp3+XQ/5KSQnk", [pem])
        #expect(!oneLine.contains("q7BFUpkGp3+XQ/5KSQnk"))
        let quoted = "p\"a\\ss\tword"
        #expect(!masked(JSONValue.string(quoted).serialized(), [quoted]).contains("p\\\"a\\\\ss\\tword"))
    }

    @Test func jsonValuesAreMaskedEverywhere() {
        let r = Redactor()
        r.register(secret)
        let value: JSONValue = ["a": [.string("x \(secret) y")], .init(stringLiteral: secret): 1]
        let out = r.redact(value).serialized()
        #expect(!out.contains(secret))
        #expect(out.contains(Redactor.mask))
    }

    @Test func ordinaryTextIsLeftAlone() {
        #expect(masked("nothing to see here", [secret]) == "nothing to see here")
        #expect(Redactor.variants(of: secret).allSatisfy { $0.count >= Redactor.minimumLength })
    }
}
