import Crypto
import Foundation
import Testing

@testable import Auth

@Suite("EdDSA signing keys, JWKS, and the verified-token cache")
struct SigningTests {
    static func temporaryDirectory() -> String {
        var template = Array("\(NSTemporaryDirectory())/tessera-keys-XXXXXX".utf8CString)
        return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    static let claims = ProviderClaims(
        subject: UUID(), sessionID: UUID(), clientID: UUID(), scope: "read", issuedAt: 1_800_000_000,
        expiresAt: 1_800_000_900, tokenID: UUID())

    @Test("EdDSA tokens verify; an HS256 signer refuses them and they refuse HS256; a key from disk verifies again")
    func eddsa() throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let ring = try SigningKeyRing(
            directory: directory + "/ed25519", nowSeconds: 1_800_000_000, rotationSeconds: nil,
            retentionSeconds: 900)
        let signer = AccessTokenSigner(method: .eddsa(ring), issuer: "tessera")
        let token = signer.sign(Self.claims)
        #expect(try signer.verifyAny(token, nowSeconds: 1_800_000_100) == .provider(Self.claims))
        let hs256 = AccessTokenSigner(key: [UInt8](repeating: 1, count: 32), issuer: "tessera")
        #expect(throws: TokenError(.unsupportedAlgorithm)) { try hs256.verifyAny(token, nowSeconds: 1_800_000_100) }
        #expect(throws: TokenError(.unsupportedAlgorithm)) {
            try signer.verifyAny(hs256.sign(Self.claims), nowSeconds: 1_800_000_100)
        }
        // The same directory read again holds the same key.
        let reloaded = AccessTokenSigner(
            method: .eddsa(
                try SigningKeyRing(
                    directory: directory + "/ed25519", nowSeconds: 1_800_000_000, rotationSeconds: nil,
                    retentionSeconds: 900)),
            issuer: "tessera")
        #expect(try reloaded.verifyAny(token, nowSeconds: 1_800_000_100) == .provider(Self.claims))
    }

    @Test("after a rotation the old key verifies and stays in the JWKS until its tokens expire, then it is gone")
    func rotation() throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let ring = try SigningKeyRing(
            directory: directory + "/ed25519", nowSeconds: 1_800_000_000,
            rotationSeconds: 86_400, retentionSeconds: 900)
        let signer = AccessTokenSigner(method: .eddsa(ring), issuer: "tessera")
        let old = signer.sign(Self.claims)
        #expect(try ring.rotateIfDue(nowSeconds: 1_800_086_400))
        #expect(ring.kids.count == 2)
        #expect(try signer.verifyAny(old, nowSeconds: 1_800_000_100) == .provider(Self.claims))
        let jwks = String(decoding: signer.jwks(), as: UTF8.self)
        #expect(jwks.contains("ed25519-1800000000") && jwks.contains("ed25519-1800086400"))
        #expect(try !ring.rotateIfDue(nowSeconds: 1_800_086_400 + 901))
        #expect(ring.kids == ["ed25519-1800086400"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory + "/ed25519") == ["1800086400.key"])
    }

    @Test("the cache answers a verified token until it expires, and never a token that differs from it")
    func cache() throws {
        let signer = AccessTokenSigner(key: [UInt8](repeating: 3, count: 32), issuer: "tessera")
        let token = signer.sign(Self.claims)
        #expect(try signer.verifyAny(token, nowSeconds: 1_800_000_100) == .provider(Self.claims))
        #expect(try signer.verifyAny(token, nowSeconds: 1_800_000_200) == .provider(Self.claims))
        var bytes = Array(token.utf8)
        bytes[bytes.count - 2] = bytes[bytes.count - 2] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(throws: TokenError.self) {
            try signer.verifyAny(String(decoding: bytes, as: UTF8.self), nowSeconds: 1_800_000_200)
        }
        #expect(throws: TokenError(.expired)) { try signer.verifyAny(token, nowSeconds: 1_800_000_900) }

        // 16 parts of one token each: two tokens ending with the same byte share a part, the older gives way.
        let small = VerifiedTokenCache(capacity: 16)
        for name in ["1a", "2a", "1b"] { small.put(name, .provider(Self.claims)) }
        #expect(small.get("1a", nowSeconds: 0) == nil)
        #expect(small.get("2a", nowSeconds: 0) != nil)
        #expect(small.get("1b", nowSeconds: 0) != nil)
    }
}

@Suite("A prepared HMAC key gives the codes HMAC-SHA256 gives")
struct PreparedHMACTests {
    @Test(
        "the same code as HMAC-SHA256 with the key set up each time, for messages of every block boundary; a changed byte does not verify"
    )
    func sameCodes() {
        let key = SymmetricKey(data: (0..<32).map { UInt8($0) })
        let prepared = PreparedHMAC(key: key)
        for length in [0, 1, 55, 56, 63, 64, 65, 127, 128, 1000] {
            let message = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 7) }
            let expected = HMAC<SHA256>.authenticationCode(for: message, using: key)
            #expect(prepared.code(message) == expected, "length \(length)")
            #expect(prepared.isValid(Array(expected), authenticating: message))
            var wrong = Array(expected)
            wrong[length % wrong.count] ^= 1
            #expect(!prepared.isValid(wrong, authenticating: message))
        }
    }
}
