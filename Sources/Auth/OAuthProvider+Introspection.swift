package import Engine
package import FoundationEssentials

/// What introspection (RFC 7662) says of a token. An inactive token gets `active: false` and nothing else.
package struct Introspection: Sendable, Hashable {
    package var active: Bool
    package var scope: String?
    package var clientID: UUID?
    /// For a client known by its metadata document, its `client_id`: the document's URL (instead of the id).
    package var clientDocumentURL: String?
    /// The user's email.
    package var username: String?
    /// `Bearer` for access tokens, `refresh_token` for refresh tokens.
    package var tokenType: String?
    package var expiresAt: Int64?
    package var issuedAt: Int64?
    package var notBefore: Int64?
    /// The user, or the client of a `client_credentials` token.
    package var subject: UUID?
    /// The resources the token is for (RFC 8707), or the client's id.
    package var audience: [String]?
    package var issuer: String?
    package var tokenID: UUID?
    package var sessionID: UUID?
    /// Not part of the answer: the session (or client token) it was read from — whose shard's changes may end
    /// it — and how long it holds by time alone (the token's or its session's end, whichever comes first).
    package var source: UUID?
    package var validUntilMilliseconds: Int64?

    package static let inactive = Introspection(active: false)

    init(active: Bool) { self.active = active }
}

extension OAuthProvider {
    /// Introspects any token Tessera issued — first-party or provider, access or refresh — from memory: a
    /// signature check for access tokens, then one locked read of a shard (and, for provider tokens, of the
    /// client directory). Synchronous: it runs on the event loop that read the request. Revoked, expired,
    /// forged, unknown: inactive.
    package func introspect(_ token: String) -> Introspection {
        var stamp: ChangeStamp?
        return introspect(token, stamp: &stamp)
    }

    /// `introspect`, also giving — for an access token — the change stamp of what the answer was read from,
    /// taken before reading it: an answer kept with it is right for as long as the stamp stays the same (and its
    /// `validUntilMilliseconds` has not passed).
    package func introspect(_ token: String, stamp: inout ChangeStamp?) -> Introspection {
        let now = auth.clock.nowMilliseconds()
        if let refresh = SecretToken(parsing: token) { return introspectRefresh(refresh, now: now) }
        guard let verified = try? verifyAccessToken(token, nowSeconds: now / 1000) else { return .inactive }
        switch verified {
        case .firstParty(let claims): stamp = engine.changeStamp(of: claims.sessionID)
        case .provider(let claims): stamp = engine.changeStamp(of: claims.sessionID)
        }
        var answer = Introspection(active: true)
        answer.tokenType = "Bearer"
        answer.issuer = auth.signer.issuer
        switch verified {
        case .firstParty(let claims):
            guard let found = engine.activeSession(claims.sessionID), found.grant == nil,
                found.session.userID == claims.userID
            else { return .inactive }
            answer.source = claims.sessionID
            answer.validUntilMilliseconds = min(claims.expiresAt * 1000, found.session.expiresAtMilliseconds)
            answer.username = found.userEmail
            answer.subject = claims.userID
            answer.sessionID = claims.sessionID
            answer.fill(issuedAt: claims.issuedAt, expiresAt: claims.expiresAt, tokenID: claims.tokenID)
        case .provider(let claims):
            answer.source = claims.sessionID
            if claims.isClientToken {
                guard let stored = engine.activeClientToken(claims.sessionID), stored.clientID == claims.clientID
                else { return .inactive }
                answer.validUntilMilliseconds = min(claims.expiresAt * 1000, stored.expiresAtMilliseconds)
            } else {
                guard let found = engine.activeSession(claims.sessionID), found.grant?.clientID == claims.clientID,
                    found.session.userID == claims.subject
                else { return .inactive }
                answer.username = found.userEmail
                answer.sessionID = claims.sessionID
                answer.validUntilMilliseconds = min(claims.expiresAt * 1000, found.session.expiresAtMilliseconds)
            }
            answer.clientID = claims.clientID
            answer.clientDocumentURL = claims.clientDocumentURL
            answer.audience = claims.audience
            answer.scope = claims.scope
            answer.subject = claims.subject
            answer.fill(issuedAt: claims.issuedAt, expiresAt: claims.expiresAt, tokenID: claims.tokenID)
        }
        return answer
    }

    private func introspectRefresh(_ token: SecretToken, now: Int64) -> Introspection {
        guard let found = engine.activeSession(token.id),
            found.session.refreshDigest.constantTimeEquals(token.digest)
        else { return .inactive }
        var answer = Introspection(active: true)
        answer.tokenType = "refresh_token"
        answer.issuer = auth.signer.issuer
        answer.username = found.userEmail
        answer.subject = found.session.userID
        answer.sessionID = found.session.id
        answer.issuedAt = (found.session.rotatedAtMilliseconds ?? found.session.createdAtMilliseconds) / 1000
        answer.expiresAt = found.session.expiresAtMilliseconds / 1000
        if let grant = found.grant {
            answer.clientID = grant.clientID
            answer.clientDocumentURL = engine.liveClient(grant.clientID)?.documentURL
            answer.scope = grant.scope
        }
        return answer
    }

    /// Revocation (RFC 7009) by an authenticated client: its own refresh or access token ends the grant (the
    /// provider session, or the client token). Unknown tokens and tokens issued to others change nothing and
    /// are not told apart from success.
    package func revoke(_ token: String, client: OAuthClient) async throws(OAuthError) {
        do {
            if let refresh = SecretToken(parsing: token) {
                guard let found = engine.activeSession(refresh.id), found.grant?.clientID == client.id,
                    found.session.refreshDigest.constantTimeEquals(refresh.digest)
                        || found.session.previousRefreshDigest.map({ $0.constantTimeEquals(refresh.digest) }) == true
                else { return }
                _ = try await engine.revokeProviderSession(refresh.id, clientID: client.id)
                return
            }
            let now = auth.clock.nowMilliseconds() / 1000
            guard case .provider(let claims)? = try? verifyAccessToken(token, nowSeconds: now),
                claims.clientID == client.id
            else { return }
            if claims.isClientToken {
                _ = try await engine.revokeClientToken(claims.sessionID, clientID: client.id)
            } else {
                _ = try await engine.revokeProviderSession(claims.sessionID, clientID: client.id)
            }
        } catch {
            throw OAuthError.unavailable("the service cannot store changes right now")
        }
    }
}

extension OAuthProvider {
    /// Any access token Tessera issued, its client named by id or by its metadata document's URL.
    func verifyAccessToken(_ token: String, nowSeconds: Int64) throws(TokenError) -> VerifiedAccessToken {
        try auth.signer.verifyAny(token, nowSeconds: nowSeconds) { [engine] url in
            engine.liveClient(documentURL: url)?.id
        }
    }
}

extension Introspection {
    mutating func fill(issuedAt: Int64, expiresAt: Int64, tokenID: UUID) {
        self.issuedAt = issuedAt
        self.notBefore = issuedAt
        self.expiresAt = expiresAt
        self.tokenID = tokenID
    }
}
