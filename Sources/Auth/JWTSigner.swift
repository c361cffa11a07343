import Crypto

/// How access tokens are signed.
public enum SigningMethod: Sendable {
    /// HMAC-SHA256 with a secret key (the default: verification costs microseconds).
    case hs256(key: [UInt8])
    /// Ed25519 with rotating keys, published at `/.well-known/jwks.json`.
    case eddsa(SigningKeyRing)
}

/// Compact JWS over flat JSON claims, with one signing method. The header is fixed per method (plus the
/// `kid` for EdDSA); verification refuses any other `alg`, `none` included.
struct JWTSigner: Sendable {
    private enum Method: Sendable {
        case hs256(SymmetricKey, header: String)
        case eddsa(SigningKeyRing)
    }

    private let method: Method

    init(_ method: SigningMethod) {
        switch method {
        case .hs256(let key):
            precondition(key.count >= 32, "an HS256 key has at least 256 bits")
            self.method = .hs256(SymmetricKey(data: key), header: Base64URL.encode(
                FlatJSON.encode([("alg", .string("HS256")), ("typ", .string("JWT"))])))
        case .eddsa(let ring):
            self.method = .eddsa(ring)
        }
    }

    var algorithm: String {
        if case .hs256 = method { return "HS256" }
        return "EdDSA"
    }

    /// `<header>.<payload>.<signature>`, base64url each.
    func sign(_ payload: [UInt8]) -> String {
        switch method {
        case .hs256(let key, let header):
            let signingInput = header + "." + Base64URL.encode(payload)
            return signingInput + "." + Base64URL.encode(Array(HMAC<SHA256>.authenticationCode(
                for: Array(signingInput.utf8), using: key)))
        case .eddsa(let ring):
            let key = ring.signingKey
            let header = Base64URL.encode(FlatJSON.encode([("alg", .string("EdDSA")), ("typ", .string("JWT")),
                                                           ("kid", .string(key.kid))]))
            let signingInput = header + "." + Base64URL.encode(payload)
            // Signing with a valid key over bytes in memory cannot fail in swift-crypto's Ed25519.
            let signature = (try? key.privateKey.signature(for: Array(signingInput.utf8))).map(Array.init) ?? []
            return signingInput + "." + Base64URL.encode(signature)
        }
    }

    /// The claims of a token whose signature this signer's keys verify.
    func verifiedClaims(_ token: String) throws(TokenError) -> [String: FlatJSON.Value] {
        let parts = token.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 3, let signature = Base64URL.decode(Substring(parts[2])) else { throw TokenError(.malformed) }
        let signingInput = Array(token.utf8.prefix(parts[0].count + 1 + parts[1].count))
        // HS256 tokens carry exactly the header this signer writes: compared as bytes, not parsed.
        if case .hs256(let key, let expected) = method, parts[0].elementsEqual(expected.utf8) {
            guard HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: signingInput, using: key) else {
                throw TokenError(.badSignature)
            }
            return try Self.claims(parts[1])
        }
        guard let headerBytes = Base64URL.decode(Substring(parts[0])), let header = FlatJSON.decode(headerBytes) else {
            throw TokenError(.malformed)
        }
        switch method {
        case .hs256(let key, _):
            guard header["alg"] == .string("HS256") else { throw TokenError(.unsupportedAlgorithm) }
            guard HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: signingInput, using: key) else {
                throw TokenError(.badSignature)
            }
        case .eddsa(let ring):
            guard header["alg"] == .string("EdDSA") else { throw TokenError(.unsupportedAlgorithm) }
            guard case .string(let kid)? = header["kid"], let key = ring.key(kid: Substring(kid)),
                  key.privateKey.publicKey.isValidSignature(signature, for: signingInput)
            else { throw TokenError(.badSignature) }
        }
        return try Self.claims(parts[1])
    }

    private static func claims(_ encoded: Substring.UTF8View.SubSequence) throws(TokenError) -> [String: FlatJSON.Value] {
        guard let payload = Base64URL.decode(Substring(encoded)), let claims = FlatJSON.decode(payload) else {
            throw TokenError(.malformed)
        }
        return claims
    }

    /// The JWKS document (RFC 7517): the Ed25519 public keys that verify, or no keys for HS256.
    func jwks() -> [UInt8] {
        guard case .eddsa(let ring) = method else { return Array(#"{"keys":[]}"#.utf8) }
        let entries = ring.publicKeys.map { key in
            String(decoding: FlatJSON.encode([("kty", .string("OKP")), ("crv", .string("Ed25519")), ("x", .string(key.x)),
                                              ("kid", .string(key.kid)), ("use", .string("sig")),
                                              ("alg", .string("EdDSA"))]), as: UTF8.self)
        }
        return Array(("{\"keys\":[" + entries.joined(separator: ",") + "]}").utf8)
    }
}
