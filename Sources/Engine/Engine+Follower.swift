package import WAL

extension Engine {
    /// A follower applies a record the cluster's leader committed: logged here under the same LSN (so that the
    /// local log mirrors the cluster's), then applied to its shard as replay applies it, with the shard's change
    /// count moved so that cached answers drawn from the old state are not given again. Records must come in
    /// LSN order, right after the local log's last one; the follower's engine makes no changes of its own.
    package func applyReplicated(lsn: LSN, type: UInt16, payload: [UInt8]) async throws(EngineError) {
        let decoded: EngineRecord
        do {
            decoded = try payload.withUnsafeBytes { bytes in try EngineRecord(type: type, payload: bytes) }
        } catch {
            throw EngineError(.invalidArgument, "record \(lsn) of the cluster's log does not decode: \(error)")
        }
        let applied = try await shard(of: decoded.shardKey).applyReplicated(
            decoded, type: type, payload: payload, lsn: lsn)
        switch decoded {
        case .clientRegistered(let client), .clientSelfRegistered(let client):
            changeClients { $0.insert(client) }
        case .clientMetadataUpdated:
            if let client = applied.client { changeClients { $0.insert(client) } }
        case .clientDeleted(let clientID, _):
            changeClients { $0.remove(clientID) }
        default: break
        }
    }

    /// Whether this engine makes changes of its own (see `EngineConfiguration.acceptsChanges`).
    package var acceptsChanges: Bool { shards[0].gate.isOpen }

    /// Opens (a node that now leads) or closes (one that follows) this engine to changes of its own. Records
    /// the leader committed are applied either way.
    package func acceptChanges(_ accept: Bool) { shards[0].gate.set(accept) }

    /// Returns once every record through `lsn` is durable in the local log.
    package func waitUntilLocallyDurable(_ lsn: LSN) async throws(EngineError) {
        do { try await log.waitUntilDurable(lsn) } catch {
            throw EngineError(.logUnavailable, "the log cannot be written: \(error.message)")
        }
    }

    /// The last LSN in the local log (queued).
    package var lastLSN: LSN { log.nextLSN - 1 }
}
