import Bytes
import Crypto
import Foundation
import _CryptoExtras

/// Why an ID token from a social login provider was refused.
package struct IDTokenError: Error, Sendable, Hashable, CustomStringConvertible {
    package let reason: String
    /// No published key matches the token's header: the provider may have rotated its keys since they were read.
    package let isUnknownKey: Bool
    init(_ reason: String, isUnknownKey: Bool = false) {
        self.reason = reason
        self.isUnknownKey = isUnknownKey
    }
    package var description: String { reason }
}

/// A provider's signing keys, read from its JWKS document (RFC 7517): RSA for RS256, P-256 for ES256 and
/// Ed25519 for EdDSA. Keys of other types, and keys published for encryption, are skipped.
package struct ProviderKeySet: Sendable {
    enum Key: Sendable {
        case rsa(_RSA.Signing.PublicKey)
        case p256(P256.Signing.PublicKey)
        case ed25519(Curve25519.Signing.PublicKey)

        var algorithm: String {
            switch self {
            case .rsa: "RS256"
            case .p256: "ES256"
            case .ed25519: "EdDSA"
            }
        }
    }

    let keys: [(kid: String?, key: Key)]

    /// Reads a JWKS document; fails when it is not one or holds no usable signing key.
    package init(jwks: [UInt8]) throws(IDTokenError) {
        guard let document = try? JSONSerialization.jsonObject(with: Data(jwks)) as? [String: Any],
            let entries = document["keys"] as? [[String: Any]]
        else { throw IDTokenError("the JWKS document is not a JSON object with keys") }
        var keys: [(kid: String?, key: Key)] = []
        for entry in entries where (entry["use"] as? String ?? "sig") == "sig" {
            if let key = Self.key(entry) { keys.append((entry["kid"] as? String, key)) }
        }
        guard !keys.isEmpty else { throw IDTokenError("the JWKS document has no usable signing key") }
        self.keys = keys
    }

    private static func key(_ entry: [String: Any]) -> Key? {
        func bytes(_ name: String) -> [UInt8]? { (entry[name] as? String).flatMap { Base64URL.decode(Substring($0)) } }
        switch (entry["kty"] as? String, entry["crv"] as? String) {
        case ("RSA", _):
            guard let n = bytes("n"), let e = bytes("e") else { return nil }
            return (try? _RSA.Signing.PublicKey(n: n, e: e)).map(Key.rsa)
        case ("EC", "P-256"):
            guard let x = bytes("x"), let y = bytes("y"), x.count == 32, y.count == 32 else { return nil }
            return (try? P256.Signing.PublicKey(rawRepresentation: x + y)).map(Key.p256)
        case ("OKP", "Ed25519"):
            guard let x = bytes("x") else { return nil }
            return (try? Curve25519.Signing.PublicKey(rawRepresentation: x)).map(Key.ed25519)
        default:
            return nil
        }
    }

    /// The key a token's header names: by `kid`, or the only key of the algorithm's type when there is no `kid`.
    func key(kid: String?, algorithm: String) -> Key? {
        let candidates = keys.filter { $0.key.algorithm == algorithm }
        if let kid { return candidates.first { $0.kid == kid }?.key }
        return candidates.count == 1 ? candidates[0].key : nil
    }
}

/// What a verified ID token says of the person.
package struct IDTokenClaims: Sendable, Hashable {
    package let subject: String
    package let email: String?
    package let emailVerified: Bool
    package let name: String?
    package let givenName: String?
    package let familyName: String?
    package let expiresAt: Int64
}

