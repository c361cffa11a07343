import Cluster
import Foundation
import Testing
import WAL

/// A node rejoining the cluster keeps its log only as far as it holds the cluster's records.
@Suite("Where a node's log stops holding the cluster's records")
struct LogAgreementTests {
    @Test("bisection finds the end of the agreeing prefix wherever it is", arguments: [0 as LSN, 1, 7, 29, 30])
    func bisection(agreedThrough end: LSN) async throws {
        var probes = 0
        let found = try await LogAgreement.lastAgreedLSN(localLast: 30, clusterLast: 45) { lsn in
            probes += 1
            return lsn <= end
        }
        #expect(found == end)
        #expect(probes <= 6, "at most 1 + log2(30) probes")
    }

    @Test("nothing to compare on either side: the shorter log is the end")
    func emptyLogs() async throws {
        #expect(try await LogAgreement.lastAgreedLSN(localLast: 0, clusterLast: 9) { _ in false } == 0)
        #expect(try await LogAgreement.lastAgreedLSN(localLast: 5, clusterLast: 0) { _ in false } == 0)
    }

    @Test(
        "a former leader's log that went on past the cluster's, under records another leader committed, agrees only through the shared prefix"
    )
    func formerLeaderLog() async throws {
        try await ClusterFixture.run { fixture, _ in
            try await fixture.store.prepare()
            let folder = ClusterFixture.temporaryFolder("tessera-agreement")
            defer { try? FileManager.default.removeItem(atPath: folder) }
            var configuration = WALConfiguration(directory: folder + "/wal")
            configuration.backend = .pwrite
            configuration.segmentSizeBytes = 256 << 10
            // The local log: 12 records the cluster holds, then 8 only this node wrote.
            // Every record distinct, as the engine's are (each names the entity it changes).
            func records(_ count: Int, tag: UInt8) -> [(type: UInt16, payload: [UInt8])] {
                (0..<count).map {
                    (UInt16($0 % 5 + 1), [tag, UInt8($0)] + [UInt8](repeating: tag, count: $0 * 37 % 300))
                }
            }
            let shared = records(12, tag: 1)
            let mine = records(8, tag: 100)
            let log = try WriteAheadLog.open(configuration)
            for record in shared + mine {
                _ = try await log.append(type: record.type, payload: record.payload)
            }
            await log.close()
            // The cluster: the 12 shared, then 5 other records another leader committed under LSNs 13…17.
            let lease = try await fixture.lease(for: "other")
            try await fixture.store.append(FrameRun(records: shared, firstLSN: 1, seed: lease.epoch), under: lease)
            let theirs = records(5, tag: 200)
            try await fixture.store.append(FrameRun(records: theirs, firstLSN: 13, seed: lease.epoch), under: lease)

            let agreed = try await LogAgreement.lastAgreedLSN(
                logDirectory: configuration.directory, store: fixture.store, clusterLast: 17)
            #expect(agreed == 12)
            // Against the cluster's log before the other leader's records: everything it holds agrees.
            #expect(
                try await LogAgreement.lastAgreedLSN(
                    logDirectory: configuration.directory, store: fixture.store, clusterLast: 12) == 12)
        }
    }
}
