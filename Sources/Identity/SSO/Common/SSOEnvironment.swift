#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Crypto
import JSON

/// The wall clock for SSO time checks, injected so that expiry, skew and rate limits are
/// tested without sleeping.
///
/// When this code moves into `Identity`, `Store.WallClock` can back it with a one-line adapter.
public protocol SSOClock: Sendable {
    /// Time since 1970-01-01T00:00:00Z.
    func timeSinceEpoch() -> Duration
}

/// The system's wall clock.
public struct SystemSSOClock: SSOClock {
    public init() {}
    public func timeSinceEpoch() -> Duration {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return .seconds(Int64(ts.tv_sec)) + .nanoseconds(Int64(ts.tv_nsec))
    }
}

/// Where state, nonces, PKCE verifiers, request ids and browser bindings come from; injected
/// so tests can pin them.
public protocol SSORandom: Sendable {
    /// `count` random bytes.
    func bytes(_ count: Int) -> [UInt8]
}

/// The system's cryptographically secure generator.
public struct SystemSSORandom: SSORandom {
    public init() {}
    public func bytes(_ count: Int) -> [UInt8] {
        var rng = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &rng) }
    }
}

/// A client secret handed in at call time (the host keeps it in its Secrets module); its
/// description never shows the value.
public struct SSOSecret: Sendable, CustomStringConvertible {
    /// The secret text. Read it only to put it on the wire.
    public let value: String
    public init(_ value: String) { self.value = value }
    public var description: String { "<redacted>" }
}

/// Pieces shared by both protocols.
enum SSOSupport {
    /// 32 random bytes as base64url: state values, nonces, browser bindings.
    static func randomToken(_ random: any SSORandom, bytes: Int = 32) -> String {
        Base64.encode(random.bytes(bytes), url: true)
    }

    /// Lowercase hex SHA-256, for storing a browser binding instead of the cookie value.
    static func sha256Hex(_ text: String) -> String {
        Hex.encode(SHA256.hash(data: Array(text.utf8)))
    }

    /// Compares in time that depends only on the lengths.
    static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var diff: UInt8 = 0
        for i in x.indices { diff |= x[i] ^ y[i] }
        return diff == 0
    }

    /// Whether a URL is https, or http to a loopback host when `allowLoopbackHTTP` is set.
    static func isAcceptableEndpoint(_ url: String, allowLoopbackHTTP: Bool) -> Bool {
        if url.hasPrefix("https://") { return url.utf8.count > 8 }
        guard allowLoopbackHTTP, url.hasPrefix("http://") else { return false }
        let rest = url.dropFirst("http://".count)
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !authority.contains("@") else { return false }
        let host: Substring
        if authority.hasPrefix("[") {
            host = authority.prefix { $0 != "]" }.dropFirst()
        } else {
            host = authority.prefix { $0 != ":" }
        }
        return host == "127.0.0.1" || host == "localhost" || host == "::1"
    }
}
