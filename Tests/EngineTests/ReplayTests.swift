import Engine
import Foundation
import Testing
import WAL

@Suite("Point-in-time replay into a new data directory")
struct ReplayTests {
    /// Every file of a directory tree with its bytes, to show that a replay changed nothing in its source.
    static func contents(of directory: String) -> [String: Data] {
        var result: [String: Data] = [:]
        let enumerator = FileManager.default.enumerator(atPath: directory)
        while let path = enumerator?.nextObject() as? String {
            result[path] = FileManager.default.contents(atPath: directory + "/" + path)
        }
        return result
    }

    @Test("the rebuilt directory has the source's key files, the signing key rings' included")
    func replayCopiesKeys() async throws {
        let harness = EngineHarness()
        defer { harness.remove() }
        let engine = try harness.open()
        _ = try await engine.register(NewUser(email: "k@example.com", passwordHash: "h", firstName: "K"))
        await engine.close()
        let source = harness.configuration.dataDirectory
        let files = ["keys/access-hs256.key": Data([1, 2]), "keys/ed25519/1700000000.key": Data([3, 4])]
        for (path, content) in files {
            try FileManager.default.createDirectory(
                atPath: ((source + "/" + path) as NSString).deletingLastPathComponent, withIntermediateDirectories: true
            )
            try content.write(to: URL(fileURLWithPath: source + "/" + path))
        }
        let output = harness.directory + "/with-keys"
        _ = try await Engine.replay(source: source, until: .lsn(1), into: output, shardCount: 4)
        for (path, content) in files {
            #expect(FileManager.default.contents(atPath: output + "/" + path) == content, "\(path)")
        }
    }

    @Test("replay to an LSN and to a time rebuilds exactly the state at that point, from a snapshot and the log")
    func replayToPoints() async throws {
        let harness = EngineHarness()
        defer { harness.remove() }
        let engine = try harness.open(seed: 9)
        try await ReplayPropertyTests.runRandomOperations(on: engine, clock: harness.clock, seed: 5, count: 300)
        _ = try await engine.checkpoint()
        try await ReplayPropertyTests.runRandomOperations(on: engine, clock: harness.clock, seed: 6, count: 200)
        let middleLSN = engine.log.nextLSN - 1
        let middleTime = harness.clock.nowMilliseconds()
        let middleState = await engine.canonicalState()
        harness.clock.advance(byMilliseconds: 1)
        try await ReplayPropertyTests.runRandomOperations(on: engine, clock: harness.clock, seed: 7, count: 300)
        _ = try await engine.checkpoint()
        try await ReplayPropertyTests.runRandomOperations(on: engine, clock: harness.clock, seed: 8, count: 100)
        let lastLSN = engine.log.nextLSN - 1
        let finalState = await engine.canonicalState()
        await engine.close()
        let source = harness.configuration.dataDirectory
        let before = Self.contents(of: source)

        for (name, limit) in [("by-lsn", ReplayLimit.lsn(middleLSN)), ("by-time", .time(milliseconds: middleTime))] {
            let output = harness.directory + "/" + name
            let summary = try await Engine.replay(source: source, until: limit, into: output, shardCount: 3)
            #expect(summary.lastLSN == middleLSN, "\(name)")
            var configuration = EngineConfiguration(dataDirectory: output)
            configuration.shardCount = 3
            let rebuilt = try Engine.open(configuration, clock: harness.clock)
            #expect(await rebuilt.canonicalState() == middleState, "\(name)")
            // The rebuilt directory is a working one: it takes new changes.
            _ = try await rebuilt.register(
                NewUser(email: "after-\(name)@example.com", passwordHash: "h", firstName: "A"))
            await rebuilt.close()
        }
        // To the end: from the newest snapshot plus the log after it.
        let latest = try await Engine.replay(source: source, until: .lsn(lastLSN), into: harness.directory + "/latest")
        #expect(latest.snapshotLSN != nil)
        let rebuilt = try Engine.open(
            EngineConfiguration(dataDirectory: harness.directory + "/latest"), clock: harness.clock)
        #expect(await rebuilt.canonicalState() == finalState)
        await rebuilt.close()
        #expect(Self.contents(of: source) == before, "the source directory was changed")
    }
}
