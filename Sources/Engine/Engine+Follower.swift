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
        let (before, after) = try await shard(of: decoded.shardKey).applyReplicated(
            decoded, type: type, payload: payload, lsn: lsn)
        reconcileIndexes(before: before, after: after)
    }

    /// Brings the engine's indexes — emails, linked identities, organizations' slugs and members, the client
    /// directory — to what the state holds now for the entity a replicated record changed. A leader keeps them
    /// as each change is made; a follower, whose changes come as records, derives the same from the entity as it
    /// was and as it is, whatever the record was (and a follower that comes to lead finds them right).
    func reconcileIndexes(before: ShardEntity, after: ShardEntity) {
        if before.user != after.user {
            let id = (after.user ?? before.user)!.id
            emails.withLock { index in
                if let old = before.user, !old.isDeleted, index[old.email] == id { index[old.email] = nil }
                if let new = after.user, !new.isDeleted { index[new.email] = id }
            }
        }
        let identitiesBefore = before.user?.isDeleted == false ? before.accounts.map(\.identity) : []
        let identitiesAfter = after.user?.isDeleted == false ? after.accounts.map(\.identity) : []
        if identitiesBefore != identitiesAfter, let id = (after.user ?? before.user)?.id {
            externalIdentities.withLock { index in
                for identity in identitiesBefore where index[identity] == id { index[identity] = nil }
                for identity in identitiesAfter { index[identity] = id }
            }
        }
        if before.organization != after.organization {
            organizationIndex.withLock { $0.replace(before.organization, with: after.organization) }
        }
        if before.client != after.client {
            if let client = after.client, !client.isDeleted {
                changeClients { $0.insert(client) }
            } else if let client = before.client {
                changeClients { $0.remove(client.id) }
            }
        }
    }

    /// Whether this engine makes changes of its own (see `EngineConfiguration.acceptsChanges`).
    package var acceptsChanges: Bool { gate.isOpen }

    /// Opens (a node that now leads) or closes (one that follows) this engine to changes of its own. Records
    /// the leader committed are applied either way.
    package func acceptChanges(_ accept: Bool) { gate.set(accept) }

    /// Returns once every record through `lsn` is durable in the local log.
    package func waitUntilLocallyDurable(_ lsn: LSN) async throws(EngineError) {
        do { try await log.waitUntilDurable(lsn) } catch {
            throw EngineError(.logUnavailable, "the log cannot be written: \(error.message)")
        }
    }

    /// The last LSN in the local log (queued).
    package var lastLSN: LSN { log.nextLSN - 1 }
}
