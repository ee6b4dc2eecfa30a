import AsyncHTTPClient
import Foundation
import JSON
import NIOCore
import NIOHTTP1

/// How to reach and authenticate to Vault or OpenBao.
public struct VaultConfiguration: Sendable {
    /// How the client authenticates.
    public struct Authentication: Sendable {
        enum Method: Sendable {
            case token(String)
            case appRole(roleID: String, secretID: String, mount: String)
        }
        let method: Method
        /// A fixed token (development, tests).
        public static func token(_ token: String) -> Authentication { .init(method: .token(token)) }
        /// AppRole login; the token is renewed before it expires and re-obtained when it cannot be.
        public static func appRole(roleID: String, secretID: String, mount: String = "approle") -> Authentication {
            .init(method: .appRole(roleID: roleID, secretID: secretID, mount: mount))
        }
    }

    /// Server address, e.g. `http://127.0.0.1:8200`.
    public var address: String
    public var authentication: Authentication
    /// Mount of the KV version 2 engine. Default: `secret`.
    public var kvMount: String
    /// Mount of the Transit engine. Default: `transit`.
    public var transitMount: String
    /// Per-request timeout. Default: 5 seconds.
    public var requestTimeout: Duration
    /// Renew the token once less than this fraction of its lifetime is left. Default: 1/3.
    public var renewBelowFraction: Double

    /// - Parameters:
    ///   - address: server address.
    ///   - authentication: token or AppRole.
    ///   - kvMount: KV v2 mount (default `secret`).
    ///   - transitMount: Transit mount (default `transit`).
    ///   - requestTimeout: per request (default 5 s).
    ///   - renewBelowFraction: renewal threshold (default 1/3 of the lease left).
    public init(
        address: String, authentication: Authentication, kvMount: String = "secret", transitMount: String = "transit",
        requestTimeout: Duration = .seconds(5), renewBelowFraction: Double = 1.0 / 3.0
    ) {
        self.address = address.hasSuffix("/") ? String(address.dropLast()) : address
        self.authentication = authentication
        self.kvMount = kvMount
        self.transitMount = transitMount
        self.requestTimeout = requestTimeout
        self.renewBelowFraction = renewBelowFraction
    }
}

/// A failure talking to Vault/OpenBao, with a message an operator can act on. It names the
/// server and path, never a token or a value.
public struct VaultError: Error, Sendable, CustomStringConvertible {
    private enum Code: Sendable { case unreachable, sealed, forbidden, notFound, unauthenticated, badResponse }
    private let code: Code
    public let message: String
    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    static func unreachable(_ address: String) -> VaultError { .init(.unreachable, "Vault/OpenBao at \(address) is unreachable") }
    static func sealed(_ address: String) -> VaultError { .init(.sealed, "Vault/OpenBao at \(address) is sealed") }
    static func forbidden(_ path: String) -> VaultError { .init(.forbidden, "permission denied for \(path)") }
    static func notFound(_ what: String) -> VaultError { .init(.notFound, "\(what) not found") }
    static func unauthenticated(_ detail: String) -> VaultError { .init(.unauthenticated, "authentication to Vault/OpenBao failed: \(detail)") }
    static func badResponse(_ detail: String) -> VaultError { .init(.badResponse, "unexpected answer from Vault/OpenBao: \(detail)") }

    public var isUnreachable: Bool { code == .unreachable }
    public var isSealed: Bool { code == .sealed }
    public var isForbidden: Bool { code == .forbidden }
    public var isNotFound: Bool { code == .notFound }
    public var isUnauthenticated: Bool { code == .unauthenticated }
    public var description: String { message }
}

