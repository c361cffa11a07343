package import FoundationEssentials
public import WAL

/// The state one shard owns: its users, their sessions, its organizations with their memberships. `apply` is the only way it changes, live and on
/// replay: synchronous, deterministic, no clock, no randomness, no I/O. Callers validate before they log;
/// a record that does not fit the state is a bug or a corrupt log, and stops the process.
public struct ShardState: Sendable {
    package internal(set) var users: [UUID: User] = [:]
    package internal(set) var sessions: [UUID: Session] = [:]
    /// Each user's sessions, ordered by creation time, then id.
    package internal(set) var sessionIDsByUser: [UUID: [UUID]] = [:]
    package internal(set) var organizations: [UUID: Organization] = [:]
    /// OAuth provider state: clients and their `client_credentials` tokens (in the client's shard); consents,
    /// authorization codes, and the grant of each provider session (in the user's shard).
    package internal(set) var clients: [UUID: OAuthClient] = [:]
    package internal(set) var clientTokens: [UUID: ClientToken] = [:]
    package internal(set) var consents: [UUID: [UUID: Consent]] = [:]
    package internal(set) var authorizationCodes: [UUID: AuthorizationCode] = [:]
    package internal(set) var grants: [UUID: OAuthGrant] = [:]
    /// Each user's linked social login accounts, one per provider, in the order linked.
    package internal(set) var externalAccounts: [UUID: [ExternalAccount]] = [:]
    /// Social sign-ins under way, by state id (in the shard of that id).
    package internal(set) var socialStates: [UUID: SocialLoginState] = [:]
    /// Initial access tokens for client registration, by id.
    package internal(set) var initialAccessTokens: [UUID: InitialAccessToken] = [:]
    /// Users by registration day, for statistics; derived from `users`, never logged.
    package internal(set) var userCounters = UserCounters()
    /// The LSN of the last record applied.
    package private(set) var appliedLSN: LSN = 0
    /// Sessions the changes applied since the last drain ended, for back-channel logout — noted only by a live
    /// shard (replay at start tells nobody), never logged or snapshotted.
    var endedSessions: [EndedSession] = []
    var tracksEndedSessions = false

    public init() {}

    /// Nothing restored or applied yet.
    var isEmpty: Bool { appliedLSN == 0 && users.isEmpty && organizations.isEmpty && clients.isEmpty }

