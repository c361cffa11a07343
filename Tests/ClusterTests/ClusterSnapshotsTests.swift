import Cluster
import Engine
import Foundation
import Testing
import WAL

/// Snapshots stored in PostgreSQL: what a new or wiped node starts from, and what lets the cluster's log be pruned.
@Suite("Snapshots in PostgreSQL: stored whole and checked, two kept, the log they cover pruned; a node starts from one")
struct ClusterSnapshotsTests {
    @Test("the newest of several reads back byte for byte; older ones and the log rows the oldest kept covers are gone")
    func publishKeepAndPrune() async throws {
        try await ClusterFixture.run { fixture, _ in
            let snapshots = ClusterSnapshots(store: fixture.store)
            #expect(try await snapshots.newest() == nil)
            let lease = try await fixture.lease(for: "a")
            for first in stride(from: 1 as LSN, through: 31, by: 10) {
                let records = (0..<10).map { (type: UInt16(1), payload: [UInt8(first), UInt8($0)]) }
                try await fixture.store.append(
                    FrameRun(records: records, firstLSN: first, seed: lease.epoch), under: lease)
            }
            // Payloads over several chunks (1 MiB each).
            let payloads = [10, 20, 30].map { lsn in (0..<(2 << 20) + lsn).map { UInt8(truncatingIfNeeded: $0 &* lsn) }
            }
            for (lsn, payload) in zip([10 as LSN, 20, 30], payloads) {
                try await snapshots.publish(lsn: lsn, payload: payload)
            }
            let newest = try #require(try await snapshots.newest())
            #expect(newest.lsn == 30 && newest.payload == payloads[2])
            #expect(try await snapshots.newestLSN() == 30)
            let kept = try await fixture.client.query("SELECT lsn FROM tessera_snapshot_index ORDER BY lsn")
            var lsns: [Int64] = []
            for try await (lsn, ) in kept.decode((Int64,).self) { lsns.append(lsn) }
            #expect(lsns == [20, 30])
            // The log is pruned through the oldest kept snapshot: records after 20 remain.
            await #expect(throws: ClusterError.pruned(firstAvailableLSN: 21)) {
                try await fixture.store.batches(after: 0)
            }
            #expect(try await fixture.store.batches(after: 20).first?.firstLSN == 21)

            // A changed byte in a stored chunk is found.
            try await fixture.client.query(
                "UPDATE tessera_snapshots SET data = overlay(data placing '\\x00'::bytea from 5) WHERE lsn = 30 AND chunk = 1"
            )
            await #expect(throws: ClusterError.self) { try await snapshots.newest() }
        }
    }

    @Test(
        "a data directory given the cluster's snapshot opens at its LSN with its state, its former log set aside, and logs on after it"
    )
    func installSnapshot() async throws {
        let (source, sourceFolder) = try ClusterFixture.openEngine()
        let (other, otherFolder) = try ClusterFixture.openEngine()
        defer { for folder in [sourceFolder, otherFolder] { try? FileManager.default.removeItem(atPath: folder) } }
        for index in 0..<5 {
            _ = try await source.register(ReplicatedEngineTests.newUser("u\(index)@example.com"))
        }
        let checkpoint = try await source.checkpoint()
        let payload = try source.snapshotPayload(lsn: checkpoint.lsn)
        await source.close()
        _ = try await other.register(ReplicatedEngineTests.newUser("mine@example.com"))
        await other.close()

        var configuration = EngineConfiguration(dataDirectory: otherFolder + "/data")
        configuration.shardCount = 2
        configuration.backend = .pwrite
        let setAside = try await Engine.installSnapshot(payload, lsn: checkpoint.lsn, into: configuration)
        #expect(setAside?.hasSuffix("/wal.replaced-1") == true)
        let reopened = try Engine.open(configuration)
        #expect(reopened.lastLSN == checkpoint.lsn)
        #expect(await reopened.user(email: "u4@example.com") != nil)
        #expect(await reopened.user(email: "mine@example.com") == nil, "the node's former state is not mixed in")
        _ = try await reopened.register(ReplicatedEngineTests.newUser("after@example.com"))
        #expect(reopened.lastLSN == checkpoint.lsn + 1)
        await reopened.close()
        await #expect(throws: EngineError.self, "a payload that is not a snapshot is refused") {
            try await Engine.installSnapshot([1, 2, 3], lsn: 9, into: configuration)
        }
    }
}
