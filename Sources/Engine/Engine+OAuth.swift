package import FoundationEssentials

/// What registering an OAuth client needs; the secret is already reduced to its digest.
package struct NewOAuthClient: Sendable {
    package var name: String
    package var kind: OAuthClient.Kind
    package var redirectURIs: [String]
    package var scopes: [String]
    package var secretDigest: SecretDigest?
    /// For a client registering itself (RFC 7591): what it said of itself, and its management token's digest.
    package var registration: ClientRegistration?
    /// Its OpenID Connect settings.
    package var openID: OpenIDClientSettings

    package init(
        name: String, kind: OAuthClient.Kind, redirectURIs: [String], scopes: [String],
        secretDigest: SecretDigest?, registration: ClientRegistration? = nil,
        openID: OpenIDClientSettings = OpenIDClientSettings()
    ) {
        self.openID = openID
        self.name = name
        self.kind = kind
        self.redirectURIs = redirectURIs
        self.scopes = scopes
        self.secretDigest = secretDigest
        self.registration = registration
    }
}

/// What an authorization code is bound to, as the token request presents it.
package struct CodeExchange: Sendable {
    package var codeID: UUID
    package var digest: SecretDigest
    package var clientID: UUID
    package var redirectURI: String
    /// base64url(SHA-256(code_verifier)), when the request has a verifier.
    package var verifierChallenge: String?
    /// The digest of the new session's first refresh secret.
    package var refreshDigest: SecretDigest
    /// The resources (RFC 8707) the token request names: each must be one the code was issued for.
    package var resources: [String]

    package init(
        codeID: UUID, digest: SecretDigest, clientID: UUID, redirectURI: String, verifierChallenge: String?,
        refreshDigest: SecretDigest, resources: [String] = []
    ) {
        self.resources = resources
        self.codeID = codeID
        self.digest = digest
        self.clientID = clientID
        self.redirectURI = redirectURI
        self.verifierChallenge = verifierChallenge
        self.refreshDigest = refreshDigest
    }
}

extension Engine {
    /// Registers a client.
    package func registerClient(_ new: NewOAuthClient) async throws(EngineError) -> OAuthClient {
        var made = OAuthClient(
            id: newID(), name: new.name, kind: new.kind, redirectURIs: new.redirectURIs,
            scopes: new.scopes, secretDigest: new.secretDigest,
            createdAtMilliseconds: clock.nowMilliseconds())
        made.registration = new.registration
        made.openID = new.openID
        let client = made
        return try await commit(on: client.id) { _ throws(EngineError) in
            (client.registration == nil ? EngineRecord.clientRegistered(client) : .clientSelfRegistered(client), ())
        } then: { _, _ in
            self.changeClients { $0.insert(client) }
            return client
        }
    }

    /// Deletes a client: every token issued to it stops working at once (introspection, refresh and
    /// authentication check the client).
    package func deleteClient(_ id: UUID) async throws(EngineError) {
        let now = clock.nowMilliseconds()
        try await commit(on: id) { state throws(EngineError) -> (record: EngineRecord?, result: Void) in
            guard let client = state.clients[id], !client.isDeleted else {
                throw EngineError(.clientNotFound, "no such client")
            }
            return (.clientDeleted(clientID: id, atMilliseconds: now), ())
        } then: { _, _ in
            self.changeClients { $0.remove(id) }
        }
    }

    /// Replaces the metadata of a client that registered itself (RFC 7592 update); the caller has checked the
    /// registration access token against the client it read.
    package func updateClientMetadata(
        _ clientID: UUID, name: String, redirectURIs: [String], scopes: [String], registration: ClientRegistration,
        openID: OpenIDClientSettings = OpenIDClientSettings()
    ) async throws(EngineError) -> OAuthClient {
        var changes = ClientMetadataUpdate(
            clientID: clientID, name: name, redirectURIs: redirectURIs, scopes: scopes, registration: registration,
            atMilliseconds: clock.nowMilliseconds())
        changes.openID = openID
        let update = changes
        return try await commit(on: clientID) { state throws(EngineError) -> (record: EngineRecord?, result: Void) in
            guard let client = state.clients[clientID], !client.isDeleted, client.registration != nil else {
                throw EngineError(.clientNotFound, "no such client")
            }
            return (.clientMetadataUpdated(update), ())
        } then: { state, _ in
            let client = state.clients[clientID]!
            self.changeClients { $0.insert(client) }
            return client
        }
    }

