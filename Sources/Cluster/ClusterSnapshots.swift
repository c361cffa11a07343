import NIOCore
import PostgresNIO
package import WAL

/// Snapshots of the engine's state stored where every node reads them: PostgreSQL (`tessera_snapshot_index`, one
/// row per snapshot with its LSN, size and CRC32C; `tessera_snapshots`, the payload in chunks of 1 MiB), so that a new or wiped node — or one whose log the cluster pruned — starts from the latest
/// one and replays only the log after it. The leader stores each snapshot its checkpoints write (they hold only
/// committed records), keeps the newest `kept`, and prunes the log rows the oldest kept one covers.
package struct ClusterSnapshots: Sendable {
    /// A snapshot as stored: every record through `lsn` is in `payload` (an `EngineSnapshot`'s encoding).
    package struct Stored: Sendable {
        package let lsn: LSN
        package let payload: [UInt8]
    }

    static let chunkBytes = 1 << 20

    private let store: ClusterLogStore
    /// Snapshots kept in PostgreSQL (at least 2: a node may be starting from the older while the newer is stored).
    private let kept: Int

    package init(store: ClusterLogStore, kept: Int = 2) {
        precondition(kept >= 2)
        self.store = store
        self.kept = kept
    }

    /// The LSN of the newest snapshot stored, if any.
    package func newestLSN() async throws(ClusterError) -> LSN? {
        try await store.run {
            let rows = try await store.client.query("SELECT max(lsn) FROM tessera_snapshot_index", logger: store.logger)
            for try await (lsn, ) in rows.decode((Int64?,).self) { return lsn.map(LSN.init) }
            return nil
        }
    }

    /// Stores the snapshot at `lsn` (whole, in one transaction, its index row last), then deletes all but the
    /// newest `kept` and the log rows wholly covered by the oldest of those.
    package func publish(lsn: LSN, payload: [UInt8]) async throws(ClusterError) {
        let crc = CRC32C.checksum(payload)
        let chunks = stride(from: 0, to: max(payload.count, 1), by: Self.chunkBytes).map {
            ByteBuffer(bytes: payload[$0..<min($0 + Self.chunkBytes, payload.count)])
        }
        try await store.run {
            try await store.client.withTransaction(logger: store.logger) { connection in
                try await connection.query(
                    "DELETE FROM tessera_snapshots WHERE lsn = \(Int64(lsn))", logger: store.logger)
                for (index, chunk) in chunks.enumerated() {
                    try await connection.query(
                        "INSERT INTO tessera_snapshots (lsn, chunk, data) VALUES (\(Int64(lsn)), \(index), \(chunk))",
                        logger: store.logger)
                }
                try await connection.query(
                    """
                    INSERT INTO tessera_snapshot_index (lsn, chunks, bytes, crc32c)
                    VALUES (\(Int64(lsn)), \(chunks.count), \(Int64(payload.count)), \(Int64(crc)))
                    ON CONFLICT (lsn) DO UPDATE SET chunks = EXCLUDED.chunks, bytes = EXCLUDED.bytes,
                        crc32c = EXCLUDED.crc32c, stored_at = now()
                    """, logger: store.logger)
            }
        }
        try await removeOld()
    }

    /// The newest stored snapshot, checked (size and CRC32C); nil when there is none.
    package func newest() async throws(ClusterError) -> Stored? {
        guard let lsn = try await newestLSN() else { return nil }
        return try await load(lsn: lsn)
    }

    /// Every stored snapshot's LSN and when it was stored (Unix milliseconds), newest first.
    package func index() async throws(ClusterError) -> [(lsn: LSN, storedAtMilliseconds: Int64)] {
        try await store.run {
            let rows = try await store.client.query(
                "SELECT lsn, (extract(epoch FROM stored_at) * 1000)::bigint FROM tessera_snapshot_index ORDER BY lsn DESC",
                logger: store.logger)
            var entries: [(lsn: LSN, storedAtMilliseconds: Int64)] = []
            for try await (lsn, storedAt) in rows.decode((Int64, Int64).self) { entries.append((LSN(lsn), storedAt)) }
            return entries
        }
    }

    /// The stored snapshot at `lsn`, checked (size and CRC32C); nil when there is none.
    package func load(lsn: LSN) async throws(ClusterError) -> Stored? {
        try await store.run {
            let index = try await store.client.query(
                "SELECT chunks, bytes, crc32c FROM tessera_snapshot_index WHERE lsn = \(Int64(lsn))",
                logger: store.logger)
            var expected: (chunks: Int, bytes: Int, crc: UInt32)?
            for try await (chunks, bytes, crc) in index.decode((Int32, Int64, Int64).self) {
                expected = (Int(chunks), Int(bytes), UInt32(truncatingIfNeeded: crc))
            }
            guard let expected else { return nil }
            let rows = try await store.client.query(
                "SELECT chunk, data FROM tessera_snapshots WHERE lsn = \(Int64(lsn)) ORDER BY chunk",
                logger: store.logger)
            var payload: [UInt8] = []
            payload.reserveCapacity(expected.bytes)
            var count = 0
            for try await (chunk, data) in rows.decode((Int32, ByteBuffer).self) {
                guard Int(chunk) == count else { break }
                payload.append(contentsOf: data.readableBytesView)
                count += 1
            }
            guard count == expected.chunks, payload.count == expected.bytes,
                CRC32C.checksum(payload) == expected.crc
            else {
                throw ClusterError.database("the snapshot stored at LSN \(lsn) is incomplete or damaged")
            }
            return Stored(lsn: lsn, payload: payload)
        }
    }

    /// Deletes all but the newest `kept` snapshots, and the log rows the oldest kept one covers.
    private func removeOld() async throws(ClusterError) {
        let newestFirst = try await index().map(\.lsn)
        guard newestFirst.count >= kept else { return }
        let oldestKept = newestFirst[kept - 1]
        try await store.run {
            try await store.client.withTransaction(logger: store.logger) { connection in
                try await connection.query(
                    "DELETE FROM tessera_snapshot_index WHERE lsn < \(Int64(oldestKept))", logger: store.logger)
                try await connection.query(
                    "DELETE FROM tessera_snapshots WHERE lsn < \(Int64(oldestKept))", logger: store.logger)
            }
        }
        try await store.prune(through: oldestKept)
    }
}
