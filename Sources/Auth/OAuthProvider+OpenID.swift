import Bytes
import Crypto
import Engine
import FoundationEssentials

/// OpenID Connect on the authorization code flow: the ID token a code (or a refresh) of an `openid` grant comes
/// with, and the claims userinfo answers — both by the grant's scopes (`profile`: names; `email`: the address and
/// whether anyone verified it).
extension OAuthProvider {
    /// How long an ID token is valid.
    static let idTokenLifetimeSeconds: Int64 = 3600

    /// Whether tokens of `scope` (space-separated) come with an ID token.
    static func isOpenID(_ scope: String) -> Bool { scope.split(separator: " ").contains("openid") }

    /// Whether a grant outlives the sign-in it came from: a plain OAuth grant does, and an `openid` grant with
    /// `offline_access` (OpenID Connect §11: access while the user is not there). An `openid` grant without it is
    /// online: it ends with Tessera's session it was authorized under (a logout ends it, and tells the client).
    static func isOffline(_ scope: String) -> Bool {
        let tokens = scope.split(separator: " ")
        return !tokens.contains("openid") || tokens.contains("offline_access")
    }

    /// The ID token for an `openid` grant, signed with the client's algorithm (RS256 unless it registered
    /// another): `iss`, `sub`, `aud`, `exp`, `iat`, `auth_time`, `sid`, `azp`, `at_hash`, the `nonce` of the
    /// authorization (never at a refresh) and the user's claims by scope. Nil without `openid`.
    func idToken(
        user: User, client: OAuthClient, grant: OAuthGrant, scope: String, accessToken: String, issuedAt: Int64,
        withNonce: Bool
    ) async throws(OAuthError) -> String? {
        guard let idTokenKeys, Self.isOpenID(scope) else { return nil }
        let algorithm = SigningAlgorithm(rawValue: client.openID.idTokenSignedResponseAlgorithm) ?? .rs256
        var claims: [(String, FlatJSON.Value)] = [
            ("iss", .string(auth.signer.issuer)), ("sub", .string(UUIDText.lowercased(user.id))),
            ("aud", .string(client.clientIdentifier)), ("iat", .integer(issuedAt)),
            ("exp", .integer(issuedAt + Self.idTokenLifetimeSeconds)), ("azp", .string(client.clientIdentifier)),
            ("at_hash", .string(Self.halfHash(accessToken, algorithm: algorithm))),
        ]
        if let authentication = grant.authentication {
            claims.append(("auth_time", .integer(authentication.atMilliseconds / 1000)))
            if let sessionID = authentication.sessionID {
                claims.append(("sid", .string(UUIDText.lowercased(sessionID))))
            }
            if withNonce, let nonce = authentication.nonce { claims.append(("nonce", .string(nonce))) }
        }
        claims += await userClaims(user, scope: scope)
        do {
            return try idTokenKeys.sign(claims, algorithm: algorithm, nowSeconds: issuedAt)
        } catch {
            throw OAuthError.unavailable("the ID token could not be signed")
        }
    }

    /// The user's claims by scope: `profile` gives `name`, `given_name`, `family_name`; `email` gives `email`
    /// and `email_verified` — true only when a linked social account's provider verified that very address
    /// (Tessera does not verify addresses itself).
    func userClaims(_ user: User, scope: String) async -> [(String, FlatJSON.Value)] {
        let scopes = Set(scope.split(separator: " "))
        var claims: [(String, FlatJSON.Value)] = []
        if scopes.contains("profile") {
            let family = user.lastName.flatMap { $0.isEmpty ? nil : $0 }
            claims.append(("name", .string(family.map { user.firstName + " " + $0 } ?? user.firstName)))
            claims.append(("given_name", .string(user.firstName)))
            if let family { claims.append(("family_name", .string(family))) }
        }
        if scopes.contains("email") {
            let verified = await engine.externalAccounts(of: user.id).contains {
                $0.emailVerified && $0.email?.lowercased() == user.email
            }
            claims.append(("email", .string(user.email)))
            claims.append(("email_verified", .bool(verified)))
        }
        return claims
    }

    /// `at_hash` (OpenID Connect §3.1.3.6): the left half of the access token's hash, base64url — SHA-256 for
    /// RS256 and ES256, SHA-512 for EdDSA (Ed25519).
    static func halfHash(_ token: String, algorithm: SigningAlgorithm) -> String {
        let bytes = Array(token.utf8)
        switch algorithm {
        case .eddsa: return Base64URL.encode(Array(SHA512.hash(data: bytes).prefix(32)))
        case .es256, .rs256: return Base64URL.encode(Array(SHA256.hash(data: bytes).prefix(16)))
        }
    }
}

/// Why userinfo refused a token (RFC 6750 §3.1).
package enum UserInfoRefusal: Error, Sendable, Hashable {
    /// Not a live access token of an `openid` grant Tessera issued: 401 `invalid_token`.
    case invalidToken
    /// A live token without `openid`: 403 `insufficient_scope`.
    case insufficientScope
}

extension OAuthProvider {
    /// The userinfo claims (`sub` and the user's claims by scope) of a provider access token whose grant is
    /// live and has `openid`, as JSON.
    package func userInfo(accessToken: String) async throws(UserInfoRefusal) -> [UInt8] {
        let now = auth.clock.nowMilliseconds()
        guard case .provider(let claims)? = try? verifyAccessToken(accessToken, nowSeconds: now / 1000),
            !claims.isClientToken, let found = engine.activeSession(claims.sessionID),
            found.grant?.clientID == claims.clientID, found.session.userID == claims.subject
        else { throw .invalidToken }
        guard Self.isOpenID(claims.scope) else { throw .insufficientScope }
        guard let user = await engine.user(id: claims.subject), user.isActive, !user.isDeleted else {
            throw .invalidToken
        }
        let fields: [(String, FlatJSON.Value)] =
            [("sub", .string(UUIDText.lowercased(user.id)))] + (await userClaims(user, scope: claims.scope))
        return FlatJSON.encode(fields)
    }

    /// The JWKS document: every key that verifies Tessera's tokens — the ID token keys of every algorithm and,
    /// with EdDSA access tokens, theirs.
    package func jwks() throws(OAuthError) -> [UInt8] {
        guard let idTokenKeys else { return auth.signer.jwks() }
        do { return try idTokenKeys.jwks(nowSeconds: auth.clock.nowMilliseconds() / 1000) } catch {
            throw OAuthError.unavailable("the signing keys cannot be read")
        }
    }
}
