import Foundation
import Testing

/// Lengths bounded in bytes as well as characters, and characters no name or email has a use for.
@Suite("Input bounds: bytes, not only characters; no control characters or bidirectional overrides")
struct InputBoundsTests {
    /// One character: a base letter carrying `count` combining marks (a single grapheme cluster).
    static func heavyCharacter(_ count: Int) -> String { "a" + String(repeating: "\u{0301}", count: count) }

    @Test("a one-character first name of 300 KB, or a 200 KB email, is 422 at registration, profile and admin creation")
    func bytesBounded() async throws {
        let harness = try await HTTPHarness(
            limits: {
                var limits = HTTPHarness.limits; limits.bodyLimitBytes = 1 << 20; return limits
            }())
        let root = try await UserEndpointTests.superuserToken(harness)
        let heavy = Self.heavyCharacter(150_000)
        #expect(heavy.count == 1)
        let register = try await harness.send(
            "POST", "/api/v1/auth/register",
            json: CredentialHardeningTests.json([
                "email": "ada@example.com", "password": HTTPHarness.password, "first_name": heavy,
            ]))
        #expect(register.status == 422)
        #expect(register.errorField == "first_name")
        let longEmail = String(repeating: "a", count: 200_000) + "@example.com"
        let email = try await harness.send(
            "POST", "/api/v1/auth/register",
            json: CredentialHardeningTests.json([
                "email": longEmail, "password": HTTPHarness.password, "first_name": "A",
            ]))
        #expect(email.errorCode == "VAL_003")
        let admin = try await harness.send(
            "POST", "/api/v1/admin/users",
            json: CredentialHardeningTests.json([
                "email": "b@example.com", "password": HTTPHarness.password, "first_name": heavy,
            ]), token: root)
        #expect(admin.status == 422)
        let login = try await harness.signUp("ada@example.com")
        let token = try #require(login.json["access_token"] as? String)
        let profile = try await harness.send(
            "PATCH", "/api/v1/users/me",
            json: CredentialHardeningTests.json(["last_name": heavy]), token: token)
        #expect(profile.status == 422)
        #expect(profile.errorField == "last_name")
        let organization = try await harness.send(
            "POST", "/api/v1/organizations",
            json: CredentialHardeningTests.json(["name": heavy, "slug": "heavy"]), token: token)
        #expect(organization.status == 422)
        // A name of 100 ordinary characters, even four-byte ones, is fine.
        let wide = try await harness.send(
            "PATCH", "/api/v1/users/me",
            json: CredentialHardeningTests.json(["first_name": String(repeating: "😀", count: 100)]), token: token)
        #expect(wide.status == 200)
        await harness.close()
    }

    @Test("control characters, NUL and bidirectional overrides are refused in names, labels and emails")
    func charactersRefused() async throws {
        let harness = try await HTTPHarness()
        let login = try await harness.signUp("ada@example.com")
        let token = try #require(login.json["access_token"] as? String)
        for bad in ["Ada\u{202E}nimda", "Ada\u{0}", "Ada\u{7}", "Ada\nLovelace", "\u{2066}Ada"] {
            let profile = try await harness.send(
                "PATCH", "/api/v1/users/me",
                json: CredentialHardeningTests.json(["first_name": bad]), token: token)
            #expect(profile.status == 422, "\(bad.unicodeScalars.map { String($0.value, radix: 16) })")
        }
        for bad in ["ada\u{0}@example.com", "ada@exam\u{202E}ple.com", "ada\u{1}@example.com"] {
            let register = try await harness.send(
                "POST", "/api/v1/auth/register",
                json: CredentialHardeningTests.json([
                    "email": bad, "password": HTTPHarness.password, "first_name": "A",
                ]))
            #expect(register.errorCode == "VAL_003")
        }
        let description = try await harness.send(
            "POST", "/api/v1/organizations",
            json: CredentialHardeningTests.json([
                "name": "Acme", "slug": "acme", "description": "Line one\nline two",
            ]), token: token)
        #expect(description.status == 201, "a description may have line breaks")
        let label = try await harness.send(
            "POST", "/api/v1/organizations",
            json: CredentialHardeningTests.json([
                "name": "Ac\u{202E}me", "slug": "acme-2",
            ]), token: token)
        #expect(label.status == 422)
        await harness.close()
    }
}
