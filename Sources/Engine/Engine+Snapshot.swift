package import WAL

/// What a checkpoint wrote.
package struct CheckpointResult: Sendable {
    /// The log is replayed after this LSN when the snapshot is loaded.
    package let lsn: LSN
    package let fileName: String
    package let bytes: Int
    /// Log segments deleted because the snapshots kept cover them.
    package let segmentsRemoved: Int
}

extension Engine {
    /// Writes a snapshot of every shard and deletes the log segments the kept snapshots make unnecessary.
    ///
    /// Each shard's state is copied inside its actor (copy-on-write: the actor goes on at once) together with
    /// its watermark, the log's last assigned LSN at that moment: every record of the shard up to it is in the
    /// copy. The snapshot is written only once the log is durable up to the highest watermark, so that it
    /// never holds a change the log could still lose.
    package func checkpoint() async throws -> CheckpointResult {
        do {
            let result = try await writeCheckpoint()
            snapshotState.withLock { $0 = SnapshotState(lsn: result.lsn, failure: nil) }
            return result
        } catch {
            snapshotState.withLock { $0.failure = "\(error)" }
            throw error
        }
    }

    /// The latest snapshot's LSN, or why the last one failed.
    package var snapshotStatus: SnapshotState { snapshotState.withLock { $0 } }

    /// The payload of this data directory's snapshot at `lsn` (to store it where other nodes read it), checked.
    package func snapshotPayload(lsn: LSN) throws(WALError) -> [UInt8] {
        try SnapshotStore(readingFrom: configuration.snapshotDirectory).load(lsn: lsn).payload
    }

    private func writeCheckpoint() async throws -> CheckpointResult {
        var states: [ShardState] = []
        var watermarks: [LSN] = []
        for shard in shards {
            let (state, watermark) = await shard.capture()
            states.append(state)
            watermarks.append(watermark)
        }
        if let highest = watermarks.max(), highest > 0 {
            do { try await log.waitUntilDurable(highest) } catch {
                throw EngineError(.logUnavailable, "the log cannot be written: \(error.message)")
            }
        }

        let lsn = watermarks.min() ?? 0
        let written = try snapshots.write(lsn: lsn) { file in
            try EngineSnapshot.write(states: states, watermarks: watermarks, into: &file)
        }
        let removed =
            configuration.logRetention == .everything
            ? 0 : try log.removeSegments(coveredThrough: written.removableThroughLSN)
        return CheckpointResult(
            lsn: lsn, fileName: written.fileName, bytes: written.payloadBytes, segmentsRemoved: removed)
    }

    /// Every shard's state in canonical form, for comparing two engines.
    package func canonicalState() async -> [UInt8] {
        var writer = BinaryWriter()
        var entities = ShardEntities()
        for shard in shards { entities.append(contentsOf: await shard.read { $0.entities }) }
        var merged = [ShardState()]
        entities.restore(into: &merged, routing: ShardRouting(shardCount: 1))
        let state = merged[0]
        state.encode(into: &writer)
        return writer.bytes
    }
}
