package import FoundationEssentials

/// A session that can be used now, with what introspection answers about it.
package struct ActiveSession: Sendable {
    package let session: Session
    package let userEmail: String
    /// Set for provider sessions.
    package let grant: OAuthGrant?
}

extension Engine {
    /// The session, when it can be used now: not revoked or expired, its user active, and — for a provider
    /// session — its client not deleted. Two short locks (the shard's state, the client directory), from any
    /// thread, no suspension, no log write: the introspection hot path.
    package func activeSession(_ id: UUID) -> ActiveSession? {
        let now = clock.nowMilliseconds()
        let found = shard(of: id).readNow { state -> ActiveSession? in
            guard let session = state.sessions[id], session.isActive(at: now), let user = state.users[session.userID],
                user.isActive, !user.isDeleted
            else { return nil }
            return ActiveSession(session: session, userEmail: user.email, grant: state.grants[id])
        }
        if let grant = found?.grant, liveClient(grant.clientID) == nil { return nil }
        return found
    }

    /// The `client_credentials` token, when it can be used now and its client is not deleted (no suspension).
    package func activeClientToken(_ id: UUID) -> ClientToken? {
        let now = clock.nowMilliseconds()
        let token = shard(of: id).readNow { $0.clientTokens[id] }
        guard let token, token.isActive(at: now), liveClient(token.clientID) != nil else { return nil }
        return token
    }
}

extension Engine {
    /// Forgets expired authorization codes, expired or revoked client tokens and expired social sign-in
    /// states (the periodic clean-up, logged like any change); returns how many.
    @discardableResult
    package func purgeOAuthLeftovers() async throws(EngineError) -> Int {
        let now = clock.nowMilliseconds()
        var purged = 0
        for shard in shards {
            let (codes, tokens) = await shard.read { state in
                (
                    Dictionary(
                        grouping: state.authorizationCodes.values.filter { $0.expiresAtMilliseconds <= now },
                        by: \.userID
                    ).mapValues { $0.map(\.id) },
                    Dictionary(
                        grouping: state.clientTokens.values.filter { !$0.isActive(at: now) },
                        by: \.clientID
                    ).mapValues { $0.map(\.id) }
                )
            }
            for (userID, ids) in codes {
                try await commit(on: userID) { _ throws(EngineError) -> (record: EngineRecord?, result: Void) in
                    (.authorizationCodesPurged(userID: userID, codeIDs: ids, atMilliseconds: now), ())
                }
                purged += ids.count
            }
            for (clientID, ids) in tokens {
                try await commit(on: clientID) { _ throws(EngineError) -> (record: EngineRecord?, result: Void) in
                    (.clientTokensPurged(clientID: clientID, tokenIDs: ids, atMilliseconds: now), ())
                }
                purged += ids.count
            }
        }
        return purged + (try await purgeExpiredSocialStates(now: now))
    }
}
