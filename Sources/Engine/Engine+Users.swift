package import FoundationEssentials

/// What registration needs; the password is already hashed (bcrypt runs off the shards and event loops).
package struct NewUser: Sendable {
    package var email: String
    package var passwordHash: String
    package var firstName: String
    package var lastName: String?
    package var phoneNumber: String?
    package var isSuperuser: Bool

    package init(
        email: String, passwordHash: String, firstName: String, lastName: String? = nil,
        phoneNumber: String? = nil, isSuperuser: Bool = false
    ) {
        self.email = email
        self.passwordHash = passwordHash
        self.firstName = firstName
        self.lastName = lastName
        self.phoneNumber = phoneNumber
        self.isSuperuser = isSuperuser
    }
}

extension Engine {
    /// Registers a user. The email is trimmed and lower-cased; another user that is not deleted with the
    /// same email fails with `emailTaken`.
    package func register(_ new: NewUser) async throws(EngineError) -> User {
        let email = User.normalizedEmail(new.email)
        let id = newID()
        try reserve(email: email, for: id)
        let now = clock.nowMilliseconds()
        let user = User(
            id: id, email: email, passwordHash: new.passwordHash, firstName: new.firstName,
            lastName: new.lastName, phoneNumber: new.phoneNumber, isActive: true,
            isSuperuser: new.isSuperuser, preferences: nil, locale: nil, createdAtMilliseconds: now,
            updatedAtMilliseconds: now, deletedAtMilliseconds: nil)
        do {
            return try await commit(on: id) { state throws(EngineError) in
                (EngineRecord.userRegistered(user), user)
            }
        } catch {
            release(email: email, of: id)
            throw error
        }
    }

    /// Claims a normalized email for `id` in the index before the registration is logged, so that two
    /// registrations racing for one email cannot both succeed.
    func reserve(email: String, for id: UUID) throws(EngineError) {
        let reserved = emails.withLock { index -> Bool in
            guard index[email] == nil else { return false }
            index[email] = id
            return true
        }
        guard reserved else { throw EngineError(.emailTaken, "a user with this email exists") }
    }

    /// Gives `email` up, if `id` holds it.
    func release(email: String, of id: UUID) {
        emails.withLock { index in if index[email] == id { index[email] = nil } }
    }

    /// The user with this id, deleted or not.
    package func user(id: UUID) async -> User? {
        await shard(of: id).read { $0.users[id] }
    }

    /// The user that is not deleted with this email (any case, surrounding spaces ignored).
    package func user(email: String) async -> User? {
        guard let id = emails.withLock({ $0[User.normalizedEmail(email)] }) else { return nil }
        return await user(id: id)
    }
}

extension Engine {
    /// Changes profile fields; `update.userID` names the user, its time is set here.
    package func updateProfile(
        userID: UUID, firstName: String?, lastName: Change<String>, phoneNumber: Change<String>,
        preferences: Change<String>, locale: Change<String>
    ) async throws(EngineError) -> User {
        let update = ProfileUpdate(
            userID: userID, firstName: firstName, lastName: lastName, phoneNumber: phoneNumber,
            preferences: preferences, locale: locale, atMilliseconds: clock.nowMilliseconds())
        return try await changeUser(userID, record: .profileUpdated(update))
    }

    /// Stores a new password hash and revokes every session of the user but `keptSessionID`.
    package func changePassword(userID: UUID, passwordHash: String, keptSessionID: UUID?) async throws(EngineError) {
        let now = clock.nowMilliseconds()
        try await commit(on: userID) { state throws(EngineError) -> (record: EngineRecord?, result: Void) in
            guard let user = state.users[userID], !user.isDeleted else {
                throw EngineError(.userNotFound, "no such user")
            }
            return (
                .passwordChanged(
                    userID: userID, passwordHash: passwordHash, keptSessionID: keptSessionID,
                    atMilliseconds: now), ()
            )
        }
    }
}

extension Engine {
    /// Activates or deactivates a user; deactivation ends every session at once.
    package func setActive(userID: UUID, _ isActive: Bool) async throws(EngineError) -> User {
        let now = clock.nowMilliseconds()
        return try await changeUser(
            userID, record: .activeChanged(userID: userID, isActive: isActive, atMilliseconds: now))
    }

