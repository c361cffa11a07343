import Cluster
import Logging
import NIOCore
import PostgresNIO
import Testing
import WAL

/// The cluster's log and lease in a real PostgreSQL: what issue 17's leader, followers and failover stand on.
@Suite("The cluster's log store in PostgreSQL: batches by LSN, a lease with fencing, nothing out of sequence")
struct ClusterLogStoreTests {
    /// Runs `body` with a store on a private PostgreSQL of its own, prepared (twice: a second node's start
    /// changes nothing); stops both after.
    func withStore(_ body: (ClusterLogStore, PostgresClient) async throws -> Void) async throws {
        try await ClusterFixture.run { fixture, _ in
            try await fixture.store.prepare()
            try await body(fixture.store, fixture.client)
        }
    }

    static func records(_ count: Int, tag: UInt8) -> [(type: UInt16, payload: [UInt8])] {
        (0..<count).map { index in
            (UInt16(index % 5 + 1), [UInt8](repeating: tag &+ UInt8(index % 200), count: index * 37 % 300))
        }
    }

    /// Every record of `runs`, as (LSN, type, payload), checked.
    static func read(_ runs: [FrameRun]) throws -> [(LSN, UInt16, [UInt8])] {
        var records: [(LSN, UInt16, [UInt8])] = []
        for run in runs { try run.forEachRecord { records.append(($0.lsn, $0.type, Array($0.payload))) } }
        return records
    }

