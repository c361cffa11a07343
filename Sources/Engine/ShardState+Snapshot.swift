import FoundationEssentials

/// Everything a snapshot holds of one or more shards, as flat lists: what `ShardState.encode` writes and
/// `restore` puts back, into whichever shard each entity routes to.
struct ShardEntities {
    var users: [User] = []
    var sessions: [Session] = []
    var organizations: [Organization] = []
    var clients: [OAuthClient] = []
    var clientTokens: [ClientToken] = []
    var consents: [(userID: UUID, consent: Consent)] = []
    var authorizationCodes: [AuthorizationCode] = []
    var grants: [(sessionID: UUID, grant: OAuthGrant)] = []
    /// Each user's linked accounts, in the order linked.
    var externalAccounts: [(userID: UUID, account: ExternalAccount)] = []
    var socialStates: [SocialLoginState] = []
    var initialAccessTokens: [InitialAccessToken] = []

    mutating func append(contentsOf other: ShardEntities) {
        users += other.users
        sessions += other.sessions
        organizations += other.organizations
        clients += other.clients
        clientTokens += other.clientTokens
        consents += other.consents
        authorizationCodes += other.authorizationCodes
        grants += other.grants
        externalAccounts += other.externalAccounts
        socialStates += other.socialStates
        initialAccessTokens += other.initialAccessTokens
    }

    /// Puts the entities that route to shard `shardIndex` into `state` (room for all of them made first) and
    /// returns the others, for `restore(into:routing:)`.
    func restore(into state: inout ShardState, shardIndex: Int, routing: ShardRouting) -> ShardEntities {
        func ours(_ id: UUID) -> Bool { routing.shard(of: id) == shardIndex }
        var strays = ShardEntities()
        state.users.reserveCapacity(users.count)
        state.sessions.reserveCapacity(sessions.count)
        state.sessionIDsByUser.reserveCapacity(users.count)
        for user in users {
            if ours(user.id) { state.restore(user: user) } else { strays.users.append(user) }
        }
        for session in sessions {
            if ours(session.userID) && state.users.index(forKey: session.userID) != nil {
                state.restore(session: session)
            } else {
                strays.sessions.append(session)
            }
        }
        for organization in organizations {
            if ours(organization.id) {
                state.restore(organization: organization)
            } else {
                strays.organizations.append(organization)
            }
        }
        for client in clients {
            if ours(client.id) { state.clients[client.id] = client } else { strays.clients.append(client) }
        }
        for token in clientTokens {
            if ours(token.clientID) { state.clientTokens[token.id] = token } else { strays.clientTokens.append(token) }
        }
        for (userID, consent) in consents {
            if ours(userID) {
                state.consents[userID, default: [:]][consent.clientID] = consent
            } else {
                strays.consents.append((userID, consent))
            }
        }
        for code in authorizationCodes {
            if ours(code.userID) {
                state.authorizationCodes[code.id] = code
            } else {
                strays.authorizationCodes.append(code)
            }
        }
        for (sessionID, grant) in grants {
            if ours(sessionID) { state.grants[sessionID] = grant } else { strays.grants.append((sessionID, grant)) }
        }
        for (userID, account) in externalAccounts {
            if ours(userID) {
                state.externalAccounts[userID, default: []].append(account)
            } else {
                strays.externalAccounts.append((userID, account))
            }
        }
        for socialState in socialStates {
            if ours(socialState.id) {
                state.socialStates[socialState.id] = socialState
            } else {
                strays.socialStates.append(socialState)
            }
        }
        for token in initialAccessTokens {
            if ours(token.id) {
                state.initialAccessTokens[token.id] = token
            } else {
                strays.initialAccessTokens.append(token)
            }
        }
        return strays
    }

