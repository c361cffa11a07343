import FoundationEssentials

extension EngineRecord {
    /// The payload format version written first in every record. Version 2 added the resources (RFC 8707) of
    /// authorization codes, grants and consents; version 3 OpenID Connect's (the authentication of codes and
    /// grants, the clients' OpenID settings). Records of every earlier version still decode.
    static let formatVersion: UInt8 = 3

    public var type: EngineRecordType {
        switch self {
        case .userRegistered: .userRegistered
        case .profileUpdated: .profileUpdated
        case .passwordChanged: .passwordChanged
        case .sessionCreated: .sessionCreated
        case .sessionRefreshed: .sessionRefreshed
        case .sessionRevoked: .sessionRevoked
        case .allSessionsRevoked: .allSessionsRevoked
        case .sessionsPurged: .sessionsPurged
        case .activeChanged: .activeChanged
        case .userDeleted: .userDeleted
        case .superuserChanged: .superuserChanged
        case .passwordResetIssued: .passwordResetIssued
        case .passwordResetCompleted: .passwordResetCompleted
        case .organizationCreated: .organizationCreated
        case .organizationUpdated: .organizationUpdated
        case .organizationDeleted: .organizationDeleted
        case .memberAdded: .memberAdded
        case .memberRoleChanged: .memberRoleChanged
        case .memberRemoved: .memberRemoved
        case .clientRegistered: .clientRegistered
        case .clientDeleted: .clientDeleted
        case .clientSelfRegistered: .clientSelfRegistered
        case .clientMetadataUpdated: .clientMetadataUpdated
        case .initialAccessTokenIssued: .initialAccessTokenIssued
        case .initialAccessTokenUsed: .initialAccessTokenUsed
        case .initialAccessTokenRevoked: .initialAccessTokenRevoked
        case .consentGranted: .consentGranted
        case .consentRevoked: .consentRevoked
        case .authorizationCodeIssued: .authorizationCodeIssued
        case .authorizationCodeRedeemed: .authorizationCodeRedeemed
        case .authorizationCodeReused: .authorizationCodeReused
        case .clientTokenIssued: .clientTokenIssued
        case .clientTokenRevoked: .clientTokenRevoked
        case .authorizationCodesPurged: .authorizationCodesPurged
        case .clientTokensPurged: .clientTokensPurged
        case .externalUserRegistered: .externalUserRegistered
        case .externalAccountLinked: .externalAccountLinked
        case .externalAccountUnlinked: .externalAccountUnlinked
        case .socialStateIssued: .socialStateIssued
        case .socialStateConsumed: .socialStateConsumed
        case .socialStatesPurged: .socialStatesPurged
        }
    }

