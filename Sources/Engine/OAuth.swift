package import FoundationEssentials

/// A client of Tessera's OAuth 2.0 provider, kept in the shard its id routes to. Deleting it leaves a
/// tombstone: every token issued to it stops working at once, without a record per token.
public struct OAuthClient: Sendable, Hashable {
    package enum Kind: UInt8, Sendable, Hashable, NamedCase {
        /// Holds a secret (server side); authenticates with it.
        case confidential = 0
        /// Cannot keep a secret (browser, mobile, CLI); must use PKCE.
        case `public` = 1

        package var name: String { self == .confidential ? "confidential" : "public" }
    }

    /// Also the `client_id` (its text, lower case).
    package let id: UUID
    package var name: String
    package let kind: Kind
    /// Matched exactly, never by prefix.
    package var redirectURIs: [String]
    /// The scopes the client may ask for.
    package var scopes: [String]
    /// SHA-256 of the secret, for confidential clients (the secret itself is shown once and never stored).
    package let secretDigest: SecretDigest?
    package let createdAtMilliseconds: Int64
    package var deletedAtMilliseconds: Int64?
    /// What the client said of itself when it registered itself (RFC 7591); nil for clients a superuser made.
    package var registration: ClientRegistration?
    /// Its OpenID Connect settings: ID token algorithm, logout URIs.
    package var openID = OpenIDClientSettings()

    package init(
        id: UUID, name: String, kind: Kind, redirectURIs: [String], scopes: [String], secretDigest: SecretDigest?,
        createdAtMilliseconds: Int64
    ) {
        self.id = id
        self.name = name
        self.kind = kind
        self.redirectURIs = redirectURIs
        self.scopes = scopes
        self.secretDigest = secretDigest
        self.createdAtMilliseconds = createdAtMilliseconds
        self.deletedAtMilliseconds = nil
    }

    package var isDeleted: Bool { deletedAtMilliseconds != nil }
}

/// What makes a session a provider grant: the client it was issued to and the scope granted. Kept next to the
/// session, in the user's shard.
public struct OAuthGrant: Sendable, Hashable {
    package let clientID: UUID
    /// Space-separated scope tokens, as granted.
    package let scope: String
    /// The resources (RFC 8707) the grant's tokens may be for; empty when the request named none.
    package let resources: [String]
    /// The sign-in the grant came from (ID tokens issued at refresh repeat its `auth_time` and `sid`).
    package let authentication: Authentication?

    package init(clientID: UUID, scope: String, resources: [String] = [], authentication: Authentication? = nil) {
        self.clientID = clientID
        self.scope = scope
        self.resources = resources
        self.authentication = authentication
    }
}

/// A user's consent to a client, for a scope.
public struct Consent: Sendable, Hashable {
    package let clientID: UUID
    package let scope: String
    package let grantedAtMilliseconds: Int64
    /// The resources (RFC 8707) the user let the client have tokens for; a request for another one asks again.
    package let resources: [String]

    package init(clientID: UUID, scope: String, grantedAtMilliseconds: Int64, resources: [String] = []) {
        self.clientID = clientID
        self.scope = scope
        self.grantedAtMilliseconds = grantedAtMilliseconds
        self.resources = resources
    }

    /// Whether the user agreed to this scope and these resources.
    package func covers(scope requested: [String], resources requestedResources: [String]) -> Bool {
        let granted = Set(scope.split(separator: " ").map(String.init))
        return requested.allSatisfy(granted.contains) && requestedResources.allSatisfy(resources.contains)
    }
}

/// An authorization code: `<id>.<secret>`, its id routing like its user's; the shard keeps the digest of the
/// secret and everything the code is bound to. Single use; a second use revokes the session the first made.
public struct AuthorizationCode: Sendable, Hashable {
    package let id: UUID
    package let userID: UUID
    package let clientID: UUID
    package let redirectURI: String
    package let scope: String
    /// The PKCE S256 challenge (base64url of SHA-256 of the verifier), when the client sent one.
    package let codeChallenge: String?
    package let digest: SecretDigest
    package let createdAtMilliseconds: Int64
    package let expiresAtMilliseconds: Int64
    /// The session the code was exchanged for, once it was.
    package var sessionID: UUID?
    /// The resources (RFC 8707) the authorization request named; the token request may name only these.
    package var resources: [String]
    /// The sign-in behind the authorization (OpenID Connect).
    package var authentication: Authentication?

    package init(
        id: UUID, userID: UUID, clientID: UUID, redirectURI: String, scope: String, codeChallenge: String?,
        digest: SecretDigest, createdAtMilliseconds: Int64, expiresAtMilliseconds: Int64, resources: [String] = [],
        authentication: Authentication? = nil
    ) {
        self.resources = resources
        self.authentication = authentication
        self.id = id
        self.userID = userID
        self.clientID = clientID
        self.redirectURI = redirectURI
        self.scope = scope
        self.codeChallenge = codeChallenge
        self.digest = digest
        self.createdAtMilliseconds = createdAtMilliseconds
        self.expiresAtMilliseconds = expiresAtMilliseconds
        self.sessionID = nil
    }
}

/// A token issued to a client for itself (`client_credentials`): kept in the client's shard, its id routing
/// like the client's, so that revocation and introspection find it in one hop.
public struct ClientToken: Sendable, Hashable {
    package let id: UUID
    package let clientID: UUID
    package let scope: String
    package let createdAtMilliseconds: Int64
    package let expiresAtMilliseconds: Int64
    package var revokedAtMilliseconds: Int64?

    package init(id: UUID, clientID: UUID, scope: String, createdAtMilliseconds: Int64, expiresAtMilliseconds: Int64) {
        self.id = id
        self.clientID = clientID
        self.scope = scope
        self.createdAtMilliseconds = createdAtMilliseconds
        self.expiresAtMilliseconds = expiresAtMilliseconds
        self.revokedAtMilliseconds = nil
    }

    package func isActive(at milliseconds: Int64) -> Bool {
        revokedAtMilliseconds == nil && milliseconds < expiresAtMilliseconds
    }
}
