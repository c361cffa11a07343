import Bytes
package import Engine
import ExtrasBase64
import FoundationEssentials

/// The answer of the token endpoint.
package struct ProviderTokenAnswer: Sendable, Hashable {
    package let accessToken: String
    package let expiresIn: Int64
    package let refreshToken: String?
    package let scope: String
    /// For an `openid` grant: the ID token.
    package var idToken: String?
}

extension ClientCredentials {
    /// The credentials of a request: `Authorization: Basic` (its parts form-decoded, RFC 6749 §2.3.1), or
    /// `client_id` (and `client_secret`) in the form. Both at once is refused.
    package static func from(authorization: String?, form: [String: String]) throws(OAuthError) -> ClientCredentials {
        if let authorization, authorization.utf8.count > 6, authorization.hasPrefixIgnoringASCIICase("basic ") {
            guard form["client_secret"] == nil else {
                throw OAuthError.invalidRequest("use one client authentication method, not two")
            }
            guard let (id, secret) = Self.basicCredentials(authorization.utf8.dropFirst(6)) else {
                throw OAuthError.invalidClient("malformed Basic credentials")
            }
            if let formID = form["client_id"], formID != id {
                throw OAuthError.invalidClient("two different client ids")
            }
            return ClientCredentials(clientID: id, secret: secret, method: .clientSecretBasic)
        }
        guard let id = form["client_id"] else { throw OAuthError.invalidClient("client authentication is required") }
        if let secret = form["client_secret"] {
            return ClientCredentials(clientID: id, secret: secret, method: .clientSecretPost)
        }
        return ClientCredentials(clientID: id, secret: nil, method: .none)
    }

    /// `base64(id ":" secret)` after `Basic ` (spaces and tabs around it allowed), both parts form-decoded and
    /// UTF-8. Read as bytes: this runs on every introspection.
    static func basicCredentials(_ text: Substring.UTF8View) -> (id: String, secret: String)? {
        let isBlank = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        guard let first = text.firstIndex(where: { !isBlank($0) }), let last = text.lastIndex(where: { !isBlank($0) }),
            let bytes = try? Base64.decode(bytes: text[first...last])
        else { return nil }
        return bytes.withUnsafeBytes { decoded -> (id: String, secret: String)? in
            guard let colon = decoded.firstIndex(of: UInt8(ascii: ":")),
                let id = FormEncoding.decoded(UnsafeRawBufferPointer(rebasing: decoded[..<colon]), strict: true),
                let secret = FormEncoding.decoded(
                    UnsafeRawBufferPointer(rebasing: decoded[(colon + 1)...]), strict: true)
            else { return nil }
            return (id, secret)
        }
    }
}

extension OAuthProvider {
    /// The token endpoint for an authenticated client: `authorization_code`, `refresh_token`,
    /// `client_credentials`.
    package func token(_ form: [String: String], client: OAuthClient) async throws(OAuthError) -> ProviderTokenAnswer {
        switch form["grant_type"] {
        case "authorization_code": return try await exchangeCode(form, client: client)
        case "refresh_token": return try await refresh(form, client: client)
        case "client_credentials": return try await clientCredentials(form, client: client)
        case nil: throw OAuthError.invalidRequest("grant_type is required")
        default:
            throw OAuthError.unsupportedGrantType(
                "grant_type must be authorization_code, refresh_token or client_credentials")
        }
    }

    private func exchangeCode(
        _ form: [String: String], client: OAuthClient
    ) async throws(OAuthError) -> ProviderTokenAnswer {
        guard let text = form["code"] else { throw OAuthError.invalidRequest("code is required") }
        guard let redirectURI = form["redirect_uri"] ?? (client.redirectURIs.count == 1 ? client.redirectURIs[0] : nil)
        else {
            throw OAuthError.invalidRequest("redirect_uri is required")
        }
        var challenge: String?
        if let verifier = form["code_verifier"] {
            guard Self.isValidVerifier(verifier) else { throw OAuthError.invalidRequest("code_verifier is malformed") }
            challenge = Self.s256(verifier)
        } else if client.kind == .public {
            throw OAuthError.invalidRequest("a public client must send code_verifier")
        }
        guard let code = SecretToken(parsing: text) else { throw OAuthError.invalidGrant("invalid authorization code") }
        let requested = try resourcePolicy.resources(form["resource"])
        let secret = auth.minter.randomSecret()
        let redeemed: (session: Session, grant: OAuthGrant, user: User)
        do {
            redeemed = try await engine.redeemAuthorizationCode(
                CodeExchange(
                    codeID: code.id, digest: code.digest, clientID: client.id, redirectURI: redirectURI,
                    verifierChallenge: challenge, refreshDigest: SecretToken.digest(ofSecret: secret),
                    resources: requested))
        } catch {
            switch error.code {
            case .resourceNotGranted:
                throw OAuthError("invalid_target", "a token may only be for resources its authorization named")
            case .codeReused:
                throw OAuthError.invalidGrant("the code was used before; the tokens it produced are revoked")
            case .codeInvalid: throw OAuthError.invalidGrant("invalid, expired or mismatched authorization code")
            default: throw OAuthError.unavailable("the service cannot store changes right now")
            }
        }
        let token = SecretToken(id: redeemed.session.id, secret: secret)
        var tokens = answer(
            session: redeemed.session, refresh: token, client: client, scope: redeemed.grant.scope,
            resources: requested.isEmpty ? redeemed.grant.resources : requested,
            issuedAtSeconds: redeemed.session.createdAtMilliseconds / 1000)
        tokens.idToken = try await idToken(
            user: redeemed.user, client: client, grant: redeemed.grant, scope: tokens.scope,
            accessToken: tokens.accessToken, issuedAt: redeemed.session.createdAtMilliseconds / 1000, withNonce: true)
        return tokens
    }