    /// The record's payload in the log.
    public func encoded() -> [UInt8] {
        var writer = BinaryWriter()
        writer.write(Self.formatVersion)
        switch self {
        case .userRegistered(let user):
            writer.write(user)
        case .profileUpdated(let update):
            writer.write(update.userID)
            writer.write(update.firstName)
            writer.write(update.lastName)
            writer.write(update.phoneNumber)
            writer.write(update.preferences)
            writer.write(update.locale)
            writer.write(update.atMilliseconds)
        case .passwordChanged(let userID, let passwordHash, let keptSessionID, let at):
            writer.write(userID)
            writer.write(passwordHash)
            writer.write(keptSessionID)
            writer.write(at)
        case .sessionCreated(let session):
            writer.write(session)
        case .sessionRefreshed(let userID, let sessionID, let newDigest, let at, let expiresAt):
            writer.write(userID)
            writer.write(sessionID)
            writer.write(newDigest)
            writer.write(at)
            writer.write(expiresAt)
        case .sessionRevoked(let userID, let sessionID, let at):
            writer.write(userID)
            writer.write(sessionID)
            writer.write(at)
        case .allSessionsRevoked(let userID, let keptSessionID, let at):
            writer.write(userID)
            writer.write(keptSessionID)
            writer.write(at)
        case .sessionsPurged(let owner, let ids, let at), .authorizationCodesPurged(let owner, let ids, let at),
            .clientTokensPurged(let owner, let ids, let at):
            writer.write(owner)
            writer.writeLength(ids.count)
            for id in ids { writer.write(id) }
            writer.write(at)
        case .activeChanged(let userID, let isActive, let at):
            writer.write(userID)
            writer.write(isActive)
            writer.write(at)
        case .userDeleted(let userID, let at):
            writer.write(userID)
            writer.write(at)
        case .superuserChanged(let userID, let isSuperuser, let at):
            writer.write(userID)
            writer.write(isSuperuser)
            writer.write(at)
        case .passwordResetIssued(let userID, let digest, let expiresAt, let at):
            writer.write(userID)
            writer.write(digest)
            writer.write(expiresAt)
            writer.write(at)
        case .passwordResetCompleted(let userID, let passwordHash, let at):
            writer.write(userID)
            writer.write(passwordHash)
            writer.write(at)
        case .organizationCreated(let organization):
            writer.write(organization)
        case .organizationUpdated(let update):
            writer.write(update.organizationID)
            writer.write(update.name)
            writer.write(update.slug)
            writer.write(update.description)
            writer.write(update.settings)
            writer.write(update.isActive.map { $0 ? UInt8(2) : 1 } ?? 0)
            writer.write(update.atMilliseconds)
        case .organizationDeleted(let organizationID, let at):
            writer.write(organizationID)
            writer.write(at)
        case .memberAdded(let organizationID, let membership):
            writer.write(organizationID)
            writer.write(membership)
        case .memberRoleChanged(let organizationID, let userID, let role, let at):
            writer.write(organizationID)
            writer.write(userID)
            writer.write(role.rawValue)
            writer.write(at)
        case .memberRemoved(let organizationID, let userID, let at):
            writer.write(organizationID)
            writer.write(userID)
            writer.write(at)
        case .clientRegistered(let client):
            writer.write(client)
        case .clientDeleted(let clientID, let at):
            writer.write(clientID)
            writer.write(at)
        case .clientSelfRegistered(let client):
            precondition(client.registration != nil, "a self-registered client without its registration")
            writer.write(client)
            writer.write(client.registration!)
        case .clientMetadataUpdated(let update):
            writer.write(update.clientID)
            writer.write(update.name)
            writer.writeStrings(update.redirectURIs)
            writer.writeStrings(update.scopes)
            writer.write(update.registration)
            writer.write(update.atMilliseconds)
            writer.write(update.openID)
        case .initialAccessTokenIssued(let token):
            writer.write(token)
        case .initialAccessTokenUsed(let tokenID, let at), .initialAccessTokenRevoked(let tokenID, let at):
            writer.write(tokenID)
            writer.write(at)
        case .consentGranted(let userID, let consent):
            writer.write(userID)
            writer.write(consent)
        case .authorizationCodeIssued(let code):
            writer.write(code)
        case .authorizationCodeRedeemed(let codeID, let session, let grant):
            writer.write(codeID)
            writer.write(session)
            writer.write(grant)
        case .consentRevoked(let first, let second, let at), .authorizationCodeReused(let first, let second, let at),
            .clientTokenRevoked(let first, let second, let at):
            writer.write(first)
            writer.write(second)
            writer.write(at)
        case .clientTokenIssued(let token):
            writer.write(token)
        case .externalUserRegistered(let user, let account):
            writer.write(user)
            writer.write(account)
        case .externalAccountLinked(let userID, let account):
            writer.write(userID)
            writer.write(account)
        case .externalAccountUnlinked(let userID, let provider, let at):
            writer.write(userID)
            writer.write(provider)
            writer.write(at)
        case .socialStateIssued(let state):
            writer.write(state)
        case .socialStateConsumed(let stateID, let at):
            writer.write(stateID)
            writer.write(at)
        case .socialStatesPurged(let ids, let at):
            writer.writeLength(ids.count)
            for id in ids { writer.write(id) }
            writer.write(at)
        }
        return writer.bytes
    }