    /// Records the client a metadata document describes (`registration.documentURL` set), or brings its record
    /// up to date with the document: the first approval of a document client makes its record, which codes,
    /// grants and consents then name; a changed document changes the record (both logged like any change).
    /// Concurrent calls for one URL record it once.
    package func recordDocumentClient(_ described: NewOAuthClient) async throws(EngineError) -> OAuthClient {
        guard let url = described.registration?.documentURL else {
            throw EngineError(.invalidArgument, "a document client needs its document's URL")
        }
        await documentTurns.acquire(url)
        let result: Result<OAuthClient, EngineError>
        do {
            if let existing = clientDirectory.withLock({ $0.client(documentURL: url) }) {
                if existing.name == described.name && existing.redirectURIs == described.redirectURIs
                    && existing.scopes == described.scopes && existing.registration == described.registration
                    && existing.openID == described.openID
                {
                    result = .success(existing)
                } else {
                    result = .success(
                        try await updateClientMetadata(
                            existing.id, name: described.name, redirectURIs: described.redirectURIs,
                            scopes: described.scopes, registration: described.registration!,
                            openID: described.openID))
                }
            } else {
                result = .success(try await registerClient(described))
            }
        } catch {
            result = .failure(error)
        }
        await documentTurns.release(url)
        return try result.get()
    }

    /// The user's live provider grants authorized under their session `sessionID` (whose ID tokens name it as
    /// `sid`): what a logout of that session concerns.
    package func liveGrants(of userID: UUID, authorizedUnder sessionID: UUID) -> [(sessionID: UUID, grant: OAuthGrant)]
    {
        let now = clock.nowMilliseconds()
        return shard(of: userID).readNow { state in
            (state.sessionIDsByUser[userID] ?? []).compactMap { id in
                guard let grant = state.grants[id], grant.authentication?.sessionID == sessionID,
                    state.sessions[id]?.isActive(at: now) == true
                else { return nil }
                return (id, grant)
            }
        }
    }

    /// The live client known by the metadata document at `url` (compared as a plain string), if one was recorded.
    package func liveClient(documentURL url: String) -> OAuthClient? {
        clientDirectory.withLock { $0.client(documentURL: url) }
    }

    /// Changes the client directory and counts the change (see `changeStamp`).
    func changeClients(_ change: (inout ClientDirectory) -> Void) {
        clientDirectory.withLock { change(&$0) }
        clientChanges.add(1, ordering: .releasing)
    }

    /// What anything read about session (or client token) `id` depends on, as counters that only grow: every
    /// change applied to its shard, and every change to the client directory. An equal stamp later means none of
    /// it changed; a change is counted before it is acknowledged.
    package func changeStamp(of id: UUID) -> ChangeStamp {
        ChangeStamp(
            shard: shard(of: id).changes.load(ordering: .acquiring), clients: clientChanges.load(ordering: .acquiring))
    }

    /// How many clients registered themselves anonymously and are not deleted (the open policy's cap).
    package func anonymousClientCount() -> Int {
        clientDirectory.withLock { $0.byID.values.count { $0.registration?.origin == .anonymous } }
    }

    /// The client with this id, unless it was deleted: a lock, no shard hop (the hot path's client check).
    package func liveClient(_ id: UUID) -> OAuthClient? {
        clientDirectory.withLock { $0[id] }
    }

    /// Every client that is not deleted, oldest first.
    package func liveClients() -> [OAuthClient] {
        clientDirectory.withLock { Array($0.byID.values) }.sorted {
            ($0.createdAtMilliseconds, $0.id.uuidString) < ($1.createdAtMilliseconds, $1.id.uuidString)
        }
    }
}

