import FoundationEssentials

extension ShardState {
    /// The OAuth provider's records (see `apply`).
    mutating func applyOAuth(_ record: EngineRecord) {
        switch record {
        case .clientRegistered(let client):
            precondition(clients[client.id] == nil, "client \(client.id) registered twice")
            clients[client.id] = client
        case .clientDeleted(let clientID, let at):
            precondition(clients[clientID] != nil, "unknown client \(clientID) deleted")
            clients[clientID]!.deletedAtMilliseconds = at
        case .clientSelfRegistered(let client):
            precondition(clients[client.id] == nil, "client \(client.id) registered twice")
            clients[client.id] = client
        case .clientMetadataUpdated(let update):
            precondition(
                clients[update.clientID]?.registration != nil, "update of a client that did not register itself")
            clients[update.clientID]!.name = update.name
            clients[update.clientID]!.redirectURIs = update.redirectURIs
            clients[update.clientID]!.scopes = update.scopes
            clients[update.clientID]!.registration = update.registration
            clients[update.clientID]!.openID = update.openID
        case .consentGranted(let userID, let consent):
            precondition(users.index(forKey: userID) != nil, "consent of unknown user \(userID)")
            consents[userID, default: [:]][consent.clientID] = consent
        case .consentRevoked(let userID, let clientID, let at):
            consents[userID]?[clientID] = nil
            if consents[userID]?.isEmpty == true { consents[userID] = nil }
            let granted = grants
            revokeSessions(of: userID, except: nil, at: at) { granted[$0]?.clientID == clientID }
        case .authorizationCodeIssued(let code):
            precondition(users.index(forKey: code.userID) != nil, "code for unknown user \(code.userID)")
            precondition(authorizationCodes[code.id] == nil, "code \(code.id) issued twice")
            authorizationCodes[code.id] = code
        case .authorizationCodeRedeemed(let codeID, let session, let grant):
            precondition(authorizationCodes[codeID]?.sessionID == nil, "code \(codeID) redeemed twice")
            precondition(sessions.index(forKey: session.id) == nil, "session \(session.id) created twice")
            authorizationCodes[codeID]?.sessionID = session.id
            sessions[session.id] = session
            insertOrdered(session)
            grants[session.id] = grant
        case .authorizationCodeReused(_, let codeID, let at):
            if let sessionID = authorizationCodes[codeID]?.sessionID { endSession(sessionID, at: at) }
        case .clientTokenIssued(let token):
            precondition(clientTokens[token.id] == nil, "client token \(token.id) issued twice")
            clientTokens[token.id] = token
        case .clientTokenRevoked(_, let tokenID, let at):
            if clientTokens[tokenID]?.revokedAtMilliseconds == nil { clientTokens[tokenID]?.revokedAtMilliseconds = at }
        case .authorizationCodesPurged(_, let codeIDs, _):
            for id in codeIDs { authorizationCodes[id] = nil }
        case .clientTokensPurged(_, let tokenIDs, _):
            for id in tokenIDs { clientTokens[id] = nil }
        default:
            preconditionFailure("not an OAuth record: \(record.type)")
        }
    }
}
