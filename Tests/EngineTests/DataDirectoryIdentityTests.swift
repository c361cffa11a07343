import Engine
import Foundation
import Testing
import WAL

@Suite("The data directory's identity: a directory that served never starts empty over lost state")
struct DataDirectoryIdentityTests {
    static let ada = NewUser(email: "ada@example.com", passwordHash: "$2b$12$ada", firstName: "Ada")

    /// A data directory that served: a user registered and acknowledged, then closed.
    static func servedDirectory(_ harness: EngineHarness) async throws -> DataDirectoryIdentity {
        let engine = try harness.open()
        #expect(engine.startup.identityCreated)
        _ = try await engine.register(ada)
        let identity = engine.identity
        await engine.close()
        return identity
    }

    @Test("the first open writes IDENTITY and a log segment; later opens keep the same identity")
    func firstOpenWritesIdentity() async throws {
        let harness = EngineHarness()
        defer { harness.remove() }
        let engine = try harness.open()
        let identity = engine.identity
        #expect(engine.startup.identityCreated)
        await engine.close()
        let data = harness.configuration.dataDirectory
        let text = try String(contentsOfFile: data + "/IDENTITY", encoding: .utf8)
        #expect(text.contains("format=1") && text.contains("instance=\(identity.instanceID.uuidString.lowercased())"))
        // Nothing was written, yet the log already has its segment file: an empty log folder means loss.
        #expect(try WriteAheadLog.oldestSegmentFirstLSN(directory: data + "/wal") == 1)

        let again = try harness.open()
        #expect(again.identity == identity)
        #expect(!again.startup.identityCreated)
        await again.close()
    }

    @Test("the log folder removed from a directory that served: the open is refused naming it")
    func missingLogFolderRefused() async throws {
        let harness = EngineHarness()
        defer { harness.remove() }
        _ = try await Self.servedDirectory(harness)
        let data = harness.configuration.dataDirectory
        try FileManager.default.removeItem(atPath: data + "/wal")
        let error = try #require(throws: EngineError.self) { try harness.open() }
        #expect(error.message.contains("\(data)/wal") && error.message.contains("--accept-lost-state"), "\(error)")
        // The refusal changed nothing: the log folder was not made again.
        #expect(!FileManager.default.fileExists(atPath: data + "/wal"))
    }

    @Test("every log segment removed while snapshots remain: the open is refused")
    func missingSegmentsRefused() async throws {
        let harness = EngineHarness()
        defer { harness.remove() }
        let engine = try harness.open()
        _ = try await engine.register(Self.ada)
        _ = try await engine.checkpoint()
        _ = try await engine.register(NewUser(email: "grace@example.com", passwordHash: "$2b$12$g", firstName: "Grace"))
        await engine.close()
        let wal = harness.configuration.dataDirectory + "/wal"
        for name in try FileManager.default.contentsOfDirectory(atPath: wal) {
            try FileManager.default.removeItem(atPath: wal + "/" + name)
        }
        let error = try #require(throws: EngineError.self) { try harness.open() }
        #expect(error.message.contains("every log segment"), "\(error)")
    }

    @Test("--accept-lost-state opens what is left and says what was missing")
    func acceptLostState() async throws {
        let harness = EngineHarness()
        defer { harness.remove() }
        let identity = try await Self.servedDirectory(harness)
        try FileManager.default.removeItem(atPath: harness.configuration.dataDirectory + "/wal")
        var configuration = harness.configuration
        configuration.acceptLostState = true
        let engine = try Engine.open(configuration, clock: harness.clock)
        #expect(engine.identity == identity, "the directory keeps its identity")
        #expect(engine.startup.acceptedLoss.count == 1)
        #expect(engine.startup.summary.contains("started without the log folder"))
        #expect(engine.startup.users == 0)
        await engine.close()
    }

    @Test("a directory of a Tessera without identities keeps its state and gets an identity")
    func olderDirectoryAdopted() async throws {
        let harness = EngineHarness()
        defer { harness.remove() }
        _ = try await Self.servedDirectory(harness)
        try FileManager.default.removeItem(atPath: harness.configuration.dataDirectory + "/IDENTITY")
        let engine = try harness.open()
        #expect(engine.startup.identityCreated)
        #expect(engine.startup.users == 1)
        await engine.close()
    }

    @Test("an IDENTITY that does not parse is refused, naming the file")
    func damagedIdentityRefused() async throws {
        let harness = EngineHarness()
        defer { harness.remove() }
        _ = try await Self.servedDirectory(harness)
        let path = harness.configuration.dataDirectory + "/IDENTITY"
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: path))
        let error = try #require(throws: EngineError.self) { try harness.open() }
        #expect(error.message.contains(path))
    }

    @Test("a snapshot's temporary file left by a kill mid-snapshot is removed at open and reported")
    func staleSnapshotTemporaryRemoved() async throws {
        let harness = EngineHarness()
        defer { harness.remove() }
        _ = try await Self.servedDirectory(harness)
        let snapshots = harness.configuration.dataDirectory + "/snapshots"
        let stale = "snapshot-00000000000000000001.snap.tmp"
        try Data(repeating: 7, count: 100).write(to: URL(fileURLWithPath: snapshots + "/" + stale))
        let engine = try harness.open()
        #expect(engine.startup.removedTemporaryFiles == ["snapshots/" + stale])
        #expect(engine.startup.summary.contains(stale))
        #expect(!FileManager.default.fileExists(atPath: snapshots + "/" + stale))
        #expect(engine.startup.users == 1)
        await engine.close()
    }
}