extension Engine {
    /// Records (or replaces) `userID`'s consent to a client for `scope` and `resources`.
    package func grantConsent(
        userID: UUID, clientID: UUID, scope: String, resources: [String] = []
    )
        async throws(EngineError)
    {
        guard liveClient(clientID) != nil else { throw EngineError(.clientNotFound, "no such client") }
        let consent = Consent(
            clientID: clientID, scope: scope, grantedAtMilliseconds: clock.nowMilliseconds(), resources: resources)
        try await commit(on: userID) { state throws(EngineError) -> (record: EngineRecord?, result: Void) in
            guard let user = state.users[userID], !user.isDeleted, user.isActive else {
                throw EngineError(.userNotFound, "no such user")
            }
            if state.consents[userID]?[clientID] == consent { return (nil, ()) }
            return (.consentGranted(userID: userID, consent: consent), ())
        }
    }

    /// Ends a consent and every session the user granted to that client.
    package func revokeConsent(userID: UUID, clientID: UUID) async throws(EngineError) {
        let now = clock.nowMilliseconds()
        try await commit(on: userID) { state throws(EngineError) -> (record: EngineRecord?, result: Void) in
            guard state.consents[userID]?[clientID] != nil else {
                throw EngineError(.clientNotFound, "no such consent")
            }
            return (.consentRevoked(userID: userID, clientID: clientID, atMilliseconds: now), ())
        }
    }

    /// `userID`'s consents to clients that still exist, oldest first.
    package func consents(of userID: UUID) async -> [Consent] {
        let consents = await shard(of: userID).read { Array(($0.consents[userID] ?? [:]).values) }
        return consents.filter { liveClient($0.clientID) != nil }.sorted {
            ($0.grantedAtMilliseconds, $0.clientID.uuidString) < ($1.grantedAtMilliseconds, $1.clientID.uuidString)
        }
    }
}

extension Engine {
    /// Issues an authorization code for an active user; `digest` is the SHA-256 of its secret.
    package func issueAuthorizationCode(
        userID: UUID, clientID: UUID, redirectURI: String, scope: String,
        codeChallenge: String?, digest: SecretDigest, lifetimeMilliseconds: Int64, resources: [String] = [],
        authentication: Authentication? = nil
    )
        async throws(EngineError) -> AuthorizationCode
    {
        let now = clock.nowMilliseconds()
        let code = AuthorizationCode(
            id: newID(routingLike: userID), userID: userID, clientID: clientID,
            redirectURI: redirectURI, scope: scope, codeChallenge: codeChallenge, digest: digest,
            createdAtMilliseconds: now, expiresAtMilliseconds: now + lifetimeMilliseconds, resources: resources,
            authentication: authentication)
        return try await commit(on: userID) { state throws(EngineError) in
            guard let user = state.users[userID], !user.isDeleted, user.isActive else {
                throw EngineError(.userNotFound, "no such user")
            }
            return (EngineRecord.authorizationCodeIssued(code), code)
        }
    }

