import Bytes
import Crypto
package import Engine
import FoundationEssentials

/// How a client presented itself at the token, revocation or introspection endpoint.
package struct ClientCredentials: Sendable, Hashable {
    package enum Method: String, Sendable, Hashable {
        /// `Authorization: Basic` (RFC 6749 §2.3.1).
        case clientSecretBasic = "client_secret_basic"
        /// `client_id` and `client_secret` in the form.
        case clientSecretPost = "client_secret_post"
        /// `client_id` only: a public client.
        case none
    }

    package let clientID: String
    package let secret: String?
    package let method: Method

    package init(clientID: String, secret: String?, method: Method) {
        self.clientID = clientID
        self.secret = secret
        self.method = method
    }
}

/// Tessera's OAuth 2.0 provider: clients, authorization code with PKCE, refresh, client credentials, revocation
/// (RFC 7009) and introspection (RFC 7662), over the engine and the first-party auth service's keys.
package final class OAuthProvider: Sendable {
    package let auth: AuthService
    /// The scopes clients may be registered with (and the metadata lists).
    package let scopesSupported: [String]
    /// Where `authorize` sends a user who has not consented yet; empty: Tessera's own consent page.
    package let consentURL: String
    package let codeLifetimeMilliseconds: Int64
    /// Which resources tokens may be for (RFC 8707).
    package let resourcePolicy: ResourcePolicy
    /// Client ID metadata documents, when clients may name themselves by one (nil: they may not).
    package let documents: ClientDocuments?
    /// The keys of ID tokens: OpenID Connect is on when there are some.
    package let idTokenKeys: IDTokenKeys?
    /// Basic client authentications seen before, by a keyed digest.
    let rememberedClients = RememberedClientAuthentications()

    /// The scopes of the original backend and OpenID Connect's `offline_access`, Tessera's default.
    package static let defaultScopes = [
        "openid", "profile", "email", "offline_access", "read:users", "write:users", "read:organizations",
        "write:organizations", "admin",
    ]

    package init(
        auth: AuthService, scopesSupported: [String] = OAuthProvider.defaultScopes,
        consentURL: String, codeLifetimeMilliseconds: Int64 = 600_000,
        resourcePolicy: ResourcePolicy = ResourcePolicy(),
        documents: ClientDocuments? = nil, idTokenKeys: IDTokenKeys? = nil
    ) {
        self.idTokenKeys = idTokenKeys
        self.resourcePolicy = resourcePolicy
        self.documents = documents
        self.auth = auth
        self.scopesSupported = scopesSupported
        self.consentURL = consentURL
        self.codeLifetimeMilliseconds = codeLifetimeMilliseconds
    }

    var engine: Engine { auth.engine }

    /// Registers a client; a confidential one gets a random 256-bit secret, returned here once and stored only
    /// as its SHA-256.
    package func registerClient(
        name: String, kind: OAuthClient.Kind, redirectURIs: [String], scopes: [String],
        openID: OpenIDClientSettings = OpenIDClientSettings()
    )
        async throws(AuthError) -> (client: OAuthClient, secret: String?)
    {
        let secret = kind == .confidential ? Base64URL.encode(auth.minter.randomSecret()) : nil
        do {
            let client = try await engine.registerClient(
                NewOAuthClient(
                    name: name, kind: kind, redirectURIs: redirectURIs, scopes: Scope.normalized(scopes),
                    secretDigest: secret.map(Self.digest(ofSecret:)), openID: openID))
            return (client, secret)
        } catch {
            throw AuthService.mapped(error)
        }
    }

    /// The client these credentials name, when they prove it: a confidential client by its secret (a SHA-256
    /// compared in constant time), a public one by its id alone. Costs a lock and a hash, never a bcrypt round.
    package func authenticate(_ credentials: ClientCredentials) throws(OAuthError) -> OAuthClient {
        let refused = OAuthError.invalidClient("client authentication failed")
        guard let client = liveClient(credentials.clientID) else { throw refused }
        switch client.kind {
        case .confidential:
            guard let secret = credentials.secret, let expected = client.secretDigest,
                expected.constantTimeEquals(Self.digest(ofSecret: secret))
            else { throw refused }
        case .public:
            guard credentials.secret == nil, credentials.method == .none else { throw refused }
        }
        // A client that registered itself authenticates the way it registered (RFC 7591 §2).
        if let registered = client.registration?.tokenEndpointAuthMethod, registered != credentials.method.rawValue {
            throw refused
        }
        return client
    }

    /// The live client a `client_id` names: its UUID, or — when metadata documents are on — the URL of the
    /// document of a client some user approved (its record; the document itself is read at authorization only).
    package func liveClient(_ clientID: String) -> OAuthClient? {
        if let id = UUIDText.parse(clientID) { return engine.liveClient(id) }
        guard documents != nil else { return nil }
        return engine.liveClient(documentURL: clientID)
    }

    /// Whether `secret` is the confidential client's secret (SHA-256 compared in constant time).
    package func isSecret(_ secret: String, of client: OAuthClient) -> Bool {
        client.secretDigest?.constantTimeEquals(Self.digest(ofSecret: secret)) == true
    }

    static func digest(ofSecret secret: String) -> SecretDigest {
        var secret = secret
        return secret.withUTF8 { bytes in
            SHA256.hash(data: UnsafeRawBufferPointer(bytes)).withUnsafeBytes { SecretDigest(rawBytes: $0) }
        }
    }

    /// base64url(SHA-256(verifier)): the PKCE S256 transformation (RFC 7636 §4.2).
    static func s256(_ verifier: String) -> String {
        Base64URL.encode(Array(SHA256.hash(data: Array(verifier.utf8))))
    }

    /// RFC 7636 §4.1: 43 to 128 characters of `[A-Z a-z 0-9 - . _ ~]`.
    static func isValidVerifier(_ verifier: String) -> Bool {
        (43...128).contains(verifier.utf8.count)
            && verifier.utf8.allSatisfy { byte in
                (0x41...0x5a).contains(byte) || (0x61...0x7a).contains(byte) || (0x30...0x39).contains(byte)
                    || byte == 0x2d || byte == 0x2e || byte == 0x5f || byte == 0x7e
            }
    }
}

/// Scope strings: space-separated tokens (RFC 6749 §3.3), kept sorted and without repeats.
enum Scope {
    static func normalized(_ tokens: [String]) -> [String] { Array(Set(tokens.filter { !$0.isEmpty })).sorted() }

    static func tokens(_ scope: String) -> [String] { normalized(scope.split(separator: " ").map(String.init)) }

    static func text(_ tokens: [String]) -> String { normalized(tokens).joined(separator: " ") }

    /// Whether every token of `requested` is in `allowed`.
    static func isSubset(_ requested: [String], of allowed: [String]) -> Bool { Set(requested).isSubset(of: allowed) }
}