    /// Puts every entity into the shard `routing` gives it (a user's sessions, consents, codes and grants
    /// route like the user; a client's tokens like the client).
    func restore(into states: inout [ShardState], routing: ShardRouting) {
        for user in users { states[routing.shard(of: user.id)].restore(user: user) }
        for session in sessions { states[routing.shard(of: session.userID)].restore(session: session) }
        for organization in organizations {
            states[routing.shard(of: organization.id)].restore(organization: organization)
        }
        for client in clients { states[routing.shard(of: client.id)].clients[client.id] = client }
        for token in clientTokens { states[routing.shard(of: token.clientID)].clientTokens[token.id] = token }
        for (userID, consent) in consents {
            states[routing.shard(of: userID)].consents[userID, default: [:]][consent.clientID] = consent
        }
        for code in authorizationCodes { states[routing.shard(of: code.userID)].authorizationCodes[code.id] = code }
        for (sessionID, grant) in grants { states[routing.shard(of: sessionID)].grants[sessionID] = grant }
        for (userID, account) in externalAccounts {
            states[routing.shard(of: userID)].externalAccounts[userID, default: []].append(account)
        }
        for state in socialStates { states[routing.shard(of: state.id)].socialStates[state.id] = state }
        for token in initialAccessTokens { states[routing.shard(of: token.id)].initialAccessTokens[token.id] = token }
    }
}

extension ShardState {
    /// Appends the state in canonical form — each kind of entity sorted by id — so that two equal states encode
    /// to the same bytes (what the replay tests compare).
    package func encode(into writer: inout BinaryWriter) {
        func each<Value>(_ dictionary: [UUID: Value], _ write: (inout BinaryWriter, Value) -> Void) {
            writer.writeLength(dictionary.count)
            for id in dictionary.keys.sorted(by: Self.uuidOrder) { write(&writer, dictionary[id]!) }
        }
        each(users) { $0.write($1) }
        each(sessions) { $0.write($1) }
        each(organizations) { $0.write($1) }
        each(clients) { $0.write($1) }
        each(clientTokens) { $0.write($1) }
        let consentList = consents.flatMap { userID, byClient in byClient.values.map { (userID, $0) } }.sorted {
            $0.0 != $1.0 ? Self.uuidOrder($0.0, $1.0) : Self.uuidOrder($0.1.clientID, $1.1.clientID)
        }
        writer.writeLength(consentList.count)
        for (userID, consent) in consentList {
            writer.write(userID)
            writer.write(consent)
        }
        each(authorizationCodes) { $0.write($1) }
        writer.writeLength(grants.count)
        for id in grants.keys.sorted(by: Self.uuidOrder) {
            writer.write(id)
            writer.write(grants[id]!)
        }
        // Each user's accounts in the order linked (that order is part of the state).
        writer.writeLength(externalAccounts.values.reduce(0) { $0 + $1.count })
        for userID in externalAccounts.keys.sorted(by: Self.uuidOrder) {
            for account in externalAccounts[userID]! {
                writer.write(userID)
                writer.write(account)
            }
        }
        each(socialStates) { $0.write($1) }
        // Format 7: what the clients that registered themselves said (the client list above keeps its format).
        let registered = clients.keys.sorted(by: Self.uuidOrder).filter { clients[$0]!.registration != nil }
        writer.writeLength(registered.count)
        for id in registered {
            writer.write(id)
            writer.write(clients[id]!.registration!)
        }
        each(initialAccessTokens) { $0.write($1) }
    }