    /// Applies `record`, logged at `lsn`.
    public mutating func apply(_ record: EngineRecord, lsn: LSN) {
        precondition(lsn > appliedLSN, "records are applied in LSN order (\(lsn) after \(appliedLSN))")
        appliedLSN = lsn
        switch record {
        case .userRegistered(let user):
            precondition(users.index(forKey: user.id) == nil, "user \(user.id) registered twice")
            users[user.id] = user
            userCounters.add(user)
        case .profileUpdated(let update):
            modifyUser(update.userID) { user in
                if let firstName = update.firstName { user.firstName = firstName }
                user.lastName = update.lastName.applied(to: user.lastName)
                user.phoneNumber = update.phoneNumber.applied(to: user.phoneNumber)
                user.preferences = update.preferences.applied(to: user.preferences)
                user.locale = update.locale.applied(to: user.locale)
                user.updatedAtMilliseconds = update.atMilliseconds
            }
        case .passwordChanged(let userID, let passwordHash, let keptSessionID, let at):
            modifyUser(userID) { user in
                user.passwordHash = passwordHash
                user.updatedAtMilliseconds = at
                // A reset asked for before the change must not undo it.
                user.voidPasswordReset()
            }
            revokeSessions(of: userID, except: keptSessionID, at: at)
        case .sessionCreated(let session):
            precondition(users.index(forKey: session.userID) != nil, "session \(session.id) for unknown user")
            precondition(sessions.index(forKey: session.id) == nil, "session \(session.id) created twice")
            sessions[session.id] = session
            insertOrdered(session)
        case .sessionRefreshed(let userID, let sessionID, let newDigest, let at, let expiresAt):
            modifySession(sessionID, of: userID) { session in
                session.previousRefreshDigest = session.refreshDigest
                session.refreshDigest = newDigest
                session.rotatedAtMilliseconds = at
                session.lastUsedAtMilliseconds = at
                session.expiresAtMilliseconds = expiresAt
                session.generation += 1
            }
        case .sessionRevoked(let userID, let sessionID, let at):
            precondition(
                sessions.index(forKey: sessionID).map { sessions.values[$0].userID } == userID,
                "change to unknown session \(sessionID) of \(userID)")
            endSession(sessionID, at: at)
        case .allSessionsRevoked(let userID, let keptSessionID, let at):
            precondition(users.index(forKey: userID) != nil, "sessions revoked for unknown user \(userID)")
            revokeSessions(of: userID, except: keptSessionID, at: at)
        case .sessionsPurged(let userID, let sessionIDs, _):
            let purged = Set(sessionIDs)
            for id in sessionIDs {
                precondition(
                    sessions.index(forKey: id).map { sessions.values[$0].userID } == userID,
                    "purged session \(id) is not \(userID)'s")
                sessions[id] = nil
                grants[id] = nil
            }
            sessionIDsByUser[userID]?.removeAll { purged.contains($0) }
            if sessionIDsByUser[userID]?.isEmpty == true { sessionIDsByUser[userID] = nil }
        case .activeChanged(let userID, let isActive, let at):
            modifyUser(userID) { user in
                user.isActive = isActive
                user.updatedAtMilliseconds = at
                if !isActive { user.voidPasswordReset() }
            }
            if !isActive { revokeSessions(of: userID, except: nil, at: at) }
        case .userDeleted(let userID, let at):
            modifyUser(userID) { user in
                user.deletedAtMilliseconds = at
                user.updatedAtMilliseconds = at
                user.voidPasswordReset()
            }
            revokeSessions(of: userID, except: nil, at: at)
        case .superuserChanged(let userID, let isSuperuser, let at):
            modifyUser(userID) { user in
                user.isSuperuser = isSuperuser
                user.updatedAtMilliseconds = at
            }
        case .passwordResetIssued(let userID, let digest, let expiresAt, _):
            modifyUser(userID) { user in
                user.resetDigest = digest
                user.resetExpiresAtMilliseconds = expiresAt
            }
        case .passwordResetCompleted(let userID, let passwordHash, let at):
            modifyUser(userID) { user in
                user.passwordHash = passwordHash
                user.voidPasswordReset()
                user.updatedAtMilliseconds = at
            }
            revokeSessions(of: userID, except: nil, at: at)
        case .organizationCreated(let organization):
            precondition(organizations[organization.id] == nil, "organization \(organization.id) created twice")
            organizations[organization.id] = organization
        case .organizationUpdated(let update):
            modifyOrganization(update.organizationID) { organization in
                if let name = update.name { organization.name = name }
                if let slug = update.slug { organization.slug = slug }
                organization.description = update.description.applied(to: organization.description)
                organization.settings = update.settings.applied(to: organization.settings)
                if let isActive = update.isActive { organization.isActive = isActive }
                organization.updatedAtMilliseconds = update.atMilliseconds
            }
        case .organizationDeleted(let organizationID, _):
            precondition(organizations[organizationID] != nil, "unknown organization \(organizationID) deleted")
            organizations[organizationID] = nil
        case .memberAdded(let organizationID, let membership):
            modifyOrganization(organizationID) { organization in
                precondition(organization.members[membership.userID] == nil, "\(membership.userID) joined twice")
                organization.members[membership.userID] = membership
            }
        case .memberRoleChanged(let organizationID, let userID, let role, _):
            modifyOrganization(organizationID) { organization in
                precondition(organization.members[userID] != nil, "role change for non-member \(userID)")
                organization.members[userID]!.role = role
            }
        case .memberRemoved(let organizationID, let userID, _):
            modifyOrganization(organizationID) { organization in
                let removed = organization.members.removeValue(forKey: userID)
                precondition(removed != nil, "removal of non-member \(userID)")
            }
        case .clientRegistered, .clientDeleted, .clientSelfRegistered, .clientMetadataUpdated, .consentGranted,
            .consentRevoked, .authorizationCodeIssued,
            .authorizationCodeRedeemed, .authorizationCodeReused, .clientTokenIssued, .clientTokenRevoked,
            .authorizationCodesPurged, .clientTokensPurged:
            applyOAuth(record)
        case .externalUserRegistered(let user, let account):
            precondition(users.index(forKey: user.id) == nil, "user \(user.id) registered twice")
            users[user.id] = user
            userCounters.add(user)
            externalAccounts[user.id] = [account]
        case .externalAccountLinked(let userID, let account):
            precondition(users.index(forKey: userID) != nil, "account linked to unknown user \(userID)")
            precondition(
                externalAccounts[userID]?.contains { $0.provider == account.provider } != true,
                "a second \(account.provider) account linked to \(userID)")
            externalAccounts[userID, default: []].append(account)
        case .externalAccountUnlinked(let userID, let provider, _):
            externalAccounts[userID]?.removeAll { $0.provider == provider }
            if externalAccounts[userID]?.isEmpty == true { externalAccounts[userID] = nil }
        case .socialStateIssued(let state):
            precondition(socialStates.index(forKey: state.id) == nil, "social sign-in state \(state.id) issued twice")
            socialStates[state.id] = state
        case .socialStateConsumed(let stateID, _):
            socialStates[stateID] = nil
        case .socialStatesPurged(let stateIDs, _):
            for id in stateIDs { socialStates[id] = nil }
        case .initialAccessTokenIssued(let token):
            precondition(initialAccessTokens[token.id] == nil, "initial access token \(token.id) issued twice")
            initialAccessTokens[token.id] = token
        case .initialAccessTokenUsed(let tokenID, _):
            precondition(initialAccessTokens[tokenID].map { $0.usesLeft > 0 } == true, "use of a spent token")
            initialAccessTokens[tokenID]!.usesLeft -= 1
        case .initialAccessTokenRevoked(let tokenID, let at):
            precondition(initialAccessTokens[tokenID] != nil, "revocation of unknown token \(tokenID)")
            initialAccessTokens[tokenID]!.revokedAtMilliseconds = at
        }
    }

