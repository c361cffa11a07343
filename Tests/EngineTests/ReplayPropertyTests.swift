import Engine
import Foundation
import Testing
import WAL

@Suite("Replay reproduces the live state")
struct ReplayPropertyTests {
    /// Runs `count` random operations (some of them failing on purpose), with checkpoints among them.
    /// Without `socialLogin`, no linked accounts or sign-in states (what snapshots before format 5 could not hold).
    static func runRandomOperations(
        on engine: Engine, clock: ManualClock, seed: UInt64, count: Int,
        socialLogin: Bool = true, resourceBound: Bool = true, oauth: Bool = true
    ) async throws {
        var generator = SourceGenerator(source: .seeded(seed))
        var users: [UUID] = []
        var socialStates: [(id: UUID, digest: SecretDigest, linking: UUID?)] = []
        var sessions: [(id: UUID, user: UUID, digest: SecretDigest)] = []
        var organizations: [UUID] = []
        var clients: [UUID] = []
        var codes: [(id: UUID, digest: SecretDigest, client: UUID)] = []
        var clientTokens: [(id: UUID, client: UUID)] = []
        let superuser = OrganizationCaller(userID: UUID(), isSuperuser: true)
        var digestCounter: UInt64 = 10_000
        func nextDigest() -> SecretDigest {
            digestCounter += 1
            return SecretDigest(word0: digestCounter, word1: seed, word2: 1, word3: 2)
        }
        for _ in 0..<count {
            clock.advance(byMilliseconds: Int64.random(in: 0...4_000, using: &generator))
            switch Int.random(in: 0..<150, using: &generator) {
            case 0..<15:
                let name = "s\(seed)-u\(Int.random(in: 0..<40, using: &generator))"
                if let user = try? await engine.register(
                    NewUser(
                        email: "\(name)@Example.com", passwordHash: "h-\(name)",
                        firstName: name))
                {
                    users.append(user.id)
                }
            case 15..<40 where !users.isEmpty:
                let user = users.randomElement(using: &generator)!
                let digest = nextDigest()
                if let session = try? await engine.createSession(
                    userID: user, refreshDigest: digest,
                    device: DeviceInfo(deviceName: "d", ipAddress: "::1"))
                {
                    sessions.append((session.id, user, digest))
                }
            case 40..<75 where !sessions.isEmpty:
                let index = Int.random(in: 0..<sessions.count, using: &generator)
                let presented = Bool.random(using: &generator) ? sessions[index].digest : nextDigest()
                let new = nextDigest()
                if case .rotated = try? await engine.refresh(
                    sessionID: sessions[index].id, presentedDigest: presented,
                    newDigest: new)
                {
                    sessions[index].digest = new
                }
            case 75..<85 where !sessions.isEmpty:
                let session = sessions.randomElement(using: &generator)!
                try? await engine.revokeSession(session.id, of: session.user)
            case 85..<90 where !users.isEmpty:
                _ = try? await engine.revokeAllSessions(of: users.randomElement(using: &generator)!)
            case 90..<93:
                _ = try await engine.checkpoint()
            case 93..<96 where !users.isEmpty:
                _ = try? await engine.setActive(
                    userID: users.randomElement(using: &generator)!, Bool.random(using: &generator))
            case 96..<98 where !users.isEmpty:
                try? await engine.deleteUser(users.randomElement(using: &generator)!)
            case 100..<104 where !users.isEmpty:
                let slug = "org-\(Int.random(in: 0..<12, using: &generator))"
                if let organization = try? await engine.createOrganization(
                    NewOrganization(name: slug.uppercased(), slug: slug),
                    ownerID: users.randomElement(using: &generator)!)
                {
                    organizations.append(organization.id)
                }
            case 104..<110 where !users.isEmpty && !organizations.isEmpty:
                _ = try? await engine.addMember(
                    users.randomElement(using: &generator)!,
                    role: OrganizationRole.allCases.randomElement(using: &generator)!,
                    to: organizations.randomElement(using: &generator)!, by: superuser)
            case 110..<114 where !users.isEmpty && !organizations.isEmpty:
                _ = try? await engine.changeMemberRole(
                    users.randomElement(using: &generator)!,
                    to: OrganizationRole.allCases.randomElement(using: &generator)!,
                    in: organizations.randomElement(using: &generator)!, by: superuser)
            case 114..<117 where !users.isEmpty && !organizations.isEmpty:
                try? await engine.removeMember(
                    users.randomElement(using: &generator)!,
                    from: organizations.randomElement(using: &generator)!, by: superuser)
            case 117..<119 where !organizations.isEmpty:
                _ = try? await engine.updateOrganization(
                    OrganizationUpdate(
                        organizationID: organizations.randomElement(using: &generator)!,
                        slug: "org-\(Int.random(in: 0..<12, using: &generator))",
                        description: .set("d\(Int.random(in: 0..<9, using: &generator))")),
                    by: superuser)
            case 119 where !organizations.isEmpty:
                try? await engine.deleteOrganization(organizations.randomElement(using: &generator)!)
            case 120..<122 where oauth:
                let openID =
                    Bool.random(using: &generator)
                    ? OpenIDClientSettings(
                        postLogoutRedirectURIs: ["https://c.example/bye"],
                        backchannelLogoutURI: "https://c.example/logout", idTokenSignedResponseAlgorithm: "ES256")
                    : OpenIDClientSettings()
                if let client = try? await engine.registerClient(
                    NewOAuthClient(
                        name: "c", kind: Bool.random(using: &generator) ? .public : .confidential,
                        redirectURIs: ["https://c.example/cb"], scopes: ["read"], secretDigest: nextDigest(),
                        openID: resourceBound ? openID : OpenIDClientSettings()))
                {
                    clients.append(client.id)
                }
            case 122 where !clients.isEmpty:
                try? await engine.deleteClient(clients.randomElement(using: &generator)!)
            case 123..<126 where resourceBound && !users.isEmpty && !clients.isEmpty:
                try? await engine.grantConsent(
                    userID: users.randomElement(using: &generator)!,
                    clientID: clients.randomElement(using: &generator)!, scope: "read",
                    resources: [[], ["https://mcp.example/"]].randomElement(using: &generator)!)
            case 126 where !users.isEmpty && !clients.isEmpty:
                try? await engine.revokeConsent(
                    userID: users.randomElement(using: &generator)!,
                    clientID: clients.randomElement(using: &generator)!)
            case 127..<130 where resourceBound && !users.isEmpty && !clients.isEmpty:
                let digest = nextDigest()
                let client = clients.randomElement(using: &generator)!
                let resources = [[], ["https://mcp.example/"], ["https://a.example/", "https://b.example/"]]
                    .randomElement(using: &generator)!
                if let code = try? await engine.issueAuthorizationCode(
                    userID: users.randomElement(using: &generator)!, clientID: client,
                    redirectURI: "https://c.example/cb",
                    scope: "read", codeChallenge: "x", digest: digest, lifetimeMilliseconds: 600_000,
                    resources: resources,
                    authentication: Bool.random(using: &generator)
                        ? Authentication(atMilliseconds: 1_800_000_000_000, sessionID: UUID(), nonce: "n") : nil)
                {
                    codes.append((code.id, digest, client))
                }
            case 130..<134 where !codes.isEmpty:
                let code = codes.randomElement(using: &generator)!
                let digest = nextDigest()
                if let redeemed = try? await engine.redeemAuthorizationCode(
                    CodeExchange(
                        codeID: code.id, digest: code.digest, clientID: code.client,
                        redirectURI: "https://c.example/cb",
                        verifierChallenge: "x", refreshDigest: digest))
                {
                    sessions.append((redeemed.session.id, redeemed.session.userID, digest))
                }
            case 134..<136 where !clients.isEmpty:
                let client = clients.randomElement(using: &generator)!
                if let token = try? await engine.issueClientToken(
                    clientID: client, scope: "read",
                    lifetimeMilliseconds: 60_000)
                {
                    clientTokens.append((token.id, client))
                }
            case 136 where !clientTokens.isEmpty:
                let token = clientTokens.randomElement(using: &generator)!
                _ = try? await engine.revokeClientToken(token.id, clientID: token.client)
            case 137:
                _ = try? await engine.purgeOAuthLeftovers()
            case 140..<142 where socialLogin:
                let identity = ExternalIdentity(
                    provider: ["google", "github"].randomElement(using: &generator)!,
                    subject: "p\(Int.random(in: 0..<20, using: &generator))")
                if let user = try? await engine.registerExternalUser(
                    email: "s\(seed)-x\(Int.random(in: 0..<40, using: &generator))@example.com", firstName: "X",
                    lastName: nil, profile: ExternalProfile(identity: identity, email: nil, emailVerified: false))
                {
                    users.append(user.id)
                }
            case 142..<144 where socialLogin && !users.isEmpty:
                let identity = ExternalIdentity(
                    provider: ["google", "github", "acme"].randomElement(using: &generator)!,
                    subject: "p\(Int.random(in: 0..<20, using: &generator))")
                _ = try? await engine.linkExternalAccount(
                    userID: users.randomElement(using: &generator)!,
                    profile: ExternalProfile(identity: identity, email: "e@example.com", emailVerified: true))
            case 144..<146 where socialLogin && !users.isEmpty:
                try? await engine.unlinkExternalAccount(
                    userID: users.randomElement(using: &generator)!,
                    provider: ["google", "github", "acme"].randomElement(using: &generator)!)
            case 146..<148 where socialLogin:
                let digest = nextDigest()
                if let state = try? await engine.issueSocialState(
                    NewSocialLoginState(
                        digest: digest, browserBinding: digest, provider: "google",
                        redirectURI: "https://app.example/cb",
                        codeVerifier: "v", nonce: Bool.random(using: &generator) ? "n" : nil,
                        linkingUserID: users.randomElement(using: &generator)))
                {
                    socialStates.append((state.id, digest, state.linkingUserID))
                }
            case 148..<150 where socialLogin && !socialStates.isEmpty:
                let state = socialStates.randomElement(using: &generator)!
                _ = try? await engine.consumeSocialState(
                    id: state.id, digest: state.digest, browserBinding: state.digest,
                    provider: "google", linkingUserID: state.linking)
            default:
                continue
            }
        }
    }

