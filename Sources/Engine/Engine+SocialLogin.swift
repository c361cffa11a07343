package import FoundationEssentials

/// What starting a social sign-in needs; secrets are already reduced to their digests.
package struct NewSocialLoginState: Sendable {
    package var digest: SecretDigest
    package var browserBinding: SecretDigest
    package var provider: String
    package var redirectURI: String
    package var codeVerifier: String
    package var nonce: String?
    package var linkingUserID: UUID?
    package var lifetimeMilliseconds: Int64

    package init(
        digest: SecretDigest, browserBinding: SecretDigest, provider: String, redirectURI: String,
        codeVerifier: String, nonce: String?, linkingUserID: UUID?, lifetimeMilliseconds: Int64 = 600_000
    ) {
        self.digest = digest
        self.browserBinding = browserBinding
        self.provider = provider
        self.redirectURI = redirectURI
        self.codeVerifier = codeVerifier
        self.nonce = nonce
        self.linkingUserID = linkingUserID
        self.lifetimeMilliseconds = lifetimeMilliseconds
    }
}

extension Engine {
    /// Keeps a new social sign-in state (logged, so that a restart between the redirect and the callback
    /// loses nothing) for its lifetime, ten minutes by default.
    package func issueSocialState(_ new: NewSocialLoginState) async throws(EngineError) -> SocialLoginState {
        let now = clock.nowMilliseconds()
        let state = SocialLoginState(
            id: newID(), digest: new.digest, browserBinding: new.browserBinding, provider: new.provider,
            redirectURI: new.redirectURI, codeVerifier: new.codeVerifier, nonce: new.nonce,
            linkingUserID: new.linkingUserID, createdAtMilliseconds: now,
            expiresAtMilliseconds: now + new.lifetimeMilliseconds)
        return try await commit(on: state.id) { _ throws(EngineError) in (EngineRecord.socialStateIssued(state), state)
        }
    }

    /// Spends a state as the provider's callback presents it: its secret's digest, the browser's binding, the
    /// provider and what it was started for (`linkingUserID`: the user linking an account, nil for a sign-in)
    /// must all match, and it must not have expired. Once spent it is gone: a second use fails like an unknown
    /// state (`socialStateInvalid`). A mismatch leaves the state for its rightful browser.
    package func consumeSocialState(
        id: UUID, digest: SecretDigest, browserBinding: SecretDigest, provider: String,
        linkingUserID: UUID? = nil
    ) async throws(EngineError) -> SocialLoginState {
        let now = clock.nowMilliseconds()
        return try await commit(on: id) { state throws(EngineError) in
            guard let found = state.socialStates[id], found.digest.constantTimeEquals(digest),
                found.browserBinding.constantTimeEquals(browserBinding), found.provider == provider,
                found.linkingUserID == linkingUserID, now < found.expiresAtMilliseconds
            else { throw EngineError(.socialStateInvalid, "the sign-in state is unknown, used or expired") }
            return (EngineRecord.socialStateConsumed(stateID: id, atMilliseconds: now), found)
        }
    }

    /// The user a social sign-in state was started to link an account to, when it is a linking's and still
    /// unspent and unexpired; nil otherwise. It reveals nothing a holder of the state does not know.
    package func linkingUser(ofSocialState id: UUID) async -> UUID? {
        let now = clock.nowMilliseconds()
        return await shard(of: id).read { state in
            state.socialStates[id].flatMap { now < $0.expiresAtMilliseconds ? $0.linkingUserID : nil }
        }
    }

    /// Forgets expired social sign-in states, one record per shard that has any; returns how many.
    func purgeExpiredSocialStates(now: Int64) async throws(EngineError) -> Int {
        var purged = 0
        for shard in shards {
            let expired = await shard.read { state in
                state.socialStates.values.filter { $0.expiresAtMilliseconds <= now }.map(\.id)
            }
            guard let first = expired.first else { continue }
            try await commit(on: first) { _ throws(EngineError) -> (record: EngineRecord?, result: Void) in
                (.socialStatesPurged(stateIDs: expired, atMilliseconds: now), ())
            }
            purged += expired.count
        }
        return purged
    }
}
