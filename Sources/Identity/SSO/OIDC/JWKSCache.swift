import JSON

/// One usable verification key from a provider's JWKS.
struct VerificationKey: Sendable, Equatable {
    /// `kid`, when the provider set one.
    var kid: String?
    /// `kty`: RSA, EC or OKP (symmetric `oct` keys are dropped on reading).
    var keyType: String
    /// `alg`, when the provider pinned one.
    var algorithm: String?
    /// The key's JSON, handed to jwt-kit.
    var json: String

    /// Whether a token `alg` may be verified with this key: the key's own `alg` when pinned,
    /// otherwise the family that fits its type. HMAC never fits: no `oct` key is ever kept,
    /// so a public key can never be used as an HMAC secret.
    func accepts(_ alg: String) -> Bool {
        if let algorithm { return algorithm == alg }
        switch keyType {
        case "RSA": return alg.hasPrefix("RS") || alg.hasPrefix("PS")
        case "EC": return alg.hasPrefix("ES")
        case "OKP": return alg == "EdDSA"
        default: return false
        }
    }

    /// Reads a JWKS document, keeping only asymmetric signature keys.
    static func parseSet(_ body: [UInt8]) throws(OIDCError) -> [VerificationKey] {
        let document: JSONValue
        do {
            document = try JSONValue.parse(body, limits: .init(maxDepth: 8))
        } catch {
            throw .keySet("JWKS is not JSON: \(error.message)")
        }
        guard let keys = document["keys"]?.arrayValue else { throw .keySet("JWKS has no keys array") }
        var result: [VerificationKey] = []
        for key in keys {
            guard let kty = key["kty"]?.stringValue, ["RSA", "EC", "OKP"].contains(kty) else { continue }
            if let use = key["use"]?.stringValue, use != "sig" { continue }
            // A private JWK published by mistake is still only used as a public key by jwt-kit,
            // but it signals a broken provider: skip it rather than trust it.
            if key["d"] != nil { continue }
            result.append(
                VerificationKey(kid: key["kid"]?.stringValue, keyType: kty, algorithm: key["alg"]?.stringValue, json: key.serialized())
            )
        }
        return result
    }
}

/// What the key cache decides for a token's `kid`: the pure part of JWKS caching.
///
/// Fetches happen when nothing is cached, when the cached set is older than `maxAge`, or when
/// the `kid` is unknown and the last fetch is at least `refetchInterval` old, so a stream of
/// tokens with made-up key ids costs the provider at most one request per interval.
struct JWKSCacheState: Sendable {
    enum Decision: Sendable, Equatable {
        case use(VerificationKey)
        case fetch
        case unknownKey
        case ambiguousKey
        case algorithmMismatch
    }

    var keys: [VerificationKey] = []
    var fetchedAt: Duration?
    var lastAttempt: Duration?
    let refetchInterval: Duration
    let maxAge: Duration

    init(refetchInterval: Duration, maxAge: Duration) {
        self.refetchInterval = refetchInterval
        self.maxAge = maxAge
    }

    /// The decision for a token with `kid` (nil when the header has none) and `alg`.
    /// `mayFetch` is false right after a fetch, so one lookup triggers at most one request.
    func decide(kid: String?, alg: String, now: Duration, mayFetch: Bool) -> Decision {
        let rateLimited = lastAttempt.map { now - $0 < refetchInterval } ?? false
        guard let fetchedAt else { return mayFetch && !rateLimited ? .fetch : .unknownKey }
        if mayFetch, !rateLimited, now - fetchedAt >= maxAge { return .fetch }
        let candidates: [VerificationKey]
        if let kid {
            candidates = keys.filter { $0.kid == kid }
        } else {
            candidates = keys.filter { $0.accepts(alg) }
        }
        if candidates.count == 1, let key = candidates.first {
            return key.accepts(alg) ? .use(key) : .algorithmMismatch
        }
        if candidates.count > 1 { return .ambiguousKey }
        return mayFetch && !rateLimited ? .fetch : .unknownKey
    }

    /// Records a fetch attempt (successful or not) at `now`.
    mutating func attempted(at now: Duration) { lastAttempt = now }

    /// Replaces the keys after a successful fetch.
    mutating func fetched(_ keys: [VerificationKey], at now: Duration) {
        self.keys = keys
        self.fetchedAt = now
    }
}

/// Cached discovery and keys for one provider, shared by every login of a connection.
///
/// The host keeps one per (tenant, connection) for the life of the process.
public actor OIDCProviderCache {
    private var metadata: (value: OIDCProviderMetadata, fetchedAt: Duration)?
    private var keys: JWKSCacheState

    /// - Parameter configuration: supplies the JWKS refetch interval and maximum age.
    public init(configuration: OIDCConfiguration) {
        self.keys = JWKSCacheState(refetchInterval: configuration.jwksRefetchInterval, maxAge: configuration.jwksMaxAge)
    }

    /// The provider's metadata, from cache when younger than `maxAge`, otherwise discovered.
    func metadata(
        configuration: OIDCConfiguration, transport: any SSOHTTPTransport, now: Duration
    ) async throws(OIDCError) -> OIDCProviderMetadata {
        if let metadata, now - metadata.fetchedAt < configuration.discoveryMaxAge { return metadata.value }
        let request = SSOHTTPRequest(
            method: "GET", url: OIDCProviderMetadata.discoveryURL(issuer: configuration.issuer),
            headers: [("Accept", "application/json")]
        )
        let response: SSOHTTPResponse
        do {
            response = try await transport.send(request)
        } catch {
            throw .transport("discovery request failed")
        }
        let value = try OIDCProviderMetadata.parse(
            response, expectedIssuer: configuration.issuer, allowLoopbackHTTP: configuration.allowLoopbackHTTP
        )
        metadata = (value, now)
        return value
    }

    /// The key to verify a token with `kid`/`alg`, fetching the JWKS when the cache state says so.
    func key(
        kid: String?, alg: String, jwksURI: String, transport: any SSOHTTPTransport, now: Duration
    ) async throws(OIDCError) -> VerificationKey {
        var mayFetch = true
        while true {
            switch keys.decide(kid: kid, alg: alg, now: now, mayFetch: mayFetch) {
            case .use(let key):
                return key
            case .unknownKey:
                throw .unknownKey
            case .ambiguousKey:
                throw .keySet("several keys match the token header")
            case .algorithmMismatch:
                throw .algorithmNotAllowed(alg)
            case .fetch:
                mayFetch = false
                // Recorded before the request so that concurrent lookups see the attempt.
                keys.attempted(at: now)
                let response: SSOHTTPResponse
                do {
                    response = try await transport.send(
                        SSOHTTPRequest(method: "GET", url: jwksURI, headers: [("Accept", "application/json")])
                    )
                } catch {
                    throw .transport("JWKS request failed")
                }
                guard response.status == 200 else { throw .keySet("JWKS answered HTTP \(response.status)") }
                keys.fetched(try VerificationKey.parseSet(response.body), at: now)
            }
        }
    }
}
