import Secrets
import Testing

@Suite struct SecretValueTests {
    @Test func descriptionsNeverShowTheValue() {
        let secret = SecretValue("hunter2-canary")
        #expect("\(secret)" == "<redacted>")
        #expect(String(reflecting: secret) == "SecretValue(<redacted>)")
        #expect(!"\([secret])".contains("hunter2"))
        #expect(secret.plaintext == "hunter2-canary")
    }
}