    /// Decodes a record of `type` from its payload.
    public init(type rawType: UInt16, payload: UnsafeRawBufferPointer) throws(RecordDecodingError) {
        guard let type = EngineRecordType(rawValue: rawType) else {
            throw RecordDecodingError("unknown record type \(rawType)")
        }
        var reader = BinaryReader(payload)
        let version = try reader.read(UInt8.self)
        guard (1...Self.formatVersion).contains(version) else {
            throw RecordDecodingError("unknown record version \(version)")
        }
        let fields = OAuthFields.record(version)
        switch type {
        case .userRegistered:
            self = .userRegistered(try reader.read(User.self))
        case .profileUpdated:
            self = .profileUpdated(
                ProfileUpdate(
                    userID: try reader.read(UUID.self), firstName: try reader.readOptional(String.self),
                    lastName: try reader.read(Change<String>.self), phoneNumber: try reader.read(Change<String>.self),
                    preferences: try reader.read(Change<String>.self), locale: try reader.read(Change<String>.self),
                    atMilliseconds: try reader.read(Int64.self)))
        case .passwordChanged:
            self = .passwordChanged(
                userID: try reader.read(UUID.self), passwordHash: try reader.read(String.self),
                keptSessionID: try reader.readOptional(UUID.self),
                atMilliseconds: try reader.read(Int64.self))
        case .sessionCreated:
            self = .sessionCreated(try reader.read(Session.self))
        case .sessionRefreshed:
            self = .sessionRefreshed(
                userID: try reader.read(UUID.self), sessionID: try reader.read(UUID.self),
                newDigest: try reader.read(SecretDigest.self), atMilliseconds: try reader.read(Int64.self),
                expiresAtMilliseconds: try reader.read(Int64.self))
        case .sessionRevoked:
            self = .sessionRevoked(
                userID: try reader.read(UUID.self), sessionID: try reader.read(UUID.self),
                atMilliseconds: try reader.read(Int64.self))
        case .allSessionsRevoked:
            self = .allSessionsRevoked(
                userID: try reader.read(UUID.self),
                keptSessionID: try reader.readOptional(UUID.self),
                atMilliseconds: try reader.read(Int64.self))
        case .sessionsPurged:
            let (userID, ids, at) = try Self.readIDList(&reader)
            self = .sessionsPurged(userID: userID, sessionIDs: ids, atMilliseconds: at)
        case .activeChanged:
            self = .activeChanged(
                userID: try reader.read(UUID.self), isActive: try reader.read(Bool.self),
                atMilliseconds: try reader.read(Int64.self))
        case .userDeleted:
            self = .userDeleted(userID: try reader.read(UUID.self), atMilliseconds: try reader.read(Int64.self))
        case .superuserChanged:
            self = .superuserChanged(
                userID: try reader.read(UUID.self), isSuperuser: try reader.read(Bool.self),
                atMilliseconds: try reader.read(Int64.self))
        case .passwordResetIssued:
            self = .passwordResetIssued(
                userID: try reader.read(UUID.self), digest: try reader.read(SecretDigest.self),
                expiresAtMilliseconds: try reader.read(Int64.self),
                atMilliseconds: try reader.read(Int64.self))
        case .passwordResetCompleted:
            self = .passwordResetCompleted(
                userID: try reader.read(UUID.self), passwordHash: try reader.read(String.self),
                atMilliseconds: try reader.read(Int64.self))
        case .organizationCreated:
            self = .organizationCreated(try reader.read(Organization.self))
        case .organizationUpdated:
            let id = try reader.read(UUID.self)
            let name = try reader.readOptional(String.self)
            let slug = try reader.readOptional(String.self)
            let description = try reader.read(Change<String>.self)
            let settings = try reader.read(Change<String>.self)
            let isActive: Bool? =
                switch try reader.read(UInt8.self) {
                case 0: nil
                case 1: false
                case 2: true
                case let other: throw RecordDecodingError("invalid is_active tag \(other)")
                }
            self = .organizationUpdated(
                OrganizationUpdate(
                    organizationID: id, name: name, slug: slug, description: description, settings: settings,
                    isActive: isActive, atMilliseconds: try reader.read(Int64.self)))
        case .organizationDeleted:
            self = .organizationDeleted(
                organizationID: try reader.read(UUID.self),
                atMilliseconds: try reader.read(Int64.self))
        case .memberAdded:
            self = .memberAdded(
                organizationID: try reader.read(UUID.self), membership: try reader.read(Membership.self))
        case .memberRoleChanged:
            self = .memberRoleChanged(
                organizationID: try reader.read(UUID.self), userID: try reader.read(UUID.self),
                role: try reader.read(OrganizationRole.self),
                atMilliseconds: try reader.read(Int64.self))
        case .memberRemoved:
            self = .memberRemoved(
                organizationID: try reader.read(UUID.self), userID: try reader.read(UUID.self),
                atMilliseconds: try reader.read(Int64.self))
        case .clientRegistered:
            self = .clientRegistered(try reader.read(OAuthClient.self, fields: fields))
        case .clientDeleted:
            self = .clientDeleted(clientID: try reader.read(UUID.self), atMilliseconds: try reader.read(Int64.self))
        case .clientSelfRegistered:
            var client = try reader.read(OAuthClient.self, fields: fields)
            client.registration = try reader.read(ClientRegistration.self)
            self = .clientSelfRegistered(client)
        case .clientMetadataUpdated:
            var update = ClientMetadataUpdate(
                clientID: try reader.read(UUID.self), name: try reader.read(String.self),
                redirectURIs: try reader.readStrings(), scopes: try reader.readStrings(),
                registration: try reader.read(ClientRegistration.self), atMilliseconds: try reader.read(Int64.self))
            if fields.openID { update.openID = try reader.read(OpenIDClientSettings.self) }
            self = .clientMetadataUpdated(update)
        case .initialAccessTokenIssued:
            self = .initialAccessTokenIssued(try reader.read(InitialAccessToken.self))
        case .initialAccessTokenUsed:
            self = .initialAccessTokenUsed(
                tokenID: try reader.read(UUID.self), atMilliseconds: try reader.read(Int64.self))
        case .initialAccessTokenRevoked:
            self = .initialAccessTokenRevoked(
                tokenID: try reader.read(UUID.self), atMilliseconds: try reader.read(Int64.self))
        case .consentGranted:
            self = .consentGranted(
                userID: try reader.read(UUID.self), consent: try reader.read(Consent.self, fields: fields))
        case .consentRevoked:
            self = .consentRevoked(
                userID: try reader.read(UUID.self), clientID: try reader.read(UUID.self),
                atMilliseconds: try reader.read(Int64.self))
        case .authorizationCodeIssued:
            self = .authorizationCodeIssued(try reader.read(AuthorizationCode.self, fields: fields))
        case .authorizationCodeRedeemed:
            self = .authorizationCodeRedeemed(
                codeID: try reader.read(UUID.self), session: try reader.read(Session.self),
                grant: try reader.read(OAuthGrant.self, fields: fields))
        case .authorizationCodeReused:
            self = .authorizationCodeReused(
                userID: try reader.read(UUID.self), codeID: try reader.read(UUID.self),
                atMilliseconds: try reader.read(Int64.self))
        case .clientTokenIssued:
            self = .clientTokenIssued(try reader.read(ClientToken.self))
        case .clientTokenRevoked:
            self = .clientTokenRevoked(
                clientID: try reader.read(UUID.self), tokenID: try reader.read(UUID.self),
                atMilliseconds: try reader.read(Int64.self))
        case .authorizationCodesPurged:
            let (owner, ids, at) = try Self.readIDList(&reader)
            self = .authorizationCodesPurged(userID: owner, codeIDs: ids, atMilliseconds: at)
        case .clientTokensPurged:
            let (owner, ids, at) = try Self.readIDList(&reader)
            self = .clientTokensPurged(clientID: owner, tokenIDs: ids, atMilliseconds: at)
        case .externalUserRegistered:
            self = .externalUserRegistered(try reader.read(User.self), account: try reader.read(ExternalAccount.self))
        case .externalAccountLinked:
            self = .externalAccountLinked(
                userID: try reader.read(UUID.self), account: try reader.read(ExternalAccount.self))
        case .externalAccountUnlinked:
            self = .externalAccountUnlinked(
                userID: try reader.read(UUID.self), provider: try reader.read(String.self),
                atMilliseconds: try reader.read(Int64.self))
        case .socialStateIssued:
            self = .socialStateIssued(try reader.read(SocialLoginState.self))
        case .socialStateConsumed:
            self = .socialStateConsumed(
                stateID: try reader.read(UUID.self), atMilliseconds: try reader.read(Int64.self))
        case .socialStatesPurged:
            let count = try reader.readLength()
            guard count <= payload.count / 16 else {
                throw RecordDecodingError("\(count) states in \(payload.count) bytes")
            }
            var ids: [UUID] = []
            for _ in 0..<count { ids.append(try reader.read(UUID.self)) }
            self = .socialStatesPurged(stateIDs: ids, atMilliseconds: try reader.read(Int64.self))
        }
        guard reader.isAtEnd else { throw RecordDecodingError("\(reader.offset) bytes used of \(payload.count)") }
    }

