public import FoundationEssentials

/// Every change the engine makes, as it goes to the log. A record carries every value the change needs —
/// generated ids, digests, hashes, timestamps — so that applying it is deterministic, live and on replay.
/// Each record concerns one user or one organization, whose shard applies it (`shardKey`).
public enum EngineRecord: Sendable, Hashable {
    case userRegistered(User)
    case profileUpdated(ProfileUpdate)
    /// A new password hash; every session of the user except `keptSessionID` is revoked.
    case passwordChanged(userID: UUID, passwordHash: String, keptSessionID: UUID?, atMilliseconds: Int64)
    case sessionCreated(Session)
    /// The refresh token was rotated: `newDigest` replaces the current digest, which becomes the previous one.
    case sessionRefreshed(
        userID: UUID, sessionID: UUID, newDigest: SecretDigest, atMilliseconds: Int64,
        expiresAtMilliseconds: Int64)
    case sessionRevoked(userID: UUID, sessionID: UUID, atMilliseconds: Int64)
    /// Every session of the user is revoked, except `keptSessionID`.
    case allSessionsRevoked(userID: UUID, keptSessionID: UUID?, atMilliseconds: Int64)
    /// Revoked or expired sessions are forgotten.
    case sessionsPurged(userID: UUID, sessionIDs: [UUID], atMilliseconds: Int64)
    /// The account is activated or deactivated; deactivation revokes every session.
    case activeChanged(userID: UUID, isActive: Bool, atMilliseconds: Int64)
    /// Soft delete: the user stays (for audit) but cannot log in, its sessions end, and its email is free.
    case userDeleted(userID: UUID, atMilliseconds: Int64)
    /// An administrator grants or withdraws superuser rights.
    case superuserChanged(userID: UUID, isSuperuser: Bool, atMilliseconds: Int64)
    /// A password reset was requested: the digest of its token's secret, valid until `expiresAtMilliseconds`.
    case passwordResetIssued(userID: UUID, digest: SecretDigest, expiresAtMilliseconds: Int64, atMilliseconds: Int64)
    /// The reset token was used: the new hash replaces the old, the token is spent, every session ends.
    case passwordResetCompleted(userID: UUID, passwordHash: String, atMilliseconds: Int64)
    /// A new organization, with its creator as its first owner.
    case organizationCreated(Organization)
    case organizationUpdated(OrganizationUpdate)
    /// The organization and its memberships are gone (the log keeps them for audit).
    case organizationDeleted(organizationID: UUID, atMilliseconds: Int64)
    /// A user joins an organization at `membership.joinedAtMilliseconds`.
    case memberAdded(organizationID: UUID, membership: Membership)
    case memberRoleChanged(organizationID: UUID, userID: UUID, role: OrganizationRole, atMilliseconds: Int64)
    case memberRemoved(organizationID: UUID, userID: UUID, atMilliseconds: Int64)
    /// A client of the OAuth provider is registered.
    case clientRegistered(OAuthClient)
    /// The client is gone; every token issued to it stops working.
    case clientDeleted(clientID: UUID, atMilliseconds: Int64)
    /// A client registered itself (RFC 7591): the client carries its `registration`.
    case clientSelfRegistered(OAuthClient)
    /// A client that registered itself replaced its metadata (RFC 7592).
    case clientMetadataUpdated(ClientMetadataUpdate)
    /// A superuser made an initial access token for client registration.
    case initialAccessTokenIssued(InitialAccessToken)
    /// An initial access token registered a client: one use fewer.
    case initialAccessTokenUsed(tokenID: UUID, atMilliseconds: Int64)
    case initialAccessTokenRevoked(tokenID: UUID, atMilliseconds: Int64)
    /// A user consents to a client for a scope (replacing an earlier consent to it).
    case consentGranted(userID: UUID, consent: Consent)
    /// The consent ends, and with it every session the user granted to that client.
    case consentRevoked(userID: UUID, clientID: UUID, atMilliseconds: Int64)
    case authorizationCodeIssued(AuthorizationCode)
    /// The code is spent, for a new session with the client's grant.
    case authorizationCodeRedeemed(codeID: UUID, session: Session, grant: OAuthGrant)
    /// The spent code came back: the session it made is revoked.
    case authorizationCodeReused(userID: UUID, codeID: UUID, atMilliseconds: Int64)
    /// A `client_credentials` token, kept in its client's shard.
    case clientTokenIssued(ClientToken)
    case clientTokenRevoked(clientID: UUID, tokenID: UUID, atMilliseconds: Int64)
    /// Expired or spent codes are forgotten.
    case authorizationCodesPurged(userID: UUID, codeIDs: [UUID], atMilliseconds: Int64)
    /// Expired or revoked client tokens are forgotten.
    case clientTokensPurged(clientID: UUID, tokenIDs: [UUID], atMilliseconds: Int64)
    /// A social sign-in created this user, without a password, with its provider account linked.
    case externalUserRegistered(User, account: ExternalAccount)
    /// An identity at a provider now signs this user in (replacing nothing: one account per provider).
    case externalAccountLinked(userID: UUID, account: ExternalAccount)
    case externalAccountUnlinked(userID: UUID, provider: String, atMilliseconds: Int64)
    /// A social sign-in started: its state is kept, in the shard of its own id, until used or expired.
    case socialStateIssued(SocialLoginState)
    /// The state came back from the provider and is spent (forgotten: it can never be used again).
    case socialStateConsumed(stateID: UUID, atMilliseconds: Int64)
    /// Expired states are forgotten (`shardKey` is the first of them: they were in one shard).
    case socialStatesPurged(stateIDs: [UUID], atMilliseconds: Int64)

