import Engine
import Foundation
import Testing

@Suite("Clients that registered themselves keep their registration across restarts")
struct ClientRegistrationEngineTests {
    static func registration(name: String?) -> ClientRegistration {
        ClientRegistration(
            origin: .anonymous, accessTokenDigest: Fixtures.digest(7), applicationType: .native,
            tokenEndpointAuthMethod: "none", grantTypes: ["authorization_code", "refresh_token"],
            responseTypes: ["code"], clientURI: "https://tool.example", logoURI: nil, softwareID: name,
            softwareVersion: "1.2", registeredFrom: "127.0.0.1", secretExpiresAtSeconds: 0)
    }

    @Test("a registration and its update come back from the log alone and from a snapshot (format 7) plus the log")
    func survivesRestart() async throws {
        let harness = EngineHarness()
        defer { harness.remove() }
        var configuration = harness.configuration
        configuration.logRetention = .everything
        let engine = try Engine.open(configuration, clock: harness.clock, random: .seeded(3))
        let client = try await engine.registerClient(
            NewOAuthClient(
                name: "Tool", kind: .public, redirectURIs: ["http://localhost/cb"], scopes: ["read"],
                secretDigest: nil, registration: Self.registration(name: "tool")))
        let before = try await engine.registerClient(
            NewOAuthClient(
                name: "Other", kind: .public, redirectURIs: ["http://localhost/x"], scopes: ["read"],
                secretDigest: nil, registration: Self.registration(name: "other")))
        _ = try await engine.checkpoint()
        let updated = try await engine.updateClientMetadata(
            client.id, name: "Tool 2", redirectURIs: ["http://127.0.0.1/cb"], scopes: ["read", "write"],
            registration: Self.registration(name: "tool-2"))
        #expect(updated.registration?.softwareID == "tool-2")
        #expect(engine.anonymousClientCount() == 2)
        let live = await engine.canonicalState()
        await engine.close()

        let fromSnapshot = try Engine.open(configuration, clock: harness.clock)
        #expect(fromSnapshot.startup.snapshotLSN != nil)
        #expect(fromSnapshot.liveClient(client.id) == updated)
        #expect(fromSnapshot.liveClient(before.id)?.registration == before.registration)
        #expect(await fromSnapshot.canonicalState() == live)
        await fromSnapshot.close()

        try FileManager.default.removeItem(atPath: configuration.dataDirectory + "/snapshots")
        let fromLog = try Engine.open(configuration, clock: harness.clock)
        #expect(fromLog.liveClient(client.id) == updated)
        #expect(await fromLog.canonicalState() == live)
        #expect(fromLog.anonymousClientCount() == 2)
        await fromLog.close()
    }

    @Test("only a client that registered itself can have its metadata replaced")
    func updateNeedsRegistration() async throws {
        let harness = EngineHarness()
        defer { harness.remove() }
        let engine = try harness.open()
        let client = try await engine.registerClient(
            NewOAuthClient(
                name: "Admin-made", kind: .public, redirectURIs: ["https://a.example/cb"], scopes: ["read"],
                secretDigest: nil))
        await #expect(throws: EngineError.self) {
            _ = try await engine.updateClientMetadata(
                client.id, name: "x", redirectURIs: [], scopes: [], registration: Self.registration(name: nil))
        }
        await engine.close()
    }
}

