import Foundation
import Synchronization
import Testing

/// The introspection answers Tessera remembers must never outlive what they were read from: the very next
/// introspection after an acknowledged revocation answers `active: false`.
@Suite("Remembered introspection answers: never active after a revocation was acknowledged")
struct IntrospectionCacheTests {
    @Test(
        "after a logout, logging out everywhere, a deactivation, a revoked grant or a deleted client, the next introspection is inactive"
    )
    func everyRevocation() async throws {
        let fixture = try await ProviderFixture.make()
        defer { Task { await fixture.harness.close() } }
        let harness = fixture.harness
        func active(_ token: String) async throws -> Bool {
            // Twice: the second answer is the remembered one.
            _ = try await fixture.introspect(token)
            return try await fixture.introspect(token)["active"] as? Bool == true
        }
        // A logout of one session.
        let login = try await harness.send(
            "POST", "/api/v1/auth/login", json: #"{"email":"ada@example.com","password":"\#(HTTPHarness.password)"}"#)
        let access = try #require(login.json["access_token"] as? String)
        #expect(try await active(access))
        let refreshToken = try #require(login.json["refresh_token"] as? String)
        let logout = try await harness.send(
            "POST", "/api/v1/auth/logout", json: #"{"refresh_token":"\#(refreshToken)"}"#, token: access)
        #expect(logout.status == 200)
        #expect(try await fixture.introspect(access)["active"] as? Bool == false, "logout")

        // A provider grant revoked by its client, then a client deleted.
        let verifier = ProviderFixture.verifier()
        let code = try await fixture.code(
            client: fixture.confidential.id, challenge: ProviderFixture.challenge(verifier))
        let tokens = try await harness.sendForm(
            "/api/v1/oauth/provider/token",
            [
                ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", ProviderFixture.redirect),
                ("code_verifier", verifier),
            ], basic: fixture.confidential)
        let granted = try #require(tokens.json["access_token"] as? String)
        #expect(try await active(granted))
        _ = try await harness.sendForm(
            "/api/v1/oauth/provider/revoke", [("token", try #require(tokens.json["refresh_token"] as? String))],
            basic: fixture.confidential)
        #expect(try await fixture.introspect(granted)["active"] as? Bool == false, "revoked grant")

        let other = try await ProviderFixture.register(harness, root: fixture.root, type: "confidential")
        let otherSecret = try #require(other.secret)
        let issued = try await harness.sendForm(
            "/api/v1/oauth/provider/token", [("grant_type", "client_credentials")], basic: (other.id, otherSecret))
        let otherToken = try #require(issued.json["access_token"] as? String)
        #expect(try await active(otherToken))
        #expect(
            try await harness.send("DELETE", "/api/v1/oauth/provider/clients/\(other.id)", token: fixture.root).status
                == 200)
        #expect(try await fixture.introspect(otherToken)["active"] as? Bool == false, "deleted client")

        // Logging out everywhere, then (a fresh session) a deactivation.
        #expect(try await active(fixture.user.token))
        #expect(try await harness.send("POST", "/api/v1/auth/logout-all", token: fixture.user.token).status == 200)
        #expect(try await fixture.introspect(fixture.user.token)["active"] as? Bool == false, "logout everywhere")
        let again = try await harness.send(
            "POST", "/api/v1/auth/login", json: #"{"email":"ada@example.com","password":"\#(HTTPHarness.password)"}"#)
        let fresh = try #require(again.json["access_token"] as? String)
        #expect(try await active(fresh))
        let userID = try #require((again.json["user"] as? [String: Any])?["id"] as? String)
        let deactivated = try await harness.send(
            "PUT", "/api/v1/admin/users/\(userID)", json: #"{"is_active":false}"#, token: fixture.root)
        #expect(deactivated.status == 200)
        #expect(try await fixture.introspect(fresh)["active"] as? Bool == false, "deactivation")
    }

    @Test(
        "four clients introspect one token while it is logged out: every introspection that began after the logout was acknowledged answers inactive"
    )
    func concurrentLogout() async throws {
        let fixture = try await ProviderFixture.make()
        defer { Task { await fixture.harness.close() } }
        let login = try await fixture.harness.send(
            "POST", "/api/v1/auth/login", json: #"{"email":"ada@example.com","password":"\#(HTTPHarness.password)"}"#)
        let access = try #require(login.json["access_token"] as? String)
        let refresh = try #require(login.json["refresh_token"] as? String)
        let tally = Tally()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    // Bounded: stop after 25 introspections begun after the acknowledgement (or 2,000 in all).
                    for _ in 0..<2_000 {
                        let startedAfter = tally.acknowledged.load(ordering: .acquiring)
                        let answer = try await fixture.introspect(access)
                        if startedAfter {
                            if answer["active"] as? Bool != false { tally.violations.add(1, ordering: .relaxed) }
                            if tally.after.add(1, ordering: .relaxed).newValue >= 100 { return }
                        } else {
                            tally.before.add(1, ordering: .relaxed)
                        }
                    }
                }
            }
            // Progress, not time: revoke once the introspections are well under way (and remembered).
            for _ in 0..<20_000 where tally.before.load(ordering: .relaxed) < 40 {
                try await Task.sleep(for: .milliseconds(1))
            }
            let logout = try await fixture.harness.send(
                "POST", "/api/v1/auth/logout", json: #"{"refresh_token":"\#(refresh)"}"#, token: access)
            #expect(logout.status == 200)
            tally.acknowledged.store(true, ordering: .releasing)
            try await group.waitForAll()
        }
        #expect(tally.before.load(ordering: .relaxed) >= 40, "introspections ran before the logout")
        #expect(tally.after.load(ordering: .relaxed) >= 100, "and after it")
        #expect(tally.violations.load(ordering: .relaxed) == 0, "never active after the acknowledgement")
    }

    @Test(
        "a remembered Basic authentication stops working when its client is deleted, and never stands for another client_id or a wrong secret"
    )
    func rememberedClientAuthentication() async throws {
        let fixture = try await ProviderFixture.make()
        defer { Task { await fixture.harness.close() } }
        let harness = fixture.harness
        let other = try await ProviderFixture.register(harness, root: fixture.root, type: "confidential")
        let secret = try #require(other.secret)
        func introspect(_ fields: [(String, String)], basic: (String, String)) async throws -> Int {
            try await harness.sendForm("/api/v1/oauth/provider/introspect", fields, basic: basic).status
        }
        let token = [("token", fixture.user.token)]
        #expect(try await introspect(token, basic: (other.id, secret)) == 200)
        #expect(try await introspect(token, basic: (other.id, secret)) == 200, "remembered")
        #expect(try await introspect(token, basic: (other.id, secret + "x")) == 401, "another secret")
        #expect(
            try await introspect(token + [("client_id", fixture.confidential.id)], basic: (other.id, secret)) == 401,
            "another client_id in the form")
        #expect(try await introspect(token + [("client_secret", secret)], basic: (other.id, secret)) == 400)
        #expect(
            try await harness.send("DELETE", "/api/v1/oauth/provider/clients/\(other.id)", token: fixture.root).status
                == 200)
        #expect(try await introspect(token, basic: (other.id, secret)) == 401, "a deleted client")
    }

    /// What the concurrent test's tasks count.
    final class Tally: Sendable {
        let acknowledged = Atomic<Bool>(false)
        let before = Atomic<Int>(0)
        let after = Atomic<Int>(0)
        let violations = Atomic<Int>(0)
    }
}
