import Crypto
public import FoundationEssentials

/// The claims of an access token.
public struct AccessClaims: Sendable, Hashable {
    public let userID: UUID
    public let sessionID: UUID
    /// Unix seconds.
    public let issuedAt: Int64
    public let expiresAt: Int64
    package let tokenID: UUID
    package let isSuperuser: Bool
    public let email: String
    public let firstName: String

    public init(
        userID: UUID, sessionID: UUID, issuedAt: Int64, expiresAt: Int64, tokenID: UUID, isSuperuser: Bool,
        email: String, firstName: String
    ) {
        self.userID = userID
        self.sessionID = sessionID
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.tokenID = tokenID
        self.isSuperuser = isSuperuser
        self.email = email
        self.firstName = firstName
    }
}

/// The claims of an access token the OAuth provider issued to a client: for a user (authorization code,
/// refresh) or for the client itself (`client_credentials`, where `subject` is the client id and `tokenID`
/// names the stored client token).
package struct ProviderClaims: Sendable, Hashable {
    /// The user's id, or the client's for a client token.
    package let subject: UUID
    /// The provider session, or the client token.
    package let sessionID: UUID
    package let clientID: UUID
    /// For a client known by its metadata document: the document's URL, which is its `client_id` on the wire.
    package let clientDocumentURL: String?
    /// Space-separated scope tokens.
    package let scope: String
    package let issuedAt: Int64
    package let expiresAt: Int64
    package let tokenID: UUID
    /// `aud`: the resources the token is for (RFC 8707), or — when it names none — the client's id.
    package let audience: [String]

    package init(
        subject: UUID, sessionID: UUID, clientID: UUID, scope: String, issuedAt: Int64, expiresAt: Int64,
        tokenID: UUID, resources: [String] = [], clientDocumentURL: String? = nil
    ) {
        self.subject = subject
        self.sessionID = sessionID
        self.clientID = clientID
        self.clientDocumentURL = clientDocumentURL
        self.scope = scope
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.tokenID = tokenID
        self.audience = resources.isEmpty ? [clientDocumentURL ?? UUIDText.lowercased(clientID)] : resources
    }

    /// The `client_id` as clients and resource servers know it: the document's URL, or the id in lower case.
    package var clientIdentifier: String { clientDocumentURL ?? UUIDText.lowercased(clientID) }

    /// Issued to the client for itself.
    package var isClientToken: Bool { subject == clientID }
}

/// An access token that verified: first-party, or issued by the OAuth provider.
package enum VerifiedAccessToken: Sendable, Hashable {
    case firstParty(AccessClaims)
    case provider(ProviderClaims)
}

/// Signs and verifies access tokens: JWTs with the claims of the original backend (`sub`, `exp`, `iat`, `jti`,
/// `type`, `is_superuser`, `email`, `first_name`) plus `sid` (the session) and `iss`; provider tokens carry
/// `client_id`, `aud` and `scope` instead of the user's details. HS256 by default, EdDSA (Ed25519, with a
/// `kid`) when configured.
public struct AccessTokenSigner: Sendable {
    let jwt: JWTSigner
    package let issuer: String
    /// Tokens verified already (see `VerifiedTokenCache`).
    let verified = VerifiedTokenCache(capacity: 16_384)

    public init(method: SigningMethod, issuer: String) {
        self.jwt = JWTSigner(method)
        self.issuer = issuer
    }

    /// HS256 with `key`.
    public init(key: [UInt8], issuer: String) {
        self.init(method: .hs256(key: key), issuer: issuer)
    }

    public func sign(_ claims: AccessClaims) -> String {
        jwt.sign(
            FlatJSON.encode([
                ("sub", .string(UUIDText.lowercased(claims.userID))),
                ("sid", .string(UUIDText.lowercased(claims.sessionID))),
                ("type", .string("access")),
                ("iat", .integer(claims.issuedAt)),
                ("exp", .integer(claims.expiresAt)),
                ("jti", .string(UUIDText.lowercased(claims.tokenID))),
                ("is_superuser", .bool(claims.isSuperuser)),
                ("email", .string(claims.email)),
                ("first_name", .string(claims.firstName)),
                ("iss", .string(issuer)),
            ]))
    }