    /// The id whose shard applies the record: the user's, or the organization's for organization records.
    package var shardKey: UUID {
        switch self {
        case .userRegistered(let user): user.id
        case .profileUpdated(let update): update.userID
        case .passwordChanged(let userID, _, _, _): userID
        case .sessionCreated(let session): session.userID
        case .sessionRefreshed(let userID, _, _, _, _): userID
        case .sessionRevoked(let userID, _, _): userID
        case .allSessionsRevoked(let userID, _, _): userID
        case .sessionsPurged(let userID, _, _): userID
        case .activeChanged(let userID, _, _): userID
        case .userDeleted(let userID, _): userID
        case .superuserChanged(let userID, _, _): userID
        case .passwordResetIssued(let userID, _, _, _): userID
        case .passwordResetCompleted(let userID, _, _): userID
        case .organizationCreated(let organization): organization.id
        case .organizationUpdated(let update): update.organizationID
        case .organizationDeleted(let organizationID, _): organizationID
        case .memberAdded(let organizationID, _): organizationID
        case .memberRoleChanged(let organizationID, _, _, _): organizationID
        case .memberRemoved(let organizationID, _, _): organizationID
        case .clientRegistered(let client): client.id
        case .clientDeleted(let clientID, _): clientID
        case .clientSelfRegistered(let client): client.id
        case .clientMetadataUpdated(let update): update.clientID
        case .initialAccessTokenIssued(let token): token.id
        case .initialAccessTokenUsed(let tokenID, _), .initialAccessTokenRevoked(let tokenID, _): tokenID
        case .consentGranted(let userID, _): userID
        case .consentRevoked(let userID, _, _): userID
        case .authorizationCodeIssued(let code): code.userID
        case .authorizationCodeRedeemed(_, let session, _): session.userID
        case .authorizationCodeReused(let userID, _, _): userID
        case .clientTokenIssued(let token): token.clientID
        case .clientTokenRevoked(let clientID, _, _): clientID
        case .authorizationCodesPurged(let userID, _, _): userID
        case .clientTokensPurged(let clientID, _, _): clientID
        case .externalUserRegistered(let user, _): user.id
        case .externalAccountLinked(let userID, _): userID
        case .externalAccountUnlinked(let userID, _, _): userID
        case .socialStateIssued(let state): state.id
        case .socialStateConsumed(let stateID, _): stateID
        case .socialStatesPurged(let stateIDs, _):
            stateIDs.first ?? UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
        }
    }

