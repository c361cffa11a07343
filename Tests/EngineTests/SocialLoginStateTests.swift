import Engine
import Foundation
import Testing

@Suite("Social sign-in states: single use, ten minutes, bound to the browser and the provider, durable")
struct SocialLoginStateTests {
    static func new(provider: String = "google", binding: UInt64 = 2, linking: UUID? = nil) -> NewSocialLoginState {
        NewSocialLoginState(
            digest: Fixtures.digest(1), browserBinding: Fixtures.digest(binding), provider: provider,
            redirectURI: "https://app.example/callback", codeVerifier: String(repeating: "v", count: 43),
            nonce: "nonce-1", linkingUserID: linking)
    }

    static func consume(
        _ engine: Engine, _ state: SocialLoginState, digest: UInt64 = 1, binding: UInt64 = 2,
        provider: String = "google", linking: UUID? = nil
    ) async -> SocialLoginState? {
        try? await engine.consumeSocialState(
            id: state.id, digest: Fixtures.digest(digest),
            browserBinding: Fixtures.digest(binding), provider: provider,
            linkingUserID: linking)
    }

    @Test("a state is spent once; a wrong secret, browser or provider fails and leaves it for its own browser")
    func singleUseAndBound() async throws {
        let harness = EngineHarness()
        defer { harness.remove() }
        let engine = try harness.open()
        let state = try await engine.issueSocialState(Self.new())
        #expect(await Self.consume(engine, state, digest: 9) == nil)
        #expect(await Self.consume(engine, state, binding: 9) == nil)
        #expect(await Self.consume(engine, state, provider: "github") == nil)
        let spent = try #require(await Self.consume(engine, state))
        #expect(spent.codeVerifier == state.codeVerifier && spent.nonce == "nonce-1")
        #expect(await Self.consume(engine, state) == nil)
        await engine.close()
    }

    @Test("a linking state finishes only a linking by its user, and a sign-in state never a linking")
    func purposeBound() async throws {
        let harness = EngineHarness()
        defer { harness.remove() }
        let engine = try harness.open()
        let user = UUID()
        let linking = try await engine.issueSocialState(Self.new(linking: user))
        #expect(await Self.consume(engine, linking) == nil)
        #expect(await Self.consume(engine, linking, linking: UUID()) == nil)
        #expect(await Self.consume(engine, linking, linking: user)?.linkingUserID == user)
        let signIn = try await engine.issueSocialState(Self.new())
        #expect(await Self.consume(engine, signIn, linking: user) == nil)
        #expect(await Self.consume(engine, signIn) != nil)
        await engine.close()
    }

    @Test("after ten minutes a state fails, and the clean-up forgets it")
    func expiry() async throws {
        let harness = EngineHarness()
        defer { harness.remove() }
        let engine = try harness.open()
        let late = try await engine.issueSocialState(Self.new())
        harness.clock.advance(byMilliseconds: 300_000)
        let fresh = try await engine.issueSocialState(Self.new())
        harness.clock.advance(byMilliseconds: 300_000)
        #expect(await Self.consume(engine, late) == nil)
        #expect(try await engine.purgeOAuthLeftovers() == 1)
        #expect(await Self.consume(engine, fresh) != nil)
        await engine.close()
    }

    @Test("a state issued before a restart can be spent after it, from the log alone or a snapshot, and only once")
    func survivesRestart() async throws {
        let harness = EngineHarness()
        defer { harness.remove() }
        var configuration = harness.configuration
        configuration.logRetention = .everything
        let engine = try Engine.open(configuration, clock: harness.clock, random: .seeded(5))
        let beforeSnapshot = try await engine.issueSocialState(Self.new())
        _ = try await engine.checkpoint()
        let afterSnapshot = try await engine.issueSocialState(Self.new(provider: "github", binding: 3))
        await engine.close()

        let reopened = try Engine.open(configuration, clock: harness.clock)
        #expect(await Self.consume(reopened, beforeSnapshot) != nil)
        await reopened.close()
        try FileManager.default.removeItem(atPath: configuration.dataDirectory + "/snapshots")
        let fromLog = try Engine.open(configuration, clock: harness.clock)
        #expect(await Self.consume(fromLog, beforeSnapshot) == nil)
        #expect(await Self.consume(fromLog, afterSnapshot, binding: 3, provider: "github") != nil)
        await fromLog.close()
    }
}
