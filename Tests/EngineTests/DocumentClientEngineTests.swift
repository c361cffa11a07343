import Engine
import Foundation
import Testing

@Suite("Clients known by a metadata document are recorded once, follow their document, and survive restarts")
struct DocumentClientEngineTests {
    static let url = "https://tool.example/oauth/client.json"

    static func described(name: String = "Tool", redirect: String = "http://127.0.0.1/cb") -> NewOAuthClient {
        NewOAuthClient(
            name: name, kind: .public, redirectURIs: [redirect], scopes: ["openid"], secretDigest: nil,
            registration: ClientRegistration(
                origin: .metadataDocument, accessTokenDigest: SecretDigest(word0: 0, word1: 0, word2: 0, word3: 0),
                applicationType: .native, tokenEndpointAuthMethod: "none",
                grantTypes: ["authorization_code", "refresh_token"], responseTypes: ["code"],
                clientURI: "https://tool.example", logoURI: nil, softwareID: nil, softwareVersion: nil,
                registeredFrom: nil, secretExpiresAtSeconds: 0, documentURL: url))
    }

    @Test(
        "the first approval records the client, the same document changes nothing, a changed one updates the record; snapshot and log agree"
    )
    func recordAndFollow() async throws {
        let harness = EngineHarness()
        defer { harness.remove() }
        var configuration = harness.configuration
        configuration.logRetention = .everything
        let engine = try Engine.open(configuration, clock: harness.clock, random: .seeded(9))
        #expect(engine.liveClient(documentURL: Self.url) == nil)
        let first = try await engine.recordDocumentClient(Self.described())
        #expect(first.documentURL == Self.url)
        #expect(first.registration?.origin == .metadataDocument)
        let lsn = engine.log.durableLSN
        #expect(try await engine.recordDocumentClient(Self.described()) == first)
        #expect(engine.log.durableLSN == lsn, "an unchanged document writes nothing")
        _ = try await engine.checkpoint()
        let changed = try await engine.recordDocumentClient(Self.described(name: "Tool 2"))
        #expect(changed.id == first.id && changed.name == "Tool 2")
        #expect(engine.liveClient(documentURL: Self.url) == changed)
        #expect(engine.liveClient(documentURL: Self.url + "x") == nil, "URLs are compared as plain strings")
        #expect(engine.anonymousClientCount() == 0, "a document client is not an anonymous registration")
        let live = await engine.canonicalState()
        await engine.close()

        let fromSnapshot = try Engine.open(configuration, clock: harness.clock)
        #expect(fromSnapshot.liveClient(documentURL: Self.url) == changed)
        #expect(await fromSnapshot.canonicalState() == live)
        await fromSnapshot.close()
        try FileManager.default.removeItem(atPath: configuration.dataDirectory + "/snapshots")
        let fromLog = try Engine.open(configuration, clock: harness.clock)
        #expect(fromLog.liveClient(documentURL: Self.url) == changed)
        #expect(await fromLog.canonicalState() == live)
        await fromLog.close()
    }

    @Test("eight approvals at once of a client nobody recorded yet record one client")
    func concurrentFirstApprovals() async throws {
        let harness = EngineHarness()
        defer { harness.remove() }
        let engine = try harness.open()
        let ids = try await withThrowingTaskGroup(of: UUID.self) { group in
            for _ in 0..<8 { group.addTask { try await engine.recordDocumentClient(Self.described()).id } }
            return try await group.reduce(into: Set<UUID>()) { $0.insert($1) }
        }
        #expect(ids.count == 1)
        #expect(engine.liveClients().count == 1)
        await engine.close()
    }

    @Test("a deleted document client is recorded anew (another id) at the next approval; an unused one is purged")
    func deletionAndPurge() async throws {
        let harness = EngineHarness()
        defer { harness.remove() }
        let engine = try harness.open()
        let first = try await engine.recordDocumentClient(Self.described())
        try await engine.deleteClient(first.id)
        #expect(engine.liveClient(documentURL: Self.url) == nil)
        let second = try await engine.recordDocumentClient(Self.described())
        #expect(second.id != first.id)
        let hour: Int64 = 3_600_000
        harness.clock.advance(byMilliseconds: hour)
        #expect(try await engine.purgeUnusedAnonymousClients(unusedMilliseconds: hour) == [second.id])
        #expect(engine.liveClient(documentURL: Self.url) == nil)
        await engine.close()
    }

    @Test("a registration without its document's URL is refused")
    func needsURL() async throws {
        let harness = EngineHarness()
        defer { harness.remove() }
        let engine = try harness.open()
        var described = Self.described()
        described.registration?.documentURL = nil
        await #expect(throws: EngineError.self) { _ = try await engine.recordDocumentClient(described) }
        await engine.close()
    }
}