    /// Soft-deletes a user: it cannot log in any more, its sessions end, its email and its provider accounts
    /// may sign up again, and then its memberships end (in the organizations' shards; `open` finishes that after a crash).
    package func deleteUser(_ userID: UUID) async throws(EngineError) {
        let now = clock.nowMilliseconds()
        let (email, identities) = try await commit(on: userID) {
            state throws(EngineError) -> (record: EngineRecord?, result: (String, [ExternalIdentity])) in
            guard let user = state.users[userID], !user.isDeleted else {
                throw EngineError(.userNotFound, "no such user")
            }
            return (
                .userDeleted(userID: userID, atMilliseconds: now),
                (user.email, (state.externalAccounts[userID] ?? []).map(\.identity))
            )
        }
        release(email: email, of: userID)
        // Its provider accounts may sign a new user up (the deleted one keeps them, for the audit trail).
        for identity in identities { release(identity, of: userID) }
        try await removeMemberships(of: userID)
    }
}

extension Engine {
    /// Every user that is not deleted, in no particular order. A scan of every shard: fine for an operator's
    /// listing, not for a hot path.
    package func activeAndInactiveUsers() async -> [User] {
        var users: [User] = []
        for shard in shards {
            users += await shard.read { state in state.users.values.filter { !$0.isDeleted } }
        }
        return users
    }
}

extension Engine {
    /// Grants or withdraws superuser rights.
    package func setSuperuser(userID: UUID, _ isSuperuser: Bool) async throws(EngineError) -> User {
        let now = clock.nowMilliseconds()
        return try await changeUser(
            userID,
            record: .superuserChanged(userID: userID, isSuperuser: isSuperuser, atMilliseconds: now))
    }

    /// Logs `record` for a user that exists and is not deleted, and returns the user as the record left it.
    private func changeUser(_ userID: UUID, record: EngineRecord) async throws(EngineError) -> User {
        try await commit(on: userID) { state throws(EngineError) -> (record: EngineRecord?, result: Void) in
            guard let user = state.users[userID], !user.isDeleted else {
                throw EngineError(.userNotFound, "no such user")
            }
            return (record, ())
        } then: { state, _ in
            state.users[userID]!
        }
    }
}

extension Engine {
    /// Records a pending password reset for the active user with this email (replacing an earlier one);
    /// returns the user, or nil when there is no such active user (the caller answers the same either way).
    package func issuePasswordReset(
        email: String, digest: SecretDigest, lifetimeMilliseconds: Int64
    )
        async throws(EngineError) -> User?
    {
        guard let id = emails.withLock({ $0[User.normalizedEmail(email)] }) else { return nil }
        let now = clock.nowMilliseconds()
        return try await commit(on: id) { state throws(EngineError) -> (record: EngineRecord?, result: User?) in
            guard let user = state.users[id], !user.isDeleted, user.isActive else { return (nil, nil) }
            return (
                .passwordResetIssued(
                    userID: id, digest: digest, expiresAtMilliseconds: now + lifetimeMilliseconds,
                    atMilliseconds: now), user
            )
        }
    }

    /// Spends a reset token: when `digest` is the user's pending, unexpired reset, stores the new hash and
    /// ends every session. Any other token (unknown, spent, expired, another user's) throws `invalidArgument`.
    package func completePasswordReset(
        userID: UUID, digest: SecretDigest, passwordHash: String
    ) async throws(EngineError) {
        let now = clock.nowMilliseconds()
        try await commit(on: userID) { state throws(EngineError) -> (record: EngineRecord?, result: Void) in
            guard let user = state.users[userID], !user.isDeleted, let pending = user.resetDigest,
                pending.constantTimeEquals(digest), let expires = user.resetExpiresAtMilliseconds, now < expires
            else { throw EngineError(.invalidArgument, "invalid or expired reset token") }
            return (.passwordResetCompleted(userID: userID, passwordHash: passwordHash, atMilliseconds: now), ())
        }
    }
}

extension Engine {
    /// Users that are not deleted, and sessions kept in memory: one read per shard.
    package func counts() async -> (users: Int, sessions: Int) {
        var users = 0
        var sessions = 0
        for shard in shards {
            let (shardUsers, shardSessions) = await shard.read { state in
                (state.users.values.count { !$0.isDeleted }, state.sessions.count)
            }
            users += shardUsers
            sessions += shardSessions
        }
        return (users, sessions)
    }
}
