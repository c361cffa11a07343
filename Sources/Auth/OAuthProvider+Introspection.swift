import FoundationEssentials
public import Engine

/// What introspection (RFC 7662) says of a token. An inactive token gets `active: false` and nothing else.
public struct Introspection: Sendable, Hashable {
    public var active: Bool
    public var scope: String?
    public var clientID: String?
    /// The user's email.
    public var username: String?
    /// `Bearer` for access tokens, `refresh_token` for refresh tokens.
    public var tokenType: String?
    public var expiresAt: Int64?
    public var issuedAt: Int64?
    public var notBefore: Int64?
    public var subject: String?
    public var audience: String?
    public var issuer: String?
    public var tokenID: String?
    public var sessionID: String?

    public static let inactive = Introspection(active: false)

    init(active: Bool) { self.active = active }
}

extension OAuthProvider {
    /// Introspects any token Tessera issued — first-party or provider, access or refresh — from memory: a
    /// signature check for access tokens, then one shard read (and, for provider tokens, the client directory).
    /// Revoked, expired, forged, unknown: inactive.
    public func introspect(_ token: String) async -> Introspection {
        let now = auth.clock.nowMilliseconds()
        if let refresh = SecretToken(parsing: token) { return await introspectRefresh(refresh, now: now) }
        guard let verified = try? auth.signer.verifyAny(token, nowSeconds: now / 1000) else { return .inactive }
        var answer = Introspection(active: true)
        answer.tokenType = "Bearer"
        answer.issuer = auth.signer.issuer
        switch verified {
        case .firstParty(let claims):
            guard let found = await engine.activeSession(claims.sessionID), found.grant == nil,
                  found.session.userID == claims.userID else { return .inactive }
            answer.username = found.userEmail
            answer.subject = claims.userID.uuidString.lowercased()
            answer.sessionID = claims.sessionID.uuidString.lowercased()
            answer.fill(issuedAt: claims.issuedAt, expiresAt: claims.expiresAt, tokenID: claims.tokenID)
        case .provider(let claims):
            if claims.isClientToken {
                guard let stored = await engine.activeClientToken(claims.sessionID), stored.clientID == claims.clientID
                else { return .inactive }
            } else {
                guard let found = await engine.activeSession(claims.sessionID), found.grant?.clientID == claims.clientID,
                      found.session.userID == claims.subject else { return .inactive }
                answer.username = found.userEmail
                answer.sessionID = claims.sessionID.uuidString.lowercased()
            }
            let client = claims.clientID.uuidString.lowercased()
            answer.clientID = client
            answer.audience = client
            answer.scope = claims.scope
            answer.subject = claims.subject.uuidString.lowercased()
            answer.fill(issuedAt: claims.issuedAt, expiresAt: claims.expiresAt, tokenID: claims.tokenID)
        }
        return answer
    }

    private func introspectRefresh(_ token: SecretToken, now: Int64) async -> Introspection {
        guard let found = await engine.activeSession(token.id),
              found.session.refreshDigest.constantTimeEquals(token.digest) else { return .inactive }
        var answer = Introspection(active: true)
        answer.tokenType = "refresh_token"
        answer.issuer = auth.signer.issuer
        answer.username = found.userEmail
        answer.subject = found.session.userID.uuidString.lowercased()
        answer.sessionID = found.session.id.uuidString.lowercased()
        answer.issuedAt = (found.session.rotatedAtMilliseconds ?? found.session.createdAtMilliseconds) / 1000
        answer.expiresAt = found.session.expiresAtMilliseconds / 1000
        if let grant = found.grant {
            answer.clientID = grant.clientID.uuidString.lowercased()
            answer.scope = grant.scope
        }
        return answer
    }

    /// Revocation (RFC 7009) by an authenticated client: its own refresh or access token ends the grant (the
    /// provider session, or the client token). Unknown tokens and tokens issued to others change nothing and
    /// are not told apart from success.
    public func revoke(_ token: String, client: OAuthClient) async throws(OAuthError) {
        do {
            if let refresh = SecretToken(parsing: token) {
                guard let found = await engine.activeSession(refresh.id), found.grant?.clientID == client.id,
                      found.session.refreshDigest.constantTimeEquals(refresh.digest)
                        || found.session.previousRefreshDigest.map({ $0.constantTimeEquals(refresh.digest) }) == true
                else { return }
                _ = try await engine.revokeProviderSession(refresh.id, clientID: client.id)
                return
            }
            let now = auth.clock.nowMilliseconds() / 1000
            guard case .provider(let claims)? = try? auth.signer.verifyAny(token, nowSeconds: now),
                  claims.clientID == client.id else { return }
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

extension Introspection {
    mutating func fill(issuedAt: Int64, expiresAt: Int64, tokenID: UUID) {
        self.issuedAt = issuedAt
        self.notBefore = issuedAt
        self.expiresAt = expiresAt
        self.tokenID = tokenID.uuidString.lowercased()
    }
}