    @Test("batches committed under the lease read back record for record, in LSN order, from any LSN")
    func appendAndRead() async throws {
        try await withStore { store, _ in
            let lease = try #require(
                try await store.acquire(node: "a", address: "http://a", ttlMilliseconds: 5000, appliedLSN: 0))
            #expect(lease.epoch == 1 && lease.lastLSN == 0)
            let first = Self.records(3, tag: 1)
            let second = Self.records(40, tag: 9)
            try await store.append(FrameRun(records: first, firstLSN: 1, seed: lease.epoch), under: lease)
            try await store.append(FrameRun(records: second, firstLSN: 4, seed: lease.epoch), under: lease)

            let all = try Self.read(try await store.batches(after: 0))
            let expected = (first + second).enumerated().map {
                (LSN($0.offset + 1), $0.element.type, $0.element.payload)
            }
            #expect(all.map(\.0) == expected.map(\.0))
            #expect(all.map(\.1) == expected.map(\.1) && all.map(\.2) == expected.map(\.2))
            // From inside the second batch (a snapshot may end anywhere): that batch, whole.
            #expect(try await store.batches(after: 10).map(\.firstLSN) == [4])
            #expect(try await store.batches(after: 43).isEmpty)
            #expect(try await store.holder().lastLSN == 43)

            try await store.prune(through: 3)
            #expect(try await store.batches(after: 3).map(\.firstLSN) == [4])
            await #expect(throws: ClusterError.pruned(firstAvailableLSN: 4), "pruned records are gone") {
                try await store.batches(after: 0)
            }
        }
    }

    @Test("a batch that does not follow the log's end — a gap or an overlap — is refused and nothing is stored")
    func outOfSequence() async throws {
        try await withStore { store, _ in
            let lease = try #require(
                try await store.acquire(node: "a", address: "http://a", ttlMilliseconds: 5000, appliedLSN: 0))
            try await store.append(
                FrameRun(records: Self.records(5, tag: 0), firstLSN: 1, seed: lease.epoch), under: lease)
            for start: LSN in [7, 5, 1] {
                await #expect(throws: ClusterError.outOfSequence(lastLSN: 5), "starting at \(start)") {
                    try await store.append(
                        FrameRun(records: Self.records(2, tag: 0), firstLSN: start, seed: lease.epoch), under: lease)
                }
            }
            #expect(try await store.batches(after: 0).count == 1)
            #expect(try await store.holder().lastLSN == 5)
        }
    }

    @Test("a lease taken over fences its former holder: its commits and renewals are refused, its batch is not stored")
    func fencing() async throws {
        try await withStore { store, client in
            let old = try #require(
                try await store.acquire(node: "a", address: "http://a", ttlMilliseconds: 60_000, appliedLSN: 0))
            try await store.append(FrameRun(records: Self.records(2, tag: 1), firstLSN: 1, seed: old.epoch), under: old)

            // While the lease runs, another node cannot take it.
            #expect(
                try await store.acquire(node: "b", address: "http://b", ttlMilliseconds: 5000, appliedLSN: 2) == nil)
            // It expires (by PostgreSQL's clock; the test moves that row's time rather than waiting).
            try await client.query("UPDATE tessera_lease SET expires_at = now() - interval '1 second'")
            #expect(try await store.holder().expired)
            // A node that has not applied everything may not lead.
            #expect(
                try await store.acquire(node: "b", address: "http://b", ttlMilliseconds: 5000, appliedLSN: 1) == nil)
            let new = try #require(
                try await store.acquire(node: "b", address: "http://b", ttlMilliseconds: 5000, appliedLSN: 2))
            #expect(new.epoch == old.epoch + 1 && new.lastLSN == 2)

            await #expect(throws: ClusterError.fenced(current: new.epoch)) {
                try await store.append(
                    FrameRun(records: Self.records(1, tag: 2), firstLSN: 3, seed: old.epoch), under: old)
            }
            await #expect(throws: ClusterError.fenced(current: new.epoch)) {
                try await store.renew(old, ttlMilliseconds: 5000)
            }
            try await store.renew(new, ttlMilliseconds: 5000)
            try await store.append(FrameRun(records: Self.records(1, tag: 3), firstLSN: 3, seed: new.epoch), under: new)
            let runs = try await store.batches(after: 0)
            #expect(runs.map(\.seed) == [old.epoch, new.epoch], "only the current holder's batch follows")

            // A leader that stops gives the lease up: it is free at once.
            try await store.release(new)
            let holder = try await store.holder()
            #expect(holder.holder == nil && holder.expired)
            #expect(
                try await store.acquire(node: "a", address: "http://a", ttlMilliseconds: 5000, appliedLSN: 3) != nil)
        }
    }

    @Test("a committed batch notifies its last LSN on the log's channel")
    func notifies() async throws {
        try await withStore { store, client in
            let lease = try #require(
                try await store.acquire(node: "a", address: "http://a", ttlMilliseconds: 5000, appliedLSN: 0))
            let payloads = try await client.withConnection { connection in
                try await connection.listen(on: ClusterLogStore.channel) { notifications in
                    try await store.append(
                        FrameRun(records: Self.records(4, tag: 1), firstLSN: 1, seed: lease.epoch), under: lease)
                    try await store.append(
                        FrameRun(records: Self.records(2, tag: 1), firstLSN: 5, seed: lease.epoch), under: lease)
                    var payloads: [String] = []
                    for try await notification in notifications {
                        payloads.append(notification.payload)
                        if payloads.count == 2 { break }
                    }
                    return payloads
                }
            }
            #expect(payloads == ["4", "6"])
        }
    }

    @Test("a stored batch whose bytes were changed does not read back: the defect names the LSN")
    func damage() async throws {
        try await withStore { store, client in
            let lease = try #require(
                try await store.acquire(node: "a", address: "http://a", ttlMilliseconds: 5000, appliedLSN: 0))
            try await store.append(
                FrameRun(records: Self.records(6, tag: 4), firstLSN: 1, seed: lease.epoch), under: lease)
            // Flip a byte of the third record's payload in PostgreSQL.
            let run = try #require(try await store.batches(after: 0).first)
            var offset = 0
            try run.forEachRecord { record in
                if record.lsn < 3 { offset += RecordFrame.frameSize(payloadCount: record.payload.count) }
            }
            try await client.query(
                "UPDATE tessera_log SET frames = set_byte(frames, \(Int32(offset + 20)), get_byte(frames, \(Int32(offset + 20))) # 1)"
            )
            let damaged = try #require(try await store.batches(after: 0).first)
            #expect(throws: FrameRun.Defect(lsn: 3, reason: "checksum mismatch")) { try damaged.forEachRecord { _ in } }
        }
    }
}