    /// The sessions of `userID`, in creation order.
    package func sessions(of userID: UUID) -> [Session] {
        (sessionIDsByUser[userID] ?? []).compactMap { sessions[$0] }
    }

    /// Adds `session` to its user's list, keeping the order by creation time, then id.
    mutating func insertOrdered(_ session: Session) {
        let index = position(of: session, among: sessionIDsByUser[session.userID] ?? [])
        // Inserted in place: the list is not copied (the lookup above no longer holds it).
        sessionIDsByUser[session.userID, default: []].insert(session.id, at: index)
    }

    private func position(of session: Session, among ids: [UUID]) -> Int {
        var index = ids.count
        // Read in place (`values[i]`): a lookup by key would copy each session out.
        while index > 0, let found = sessions.index(forKey: ids[index - 1]),
            Self.precedes(session, sessions.values[found])
        {
            index -= 1
        }
        return index
    }

    static func precedes(_ a: Session, _ b: Session) -> Bool {
        a.createdAtMilliseconds != b.createdAtMilliseconds
            ? a.createdAtMilliseconds < b.createdAtMilliseconds : uuidOrder(a.id, b.id)
    }

    private mutating func modifyUser(_ id: UUID, _ change: (inout User) -> Void) {
        guard let before = users[id] else { preconditionFailure("change to unknown user \(id)") }
        change(&users[id]!)
        userCounters.replace(before, with: users[id]!)
    }

    private mutating func modifyOrganization(_ id: UUID, _ change: (inout Organization) -> Void) {
        precondition(organizations[id] != nil, "change to unknown organization \(id)")
        change(&organizations[id]!)
    }

    /// Marks session `id` revoked at `at` unless it was; a live shard notes it among `endedSessions`.
    mutating func endSession(_ id: UUID, at: Int64) {
        guard let index = sessions.index(forKey: id), sessions.values[index].revokedAtMilliseconds == nil else {
            return
        }
        sessions.values[index].revokedAtMilliseconds = at
        if tracksEndedSessions {
            endedSessions.append(
                EndedSession(userID: sessions.values[index].userID, sessionID: id, grant: grants[id]))
        }
    }

    mutating func modifySession(_ id: UUID, of userID: UUID, _ change: (inout Session) -> Void) {
        // One hash lookup, then the session is changed where it lies (replay applies millions of these).
        guard let index = sessions.index(forKey: id), sessions.values[index].userID == userID else {
            preconditionFailure("change to unknown session \(id) of \(userID)")
        }
        change(&sessions.values[index])
    }

    /// Revokes `userID`'s sessions but `keptSessionID` (and, when given, only those `including` selects).
    mutating func revokeSessions(
        of userID: UUID, except keptSessionID: UUID?, at: Int64,
        including: (UUID) -> Bool = { _ in true }
    ) {
        for id in sessionIDsByUser[userID] ?? [] where id != keptSessionID && including(id) {
            endSession(id, at: at)
        }
    }
}
