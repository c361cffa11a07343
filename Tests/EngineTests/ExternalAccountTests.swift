import Engine
import Foundation
import Testing

@Suite("Social login accounts: one identity per user, the last way to sign in kept, the index rebuilt on open")
struct ExternalAccountTests {
    static func profile(_ provider: String, _ subject: String, email: String? = nil) -> ExternalProfile {
        ExternalProfile(
            identity: ExternalIdentity(provider: provider, subject: subject), email: email, emailVerified: true)
    }

    /// Runs `body`, which must fail with `code`.
    static func expectFailure<T>(
        _ code: EngineError.Code, sourceLocation: SourceLocation = #_sourceLocation,
        _ body: () async throws -> T
    ) async {
        do {
            _ = try await body()
            Issue.record("succeeded; expected \(code)", sourceLocation: sourceLocation)
        } catch {
            #expect((error as? EngineError)?.code == code, sourceLocation: sourceLocation)
        }
    }

    @Test(
        "a social sign-up makes a user without a password, found again by its identity; the identity and the email stay unique"
    )
    func registration() async throws {
        let harness = EngineHarness()
        defer { harness.remove() }
        let engine = try harness.open()
        let octo = try await engine.registerExternalUser(
            email: "Octo@Example.com", firstName: "Octo", lastName: nil,
            profile: Self.profile("github", "583231", email: "octo@example.com"))
        #expect(!octo.hasPassword)
        #expect(octo.email == "octo@example.com")
        #expect(await engine.user(linkedTo: ExternalIdentity(provider: "github", subject: "583231"))?.id == octo.id)
        #expect(await engine.externalAccounts(of: octo.id).map(\.provider) == ["github"])

        await Self.expectFailure(.externalAccountTaken) {
            try await engine.registerExternalUser(
                email: "other@example.com", firstName: "O", lastName: nil,
                profile: Self.profile("github", "583231"))
        }
        // The same email from another provider is refused, and the identity it tried is not kept reserved.
        await Self.expectFailure(.emailTaken) {
            try await engine.registerExternalUser(
                email: "octo@example.com", firstName: "O", lastName: nil,
                profile: Self.profile("google", "1"))
        }
        let ada = try await engine.register(
            NewUser(email: "ada@example.com", passwordHash: "$2b$12$ada", firstName: "Ada"))
        _ = try await engine.linkExternalAccount(userID: ada.id, profile: Self.profile("google", "1"))
        #expect(await engine.user(linkedTo: ExternalIdentity(provider: "google", subject: "1"))?.id == ada.id)
        await engine.close()
    }

    @Test("links: one account per provider, an identity never twice; unlinking keeps a way to sign in")
    func linkAndUnlinkRules() async throws {
        let harness = EngineHarness()
        defer { harness.remove() }
        let engine = try harness.open()
        let ada = try await engine.register(
            NewUser(email: "ada@example.com", passwordHash: "$2b$12$ada", firstName: "Ada"))
        let octo = try await engine.registerExternalUser(
            email: "octo@example.com", firstName: "Octo", lastName: nil,
            profile: Self.profile("github", "7"))
        _ = try await engine.linkExternalAccount(userID: ada.id, profile: Self.profile("google", "ada"))
        await Self.expectFailure(.externalAccountTaken) {
            try await engine.linkExternalAccount(userID: ada.id, profile: Self.profile("google", "someone-else"))
        }
        await Self.expectFailure(.externalAccountTaken) {
            try await engine.linkExternalAccount(userID: ada.id, profile: Self.profile("github", "7"))
        }
        // The refused links reserved nothing: the second Google identity can go to Octo.
        _ = try await engine.linkExternalAccount(userID: octo.id, profile: Self.profile("google", "someone-else"))

        // Ada has a password: her only account may go. Octo has none: one of two may go, not the last.
        try await engine.unlinkExternalAccount(userID: ada.id, provider: "google")
        #expect(await engine.user(linkedTo: ExternalIdentity(provider: "google", subject: "ada")) == nil)
        await Self.expectFailure(.externalAccountNotFound) {
            try await engine.unlinkExternalAccount(userID: ada.id, provider: "google")
        }
        try await engine.unlinkExternalAccount(userID: octo.id, provider: "github")
        await Self.expectFailure(.lastSignInMethod) {
            try await engine.unlinkExternalAccount(userID: octo.id, provider: "google")
        }
        #expect(await engine.externalAccounts(of: octo.id).map(\.subject) == ["someone-else"])
        // The unlinked identity is free again.
        _ = try await engine.linkExternalAccount(userID: ada.id, profile: Self.profile("github", "7"))
        await engine.close()
    }

