import Engine
import Foundation
import Testing

@Suite("The OAuth provider's state: clients, consents, codes, provider sessions, client tokens")
struct OAuthEngineTests {
    static func setUp(_ engine: Engine) async throws -> (user: User, client: OAuthClient) {
        let user = try await engine.register(NewUser(email: "ada@example.com", passwordHash: "h", firstName: "Ada"))
        let client = try await engine.registerClient(
            NewOAuthClient(
                name: "App", kind: .confidential, redirectURIs: ["https://app.example/cb"], scopes: ["read", "write"],
                secretDigest: Fixtures.digest(9)))
        return (user, client)
    }

    static func exchange(
        _ code: AuthorizationCode, digest: SecretDigest, verifier: String? = "challenge",
        client: UUID? = nil, redirectURI: String = "https://app.example/cb"
    ) -> CodeExchange {
        CodeExchange(
            codeID: code.id, digest: digest, clientID: client ?? code.clientID, redirectURI: redirectURI,
            verifierChallenge: verifier, refreshDigest: Fixtures.digest(UInt64.random(in: 100...1_000_000)))
    }

    @Test("a code is bound to its client, redirect URI and verifier; it works once; a second use revokes its session")
    func codeLifecycle() async throws {
        let harness = EngineHarness()
        defer { harness.remove() }
        let engine = try harness.open()
        let (user, client) = try await Self.setUp(engine)
        let digest = Fixtures.digest(1)
        let code = try await engine.issueAuthorizationCode(
            userID: user.id, clientID: client.id, redirectURI: "https://app.example/cb", scope: "read",
            codeChallenge: "challenge", digest: digest, lifetimeMilliseconds: 600_000)
        let invalid = EngineError(.codeInvalid, "invalid, expired or mismatched authorization code")
        for wrong in [
            Self.exchange(code, digest: Fixtures.digest(2)), Self.exchange(code, digest: digest, verifier: "other"),
            Self.exchange(code, digest: digest, verifier: nil), Self.exchange(code, digest: digest, client: UUID()),
            Self.exchange(code, digest: digest, redirectURI: "https://app.example/cb/"),
        ] {
            await #expect(throws: invalid) { _ = try await engine.redeemAuthorizationCode(wrong) }
        }
        let redeemed = try await engine.redeemAuthorizationCode(Self.exchange(code, digest: digest))
        #expect(redeemed.grant == OAuthGrant(clientID: client.id, scope: "read"))
        #expect(engine.activeSession(redeemed.session.id)?.grant?.clientID == client.id)

        await #expect(
            throws: EngineError(.codeReused, "the authorization code was used before; its tokens are revoked")
        ) {
            _ = try await engine.redeemAuthorizationCode(Self.exchange(code, digest: digest))
        }
        #expect(engine.activeSession(redeemed.session.id) == nil)
    }

    @Test("an expired code is refused")
    func expiredCode() async throws {
        let harness = EngineHarness()
        defer { harness.remove() }
        let engine = try harness.open()
        let (user, client) = try await Self.setUp(engine)
        let code = try await engine.issueAuthorizationCode(
            userID: user.id, clientID: client.id, redirectURI: "https://app.example/cb", scope: "read",
            codeChallenge: nil, digest: Fixtures.digest(1), lifetimeMilliseconds: 600_000)
        harness.clock.advance(byMilliseconds: 600_000)
        await #expect(throws: EngineError.self) {
            _ = try await engine.redeemAuthorizationCode(Self.exchange(code, digest: Fixtures.digest(1), verifier: nil))
        }
        #expect(try await engine.purgeOAuthLeftovers() == 1)
    }

    @Test("a provider session refreshes only for its client; first-party refresh refuses it, and it refuses the client")
    func refreshBinding() async throws {
        let harness = EngineHarness()
        defer { harness.remove() }
        let engine = try harness.open()
        let (user, client) = try await Self.setUp(engine)
        let code = try await engine.issueAuthorizationCode(
            userID: user.id, clientID: client.id, redirectURI: "https://app.example/cb", scope: "read",
            codeChallenge: nil, digest: Fixtures.digest(1), lifetimeMilliseconds: 600_000)
        var exchange = Self.exchange(code, digest: Fixtures.digest(1), verifier: nil)
        exchange.refreshDigest = Fixtures.digest(500)
        let session = try await engine.redeemAuthorizationCode(exchange).session
        await #expect(throws: EngineError.self) {
            _ = try await engine.refresh(
                sessionID: session.id, presentedDigest: Fixtures.digest(500),
                newDigest: Fixtures.digest(501))
        }
        let rotated = try await engine.refresh(
            sessionID: session.id, presentedDigest: Fixtures.digest(500),
            newDigest: Fixtures.digest(501), clientID: client.id)
        guard case .rotated = rotated else { Issue.record("expected a rotation"); return }

        let firstParty = try await engine.createSession(
            userID: user.id, refreshDigest: Fixtures.digest(600),
            device: DeviceInfo())
        await #expect(throws: EngineError.self) {
            _ = try await engine.refresh(
                sessionID: firstParty.id, presentedDigest: Fixtures.digest(600),
                newDigest: Fixtures.digest(601), clientID: client.id)
        }
    }

    @Test("revoking a consent ends the user's sessions for that client; deleting a client ends every token it holds")
    func revocations() async throws {
        let harness = EngineHarness()
        defer { harness.remove() }
        var engine = try harness.open()
        let (user, client) = try await Self.setUp(engine)
        try await engine.grantConsent(userID: user.id, clientID: client.id, scope: "read write")
        #expect(await engine.consents(of: user.id).map(\.scope) == ["read write"])
        var sessionIDs: [UUID] = []
        for number in 1...2 {
            let code = try await engine.issueAuthorizationCode(
                userID: user.id, clientID: client.id, redirectURI: "https://app.example/cb", scope: "read",
                codeChallenge: nil, digest: Fixtures.digest(UInt64(number)), lifetimeMilliseconds: 600_000)
            sessionIDs.append(
                try await engine.redeemAuthorizationCode(
                    Self.exchange(code, digest: Fixtures.digest(UInt64(number)), verifier: nil)
                ).session.id)
        }
        let firstParty = try await engine.createSession(
            userID: user.id, refreshDigest: Fixtures.digest(7), device: DeviceInfo())
        try await engine.revokeConsent(userID: user.id, clientID: client.id)
        for id in sessionIDs { #expect(engine.activeSession(id) == nil) }
        #expect(engine.activeSession(firstParty.id) != nil)
        #expect(await engine.consents(of: user.id).isEmpty)

        let token = try await engine.issueClientToken(clientID: client.id, scope: "read", lifetimeMilliseconds: 60_000)
        #expect(engine.activeClientToken(token.id) != nil)
        #expect(try await engine.revokeClientToken(token.id, clientID: UUID()) == false)
        let second = try await engine.issueClientToken(clientID: client.id, scope: "read", lifetimeMilliseconds: 60_000)
        _ = try await engine.checkpoint()
        try await engine.deleteClient(client.id)
        #expect(engine.activeClientToken(second.id) == nil)
        #expect(engine.liveClient(client.id) == nil)
        await engine.close()

        // The deletion holds after a restart (the directory is rebuilt from the shards).
        engine = try harness.open(seed: 2)
        #expect(engine.liveClient(client.id) == nil)
        #expect(engine.liveClients().isEmpty)
        #expect(engine.activeClientToken(second.id) == nil)
        await engine.close()
    }
}