/// Verifies an OpenID Connect ID token as OpenID Connect Core 1.0 §3.1.3.7 asks: an asymmetric signature by
/// one of the provider's published keys (never `none`, never an HMAC keyed with public material), the exact
/// issuer, this client among the audiences (and as `azp` when there are several), not expired, not issued in
/// the future, and the nonce this sign-in sent.
package enum IDTokenVerifier {
    package static func verify(
        _ token: String, keys: ProviderKeySet, issuer: String, clientID: String, nonce: String,
        nowSeconds: Int64, leewaySeconds: Int64 = 60
    ) throws(IDTokenError) -> IDTokenClaims {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerBytes = Base64URL.decode(parts[0]),
            let payloadBytes = Base64URL.decode(parts[1]),
            let signature = Base64URL.decode(parts[2]),
            let header = try? JSONDecoder().decode(Header.self, from: Data(headerBytes)),
            let claims = try? JSONDecoder().decode(Claims.self, from: Data(payloadBytes))
        else { throw IDTokenError("the ID token is not a JWS in compact form") }
        guard let algorithm = header.alg, ["RS256", "ES256", "EdDSA"].contains(algorithm) else {
            throw IDTokenError("the ID token's algorithm is not RS256, ES256 or EdDSA")
        }
        guard let key = keys.key(kid: header.kid, algorithm: algorithm) else {
            throw IDTokenError("no published key signs this ID token", isUnknownKey: true)
        }
        let signingInput = Array(token.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))
        guard isValid(signature, of: signingInput, by: key) else {
            throw IDTokenError("the ID token's signature is wrong")
        }

        guard claims.iss == issuer else { throw IDTokenError("the ID token is from another issuer") }
        let audiences = claims.aud?.values ?? []
        guard audiences.contains(clientID) else { throw IDTokenError("the ID token is not for this client") }
        if audiences.count > 1 || claims.azp != nil {
            guard claims.azp == clientID else { throw IDTokenError("the ID token was issued to another party") }
        }
        guard let exp = claims.exp, nowSeconds < Int64(exp.rounded(.down)) + leewaySeconds else {
            throw IDTokenError("the ID token has expired")
        }
        guard let iat = claims.iat, Int64(iat.rounded(.down)) <= nowSeconds + leewaySeconds else {
            throw IDTokenError("the ID token is issued in the future")
        }
        guard let presented = claims.nonce, Array(presented.utf8) == Array(nonce.utf8) else {
            throw IDTokenError("the ID token's nonce is not this sign-in's")
        }
        guard let subject = claims.sub, !subject.isEmpty else { throw IDTokenError("the ID token has no subject") }
        return IDTokenClaims(
            subject: subject, email: claims.email, emailVerified: claims.email_verified?.value ?? false,
            name: claims.name, givenName: claims.given_name, familyName: claims.family_name,
            expiresAt: Int64(exp.rounded(.down)))
    }

    private struct Header: Decodable {
        let alg: String?
        let kid: String?
    }

    /// The claims looked at; names as the JSON has them.
    private struct Claims: Decodable {
        let iss: String?
        let sub: String?
        let aud: Audience?
        let azp: String?
        let exp: Double?
        let iat: Double?
        let nonce: String?
        let email: String?
        let email_verified: LenientBool?
        let name: String?
        let given_name: String?
        let family_name: String?
    }

    /// `aud`: one string or an array of them.
    private struct Audience: Decodable {
        let values: [String]
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let many = try? container.decode([String].self) {
                values = many
            } else {
                values = [try container.decode(String.self)]
            }
        }
    }

    /// A boolean some providers send as the string "true".
    private struct LenientBool: Decodable {
        let value: Bool
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let flag = try? container.decode(Bool.self) {
                value = flag
            } else {
                value = try container.decode(String.self) == "true"
            }
        }
    }

    private static func isValid(_ signature: [UInt8], of input: [UInt8], by key: ProviderKeySet.Key) -> Bool {
        switch key {
        case .rsa(let key):
            return key.isValidSignature(
                _RSA.Signing.RSASignature(rawRepresentation: signature), for: SHA256.hash(data: input),
                padding: .insecurePKCS1v1_5)
        case .p256(let key):
            guard let parsed = try? P256.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
            return key.isValidSignature(parsed, for: SHA256.hash(data: input))
        case .ed25519(let key):
            return key.isValidSignature(signature, for: input)
        }
    }

}
