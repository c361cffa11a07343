import Bytes
import Crypto
import Foundation
import Testing
import _CryptoExtras

@testable import Social

/// A provider's keys and a signer of ID tokens with them, as a local OpenID Connect provider would have.
struct TestProviderKeys: Sendable {
    let rsa = try! _RSA.Signing.PrivateKey(keySize: .bits2048)
    let p256 = P256.Signing.PrivateKey()
    let ed25519 = Curve25519.Signing.PrivateKey()

    static func b64(_ bytes: some DataProtocol) -> String { Base64URL.encode(Array(bytes)) }

    var jwks: [UInt8] {
        let rsaNumbers = try! rsa.publicKey.getKeyPrimitives()
        let p256Raw = Array(p256.publicKey.rawRepresentation)
        let keys: [[String: String]] = [
            [
                "kty": "RSA", "kid": "rsa-1", "use": "sig", "alg": "RS256", "n": Self.b64(rsaNumbers.modulus),
                "e": Self.b64(rsaNumbers.publicExponent),
            ],
            ["kty": "EC", "kid": "ec-1", "crv": "P-256", "x": Self.b64(p256Raw[..<32]), "y": Self.b64(p256Raw[32...])],
            ["kty": "OKP", "kid": "ed-1", "crv": "Ed25519", "x": Self.b64(ed25519.publicKey.rawRepresentation)],
            ["kty": "RSA", "kid": "enc-1", "use": "enc", "n": "AQAB", "e": "AQAB"],
        ]
        return Array(try! JSONSerialization.data(withJSONObject: ["keys": keys]))
    }

    /// A compact JWS of `claims` with `alg` and `kid` (signed by the matching key; `none` and `HS256` as given).
    func token(_ claims: [String: Any], alg: String = "RS256", kid: String? = "rsa-1", hmacKey: [UInt8] = []) -> String
    {
        var header: [String: Any] = ["alg": alg, "typ": "JWT"]
        if let kid { header["kid"] = kid }
        let input =
            Self.b64(try! JSONSerialization.data(withJSONObject: header)) + "."
            + Self.b64(try! JSONSerialization.data(withJSONObject: claims))
        let data = Data(input.utf8)
        let signature: [UInt8]
        switch alg {
        case "RS256":
            signature = Array(
                try! rsa.signature(for: SHA256.hash(data: data), padding: .insecurePKCS1v1_5).rawRepresentation)
        case "ES256": signature = Array(try! p256.signature(for: SHA256.hash(data: data)).rawRepresentation)
        case "EdDSA": signature = Array(try! ed25519.signature(for: data))
        case "HS256": signature = Array(HMAC<SHA256>.authenticationCode(for: data, using: SymmetricKey(data: hmacKey)))
        default: signature = []
        }
        return input + "." + Self.b64(signature)
    }
}

@Suite("ID tokens from social login providers: signature, issuer, audience, expiry and nonce all checked")
struct IDTokenVerifierTests {
    static let keys = TestProviderKeys()
    static let now: Int64 = 1_800_000_000
    static let issuer = "https://idp.example"

    static func claims(_ changes: [String: Any] = [:]) -> [String: Any] {
        var claims: [String: Any] = [
            "iss": issuer, "sub": "248289761001", "aud": "tessera-client", "exp": now + 300,
            "iat": now - 10, "nonce": "n-0S6_WzA2Mj", "email": "jane@example.com",
            "email_verified": true, "name": "Jane Doe",
        ]
        for (key, value) in changes { claims[key] = value }
        return claims
    }

    static func verify(_ token: String) throws(IDTokenError) -> IDTokenClaims {
        let set = try ProviderKeySet(jwks: keys.jwks)
        return try IDTokenVerifier.verify(
            token, keys: set, issuer: issuer, clientID: "tessera-client",
            nonce: "n-0S6_WzA2Mj", nowSeconds: now)
    }

    @Test(
        "RS256, ES256 and EdDSA tokens verify to their claims",
        arguments: [("RS256", "rsa-1"), ("ES256", "ec-1"), ("EdDSA", "ed-1")])
    func validTokens(algorithm: String, kid: String) throws {
        let claims = try Self.verify(Self.keys.token(Self.claims(), alg: algorithm, kid: kid))
        #expect(claims.subject == "248289761001")
        #expect(claims.email == "jane@example.com" && claims.emailVerified && claims.name == "Jane Doe")
    }

    @Test("a token without kid uses the only key of its algorithm; email_verified as a string is read")
    func noKid() throws {
        let claims = try Self.verify(Self.keys.token(Self.claims(["email_verified": "true"]), alg: "EdDSA", kid: nil))
        #expect(claims.emailVerified)
    }

    @Test(
        "refused: another issuer, another audience, another party, expired, issued in the future, another nonce, no subject",
        arguments: [
            ["iss": "https://evil.example"], ["aud": "someone-else"], ["aud": ["tessera-client", "other"]],
            ["aud": ["tessera-client", "other"], "azp": "other"], ["exp": now - 61], ["iat": now + 3_600],
            ["nonce": "replayed"], ["sub": ""],
        ] as [[String: any Sendable]])
    func wrongClaims(changes: [String: any Sendable]) {
        #expect(throws: IDTokenError.self) { try Self.verify(Self.keys.token(Self.claims(changes))) }
    }

    @Test("several audiences with this client as azp are accepted")
    func azp() throws {
        _ = try Self.verify(
            Self.keys.token(Self.claims(["aud": ["tessera-client", "other"], "azp": "tessera-client"])))
    }

    @Test("forged: another key, alg none, HS256 keyed with the public key, an unknown kid, a changed payload, garbage")
    func forgeries() throws {
        let stranger = TestProviderKeys()
        let good = Self.keys.token(Self.claims())
        let parts = good.split(separator: ".").map(String.init)
        let changed =
            parts[0] + "."
            + TestProviderKeys.b64(
                try JSONSerialization.data(
                    withJSONObject: Self.claims(["sub": "admin"]))) + "." + parts[2]
        let confused = Self.keys.token(
            Self.claims(), alg: "HS256", kid: "rsa-1",
            hmacKey: Array(Self.keys.rsa.publicKey.pkcs1DERRepresentation))
        for token in [
            stranger.token(Self.claims()), Self.keys.token(Self.claims(), alg: "none"), confused,
            Self.keys.token(Self.claims(), kid: "rsa-2"), changed, "a.b.c", "", good + ".x",
        ] {
            #expect(throws: IDTokenError.self) { try Self.verify(token) }
        }
        _ = try Self.verify(good)
    }

    @Test("a JWKS document without usable signing keys is refused")
    func emptyKeySet() {
        #expect(throws: IDTokenError.self) {
            try ProviderKeySet(jwks: Array(#"{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}"#.utf8))
        }
        #expect(throws: IDTokenError.self) { try ProviderKeySet(jwks: Array("not json".utf8)) }
    }
}