    /// An owner's id, a list of ids, a time: the shape of every purge record.
    private static func readIDList(_ reader: inout BinaryReader) throws(RecordDecodingError) -> (UUID, [UUID], Int64) {
        let owner = try reader.read(UUID.self)
        let count = try reader.readLength()
        var ids: [UUID] = []
        ids.reserveCapacity(min(count, 4096))
        for _ in 0..<count { ids.append(try reader.read(UUID.self)) }
        return (owner, ids, try reader.read(Int64.self))
    }
}

extension BinaryWriter {
    mutating func write(_ user: User) {
        write(user.id)
        write(user.email)
        write(user.passwordHash)
        write(user.firstName)
        write(user.lastName)
        write(user.phoneNumber)
        write(user.isActive)
        write(user.isSuperuser)
        write(user.preferences)
        write(user.locale)
        write(user.createdAtMilliseconds)
        write(user.updatedAtMilliseconds)
        write(user.deletedAtMilliseconds)
        write(user.resetDigest)
        write(user.resetExpiresAtMilliseconds)
    }

    mutating func write(_ session: Session) {
        write(session.id)
        write(session.userID)
        write(session.deviceName)
        write(session.deviceID)
        write(session.ipAddress)
        write(session.createdAtMilliseconds)
        write(session.lastUsedAtMilliseconds)
        write(session.expiresAtMilliseconds)
        write(session.refreshDigest)
        write(session.previousRefreshDigest)
        write(session.rotatedAtMilliseconds)
        write(session.generation)
        write(session.revokedAtMilliseconds)
    }

