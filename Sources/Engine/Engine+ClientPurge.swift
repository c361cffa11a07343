package import FoundationEssentials

extension Engine {
    /// Deletes the clients nobody vouched for — those that registered themselves anonymously (RFC 7591) and
    /// those known by a metadata document — made at least `unusedMilliseconds` ago that hold nothing: no
    /// consent, no grant, no authorization code and no token. Each deletion is logged like any other
    /// (`clientDeleted`). Returns the ids deleted.
    ///
    /// Anonymous registration is open to anyone; a registration nobody ever completes a sign-in with would
    /// otherwise stay for good, and count against `--max-anonymous-clients`. A metadata-document client whose
    /// users all withdrew their consent is recorded again, from its document, when someone approves it anew.
    package func purgeUnusedAnonymousClients(unusedMilliseconds: Int64) async throws(EngineError) -> [UUID] {
        let now = clock.nowMilliseconds()
        let candidates = clientDirectory.withLock { clients in
            clients.byID.values.filter {
                let origin = $0.registration?.origin
                return (origin == .anonymous || origin == .metadataDocument)
                    && $0.createdAtMilliseconds + unusedMilliseconds <= now
            }.map(\.id)
        }
        guard !candidates.isEmpty else { return [] }
        var inUse = Set<UUID>()
        for shard in shards {
            inUse.formUnion(await shard.read { state in Self.clientsHoldingSomething(in: state) })
        }
        var deleted: [UUID] = []
        for id in candidates where !inUse.contains(id) {
            do { try await deleteClient(id) } catch  where error.code == .clientNotFound { continue }
            deleted.append(id)
        }
        return deleted
    }

    /// The clients a shard holds a consent, a grant, an authorization code or a client token of.
    static func clientsHoldingSomething(in state: ShardState) -> Set<UUID> {
        var found = Set<UUID>()
        for byClient in state.consents.values { found.formUnion(byClient.keys) }
        for grant in state.grants.values { found.insert(grant.clientID) }
        for code in state.authorizationCodes.values { found.insert(code.clientID) }
        for token in state.clientTokens.values { found.insert(token.clientID) }
        return found
    }
}