    @Test("two users racing to link one identity: exactly one wins")
    func concurrentLinks() async throws {
        let harness = EngineHarness()
        defer { harness.remove() }
        let engine = try harness.open()
        var users: [User] = []
        for index in 0..<8 {
            users.append(
                try await engine.register(NewUser(email: "u\(index)@example.com", passwordHash: "h", firstName: "U")))
        }
        let identity = Self.profile("acme", "shared")
        let winners = await withTaskGroup(of: Bool.self) { group in
            for user in users {
                group.addTask { (try? await engine.linkExternalAccount(userID: user.id, profile: identity)) != nil }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(winners == 1)
        let owner = try #require(await engine.user(linkedTo: identity.identity))
        for user in users {
            #expect(await engine.externalAccounts(of: user.id).count == (user.id == owner.id ? 1 : 0))
        }
        await engine.close()
    }

    @Test("deleting a user frees its identities for a new sign-up; the deleted user keeps its accounts for audit")
    func deletionFreesIdentities() async throws {
        let harness = EngineHarness()
        defer { harness.remove() }
        let engine = try harness.open()
        let octo = try await engine.registerExternalUser(
            email: "octo@example.com", firstName: "Octo", lastName: nil,
            profile: Self.profile("github", "7"))
        try await engine.deleteUser(octo.id)
        #expect(await engine.user(linkedTo: ExternalIdentity(provider: "github", subject: "7")) == nil)
        #expect(await engine.externalAccounts(of: octo.id).count == 1)
        let again = try await engine.registerExternalUser(
            email: "octo@example.com", firstName: "Octo", lastName: nil,
            profile: Self.profile("github", "7"))
        #expect(again.id != octo.id)
        await engine.close()

        // After a restart the index points at the new user only.
        let reopened = try harness.open()
        #expect(await reopened.user(linkedTo: ExternalIdentity(provider: "github", subject: "7"))?.id == again.id)
        await reopened.close()
    }

    @Test("accounts and the identity index come back from the log alone and from a snapshot plus the log")
    func survivesRestart() async throws {
        let harness = EngineHarness()
        defer { harness.remove() }
        var configuration = harness.configuration
        configuration.logRetention = .everything
        let engine = try Engine.open(configuration, clock: harness.clock, random: .seeded(3))
        let ada = try await engine.register(
            NewUser(email: "ada@example.com", passwordHash: "$2b$12$ada", firstName: "Ada"))
        _ = try await engine.linkExternalAccount(
            userID: ada.id, profile: Self.profile("google", "ada", email: "ada@example.com"))
        _ = try await engine.checkpoint()
        let octo = try await engine.registerExternalUser(
            email: "octo@example.com", firstName: "Octo", lastName: nil,
            profile: Self.profile("github", "7"))
        _ = try await engine.linkExternalAccount(userID: ada.id, profile: Self.profile("github", "8"))
        try await engine.unlinkExternalAccount(userID: ada.id, provider: "google")
        let live = await engine.canonicalState()
        await engine.close()

        for withSnapshot in [true, false] {
            if !withSnapshot { try FileManager.default.removeItem(atPath: configuration.dataDirectory + "/snapshots") }
            let reopened = try Engine.open(configuration, clock: harness.clock)
            #expect(await reopened.canonicalState() == live)
            #expect(await reopened.user(linkedTo: ExternalIdentity(provider: "github", subject: "7"))?.id == octo.id)
            #expect(await reopened.user(linkedTo: ExternalIdentity(provider: "github", subject: "8"))?.id == ada.id)
            #expect(await reopened.user(linkedTo: ExternalIdentity(provider: "google", subject: "ada")) == nil)
            #expect(await reopened.user(id: octo.id)?.hasPassword == false)
            await reopened.close()
        }
    }
}