    mutating func write(_ id: UUID?) {
        write(id != nil)
        if let id { write(id) }
    }

    mutating func write(_ change: Change<String>) {
        switch change {
        case .unchanged: write(UInt8(0))
        case .cleared: write(UInt8(1))
        case .set(let value):
            write(UInt8(2))
            write(value)
        }
    }
}

extension BinaryReader {
    mutating func read(_: User.Type) throws(RecordDecodingError) -> User {
        var user = User(
            id: try read(UUID.self), email: try read(String.self), passwordHash: try read(String.self),
            firstName: try read(String.self), lastName: try readOptional(String.self),
            phoneNumber: try readOptional(String.self), isActive: try read(Bool.self),
            isSuperuser: try read(Bool.self), preferences: try readOptional(String.self),
            locale: try readOptional(String.self), createdAtMilliseconds: try read(Int64.self),
            updatedAtMilliseconds: try read(Int64.self), deletedAtMilliseconds: try readOptional(Int64.self))
        user.resetDigest = try readOptional(SecretDigest.self)
        user.resetExpiresAtMilliseconds = try readOptional(Int64.self)
        return user
    }

    mutating func read(_: Session.Type) throws(RecordDecodingError) -> Session {
        var session = Session(
            id: try read(UUID.self), userID: try read(UUID.self), deviceName: try readOptional(String.self),
            deviceID: try readOptional(String.self), ipAddress: try readOptional(String.self),
            createdAtMilliseconds: try read(Int64.self), expiresAtMilliseconds: 0,
            refreshDigest: SecretDigest(word0: 0, word1: 0, word2: 0, word3: 0))
        session.lastUsedAtMilliseconds = try read(Int64.self)
        session.expiresAtMilliseconds = try read(Int64.self)
        session.refreshDigest = try read(SecretDigest.self)
        session.previousRefreshDigest = try readOptional(SecretDigest.self)
        session.rotatedAtMilliseconds = try readOptional(Int64.self)
        session.generation = try read(UInt32.self)
        session.revokedAtMilliseconds = try readOptional(Int64.self)
        return session
    }

    mutating func readOptional(_: UUID.Type) throws(RecordDecodingError) -> UUID? {
        try read(Bool.self) ? try read(UUID.self) : nil
    }

    mutating func read(_: Change<String>.Type) throws(RecordDecodingError) -> Change<String> {
        switch try read(UInt8.self) {
        case 0: return .unchanged
        case 1: return .cleared
        case 2: return .set(try read(String.self))
        case let other: throw RecordDecodingError("invalid change tag \(other)")
        }
    }
}