    @Test(
        "after random operations, the whole log and a snapshot plus the log's tail both rebuild the live state",
        arguments: [1, 2, 3] as [UInt64])
    func replayEqualsLive(seed: UInt64) async throws {
        let harness = EngineHarness()
        defer { harness.remove() }
        var configuration = harness.configuration
        configuration.logRetention = .everything
        let engine = try Engine.open(configuration, clock: harness.clock, random: .seeded(seed))
        try await Self.runRandomOperations(on: engine, clock: harness.clock, seed: seed, count: 400)
        _ = try await engine.checkpoint()
        try await Self.runRandomOperations(on: engine, clock: harness.clock, seed: seed + 100, count: 100)
        let live = await engine.canonicalState()
        await engine.close()

        // (c) the newest snapshot plus the log after it, into as many shards: each snapshot shard restored into
        // its state in parallel.
        let sameShards = try Engine.open(configuration, clock: harness.clock)
        #expect(await sameShards.canonicalState() == live)
        #expect(sameShards.startup.snapshotLSN != nil)
        await sameShards.close()

        // (b) the newest snapshot plus the log after it, into a different number of shards.
        var resharded = configuration
        resharded.shardCount = 3
        let fromSnapshot = try Engine.open(resharded, clock: harness.clock)
        #expect(await fromSnapshot.canonicalState() == live)
        await fromSnapshot.close()

        // (a) the whole log, without any snapshot.
        try FileManager.default.removeItem(atPath: configuration.dataDirectory + "/snapshots")
        let fromLog = try Engine.open(configuration, clock: harness.clock)
        #expect(await fromLog.canonicalState() == live)
        await fromLog.close()
    }

    @Test("checkpoints delete the segments the kept snapshots cover, and a restart still rebuilds the live state")
    func retention() async throws {
        let harness = EngineHarness()
        defer { harness.remove() }
        var configuration = harness.configuration
        configuration.segmentSizeBytes = 64 << 10
        let engine = try Engine.open(configuration, clock: harness.clock, random: .seeded(7))
        for round in 0..<4 {
            try await Self.runRandomOperations(on: engine, clock: harness.clock, seed: UInt64(round), count: 1500)
            _ = try await engine.checkpoint()
        }
        // The oldest segment left shows that the checkpoints removed the ones before it.
        #expect(try WriteAheadLog.oldestSegmentFirstLSN(directory: configuration.dataDirectory + "/wal") ?? 1 > 1)
        let live = await engine.canonicalState()
        await engine.close()
        let reopened = try Engine.open(configuration, clock: harness.clock)
        #expect(await reopened.canonicalState() == live)
        await reopened.close()
    }
}

/// The engine's seeded `RandomSource` as a generator, for repeatable random operation sequences.
struct SourceGenerator: RandomNumberGenerator {
    let source: RandomSource
    mutating func next() -> UInt64 { source.next() }
}
