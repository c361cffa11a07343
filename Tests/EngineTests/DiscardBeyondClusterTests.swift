import Engine
import Foundation
import Testing
import WAL

@Suite("A node's state beyond the cluster's end is dropped when it opens to follow")
struct DiscardBeyondClusterTests {
    @Test("records and snapshots after discardAfter are gone: the users they made are not there, and stay gone")
    func dropsRecordsAndSnapshotsBeyond() async throws {
        let harness = EngineHarness()
        defer { harness.remove() }
        let engine = try harness.open()
        _ = try await engine.register(NewUser(email: "kept@example.com", passwordHash: "x", firstName: "Kept"))
        let clusterEnd = engine.lastLSN
        _ = try await engine.register(NewUser(email: "lost1@example.com", passwordHash: "x", firstName: "Lost"))
        // A snapshot beyond the cluster's end (as a graceful stop while PostgreSQL was down would write).
        let checkpoint = try await engine.checkpoint()
        #expect(checkpoint.lsn > clusterEnd)
        _ = try await engine.register(NewUser(email: "lost2@example.com", passwordHash: "x", firstName: "Lost"))
        await engine.close()

        var configuration = harness.configuration
        configuration.discardAfter = clusterEnd
        let follower = try Engine.open(configuration, clock: harness.clock, random: .seeded(2))
        #expect(follower.lastLSN == clusterEnd)
        #expect(await follower.user(email: "kept@example.com") != nil)
        #expect(await follower.user(email: "lost1@example.com") == nil)
        #expect(await follower.user(email: "lost2@example.com") == nil)
        #expect(follower.startup.summary.contains("the end of the cluster's log"), "\(follower.startup.summary)")
        let snapshots = try FileManager.default.contentsOfDirectory(atPath: configuration.dataDirectory + "/snapshots")
        #expect(!snapshots.contains { $0.contains(String(checkpoint.lsn)) }, "\(snapshots)")
        await follower.close()

        // Opened again as a single node: the dropped changes do not come back.
        configuration.discardAfter = nil
        let again = try Engine.open(configuration, clock: harness.clock, random: .seeded(3))
        #expect(again.lastLSN == clusterEnd)
        #expect(await again.user(email: "lost1@example.com") == nil)
        #expect(await again.user(email: "lost2@example.com") == nil)
        await again.close()
    }
}
