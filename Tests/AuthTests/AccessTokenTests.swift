import Bytes
import ExtrasBase64
import Foundation
import Testing

@testable import Auth

@Suite("Access tokens: signed, verified, and forgeries refused")
struct AccessTokenTests {
    static let key = [UInt8](repeating: 7, count: 32)
    static let signer = AccessTokenSigner(key: key, issuer: "tessera")
    static let claims = AccessClaims(
        userID: UUID(uuidString: "6f1c2a8e-0d3b-4c55-9a77-1b2c3d4e5f60")!,
        sessionID: UUID(uuidString: "6f1c9999-0d3b-4c55-9a77-1b2c3d4e5f61")!,
        issuedAt: 1_800_000_000, expiresAt: 1_800_000_900,
        tokenID: UUID(uuidString: "00000000-0000-4000-8000-000000000001")!, isSuperuser: false,
        email: "ada@example.com", firstName: "Ada \"the first\" ü")

    static func part(_ json: String) -> String { Base64URL.encode(Array(json.utf8)) }

    @Test("a signed token verifies to its claims before it expires, and not after")
    func roundTrip() throws {
        let token = Self.signer.sign(Self.claims)
        #expect(try Self.signer.verify(token, nowSeconds: 1_800_000_100) == Self.claims)
        #expect(throws: TokenError(.expired)) { try Self.signer.verify(token, nowSeconds: 1_800_000_900) }
    }

    @Test("alg none, a changed payload, a wrong key, another issuer, another type, garbage, an empty header")
    func forgeries() throws {
        let token = Self.signer.sign(Self.claims)
        let parts = token.split(separator: ".").map(String.init)
        let now: Int64 = 1_800_000_100

        let none = Self.part(#"{"alg":"none","typ":"JWT"}"#) + "." + parts[1] + "."
        #expect(throws: TokenError(.unsupportedAlgorithm)) { try Self.signer.verify(none, nowSeconds: now) }

        var payload = Base64URL.decode(Substring(parts[1]))!
        let superuser = String(decoding: payload, as: UTF8.self).replacingOccurrences(of: "false", with: "true ")
        payload = Array(superuser.utf8)
        let changed = parts[0] + "." + Base64URL.encode(payload) + "." + parts[2]
        #expect(throws: TokenError(.badSignature)) { try Self.signer.verify(changed, nowSeconds: now) }

        let otherKey = AccessTokenSigner(key: [UInt8](repeating: 8, count: 32), issuer: "tessera")
        #expect(throws: TokenError(.badSignature)) { try otherKey.verify(token, nowSeconds: now) }

        let otherIssuer = AccessTokenSigner(key: Self.key, issuer: "elsewhere")
        #expect(throws: TokenError(.wrongIssuer)) { try otherIssuer.verify(token, nowSeconds: now) }

        for garbage in ["", ".", "..", "a.b.c", "a.b", token + ".x", "!!!.###.$$$", parts[0] + ".." + parts[2]] {
            #expect(throws: TokenError.self, "\(garbage)") { try Self.signer.verify(garbage, nowSeconds: now) }
        }
        let emptyHeader = "." + parts[1] + "." + parts[2]
        #expect(throws: TokenError(.malformed)) { try Self.signer.verify(emptyHeader, nowSeconds: now) }
    }

    @Test("a correctly signed token of another type is refused")
    func otherType() throws {
        let header = Self.part(#"{"alg":"HS256","typ":"JWT"}"#)
        let body = Base64URL.encode(FlatJSON.encode([("type", .string("refresh")), ("iss", .string("tessera"))]))
        let input = header + "." + body
        let signature = Auth.hs256(Array(input.utf8), key: Self.key)
        #expect(throws: TokenError(.wrongType)) {
            try Self.signer.verify(input + "." + Base64URL.encode(signature), nowSeconds: 0)
        }
    }

    @Test("the claims parser refuses nesting, floats, null, duplicates and trailing bytes")
    func strictJSON() {
        for text in [
            #"{"a":{"b":1}}"#, #"{"a":1.5}"#, #"{"a":null}"#, #"{"a":1,"a":2}"#, #"{"a":1}x"#, #"[1]"#,
            #"{"a":"\q"}"#, #"{"a":1,}"#, "",
        ] {
            #expect(FlatJSON.decode(Array(text.utf8)) == nil, "\(text)")
        }
        #expect(
            FlatJSON.decode(Array(#" { "a" : "x\"y" , "b" : -3 , "c" : true } "#.utf8))
                == ["a": .string("x\"y"), "b": .integer(-3), "c": .bool(true)])
    }
}
