import Bytes
import Crypto

/// How access tokens are signed.
public enum SigningMethod: Sendable {
    /// HMAC-SHA256 with a secret key (the default: verification costs microseconds).
    case hs256(key: [UInt8])
    /// Ed25519 with rotating keys, published at `/.well-known/jwks.json`.
    case eddsa(SigningKeyRing)
}

/// JWKS documents (RFC 7517).
enum JWKS {
    /// `{"keys": [...]}` with every key of `rings` that verifies.
    static func document(_ rings: [SigningKeyRing]) -> [UInt8] {
        let entries = rings.flatMap(\.jwks).map { String(decoding: FlatJSON.encode($0), as: UTF8.self) }
        return Array(("{\"keys\":[" + entries.joined(separator: ",") + "]}").utf8)
    }
}

/// Compact JWS over flat JSON claims, with one signing method. The header is fixed per method (plus the
/// `kid` for EdDSA); verification refuses any other `alg`, `none` included.
struct JWTSigner: Sendable {
    private enum Method: Sendable {
        case hs256(PreparedHMAC, header: String)
        case eddsa(SigningKeyRing)
    }

    private let method: Method

    init(_ method: SigningMethod) {
        switch method {
        case .hs256(let key):
            precondition(key.count >= 32, "an HS256 key has at least 256 bits")
            self.method = .hs256(
                PreparedHMAC(key: SymmetricKey(data: key)),
                header: Base64URL.encode(
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
            // One byte array from header to signature, made into a string once.
            var token: [UInt8] = []
            token.reserveCapacity(header.utf8.count + payload.count * 4 / 3 + 50)
            token.append(contentsOf: header.utf8)
            token.append(UInt8(ascii: "."))
            token.append(contentsOf: Base64URL.encodeToBytes(payload))
            let mac = key.code(token)
            token.append(UInt8(ascii: "."))
            mac.withUnsafeBytes { token.append(contentsOf: Base64URL.encodeToBytes($0)) }
            return String(decoding: token, as: UTF8.self)
        case .eddsa(let ring):
            let key = ring.signingKey
            let header = Base64URL.encode(
                FlatJSON.encode([
                    ("alg", .string("EdDSA")), ("typ", .string("JWT")),
                    ("kid", .string(key.kid)),
                ]))
            let signingInput = header + "." + Base64URL.encode(payload)
            return signingInput + "." + Base64URL.encode(key.key.sign(Array(signingInput.utf8)))
        }
    }

    /// The claims of a token whose signature this signer's keys verify.
    func verifiedClaims(_ token: String) throws(TokenError) -> [String: FlatJSON.Value] {
        var token = token
        // Read as one contiguous run of bytes: the parts are found, decoded and authenticated where they lie.
        let result = token.withUTF8 { bytes in Result { () throws(TokenError) in try verifiedClaims(bytes) } }
        return try result.get()
    }

    private func verifiedClaims(_ token: UnsafeBufferPointer<UInt8>) throws(TokenError) -> [String: FlatJSON.Value] {
        guard let firstDot = token.firstIndex(of: UInt8(ascii: ".")),
            let secondDot = token[(firstDot + 1)...].firstIndex(of: UInt8(ascii: ".")),
            !token[(secondDot + 1)...].contains(UInt8(ascii: ".")),
            let signature = Base64URL.decode(bytes: token[(secondDot + 1)...])
        else { throw TokenError(.malformed) }
        let header = token[..<firstDot]
        let payload = token[(firstDot + 1)..<secondDot]
        let signingInput = UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: token[..<secondDot]))
        // HS256 tokens carry exactly the header this signer writes: compared as bytes, not parsed.
        if case .hs256(let key, let expected) = method, header.elementsEqual(expected.utf8) {
            guard key.isValid(signature, authenticating: signingInput) else {
                throw TokenError(.badSignature)
            }
            return try Self.claims(payload)
        }
        guard let headerBytes = Base64URL.decode(bytes: header), let fields = FlatJSON.decode(headerBytes) else {
            throw TokenError(.malformed)
        }
        switch method {
        case .hs256(let key, _):
            guard fields["alg"] == .string("HS256") else { throw TokenError(.unsupportedAlgorithm) }
            guard key.isValid(signature, authenticating: signingInput) else {
                throw TokenError(.badSignature)
            }
        case .eddsa(let ring):
            guard fields["alg"] == .string("EdDSA") else { throw TokenError(.unsupportedAlgorithm) }
            guard case .string(let kid)? = fields["kid"], let key = ring.key(kid: Substring(kid)),
                key.key.isValidSignature(signature, for: signingInput)
            else { throw TokenError(.badSignature) }
        }
        return try Self.claims(payload)
    }

    private static func claims(
        _ encoded: Slice<UnsafeBufferPointer<UInt8>>
    ) throws(TokenError) -> [String: FlatJSON.Value] {
        guard let payload = Base64URL.decode(bytes: encoded), let claims = FlatJSON.decode(payload) else {
            throw TokenError(.malformed)
        }
        return claims
    }

    /// The JWKS document (RFC 7517): the Ed25519 public keys that verify, or no keys for HS256.
    func jwks() -> [UInt8] {
        guard case .eddsa(let ring) = method else { return Array(#"{"keys":[]}"#.utf8) }
        return JWKS.document([ring])
    }
}