    /// Reads what `encode` wrote; snapshots of format 1 had no organizations, of format 2 no OAuth state, of
    /// formats before 7 no self-registered clients and no resources of codes and grants.
    static func decodeEntities(
        from reader: inout BinaryReader, formatVersion: UInt8
    ) throws(RecordDecodingError)
        -> ShardEntities
    {
        func list<T>(_ read: (inout BinaryReader) throws(RecordDecodingError) -> T) throws(RecordDecodingError) -> [T] {
            let count = try reader.readLength()
            var items: [T] = []
            items.reserveCapacity(min(count, 1 << 20))
            for _ in 0..<count { items.append(try read(&reader)) }
            return items
        }
        let fields = OAuthFields.snapshot(formatVersion)
        var entities = ShardEntities()
        entities.users = try list { reader throws(RecordDecodingError) in try reader.read(User.self) }
        entities.sessions = try list { reader throws(RecordDecodingError) in try reader.read(Session.self) }
        guard formatVersion >= 2 else { return entities }
        entities.organizations = try list { reader throws(RecordDecodingError) in try reader.read(Organization.self) }
        guard formatVersion >= 3 else { return entities }
        entities.clients = try list { reader throws(RecordDecodingError) in
            try reader.read(OAuthClient.self, fields: fields)
        }
        entities.clientTokens = try list { reader throws(RecordDecodingError) in try reader.read(ClientToken.self) }
        entities.consents = try list { reader throws(RecordDecodingError) in
            (try reader.read(UUID.self), try reader.read(Consent.self, fields: fields))
        }
        entities.authorizationCodes = try list { reader throws(RecordDecodingError) in
            try reader.read(AuthorizationCode.self, fields: fields)
        }
        entities.grants = try list { reader throws(RecordDecodingError) in
            (try reader.read(UUID.self), try reader.read(OAuthGrant.self, fields: fields))
        }
        guard formatVersion >= 5 else { return entities }
        entities.externalAccounts = try list { reader throws(RecordDecodingError) in
            (try reader.read(UUID.self), try reader.read(ExternalAccount.self))
        }
        guard formatVersion >= 6 else { return entities }
        entities.socialStates = try list { reader throws(RecordDecodingError) in try reader.read(SocialLoginState.self)
        }
        guard formatVersion >= 7 else { return entities }
        let registrations = try list { reader throws(RecordDecodingError) in
            (try reader.read(UUID.self), try reader.read(ClientRegistration.self))
        }
        let byClient = Dictionary(registrations, uniquingKeysWith: { first, _ in first })
        for index in entities.clients.indices {
            entities.clients[index].registration = byClient[entities.clients[index].id]
        }
        entities.initialAccessTokens = try list { reader throws(RecordDecodingError) in
            try reader.read(InitialAccessToken.self)
        }
        return entities
    }

    /// Every entity of this state, as a snapshot lists them.
    var entities: ShardEntities {
        ShardEntities(
            users: Array(users.values), sessions: Array(sessions.values), organizations: Array(organizations.values),
            clients: Array(clients.values), clientTokens: Array(clientTokens.values),
            consents: consents.flatMap { userID, byClient in byClient.values.map { (userID, $0) } },
            authorizationCodes: Array(authorizationCodes.values), grants: grants.map { ($0.key, $0.value) },
            externalAccounts: externalAccounts.flatMap { userID, accounts in accounts.map { (userID, $0) } },
            socialStates: Array(socialStates.values), initialAccessTokens: Array(initialAccessTokens.values))
    }

    /// Adds a user as a snapshot had it (no record, no LSN).
    mutating func restore(user: User) {
        precondition(users.index(forKey: user.id) == nil, "user \(user.id) twice in a snapshot")
        users[user.id] = user
        userCounters.add(user)
    }

    /// Adds an organization as a snapshot had it.
    mutating func restore(organization: Organization) {
        precondition(organizations[organization.id] == nil, "organization \(organization.id) twice in a snapshot")
        organizations[organization.id] = organization
    }

    /// Adds a session as a snapshot had it; its user must be restored first.
    mutating func restore(session: Session) {
        precondition(users.index(forKey: session.userID) != nil, "session \(session.id) without its user in a snapshot")
        precondition(sessions.index(forKey: session.id) == nil, "session \(session.id) twice in a snapshot")
        sessions[session.id] = session
        insertOrdered(session)
    }

    static func uuidOrder(_ left: UUID, _ right: UUID) -> Bool {
        withUnsafeBytes(of: left.uuid) { a in
            withUnsafeBytes(of: right.uuid) { b in a.lexicographicallyPrecedes(b) }
        }
    }
}