    package func sign(_ claims: ProviderClaims) -> String {
        let client = claims.clientIdentifier
        return jwt.sign(
            FlatJSON.encode([
                ("sub", .string(UUIDText.lowercased(claims.subject))),
                ("sid", .string(UUIDText.lowercased(claims.sessionID))),
                ("type", .string("access")),
                ("client_id", .string(client)),
                ("aud", claims.audience.count == 1 ? .string(claims.audience[0]) : .strings(claims.audience)),
                ("scope", .string(claims.scope)),
                ("iat", .integer(claims.issuedAt)),
                ("nbf", .integer(claims.issuedAt)),
                ("exp", .integer(claims.expiresAt)),
                ("jti", .string(UUIDText.lowercased(claims.tokenID))),
                ("iss", .string(issuer)),
            ]))
    }

    /// The claims of a first-party token this signer issued, that has not expired at `nowSeconds`. Anything
    /// else — another algorithm (`none` included), another key, a changed byte, another token type, a
    /// provider token, garbage — throws.
    public func verify(_ token: String, nowSeconds: Int64) throws(TokenError) -> AccessClaims {
        guard case .firstParty(let claims) = try verifyAny(token, nowSeconds: nowSeconds) else {
            throw TokenError(.wrongType)
        }
        return claims
    }

    /// The claims of any access token this signer issued, first-party or provider, unexpired at `nowSeconds`. A
    /// provider token whose `client_id` is a metadata document's URL names its client through
    /// `documentClient` (the id of the client recorded for that URL); one it does not know is malformed.
    package func verifyAny(
        _ token: String, nowSeconds: Int64, documentClient: (String) -> UUID? = { _ in nil }
    ) throws(TokenError)
        -> VerifiedAccessToken
    {
        if let known = verified.get(token, nowSeconds: nowSeconds) { return known }
        let result = try verifyUncached(token, nowSeconds: nowSeconds, documentClient: documentClient)
        verified.put(token, result)
        return result
    }

    private func verifyUncached(
        _ token: String, nowSeconds: Int64, documentClient: (String) -> UUID?
    ) throws(TokenError)
        -> VerifiedAccessToken
    {
        let claims = try jwt.verifiedClaims(token)
        guard claims["type"] == .string("access") else { throw TokenError(.wrongType) }
        guard claims["iss"] == .string(issuer) else { throw TokenError(.wrongIssuer) }
        guard case .string(let subject)? = claims["sub"], let subjectID = UUIDText.parse(subject),
            case .string(let sid)? = claims["sid"], let sessionID = UUIDText.parse(sid),
            case .string(let jti)? = claims["jti"], let tokenID = UUIDText.parse(jti),
            case .integer(let issuedAt)? = claims["iat"], case .integer(let expiresAt)? = claims["exp"]
        else { throw TokenError(.malformed) }
        guard nowSeconds < expiresAt else { throw TokenError(.expired) }
        if case .string(let client)? = claims["client_id"] {
            let byID = UUIDText.parse(client)
            guard let clientID = byID ?? documentClient(client), case .string(let scope)? = claims["scope"] else {
                throw TokenError(.malformed)
            }
            let resources: [String]
            switch claims["aud"] {
            case .string(let audience)?: resources = audience == client ? [] : [audience]
            case .strings(let audiences)? where !audiences.isEmpty: resources = audiences
            default: throw TokenError(.malformed)
            }
            return .provider(
                ProviderClaims(
                    subject: subjectID, sessionID: sessionID, clientID: clientID, scope: scope,
                    issuedAt: issuedAt, expiresAt: expiresAt, tokenID: tokenID, resources: resources,
                    clientDocumentURL: byID == nil ? client : nil))
        }
        guard case .bool(let isSuperuser)? = claims["is_superuser"], case .string(let email)? = claims["email"],
            case .string(let firstName)? = claims["first_name"]
        else { throw TokenError(.malformed) }
        return .firstParty(
            AccessClaims(
                userID: subjectID, sessionID: sessionID, issuedAt: issuedAt, expiresAt: expiresAt,
                tokenID: tokenID, isSuperuser: isSuperuser, email: email, firstName: firstName))
    }

    /// `GET /.well-known/jwks.json`: the public keys that verify tokens now (none for HS256).
    package func jwks() -> [UInt8] { jwt.jwks() }

    /// `HS256` or `EdDSA`.
    package var algorithm: String { jwt.algorithm }
}

/// HMAC-SHA256 of `message` under `key`.
func hs256(_ message: [UInt8], key: [UInt8]) -> [UInt8] {
    Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key)))
}
