package import FoundationEssentials

/// What a provider says of a person at sign-in.
package struct ExternalProfile: Sendable, Hashable {
    package var identity: ExternalIdentity
    package var email: String?
    package var emailVerified: Bool

    package init(identity: ExternalIdentity, email: String?, emailVerified: Bool) {
        self.identity = identity
        self.email = email
        self.emailVerified = emailVerified
    }
}

extension Engine {
    /// Registers the user a first social sign-in creates: no password (a password reset can set one later),
    /// the provider account linked in the same record. Fails with `emailTaken` when another user that is not
    /// deleted has the email, and with `externalAccountTaken` when the identity signs someone in already.
    package func registerExternalUser(
        email: String, firstName: String, lastName: String?, profile: ExternalProfile
    )
        async throws(EngineError) -> User
    {
        let email = User.normalizedEmail(email)
        let id = newID()
        try reserve(profile.identity, for: id)
        do { try reserve(email: email, for: id) } catch {
            release(profile.identity, of: id)
            throw error
        }
        let now = clock.nowMilliseconds()
        let user = User(
            id: id, email: email, passwordHash: "", firstName: firstName, lastName: lastName, phoneNumber: nil,
            isActive: true, isSuperuser: false, preferences: nil, locale: nil, createdAtMilliseconds: now,
            updatedAtMilliseconds: now, deletedAtMilliseconds: nil)
        let account = ExternalAccount(
            provider: profile.identity.provider, subject: profile.identity.subject,
            email: profile.email, emailVerified: profile.emailVerified, linkedAtMilliseconds: now)
        do {
            return try await commit(on: id) { _ throws(EngineError) in
                (EngineRecord.externalUserRegistered(user, account: account), user)
            }
        } catch {
            release(email: email, of: id)
            release(profile.identity, of: id)
            throw error
        }
    }

    /// Links a provider account to a user that is not deleted: afterwards signing in there signs this user in.
    /// `externalAccountTaken` when the identity is linked to anyone already (this user included) or when the
    /// user has an account of that provider.
    package func linkExternalAccount(
        userID: UUID, profile: ExternalProfile
    ) async throws(EngineError) -> ExternalAccount {
        try reserve(profile.identity, for: userID)
        let now = clock.nowMilliseconds()
        let account = ExternalAccount(
            provider: profile.identity.provider, subject: profile.identity.subject,
            email: profile.email, emailVerified: profile.emailVerified, linkedAtMilliseconds: now)
        do {
            return try await commit(on: userID) { state throws(EngineError) in
                guard let user = state.users[userID], !user.isDeleted else {
                    throw EngineError(.userNotFound, "no such user")
                }
                guard state.externalAccounts[userID]?.contains(where: { $0.provider == account.provider }) != true
                else {
                    throw EngineError(
                        .externalAccountTaken, "the user has a \(account.provider) account linked already")
                }
                return (EngineRecord.externalAccountLinked(userID: userID, account: account), account)
            }
        } catch {
            release(profile.identity, of: userID)
            throw error
        }
    }

    /// Unlinks the user's account of `provider`, unless it is the last way the user can sign in (no password,
    /// no other linked account): `lastSignInMethod` then.
    package func unlinkExternalAccount(userID: UUID, provider: String) async throws(EngineError) {
        let now = clock.nowMilliseconds()
        let identity = try await commit(on: userID) {
            state throws(EngineError) -> (record: EngineRecord?, result: ExternalIdentity) in
            guard let user = state.users[userID], !user.isDeleted else {
                throw EngineError(.userNotFound, "no such user")
            }
            let accounts = state.externalAccounts[userID] ?? []
            guard let account = accounts.first(where: { $0.provider == provider }) else {
                throw EngineError(.externalAccountNotFound, "no \(provider) account is linked")
            }
            guard user.hasPassword || accounts.count > 1 else {
                throw EngineError(
                    .lastSignInMethod, "the account is the only way left to sign in; set a password first")
            }
            return (.externalAccountUnlinked(userID: userID, provider: provider, atMilliseconds: now), account.identity)
        }
        release(identity, of: userID)
    }

    /// The user that is not deleted whom this identity signs in.
    package func user(linkedTo identity: ExternalIdentity) async -> User? {
        guard let id = externalIdentities.withLock({ $0[identity] }) else { return nil }
        return await user(id: id).flatMap { $0.isDeleted ? nil : $0 }
    }

    /// The user's linked accounts, in the order linked.
    package func externalAccounts(of userID: UUID) async -> [ExternalAccount] {
        await shard(of: userID).read { $0.externalAccounts[userID] ?? [] }
    }

    /// Claims `identity` for `userID` in the index before the change is logged, so that two users racing for
    /// one identity cannot both win.
    private func reserve(_ identity: ExternalIdentity, for userID: UUID) throws(EngineError) {
        let reserved = externalIdentities.withLock { index -> Bool in
            guard index[identity] == nil else { return false }
            index[identity] = userID
            return true
        }
        guard reserved else {
            throw EngineError(.externalAccountTaken, "this \(identity.provider) account signs another user in already")
        }
    }

    /// Gives `identity` up, if `userID` holds it.
    func release(_ identity: ExternalIdentity, of userID: UUID) {
        externalIdentities.withLock { index in if index[identity] == userID { index[identity] = nil } }
    }
}
