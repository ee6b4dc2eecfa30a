import FlowgateTesting
import Foundation
import Identity

/// Keys made fresh for a test run with the openssl command-line tool.
enum TestKeys {
    /// An RSA key and self-signed certificate for signing AuthnRequests.
    static func spCredential() throws -> SAMLSigningCredential {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fg-sso-sp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let key = directory.appendingPathComponent("sp.key").path
        let cert = directory.appendingPathComponent("sp.crt").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-subj", "/CN=flowgate-sp", "-days", "2"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw PeerFailed(message: "openssl failed") }
        return SAMLSigningCredential(
            privateKeyPEM: SSOSecret(try String(contentsOfFile: key, encoding: .utf8)),
            certificatePEM: try String(contentsOfFile: cert, encoding: .utf8)
        )
    }
}