    /// Exchanges a code for a new provider session. The code must be unspent, unexpired, and bound to this
    /// client, redirect URI and PKCE verifier. A spent code presented again revokes the session it made and
    /// throws `codeReused`.
    package func redeemAuthorizationCode(
        _ exchange: CodeExchange
    ) async throws(EngineError)
        -> (session: Session, grant: OAuthGrant, user: User)
    {
        let now = clock.nowMilliseconds()
        let sessionID = newID(routingLike: exchange.codeID)
        let lifetime = configuration.sessionLifetimeMilliseconds
        enum Step: Sendable {
            case redeemed(OAuthGrant)
            case reused
        }
        let invalid = EngineError(.codeInvalid, "invalid, expired or mismatched authorization code")
        let step = try await commit(on: exchange.codeID) {
            state throws(EngineError) -> (record: EngineRecord?, result: Step) in
            guard let code = state.authorizationCodes[exchange.codeID], code.digest.constantTimeEquals(exchange.digest),
                code.clientID == exchange.clientID
            else { throw invalid }
            if code.sessionID != nil {
                return (.authorizationCodeReused(userID: code.userID, codeID: code.id, atMilliseconds: now), .reused)
            }
            guard now < code.expiresAtMilliseconds, code.redirectURI == exchange.redirectURI,
                code.codeChallenge == exchange.verifierChallenge,
                let user = state.users[code.userID], !user.isDeleted, user.isActive
            else { throw invalid }
            guard exchange.resources.allSatisfy(code.resources.contains) else {
                throw EngineError(.resourceNotGranted, "the authorization did not name that resource")
            }
            let session = Session(
                id: sessionID, userID: code.userID, deviceName: nil, deviceID: nil, ipAddress: nil,
                createdAtMilliseconds: now, expiresAtMilliseconds: now + lifetime,
                refreshDigest: exchange.refreshDigest)
            let grant = OAuthGrant(
                clientID: code.clientID, scope: code.scope, resources: code.resources,
                authentication: code.authentication)
            return (.authorizationCodeRedeemed(codeID: code.id, session: session, grant: grant), .redeemed(grant))
        }
        switch step {
        case .reused: throw EngineError(.codeReused, "the authorization code was used before; its tokens are revoked")
        case .redeemed(let grant):
            guard
                let (session, user) = await shard(of: sessionID).read({ state in
                    state.sessions[sessionID].flatMap { session in state.users[session.userID].map { (session, $0) } }
                })
            else { throw invalid }
            return (session, grant, user)
        }
    }

    /// The grant of a provider session (nil for a first-party session).
    package func grant(of sessionID: UUID) async -> OAuthGrant? {
        await shard(of: sessionID).read { $0.grants[sessionID] }
    }

    /// Revokes a provider session, when it was granted to `clientID`; false when it was not (or is unknown).
    package func revokeProviderSession(_ sessionID: UUID, clientID: UUID) async throws(EngineError) -> Bool {
        let now = clock.nowMilliseconds()
        return try await commit(on: sessionID) { state throws(EngineError) -> (record: EngineRecord?, result: Bool) in
            guard let session = state.sessions[sessionID], state.grants[sessionID]?.clientID == clientID else {
                return (nil, false)
            }
            guard session.revokedAtMilliseconds == nil else { return (nil, true) }
            return (.sessionRevoked(userID: session.userID, sessionID: sessionID, atMilliseconds: now), true)
        }
    }
}

extension Engine {
    /// Issues a `client_credentials` token to a live client.
    package func issueClientToken(
        clientID: UUID, scope: String, lifetimeMilliseconds: Int64
    ) async throws(EngineError)
        -> ClientToken
    {
        let now = clock.nowMilliseconds()
        let token = ClientToken(
            id: newID(routingLike: clientID), clientID: clientID, scope: scope,
            createdAtMilliseconds: now, expiresAtMilliseconds: now + lifetimeMilliseconds)
        return try await commit(on: clientID) { state throws(EngineError) in
            guard let client = state.clients[clientID], !client.isDeleted else {
                throw EngineError(.clientNotFound, "no such client")
            }
            return (EngineRecord.clientTokenIssued(token), token)
        }
    }

    /// Revokes a client's own token; false when the token is not that client's (or is unknown).
    package func revokeClientToken(_ tokenID: UUID, clientID: UUID) async throws(EngineError) -> Bool {
        let now = clock.nowMilliseconds()
        return try await commit(on: tokenID) { state throws(EngineError) -> (record: EngineRecord?, result: Bool) in
            guard let token = state.clientTokens[tokenID], token.clientID == clientID else { return (nil, false) }
            guard token.revokedAtMilliseconds == nil else { return (nil, true) }
            return (.clientTokenRevoked(clientID: clientID, tokenID: tokenID, atMilliseconds: now), true)
        }
    }
}
