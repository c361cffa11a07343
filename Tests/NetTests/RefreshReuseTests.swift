import Auth
import Engine
import Foundation
import Testing

/// Reuse detection over the whole rotation chain, and answers that tell nothing about which sessions exist.
@Suite("Refresh tokens: reuse anywhere in the chain ends the session; unknown sessions look like bad tokens")
struct RefreshReuseTests {
    static func refresh(_ harness: HTTPHarness, _ token: String) async throws -> HTTPHarness.Answer {
        try await harness.send("POST", "/api/v1/auth/refresh", json: #"{"refresh_token":"\#(token)"}"#)
    }

    @Test("T0 → T1 → T2 by a thief, then T0 by the victim, at once or after the grace window: the whole session ends")
    func firstPartyChainReuse() async throws {
        for waitMilliseconds: Int64 in [0, 60_000] {
            let clock = ManualClock(milliseconds: Int64(Date().timeIntervalSince1970 * 1000))
            let harness = try await HTTPHarness(clock: clock)
            let login = try await harness.signUp("ada@example.com")
            let t0 = try #require(login.json["refresh_token"] as? String)
            let t1 = try #require(try await Self.refresh(harness, t0).json["refresh_token"] as? String)
            let second = try await Self.refresh(harness, t1)
            let t2 = try #require(second.json["refresh_token"] as? String)
            let thiefAccess = try #require(second.json["access_token"] as? String)
            clock.advance(byMilliseconds: waitMilliseconds)

            let victim = try await Self.refresh(harness, t0)
            #expect(victim.status == 401)
            #expect(victim.errorCode == "AUTH_003")
            #expect(try await Self.refresh(harness, t2).status == 401, "the thief's newest token still rotates")
            #expect(
                try await harness.send("GET", "/api/v1/users/me", token: thiefAccess).status == 401,
                "the thief's access token still works")
            await harness.close()
        }
    }

    @Test("the same for the provider's refresh tokens: an old one of the chain revokes the grant's session")
    func providerChainReuse() async throws {
        let fixture = try await ProviderFixture.make()
        let path = "/api/v1/oauth/provider/token"
        let code = try await fixture.code(client: fixture.confidential.id, challenge: nil)
        let first = try await fixture.harness.sendForm(
            path,
            [
                ("grant_type", "authorization_code"), ("code", code),
                ("redirect_uri", ProviderFixture.redirect),
            ], basic: fixture.confidential)
        let t0 = try #require(first.json["refresh_token"] as? String)
        var newest = t0
        var access = ""
        for _ in 0..<2 {
            let rotated = try await fixture.harness.sendForm(
                path, [("grant_type", "refresh_token"), ("refresh_token", newest)],
                basic: fixture.confidential)
            newest = try #require(rotated.json["refresh_token"] as? String)
            access = try #require(rotated.json["access_token"] as? String)
        }
        let reused = try await fixture.harness.sendForm(
            path, [("grant_type", "refresh_token"), ("refresh_token", t0)],
            basic: fixture.confidential)
        #expect(reused.json["error"] as? String == "invalid_grant")
        #expect(try await fixture.introspect(access)["active"] as? Bool == false)
        #expect(try await fixture.introspect(newest)["active"] as? Bool == false)
        await fixture.harness.close()
    }

    @Test("a refresh token of an unknown session is 401 AUTH_003 like any bad token, never 404")
    func unknownSession() async throws {
        let harness = try await HTTPHarness()
        let login = try await harness.signUp("ada@example.com")
        let real = try #require(login.json["refresh_token"] as? String)
        let unknown = UUID().uuidString.lowercased() + real.dropFirst(36)
        let answer = try await Self.refresh(harness, unknown)
        #expect(answer.status == 401)
        #expect(answer.errorCode == "AUTH_003")
        #expect(
            try await Self.refresh(harness, real).status == 200, "a token of another session is not a reuse of this one"
        )
        await harness.close()
    }

    @Test("an access token whose sid names another user's session is refused")
    func sessionOfAnotherUser() async throws {
        let harness = try await HTTPHarness()
        let ada = try await harness.signUp("ada@example.com")
        _ = try await harness.signUp("bob@example.com")
        let adaID = try #require(UUID(uuidString: (ada.json["user"] as? [String: Any])?["id"] as? String ?? ""))
        let bob = try #require(await harness.auth.engine.user(email: "bob@example.com"))
        let bobSession = try #require(await harness.auth.engine.sessions(of: bob.id).first)
        let now = Int64(Date().timeIntervalSince1970)
        // Signed with the server's own key: only the pairing of sub and sid is wrong.
        let forged = harness.auth.signer.sign(
            AccessClaims(
                userID: adaID, sessionID: bobSession.id, issuedAt: now, expiresAt: now + 600, tokenID: UUID(),
                isSuperuser: false, email: "ada@example.com", firstName: "A"))
        let answer = try await harness.send("GET", "/api/v1/users/me", token: forged)
        #expect(answer.status == 401)
        await harness.close()
    }
}
