import Crypto
import JSON

/// Bearer credentials: 256 random bits behind a recognizable prefix, so that secret scanners
/// (and people) can tell a Flowgate token from other strings. Only the SHA-256 of a token is
/// stored; the token itself is shown once.
public enum BearerToken {
    /// The credential of an `Authorization: Bearer <credential>` header value (scheme matched
    /// without regard to case, spaces and tabs around the credential dropped), `nil` for any
    /// other scheme.
    public static func credential(fromAuthorization header: String) -> String? {
        let bytes = Array(header.utf8)
        guard bytes.count > 7, String(decoding: bytes[0..<7], as: UTF8.self).lowercased() == "bearer " else { return nil }
        var start = 7
        var end = bytes.count
        while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
        while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }

    /// Prefix of platform-administrator tokens.
    public static let platformPrefix = "fgp_"
    /// Prefix of tenant API tokens.
    public static let tenantPrefix = "fgt_"
    /// Prefix of SCIM provisioning tokens.
    public static let scimPrefix = "fgs_"

    /// A new token: `prefix` followed by 32 random bytes in unpadded base64url (43 characters).
    public static func generate(prefix: String) -> String {
        var rng = SystemRandomNumberGenerator()
        var bytes = [UInt8](repeating: 0, count: 32)
        for i in bytes.indices { bytes[i] = UInt8.random(in: .min ... .max, using: &rng) }
        return prefix + base64URL(bytes)
    }

    /// The stored form of a token: lowercase hex SHA-256.
    public static func hash(_ token: String) -> String {
        var hasher = SHA256()
        var text = token
        text.withUTF8 { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        return hasher.finalize().withUnsafeBytes { Hex.encode($0) }
    }

    /// Whether `token` has the shape of one of ours (prefix, 43 base64url characters). Cheap
    /// rejection of garbage before any lookup.
    public static func isWellFormed(_ token: String) -> Bool {
        guard token.utf8.count == 47 else { return false }
        let prefix = String(token.prefix(4))
        guard prefix == platformPrefix || prefix == tenantPrefix || prefix == scimPrefix else { return false }
        return token.utf8.dropFirst(4).allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D || b == 0x5F
        }
    }

    /// Compares two strings in time that depends only on their lengths.
    public static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var diff: UInt8 = 0
        for i in x.indices { diff |= x[i] ^ y[i] }
        return diff == 0
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count * 4 + 2) / 3)
        var i = 0
        while i + 3 <= bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], alphabet[Int(n & 63)]]
            i += 3
        }
        let rest = bytes.count - i
        if rest == 1 {
            let n = UInt32(bytes[i]) << 16
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)]]
        } else if rest == 2 {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)]]
        }
        return String(decoding: out, as: UTF8.self)
    }
}