    /// When the change was made (Unix milliseconds): what `tessera replay --until <time>` compares.
    package var atMilliseconds: Int64 {
        switch self {
        case .userRegistered(let user): user.createdAtMilliseconds
        case .profileUpdated(let update): update.atMilliseconds
        case .passwordChanged(_, _, _, let at): at
        case .sessionCreated(let session): session.createdAtMilliseconds
        case .sessionRefreshed(_, _, _, let at, _): at
        case .sessionRevoked(_, _, let at): at
        case .allSessionsRevoked(_, _, let at): at
        case .sessionsPurged(_, _, let at): at
        case .activeChanged(_, _, let at): at
        case .userDeleted(_, let at): at
        case .superuserChanged(_, _, let at): at
        case .passwordResetIssued(_, _, _, let at): at
        case .passwordResetCompleted(_, _, let at): at
        case .organizationCreated(let organization): organization.createdAtMilliseconds
        case .organizationUpdated(let update): update.atMilliseconds
        case .organizationDeleted(_, let at): at
        case .memberAdded(_, let membership): membership.joinedAtMilliseconds
        case .memberRoleChanged(_, _, _, let at): at
        case .memberRemoved(_, _, let at): at
        case .clientRegistered(let client): client.createdAtMilliseconds
        case .clientDeleted(_, let at): at
        case .clientSelfRegistered(let client): client.createdAtMilliseconds
        case .clientMetadataUpdated(let update): update.atMilliseconds
        case .initialAccessTokenIssued(let token): token.createdAtMilliseconds
        case .initialAccessTokenUsed(_, let at), .initialAccessTokenRevoked(_, let at): at
        case .consentGranted(_, let consent): consent.grantedAtMilliseconds
        case .consentRevoked(_, _, let at): at
        case .authorizationCodeIssued(let code): code.createdAtMilliseconds
        case .authorizationCodeRedeemed(_, let session, _): session.createdAtMilliseconds
        case .authorizationCodeReused(_, _, let at): at
        case .clientTokenIssued(let token): token.createdAtMilliseconds
        case .clientTokenRevoked(_, _, let at): at
        case .authorizationCodesPurged(_, _, let at): at
        case .clientTokensPurged(_, _, let at): at
        case .externalUserRegistered(let user, _): user.createdAtMilliseconds
        case .externalAccountLinked(_, let account): account.linkedAtMilliseconds
        case .externalAccountUnlinked(_, _, let at): at
        case .socialStateIssued(let state): state.createdAtMilliseconds
        case .socialStateConsumed(_, let at): at
        case .socialStatesPurged(_, let at): at
        }
    }
}

/// The fields of `PATCH /users/me` (and, later, of the admin update), each nil when unchanged.
public struct ProfileUpdate: Sendable, Hashable {
    package let userID: UUID
    package var firstName: String?
    package var lastName: Change<String>
    package var phoneNumber: Change<String>
    package var preferences: Change<String>
    package var locale: Change<String>
    package let atMilliseconds: Int64

    package init(
        userID: UUID, firstName: String? = nil, lastName: Change<String> = .unchanged,
        phoneNumber: Change<String> = .unchanged, preferences: Change<String> = .unchanged,
        locale: Change<String> = .unchanged, atMilliseconds: Int64
    ) {
        self.userID = userID
        self.firstName = firstName
        self.lastName = lastName
        self.phoneNumber = phoneNumber
        self.preferences = preferences
        self.locale = locale
        self.atMilliseconds = atMilliseconds
    }
}

/// An update to an optional field: leave it, clear it, or set it.
package enum Change<Value: Sendable & Hashable>: Sendable, Hashable {
    case unchanged
    case cleared
    case set(Value)

    /// The change with its value transformed.
    package func mapped(_ transform: (Value) -> Value) -> Change<Value> {
        if case .set(let value) = self { return .set(transform(value)) }
        return self
    }

    package func applied(to value: Value?) -> Value? {
        switch self {
        case .unchanged: value
        case .cleared: nil
        case .set(let new): new
        }
    }
}

/// The record type numbers in the log. Never reuse a number: old logs keep them.
public enum EngineRecordType: UInt16, Sendable, CaseIterable {
    case userRegistered = 1
    case profileUpdated = 2
    case passwordChanged = 3
    case sessionCreated = 4
    case sessionRefreshed = 5
    case sessionRevoked = 6
    case allSessionsRevoked = 7
    case sessionsPurged = 8
    case activeChanged = 9
    case userDeleted = 10
    case superuserChanged = 11
    case passwordResetIssued = 12
    case passwordResetCompleted = 13
    case organizationCreated = 14
    case organizationUpdated = 15
    case organizationDeleted = 16
    case memberAdded = 17
    case memberRoleChanged = 18
    case memberRemoved = 19
    case clientRegistered = 20
    case clientDeleted = 21
    case consentGranted = 22
    case consentRevoked = 23
    case authorizationCodeIssued = 24
    case authorizationCodeRedeemed = 25
    case authorizationCodeReused = 26
    case clientTokenIssued = 27
    case clientTokenRevoked = 28
    case authorizationCodesPurged = 29
    case clientTokensPurged = 30
    case externalUserRegistered = 31
    case externalAccountLinked = 32
    case externalAccountUnlinked = 33
    case socialStateIssued = 34
    case socialStateConsumed = 35
    case socialStatesPurged = 36
    case clientSelfRegistered = 37
    case clientMetadataUpdated = 38
    case initialAccessTokenIssued = 39
    case initialAccessTokenUsed = 40
    case initialAccessTokenRevoked = 41
}
