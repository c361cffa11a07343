package import FoundationEssentials

/// Where a login comes from, as the session records it.
package struct DeviceInfo: Sendable, Hashable {
    package var deviceName: String?
    package var deviceID: String?
    package var ipAddress: String?

    package init(deviceName: String? = nil, deviceID: String? = nil, ipAddress: String? = nil) {
        self.deviceName = deviceName
        self.deviceID = deviceID
        self.ipAddress = ipAddress
    }
}

/// What a refresh did.
package enum RefreshOutcome: Sendable, Hashable {
    /// The presented secret was current: the session now holds `newDigest`.
    case rotated(Session)
    /// The presented secret was rotated out less than the grace window ago: nothing changed; the caller
    /// answers the pair it answered for that rotation again.
    case repeatedWithinGrace(Session)
}

extension Engine {
    /// Creates a session for an active user, holding the digest of its first refresh secret.
    ///
    /// `requiringPasswordHash` is the hash a login verified the password against: when the user's hash is
    /// another one by the time the session would open (a password change or reset won the race), the login
    /// fails with `credentialChanged` instead of outliving the change that ended every other session.
    package func createSession(
        userID: UUID, refreshDigest: SecretDigest, device: DeviceInfo,
        requiringPasswordHash: String? = nil
    ) async throws(EngineError) -> Session {
        let id = newID(routingLike: userID)
        let now = clock.nowMilliseconds()
        let lifetime = configuration.sessionLifetimeMilliseconds
        return try await commit(on: userID) { state throws(EngineError) in
            guard let user = state.users[userID], !user.isDeleted else {
                throw EngineError(.userNotFound, "no such user")
            }
            guard user.isActive else { throw EngineError(.userInactive, "the user is inactive") }
            if let requiringPasswordHash, user.passwordHash != requiringPasswordHash {
                throw EngineError(.credentialChanged, "the password was changed meanwhile")
            }
            let session = Session(
                id: id, userID: userID, deviceName: device.deviceName, deviceID: device.deviceID,
                ipAddress: device.ipAddress, createdAtMilliseconds: now,
                expiresAtMilliseconds: now + lifetime, refreshDigest: refreshDigest)
            return (.sessionCreated(session), session)
        }
    }

    /// Rotates a session's refresh secret. The current secret rotates; a secret rotated out within the grace
    /// window repeats the rotation without a change; any other secret presented for this session revokes it
    /// (`refreshTokenReused`): it is one rotated out earlier — however many rotations ago — so somebody else
    /// holds a copy of the chain. (The secret is 256 bits: nobody presents one of the session's by chance, and
    /// whoever knows the session id holds one of its tokens, which can end the session anyway.)
    ///
    /// `clientID` names the OAuth client a provider session must have been granted to; nil (first-party
    /// refresh) refuses provider sessions, and a client refuses first-party sessions and other clients' ones.
    package func refresh(
        sessionID: UUID, presentedDigest: SecretDigest, newDigest: SecretDigest,
        clientID: UUID? = nil
    ) async throws(EngineError) -> RefreshOutcome {
        let now = clock.nowMilliseconds()
        let lifetime = configuration.sessionLifetimeMilliseconds
        let grace = configuration.refreshGraceMilliseconds
        enum Step: Sendable {
            case rotated
            case done(RefreshOutcome)
            case reused
        }
        let step = try await commit(on: sessionID) {
            state throws(EngineError) -> (record: EngineRecord?, result: Step) in
            guard let session = state.sessions[sessionID] else {
                throw EngineError(.sessionNotFound, "no such session")
            }
            guard state.grants[sessionID]?.clientID == clientID else {
                throw EngineError(.refreshTokenInvalid, "the refresh token was not issued to this client")
            }
            guard session.isActive(at: now), state.users[session.userID]?.isActive == true else {
                throw EngineError(.sessionInactive, "the session is revoked or expired")
            }
            if presentedDigest.constantTimeEquals(session.refreshDigest) {
                let record = EngineRecord.sessionRefreshed(
                    userID: session.userID, sessionID: sessionID, newDigest: newDigest, atMilliseconds: now,
                    expiresAtMilliseconds: now + lifetime)
                return (record, .rotated)
            }
            if let previous = session.previousRefreshDigest, presentedDigest.constantTimeEquals(previous),
                let rotatedAt = session.rotatedAtMilliseconds, now - rotatedAt < grace
            {
                return (nil, .done(.repeatedWithinGrace(session)))
            }
            return (.sessionRevoked(userID: session.userID, sessionID: sessionID, atMilliseconds: now), .reused)
        } then: { state, step in
            // The rotated session as `apply` left it.
            if case .rotated = step, let session = state.sessions[sessionID] { return Step.done(.rotated(session)) }
            return step
        }
        switch step {
        case .rotated: preconditionFailure("a rotation is read back after it is applied")
        case .done(let outcome): return outcome
        case .reused:
            throw EngineError(.refreshTokenReused, "a rotated-out refresh token was used again; the session is revoked")
        }
    }

