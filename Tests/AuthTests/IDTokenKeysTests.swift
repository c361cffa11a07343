import Foundation
import Testing

@testable import Auth

@Suite("ID token keys: RS256, ES256 and EdDSA rings made at first use, in the JWKS, verifying their own signatures")
struct IDTokenKeysTests {
    @Test("each algorithm signs what it verifies; a changed byte or another key's signature does not verify")
    func signAndVerify() throws {
        let directory = SigningTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let keys = IDTokenKeys(directory: directory, rotationSeconds: nil, retentionSeconds: 900)
        for algorithm in SigningAlgorithm.allCases {
            let token = try keys.sign([("sub", .string("ada"))], algorithm: algorithm, nowSeconds: 1_800_000_000)
            #expect(keys.verifiedClaims(token)?["sub"] == .string("ada"), "\(algorithm)")
            var bytes = Array(token.utf8)
            let index = token.split(separator: ".")[0].utf8.count + 3
            bytes[index] = bytes[index] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
            #expect(
                keys.verifiedClaims(String(decoding: bytes, as: UTF8.self)) == nil, "\(algorithm): a changed payload")
        }
        let jwks = try #require(
            try JSONSerialization.jsonObject(with: Data(keys.jwks(nowSeconds: 1_800_000_000))) as? [String: Any])
        let entries = try #require(jwks["keys"] as? [[String: Any]])
        #expect(Set(entries.compactMap { $0["alg"] as? String }) == ["RS256", "ES256", "EdDSA"])
        let rsa = try #require(entries.first { $0["kty"] as? String == "RSA" })
        #expect((rsa["n"] as? String)?.count == 342, "a 2,048-bit modulus")
        #expect(rsa["e"] as? String == "AQAB")
        let ec = try #require(entries.first { $0["kty"] as? String == "EC" })
        #expect(
            ec["crv"] as? String == "P-256" && (ec["x"] as? String)?.count == 43 && (ec["y"] as? String)?.count == 43)

        // Read again from disk: the same keys verify what was signed before.
        let token = try keys.sign([("sub", .string("bo"))], algorithm: .rs256, nowSeconds: 1_800_000_000)
        let reloaded = IDTokenKeys(directory: directory, rotationSeconds: nil, retentionSeconds: 900)
        _ = try reloaded.jwks(nowSeconds: 1_800_000_000)
        #expect(reloaded.verifiedClaims(token)?["sub"] == .string("bo"))
        let other = IDTokenKeys(directory: directory + "/other", rotationSeconds: nil, retentionSeconds: 900)
        _ = try other.jwks(nowSeconds: 1_800_000_000)
        #expect(other.verifiedClaims(token) == nil, "another directory's keys")
    }

    @Test("the rings rotate on schedule and keep the replaced key until its tokens expired")
    func rotation() throws {
        let directory = SigningTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let keys = IDTokenKeys(directory: directory, rotationSeconds: 86_400, retentionSeconds: 900)
        let old = try keys.sign([("sub", .string("ada"))], algorithm: .es256, nowSeconds: 1_800_000_000)
        #expect(try keys.rotateIfDue(nowSeconds: 1_800_086_400))
        #expect(keys.verifiedClaims(old) != nil)
        #expect(try keys.ring(.es256, nowSeconds: 1_800_086_400).kids.count == 2)
        _ = try keys.rotateIfDue(nowSeconds: 1_800_086_400 + 901)
        #expect(keys.verifiedClaims(old) == nil, "gone once its tokens expired")
    }
}
