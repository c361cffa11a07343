package import FoundationEssentials

extension Engine {
    /// Makes an initial access token; the caller has minted its secret and passes only the digest.
    package func issueInitialAccessToken(
        digest: SecretDigest, createdBy: UUID, lifetimeMilliseconds: Int64, uses: Int
    ) async throws(EngineError) -> InitialAccessToken {
        let now = clock.nowMilliseconds()
        let token = InitialAccessToken(
            id: newID(), digest: digest, createdBy: createdBy, createdAtMilliseconds: now,
            expiresAtMilliseconds: now + lifetimeMilliseconds, usesLeft: uses)
        return try await commit(on: token.id) { _ throws(EngineError) in
            (EngineRecord.initialAccessTokenIssued(token), token)
        }
    }

    /// Spends one use of the token whose secret has this digest, or throws `initialAccessTokenInvalid` for an
    /// unknown, revoked, expired or used-up token (nothing changes then).
    package func useInitialAccessToken(id: UUID, digest: SecretDigest) async throws(EngineError) {
        let now = clock.nowMilliseconds()
        try await commit(on: id) { state throws(EngineError) -> (record: EngineRecord?, result: Void) in
            guard let token = state.initialAccessTokens[id], token.digest.constantTimeEquals(digest),
                token.isUsable(at: now)
            else {
                throw EngineError(.initialAccessTokenInvalid, "the initial access token is unknown, spent or revoked")
            }
            return (.initialAccessTokenUsed(tokenID: id, atMilliseconds: now), ())
        }
    }

    /// Revokes a token: it registers no more clients (those it registered stay).
    package func revokeInitialAccessToken(_ id: UUID) async throws(EngineError) {
        let now = clock.nowMilliseconds()
        try await commit(on: id) { state throws(EngineError) -> (record: EngineRecord?, result: Void) in
            guard let token = state.initialAccessTokens[id], token.revokedAtMilliseconds == nil else {
                throw EngineError(.initialAccessTokenInvalid, "no such initial access token")
            }
            return (.initialAccessTokenRevoked(tokenID: id, atMilliseconds: now), ())
        }
    }

    /// Every initial access token, usable or not, newest first.
    package func initialAccessTokens() async -> [InitialAccessToken] {
        var all: [InitialAccessToken] = []
        for shard in shards { all += await shard.read { Array($0.initialAccessTokens.values) } }
        return all.sorted {
            ($0.createdAtMilliseconds, $0.id.uuidString) > ($1.createdAtMilliseconds, $1.id.uuidString)
        }
    }
}