@Suite("Anonymous registrations left unused are deleted")
struct UnusedClientPurgeTests {
    @Test(
        "after the time allowed, an anonymous client with no consent, grant, code or token is deleted — logged, so a restart agrees"
    )
    func purge() async throws {
        let harness = EngineHarness()
        defer { harness.remove() }
        let engine = try harness.open()
        let user = try await engine.register(NewUser(email: "ada@example.com", passwordHash: "h", firstName: "Ada"))
        func anonymous(_ name: String) async throws -> OAuthClient {
            try await engine.registerClient(
                NewOAuthClient(
                    name: name, kind: .public, redirectURIs: ["http://localhost/cb"], scopes: ["read"],
                    secretDigest: nil, registration: ClientRegistrationEngineTests.registration(name: name)))
        }
        let unused = try await anonymous("unused")
        let consented = try await anonymous("consented")
        let byAdmin = try await engine.registerClient(
            NewOAuthClient(
                name: "admin-made", kind: .public, redirectURIs: ["https://a.example/cb"], scopes: ["read"],
                secretDigest: nil))
        try await engine.grantConsent(userID: user.id, clientID: consented.id, scope: "read")
        let day: Int64 = 24 * 3_600_000

        harness.clock.advance(byMilliseconds: day - 1)
        #expect(try await engine.purgeUnusedAnonymousClients(unusedMilliseconds: day).isEmpty, "not yet")
        harness.clock.advance(byMilliseconds: 1)
        #expect(try await engine.purgeUnusedAnonymousClients(unusedMilliseconds: day) == [unused.id])
        #expect(engine.liveClient(unused.id) == nil)
        #expect(engine.liveClient(consented.id) != nil, "a client a user consented to is in use")
        #expect(engine.liveClient(byAdmin.id) != nil, "a superuser's client is never purged")
        await engine.close()

        let reopened = try harness.open()
        #expect(reopened.liveClient(unused.id) == nil)
        #expect(reopened.anonymousClientCount() == 1)
        await reopened.close()
    }
}

@Suite("Initial access tokens: a number of registrations, until they expire or are revoked")
struct InitialAccessTokenTests {
    @Test(
        "a token registers as many clients as it was made for, not after it expires or is revoked, and survives a restart"
    )
    func lifecycle() async throws {
        let harness = EngineHarness()
        defer { harness.remove() }
        var configuration = harness.configuration
        configuration.logRetention = .everything
        let engine = try Engine.open(configuration, clock: harness.clock)
        let owner = UUID()
        let token = try await engine.issueInitialAccessToken(
            digest: Fixtures.digest(5), createdBy: owner, lifetimeMilliseconds: 3_600_000, uses: 2)
        await #expect(throws: EngineError.self) {
            try await engine.useInitialAccessToken(id: token.id, digest: Fixtures.digest(6))
        }
        try await engine.useInitialAccessToken(id: token.id, digest: Fixtures.digest(5))
        _ = try await engine.checkpoint()
        await engine.close()

        let reopened = try Engine.open(configuration, clock: harness.clock)
        #expect(await reopened.initialAccessTokens().first?.usesLeft == 1, "the snapshot kept the use")
        try await reopened.useInitialAccessToken(id: token.id, digest: Fixtures.digest(5))
        await #expect(throws: EngineError.self, "used up") {
            try await reopened.useInitialAccessToken(id: token.id, digest: Fixtures.digest(5))
        }
        let second = try await reopened.issueInitialAccessToken(
            digest: Fixtures.digest(7), createdBy: owner, lifetimeMilliseconds: 1_000, uses: 5)
        harness.clock.advance(byMilliseconds: 1_000)
        await #expect(throws: EngineError.self, "expired") {
            try await reopened.useInitialAccessToken(id: second.id, digest: Fixtures.digest(7))
        }
        let third = try await reopened.issueInitialAccessToken(
            digest: Fixtures.digest(8), createdBy: owner, lifetimeMilliseconds: 3_600_000, uses: 5)
        try await reopened.revokeInitialAccessToken(third.id)
        await #expect(throws: EngineError.self, "revoked") {
            try await reopened.useInitialAccessToken(id: third.id, digest: Fixtures.digest(8))
        }
        let live = await reopened.canonicalState()
        await reopened.close()
        try FileManager.default.removeItem(atPath: configuration.dataDirectory + "/snapshots")
        let fromLog = try Engine.open(configuration, clock: harness.clock)
        #expect(await fromLog.canonicalState() == live)
        await fromLog.close()
    }
}