    /// Revokes one of `userID`'s sessions (logout, or `DELETE /sessions/{id}`).
    package func revokeSession(_ sessionID: UUID, of userID: UUID) async throws(EngineError) {
        let now = clock.nowMilliseconds()
        guard routing.shard(of: sessionID) == routing.shard(of: userID) else {
            throw EngineError(.notYourSession, "the session belongs to another user")
        }
        try await commit(on: userID) { state throws(EngineError) -> (record: EngineRecord?, result: Void) in
            guard let session = state.sessions[sessionID] else {
                throw EngineError(.sessionNotFound, "no such session")
            }
            guard session.userID == userID else {
                throw EngineError(.notYourSession, "the session belongs to another user")
            }
            guard session.revokedAtMilliseconds == nil else { return (nil, ()) }
            return (.sessionRevoked(userID: userID, sessionID: sessionID, atMilliseconds: now), ())
        }
    }

    /// Revokes every session of `userID` but `keptSessionID`; returns how many were active.
    @discardableResult
    package func revokeAllSessions(of userID: UUID, except keptSessionID: UUID? = nil) async throws(EngineError) -> Int
    {
        let now = clock.nowMilliseconds()
        return try await commit(on: userID) { state throws(EngineError) -> (record: EngineRecord?, result: Int) in
            guard state.users.index(forKey: userID) != nil else { throw EngineError(.userNotFound, "no such user") }
            let active = state.sessions(of: userID).filter { $0.id != keptSessionID && $0.revokedAtMilliseconds == nil }
            guard !active.isEmpty else { return (nil, 0) }
            return (
                .allSessionsRevoked(userID: userID, keptSessionID: keptSessionID, atMilliseconds: now), active.count
            )
        }
    }

    /// The session with this id, revoked or not.
    package func session(id: UUID) async -> Session? {
        await shard(of: id).read { $0.sessions[id] }
    }

    /// Whether the session exists, can be used now, and — when `userID` is given — is that user's: the check
    /// behind every authenticated request (a token whose `sid` names another user's session is not valid).
    package func isSessionActive(_ id: UUID, of userID: UUID? = nil) async -> Bool {
        let now = clock.nowMilliseconds()
        return await shard(of: id).read { state in
            guard let session = state.sessions[id], session.isActive(at: now) else { return false }
            if let userID, session.userID != userID { return false }
            return state.users[session.userID]?.isActive == true
        }
    }

    /// `userID`'s sessions, in creation order.
    package func sessions(of userID: UUID) async -> [Session] {
        await shard(of: userID).read { $0.sessions(of: userID) }
    }
}

extension Engine {
    /// Forgets `userID`'s revoked and expired sessions; returns how many.
    @discardableResult
    package func purgeInactiveSessions(of userID: UUID) async throws(EngineError) -> Int {
        let now = clock.nowMilliseconds()
        return try await commit(on: userID) { state throws(EngineError) -> (record: EngineRecord?, result: Int) in
            let inactive = state.sessions(of: userID).filter { !$0.isActive(at: now) }.map(\.id)
            guard !inactive.isEmpty else { return (nil, 0) }
            return (.sessionsPurged(userID: userID, sessionIDs: inactive, atMilliseconds: now), inactive.count)
        }
    }

    /// Forgets the revoked and expired sessions of every user (the periodic clean-up, logged like any change);
    /// returns how many.
    @discardableResult
    package func purgeInactiveSessions() async throws(EngineError) -> Int {
        let now = clock.nowMilliseconds()
        var purged = 0
        for shard in shards {
            let users = await shard.read { state in
                state.sessionIDsByUser.compactMap { userID, ids in
                    ids.contains { state.sessions[$0]?.isActive(at: now) == false } ? userID : nil
                }
            }
            for userID in users { purged += try await purgeInactiveSessions(of: userID) }
        }
        return purged
    }
}

extension Engine {
    /// Every session with its user, in no particular order: a scan of every shard, for operators.
    package func allSessions() async -> [(session: Session, user: User)] {
        var result: [(session: Session, user: User)] = []
        for shard in shards {
            result += await shard.read { state in
                state.sessions.values.compactMap { session in state.users[session.userID].map { (session, $0) } }
            }
        }
        return result
    }
}
