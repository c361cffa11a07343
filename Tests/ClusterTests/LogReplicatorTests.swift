import Cluster
import Foundation
import PostgresNIO
import Testing
import WAL

/// A real log replicated into a real PostgreSQL: what a leader acknowledges is in both.
@Suite("The leader's replicator: records the local log queues are committed to PostgreSQL before they count")
struct LogReplicatorTests {
    /// A log in a temporary folder whose records `replicator` sees.
    static func openLog(replication: any ReplicationSink) throws -> (WriteAheadLog, String) {
        let folder = ClusterFixture.temporaryFolder("tessera-replica")
        var configuration = WALConfiguration(directory: folder + "/log")
        configuration.segmentSizeBytes = 1 << 20
        configuration.backend = .pwrite
        configuration.replication = replication
        return (try WriteAheadLog.open(configuration), folder)
    }

    /// Appends a record and waits until the log says it is durable: here and committed to the cluster.
    static func commit(_ payload: [UInt8], log: WriteAheadLog, replicator: LogReplicator) async throws -> LSN {
        let lsn = try log.enqueue(type: 7, payload: payload)
        try await log.waitUntilDurable(lsn)
        #expect(replicator.committedLSN >= lsn, "durable means committed to the cluster too")
        return lsn
    }

    static func storedPayloads(_ store: ClusterLogStore) async throws -> [LSN: [UInt8]] {
        var stored: [LSN: [UInt8]] = [:]
        for run in try await store.batches(after: 0) {
            try run.forEachRecord { stored[$0.lsn] = Array($0.payload) }
        }
        return stored
    }

    /// Runs `body` with a private PostgreSQL, a prepared store, node "a" holding the lease, its replicator
    /// running and a log feeding it.
    func withLeader(
        _ body: (PrivatePostgres, PostgresClient, ClusterLogStore, LogReplicator, WriteAheadLog) async throws -> Void
    ) async throws {
        try await ClusterFixture.run(connectTimeout: .seconds(2)) { fixture, group in
            let replicator = fixture.replicator(for: try await fixture.lease(for: "a"))
            group.addTask { await replicator.run() }
            let (log, folder) = try Self.openLog(replication: replicator)
            defer { try? FileManager.default.removeItem(atPath: folder) }
            try await body(fixture.server, fixture.client, fixture.store, replicator, log)
            await log.close()
            replicator.stop()
        }
    }

    @Test(
        "concurrent producers: every record they were told is committed is in PostgreSQL, byte for byte, in LSN order")
    func concurrentProducers() async throws {
        try await withLeader { _, _, store, replicator, log in
            let committed = try await withThrowingTaskGroup(of: [(LSN, [UInt8])].self) { group in
                for producer in 0..<8 {
                    group.addTask {
                        var mine: [(LSN, [UInt8])] = []
                        for index in 0..<25 {
                            let payload = Array("producer \(producer) record \(index)".utf8)
                            mine.append((try await Self.commit(payload, log: log, replicator: replicator), payload))
                        }
                        return mine
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            let stored = try await Self.storedPayloads(store)
            #expect(stored.count == 200 && Set(stored.keys) == Set(1...200))
            for (lsn, payload) in committed { #expect(stored[lsn] == payload, "LSN \(lsn)") }
            #expect(replicator.committedLSN == 200)
            #expect(replicator.counts.batches < 200, "records share batches: \(replicator.counts.batches) for 200")
        }
    }

    @Test(
        "PostgreSQL down: a change is not acknowledged; back up: it is committed with the same LSN, and so are later ones"
    )
    func databaseDown() async throws {
        try await withLeader { server, _, store, replicator, log in
            let before = try await Self.commit([1], log: log, replicator: replicator)
            // While PostgreSQL is down, producers are told after 1 s rather than when its client gives up.
            replicator.commitTimeout = .seconds(1)
            try server.shutDown()
            let waiting = try log.enqueue(type: 7, payload: [2])
            await #expect(throws: ClusterError.self, "nothing is acknowledged while PostgreSQL is down") {
                try await replicator.waitUntilCommitted(waiting)
            }
            // The log's own wait says the same, in its terms; the log itself goes on.
            await #expect(throws: WALError.self) { try await log.waitUntilDurable(waiting) }
            #expect(log.failure == nil)
            #expect(replicator.committedLSN == before)
            try server.start()
            replicator.commitTimeout = .seconds(600)
            try await ClusterFixture.committedEventually(waiting, by: replicator)
            let after = try await Self.commit([3], log: log, replicator: replicator)
            #expect(after == waiting + 1)
            let stored = try await Self.storedPayloads(store)
            #expect(stored == [before: [1], waiting: [2], after: [3]], "the record that waited is committed, once")
            #expect(replicator.counts.failedAttempts >= 1)
        }
    }

    @Test("a leader whose lease was taken over commits nothing more: its producers are told at once")
    func fenced() async throws {
        try await withLeader { _, client, store, replicator, log in
            _ = try await Self.commit([1], log: log, replicator: replicator)
            try await client.query("UPDATE tessera_lease SET expires_at = now() - interval '1 second'")
            let other = try #require(
                try await store.acquire(node: "b", address: "http://b", ttlMilliseconds: 60_000, appliedLSN: 1),
                "the lease has expired")
            let lsn = try log.enqueue(type: 7, payload: [2])
            await #expect(throws: ClusterError.fenced(current: other.epoch)) {
                try await replicator.waitUntilCommitted(lsn)
            }
            #expect(replicator.fenced == .fenced(current: other.epoch))
            await #expect(throws: ClusterError.fenced(current: other.epoch)) {
                try await replicator.waitUntilCommitted(try log.enqueue(type: 7, payload: [3]))
            }
            #expect(
                try await Self.storedPayloads(store) == [1: [1]], "nothing of the deposed leader after the takeover")
        }
    }
}
