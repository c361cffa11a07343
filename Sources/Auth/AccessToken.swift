public import FoundationEssentials
import Crypto

/// The claims of an access token.
public struct AccessClaims: Sendable, Hashable {
    public let userID: UUID
    public let sessionID: UUID
    /// Unix seconds.
    public let issuedAt: Int64
    public let expiresAt: Int64
    public let tokenID: UUID
    public let isSuperuser: Bool
    public let email: String
    public let firstName: String

    public init(userID: UUID, sessionID: UUID, issuedAt: Int64, expiresAt: Int64, tokenID: UUID, isSuperuser: Bool,
                email: String, firstName: String) {
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

/// Signs and verifies access tokens: JWTs with HS256 and the claims of the original backend (`sub`, `exp`,
/// `iat`, `jti`, `type`, `is_superuser`, `email`, `first_name`) plus `sid` (the session) and `iss`.
public struct AccessTokenSigner: Sendable {
    private let key: SymmetricKey
    public let issuer: String
    private static let header = Base64URL.encode(FlatJSON.encode([("alg", .string("HS256")), ("typ", .string("JWT"))]))

    public init(key: [UInt8], issuer: String) {
        precondition(key.count >= 32, "an HS256 key has at least 256 bits")
        self.key = SymmetricKey(data: key)
        self.issuer = issuer
    }

    public func sign(_ claims: AccessClaims) -> String {
        let payload = FlatJSON.encode([
            ("sub", .string(claims.userID.uuidString.lowercased())),
            ("sid", .string(claims.sessionID.uuidString.lowercased())),
            ("type", .string("access")),
            ("iat", .integer(claims.issuedAt)),
            ("exp", .integer(claims.expiresAt)),
            ("jti", .string(claims.tokenID.uuidString.lowercased())),
            ("is_superuser", .bool(claims.isSuperuser)),
            ("email", .string(claims.email)),
            ("first_name", .string(claims.firstName)),
            ("iss", .string(issuer)),
        ])
        let signingInput = Self.header + "." + Base64URL.encode(payload)
        let signature = HMAC<SHA256>.authenticationCode(for: Array(signingInput.utf8), using: key)
        return signingInput + "." + Base64URL.encode(Array(signature))
    }

    /// The claims of a token this signer issued, that has not expired at `nowSeconds`. Anything else —
    /// another algorithm (`none` included), another key, a changed byte, another token type, garbage —
    /// throws.
    public func verify(_ token: String, nowSeconds: Int64) throws(TokenError) -> AccessClaims {
        let parts = token.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 3, let headerBytes = Base64URL.decode(Substring(parts[0])),
              let header = FlatJSON.decode(headerBytes) else { throw TokenError(.malformed) }
        guard header["alg"] == .string("HS256") else { throw TokenError(.unsupportedAlgorithm) }
        guard let signature = Base64URL.decode(Substring(parts[2])) else { throw TokenError(.malformed) }
        let signingInput = token.utf8.prefix(parts[0].count + 1 + parts[1].count)
        guard HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: Array(signingInput), using: key) else {
            throw TokenError(.badSignature)
        }
        guard let payloadBytes = Base64URL.decode(Substring(parts[1])), let claims = FlatJSON.decode(payloadBytes) else {
            throw TokenError(.malformed)
        }
        guard claims["type"] == .string("access") else { throw TokenError(.wrongType) }
        guard claims["iss"] == .string(issuer) else { throw TokenError(.wrongIssuer) }
        guard case .string(let subject)? = claims["sub"], let userID = UUID(uuidString: subject),
              case .string(let sid)? = claims["sid"], let sessionID = UUID(uuidString: sid),
              case .string(let jti)? = claims["jti"], let tokenID = UUID(uuidString: jti),
              case .integer(let issuedAt)? = claims["iat"], case .integer(let expiresAt)? = claims["exp"],
              case .bool(let isSuperuser)? = claims["is_superuser"],
              case .string(let email)? = claims["email"], case .string(let firstName)? = claims["first_name"]
        else { throw TokenError(.malformed) }
        guard nowSeconds < expiresAt else { throw TokenError(.expired) }
        return AccessClaims(userID: userID, sessionID: sessionID, issuedAt: issuedAt, expiresAt: expiresAt,
                            tokenID: tokenID, isSuperuser: isSuperuser, email: email, firstName: firstName)
    }
}

/// HMAC-SHA256 of `message` under `key`.
func hs256(_ message: [UInt8], key: [UInt8]) -> [UInt8] {
    Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key)))
}