    private func refresh(_ form: [String: String], client: OAuthClient) async throws(OAuthError) -> ProviderTokenAnswer
    {
        guard let text = form["refresh_token"] else { throw OAuthError.invalidRequest("refresh_token is required") }
        guard let presented = SecretToken(parsing: text) else { throw OAuthError.invalidGrant("invalid refresh token") }
        guard let grant = await engine.grant(of: presented.id), grant.clientID == client.id else {
            throw OAuthError.invalidGrant("invalid refresh token")
        }
        var scope = grant.scope
        if let requested = form["scope"] {
            let tokens = Scope.tokens(requested)
            guard !tokens.isEmpty, Scope.isSubset(tokens, of: Scope.tokens(grant.scope)) else {
                throw OAuthError.invalidScope("a refresh may only narrow the granted scope (\(grant.scope))")
            }
            scope = Scope.text(tokens)
        }
        // A refresh may narrow the resources, never widen them (RFC 8707 §2.2).
        let resources = try ResourcePolicy.narrowed(
            try resourcePolicy.resources(form["resource"]), granted: grant.resources)
        let (session, next): (Session, SecretToken)
        do { (session, next) = try await auth.rotate(presented, clientID: client.id) } catch {
            if error.code == .logUnavailable {
                throw OAuthError.unavailable("the service cannot store changes right now")
            }
            throw OAuthError.invalidGrant(
                error.code == .refreshTokenReused
                    ? "the refresh token was used before; the grant is revoked" : "invalid refresh token")
        }
        let issuedAt = (session.rotatedAtMilliseconds ?? session.createdAtMilliseconds) / 1000
        var tokens = answer(
            session: session, refresh: next, client: client, scope: scope, resources: resources,
            issuedAtSeconds: issuedAt)
        if Self.isOpenID(scope), let user = await engine.user(id: session.userID) {
            tokens.idToken = try await idToken(
                user: user, client: client, grant: grant, scope: scope, accessToken: tokens.accessToken,
                issuedAt: issuedAt, withNonce: false)
        }
        return tokens
    }

    private func clientCredentials(
        _ form: [String: String], client: OAuthClient
    ) async throws(OAuthError)
        -> ProviderTokenAnswer
    {
        guard client.kind == .confidential else {
            throw OAuthError.unauthorizedClient("client_credentials is for confidential clients")
        }
        let scope = form["scope"].map(Scope.tokens) ?? client.scopes
        guard !scope.isEmpty, Scope.isSubset(scope, of: client.scopes) else {
            throw OAuthError.invalidScope("the client may ask for: " + client.scopes.joined(separator: " "))
        }
        let resources = try resourcePolicy.resources(form["resource"])
        let lifetime = auth.accessTokenLifetimeSeconds
        let token: ClientToken
        do {
            token = try await engine.issueClientToken(
                clientID: client.id, scope: Scope.text(scope),
                lifetimeMilliseconds: lifetime * 1000)
        } catch {
            throw OAuthError.unavailable("the service cannot store changes right now")
        }
        let issuedAt = token.createdAtMilliseconds / 1000
        let claims = ProviderClaims(
            subject: client.id, sessionID: token.id, clientID: client.id, scope: token.scope,
            issuedAt: issuedAt, expiresAt: issuedAt + lifetime, tokenID: token.id, resources: resources)
        return ProviderTokenAnswer(
            accessToken: auth.signer.sign(claims), expiresIn: lifetime, refreshToken: nil,
            scope: token.scope)
    }

    /// The tokens of a grant: an access token for `scope` (the grant's, or narrower) and the refresh token.
    private func answer(
        session: Session, refresh: SecretToken, client: OAuthClient, scope: String, resources: [String],
        issuedAtSeconds: Int64
    ) -> ProviderTokenAnswer {
        let lifetime = auth.accessTokenLifetimeSeconds
        let claims = ProviderClaims(
            subject: session.userID, sessionID: session.id, clientID: client.id, scope: scope,
            issuedAt: issuedAtSeconds, expiresAt: issuedAtSeconds + lifetime,
            tokenID: auth.minter.tokenID(for: refresh), resources: resources, clientDocumentURL: client.documentURL)
        return ProviderTokenAnswer(
            accessToken: auth.signer.sign(claims), expiresIn: lifetime,
            refreshToken: refresh.text, scope: scope)
    }
}