/// A small Vault/OpenBao HTTP API client: AppRole login with renewal, KV v2 reads and Transit.
public actor VaultClient {
    public let configuration: VaultConfiguration
    private let http: HTTPClient
    private let now: @Sendable () -> ContinuousClock.Instant
    private var token: String?
    private var tokenIssued: ContinuousClock.Instant?
    private var tokenExpires: ContinuousClock.Instant?
    private var tokenRenewable = false
    /// How many times the token was renewed and obtained (for operators and tests).
    public private(set) var renewals = 0
    public private(set) var logins = 0

    public init(configuration: VaultConfiguration, http: HTTPClient = .shared, now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        self.configuration = configuration
        self.http = http
        self.now = now
        if case .token(let t) = configuration.authentication.method { token = t }
    }

    // MARK: Authentication

    /// A valid token: logs in (AppRole) when there is none, renews when little of its lifetime
    /// is left, and logs in again when renewal is impossible or fails.
    func validToken() async throws -> String {
        guard case .appRole(let roleID, let secretID, let mount) = configuration.authentication.method else {
            return token ?? ""
        }
        let t = now()
        if let token, let issued = tokenIssued, let expires = tokenExpires {
            let lifetime = expires - issued
            let left = expires - t
            if left > lifetime * configuration.renewBelowFraction { return token }
            if tokenRenewable, left > .zero, (try? await renew(token)) != nil, let renewed = self.token { return renewed }
        }
        return try await login(roleID: roleID, secretID: secretID, mount: mount)
    }

    private func login(roleID: String, secretID: String, mount: String) async throws -> String {
        let answer = try await send(.POST, "auth/\(mount)/login", body: ["role_id": .string(roleID), "secret_id": .string(secretID)],
                                    token: nil, what: "AppRole login")
        try adopt(answer, what: "AppRole login")
        logins += 1
        guard let token else { throw VaultError.unauthenticated("no token in the login answer") }
        return token
    }

    private func renew(_ current: String) async throws {
        let answer = try await send(.POST, "auth/token/renew-self", body: [:], token: current, what: "token renewal")
        try adopt(answer, what: "token renewal")
        renewals += 1
    }

    private func adopt(_ answer: JSONValue, what: String) throws {
        guard let auth = answer["auth"], let clientToken = auth["client_token"]?.stringValue else {
            throw VaultError.unauthenticated("\(what) returned no token")
        }
        let lease = auth["lease_duration"]?.intValue ?? 0
        token = clientToken
        tokenIssued = now()
        tokenExpires = lease > 0 ? now() + .seconds(lease) : nil
        tokenRenewable = auth["renewable"]?.boolValue ?? false
    }

    /// Seconds the current token has left, as the client believes (nil without expiry).
    public var tokenSecondsLeft: Double? {
        guard let tokenExpires else { return nil }
        let (s, a) = (tokenExpires - now()).components
        return Double(s) + Double(a) / 1e18
    }

    // MARK: Requests

    /// Sends an authenticated request to `/v1/<path>` and returns the JSON answer.
    public func request(_ method: HTTPMethod, _ path: String, body: JSONValue? = nil, what: String) async throws -> JSONValue {
        let t = try await validToken()
        return try await send(method, path, body: body, token: t, what: what)
    }

    private func send(_ method: HTTPMethod, _ path: String, body: JSONValue?, token: String?, what: String) async throws -> JSONValue {
        var request = HTTPClientRequest(url: "\(configuration.address)/v1/\(path)")
        request.method = method
        if let token { request.headers.add(name: "X-Vault-Token", value: token) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body.serializedBytes()))
        }
        let response: HTTPClientResponse
        var bytes: [UInt8]
        do {
            response = try await http.execute(request, timeout: .init(configuration.requestTimeout))
            var buffer = try await response.body.collect(upTo: 4 << 20)
            bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        } catch {
            throw VaultError.unreachable(configuration.address)
        }
        defer { for i in bytes.indices { bytes[i] = 0 } }
        let json = (try? JSONValue.parse(bytes)) ?? .null
        let errors = (json["errors"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: "; ")
        switch response.status.code {
        case 200..<300:
            return json
        case 503 where errors.lowercased().contains("sealed"):
            throw VaultError.sealed(configuration.address)
        case 403:
            throw VaultError.forbidden(what)
        case 404:
            throw VaultError.notFound(what)
        case 400 where errors.contains("invalid role") || errors.contains("invalid secret") || errors.contains("role_id"):
            throw VaultError.unauthenticated(errors)
        default:
            throw VaultError.badResponse("\(what): HTTP \(response.status.code)\(errors.isEmpty ? "" : " (\(errors))")")
        }
    }

    // MARK: KV version 2

    /// Reads `field` of the secret at `path` (a given `version`, or the latest).
    public func readKV(path: String, field: String, version: Int? = nil) async throws -> String {
        let cleanPath = path.split(separator: "/").filter { !$0.isEmpty }.joined(separator: "/")
        var location = "\(configuration.kvMount)/data/\(cleanPath)"
        if let version { location += "?version=\(version)" }
        let what = "secret \(configuration.kvMount)/\(cleanPath)" + (version.map { " version \($0)" } ?? "")
        let answer = try await request(.GET, location, what: what)
        guard let data = answer["data"]?["data"], data != .null else {
            // KV v2 answers a deleted or destroyed version with null data.
            throw VaultError.notFound(what)
        }
        guard let value = data[field] else { throw VaultError.notFound("field \"\(field)\" of \(what)") }
        switch value {
        case .string(let s): return s
        case .null: throw VaultError.notFound("field \"\(field)\" of \(what)")
        default: return value.serialized()
        }
    }
}
