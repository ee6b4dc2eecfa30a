import Crypto
import JSON
import JWTKit

/// A compact JWS split into its parts, with the header read (not yet verified).
struct CompactJWS: Sendable {
    var header: [String: JSONValue]
    var payload: [UInt8]
    var token: String

    var alg: String? { header["alg"]?.stringValue }
    var kid: String? { header["kid"]?.stringValue }

    /// Splits and decodes; refuses anything but three base64url parts with JSON object header.
    init(_ token: String) throws(OIDCError) {
        guard token.utf8.count <= 16 * 1024 else { throw .malformedToken("ID token too large") }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw .malformedToken("ID token is not a compact JWS") }
        guard let headerBytes = Base64.decode(parts[0]), let payload = Base64.decode(parts[1]) else {
            throw .malformedToken("ID token is not base64url")
        }
        guard case .object(let header)? = try? JSONValue.parse(headerBytes, limits: .init(maxDepth: 4)) else {
            throw .malformedToken("ID token header is not a JSON object")
        }
        // Critical extensions we do not understand must make the token invalid (RFC 7515 §4.1.11).
        if header["crit"] != nil { throw .malformedToken("ID token header has crit") }
        self.header = header
        self.payload = payload
        self.token = token
    }
}

/// A payload type that lets jwt-kit check only the signature; claims are read by our strict
/// JSON parser afterwards and checked by `IDTokenClaims.validate`.
struct SignatureOnlyPayload: JWTPayload {
    init() {}
    init(from decoder: any Decoder) throws {}
    func encode(to encoder: any Encoder) throws {}
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// Signature verification through jwt-kit, with exactly one key in play.
enum IDTokenSignature {
    /// Verifies `jws` with `key` (which must accept the token's alg); throws `.signature`.
    static func verify(_ jws: CompactJWS, with key: VerificationKey) async throws(OIDCError) {
        // jwt-kit requires a kid to register a JWK; a key without one gets a local name. With a
        // single key in the collection, jwt-kit cannot fall back to any other key.
        var json = key.json
        if key.kid == nil, case .object(var object)? = try? JSONValue.parse(json) {
            object["kid"] = "local-only-key"
            json = JSONValue.object(object).serialized()
        }
        let collection = JWTKeyCollection()
        do {
            let jwk = try JWK(json: json)
            try await collection.add(jwk: jwk)
        } catch {
            throw .keySet("provider key could not be loaded")
        }
        do {
            _ = try await collection.verify(jws.token, as: SignatureOnlyPayload.self)
        } catch {
            throw .signature
        }
    }
}

/// The checked claims of an ID token.
struct IDTokenClaims: Sendable {
    var claims: [String: JSONValue]
    var subject: String

    /// OpenID Connect Core §3.1.3.7 checks, after the signature has been verified.
    static func validate(
        payload: [UInt8], alg: String, configuration: OIDCConfiguration, nonce: String, accessToken: String?,
        now: Duration
    ) throws(OIDCError) -> IDTokenClaims {
        guard case .object(let claims)? = try? JSONValue.parse(payload, limits: .init(maxDepth: 16)) else {
            throw .malformedToken("ID token payload is not a JSON object")
        }
        guard let iss = claims["iss"]?.stringValue else { throw .missingClaim("iss") }
        guard iss == configuration.issuer else { throw .issuer }
        guard let sub = claims["sub"]?.stringValue, !sub.isEmpty, sub.utf8.count <= 255 else { throw .missingClaim("sub") }

        let audiences: [String]
        switch claims["aud"] {
        case .string(let a)?: audiences = [a]
        case .array(let list)?:
            audiences = list.compactMap(\.stringValue)
            guard audiences.count == list.count else { throw .missingClaim("aud") }
        default: throw .missingClaim("aud")
        }
        guard audiences.contains(configuration.clientID) else { throw .audience }
        guard audiences.allSatisfy({ $0 == configuration.clientID || configuration.trustedAudiences.contains($0) }) else {
            throw .audience
        }
        if let azp = claims["azp"] {
            guard azp.stringValue == configuration.clientID else { throw .authorizedParty }
        } else if audiences.count > 1 {
            throw .authorizedParty
        }

        guard let exp = claims["exp"]?.doubleValue else { throw .missingClaim("exp") }
        guard let iat = claims["iat"]?.doubleValue else { throw .missingClaim("iat") }
        let nowSeconds = Double(now.milliseconds) / 1000
        let skew = Double(configuration.clockSkew.milliseconds) / 1000
        guard nowSeconds < exp + skew else { throw .expired }
        guard iat <= nowSeconds + skew, nowSeconds - iat <= Double(configuration.maxTokenAge.milliseconds) / 1000 + skew else {
            throw .issuedAt
        }

        guard let tokenNonce = claims["nonce"]?.stringValue, SSOSupport.constantTimeEquals(tokenNonce, nonce) else {
            throw .nonce
        }

        if let accessToken {
            // at_hash is optional in the code flow, but when present it must match.
            if let atHash = claims["at_hash"] {
                guard let expected = accessTokenHash(accessToken, alg: alg), let given = atHash.stringValue,
                    SSOSupport.constantTimeEquals(given, expected)
                else { throw .accessTokenHash }
            }
        }
        return IDTokenClaims(claims: claims, subject: sub)
    }

    /// Left half of the hash named by the algorithm's size, base64url (OIDC Core §3.1.3.6).
    static func accessTokenHash(_ accessToken: String, alg: String) -> String? {
        let bytes = Array(accessToken.utf8)
        let digest: [UInt8]
        if alg.hasSuffix("256") {
            digest = Array(SHA256.hash(data: bytes))
        } else if alg.hasSuffix("384") {
            digest = Array(SHA384.hash(data: bytes))
        } else if alg.hasSuffix("512") || alg == "EdDSA" {
            digest = Array(SHA512.hash(data: bytes))
        } else {
            return nil
        }
        return Base64.encode(digest.prefix(digest.count / 2), url: true)
    }
}
