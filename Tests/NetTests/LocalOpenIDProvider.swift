import Crypto
import Foundation
import NIOHTTP1
import Synchronization

/// A person at a local test provider.
struct LocalPerson: Sendable {
    var subject: String
    var email: String?
    var emailVerified = true
    var name = "Local Person"
}

/// Set once: the provider a server answers through, made after the server is bound (its URL names the port).
final class LateBound<Value: Sendable>: Sendable {
    private let value = Mutex<Value?>(nil)
    func set(_ newValue: Value) { value.withLock { $0 = newValue } }
    var get: Value? { value.withLock { $0 } }
}

/// An OpenID Connect provider on this machine, over plain HTTP on an ephemeral port, with its own Ed25519 key:
/// discovery, an authorization endpoint that signs in `signedIn` (standing in for the provider's login page)
/// and redirects back with a code, JWKS, and a token endpoint that checks the client's secret, the code, its
/// redirect URI and the PKCE verifier, spends the code, and answers an ID token. Tests can also issue codes
/// directly, and make it misbehave.
final class LocalOpenIDProvider: Sendable {
    struct Grant: Sendable {
        let subject: String
        let email: String?
        let emailVerified: Bool
        let nonce: String
        let codeChallenge: String
        let redirectURI: String
        var name = "Local Person"
    }

    /// What the provider does wrong on purpose.
    enum Misbehavior: Sendable {
        case none
        /// Signs with a key it does not publish.
        case foreignKey
        /// Names another issuer in the ID token.
        case wrongIssuer
        /// Puts another nonce in the ID token (a replayed token).
        case wrongNonce
    }

    let clientID = "tessera-test-client"
    let clientSecret = "local-secret-\(UUID().uuidString)"
    let key = Curve25519.Signing.PrivateKey()
    private let server: LocalHTTPServer
    var port: Int { server.port }
    var issuer: String { "http://127.0.0.1:\(port)" }
    private let codes = Mutex<[String: Grant]>([:])
    let misbehavior = Mutex<Misbehavior>(.none)
    /// Who the authorization endpoint signs in.
    let signedIn = Mutex(LocalPerson(subject: "248289761001", email: "jane@example.com"))
    /// How many times the JWKS document was fetched.
    let jwksFetches = Atomic<Int>(0)

    private init(server: LocalHTTPServer) { self.server = server }

    static func start() async throws -> LocalOpenIDProvider {
        let late = LateBound<LocalOpenIDProvider>()
        let server = try await LocalHTTPServer.start { request in
            late.get?.answer(request) ?? .json(.serviceUnavailable, ["error": "starting"])
        }
        let provider = LocalOpenIDProvider(server: server)
        late.set(provider)
        return provider
    }

    func stop() async { await server.stop() }

    /// The environment `tessera serve` reads to use this provider under `name`.
    func environment(name: String = "local") -> [String: String] {
        let prefix = "TESSERA_OIDC_" + name.uppercased()
        return [
            "TESSERA_OIDC_PROVIDERS": name, prefix + "_ISSUER": issuer, prefix + "_CLIENT_ID": clientID,
            prefix + "_CLIENT_SECRET": clientSecret,
        ]
    }

    /// A code for this person, as the provider's login page would send back to the redirect URI.
    func issueCode(_ grant: Grant) -> String {
        let code = UUID().uuidString
        codes.withLock { $0[code] = grant }
        return code
    }

    private func answer(_ request: LocalRequest) -> LocalAnswer {
        switch (request.method, request.path) {
        case (.GET, "/.well-known/openid-configuration"):
            return .json(
                .ok,
                [
                    "issuer": issuer, "authorization_endpoint": issuer + "/authorize",
                    "token_endpoint": issuer + "/token", "jwks_uri": issuer + "/jwks",
                ])
        case (.GET, "/authorize"):
            return authorize(request.query)
        case (.GET, "/jwks"):
            jwksFetches.add(1, ordering: .relaxed)
            return .json(
                .ok,
                [
                    "keys": [
                        [
                            "kty": "OKP", "crv": "Ed25519", "kid": "local-1",
                            "x": Self.base64URL(Array(key.publicKey.rawRepresentation)),
                        ]
                    ]
                ])
        case (.POST, "/token"):
            return token(request)
        default:
            return .json(.notFound, ["error": "not_found"])
        }
    }

    /// The login page, already signed in: checks the request as a provider does and redirects with a code.
    private func authorize(_ query: [String: String]) -> LocalAnswer {
        guard query["client_id"] == clientID, query["response_type"] == "code",
            query["code_challenge_method"] == "S256",
            let scope = query["scope"], scope.split(separator: " ").contains("openid"),
            let redirectURI = query["redirect_uri"], let state = query["state"], let nonce = query["nonce"],
            let challenge = query["code_challenge"]
        else { return .json(.badRequest, ["error": "invalid_request"]) }
        let person = signedIn.withLock { $0 }
        let code = issueCode(
            Grant(
                subject: person.subject, email: person.email, emailVerified: person.emailVerified,
                nonce: nonce, codeChallenge: challenge, redirectURI: redirectURI, name: person.name))
        return .redirect(to: redirectURI + "?code=\(code)&state=\(state)")
    }

    private func token(_ request: LocalRequest) -> LocalAnswer {
        let expected = "Basic " + Data("\(clientID):\(clientSecret)".utf8).base64EncodedString()
        guard request.headers.first(name: "authorization") == expected else {
            return .json(.unauthorized, ["error": "invalid_client"])
        }
        let form = request.form
        guard form["grant_type"] == "authorization_code", let code = form["code"],
            let grant = codes.withLock({ $0.removeValue(forKey: code) }),
            form["redirect_uri"] == grant.redirectURI, let verifier = form["code_verifier"],
            Self.base64URL(Array(SHA256.hash(data: Data(verifier.utf8)))) == grant.codeChallenge
        else { return .json(.badRequest, ["error": "invalid_grant"]) }
        let now = Int(Date().timeIntervalSince1970)
        let misbehavior = misbehavior.withLock { $0 }
        var claims: [String: Any] = [
            "iss": misbehavior == .wrongIssuer ? "http://evil.example" : issuer,
            "sub": grant.subject, "aud": clientID, "iat": now, "exp": now + 300,
            "nonce": misbehavior == .wrongNonce ? "replayed-nonce" : grant.nonce,
            "email_verified": grant.emailVerified, "name": grant.name,
        ]
        if let email = grant.email { claims["email"] = email }
        let signer = misbehavior == .foreignKey ? Curve25519.Signing.PrivateKey() : key
        return .json(
            .ok,
            [
                "access_token": "provider-access-token", "token_type": "Bearer", "expires_in": 3600,
                "id_token": Self.idToken(claims, key: signer),
            ])
    }

    static func idToken(_ claims: [String: Any], key: Curve25519.Signing.PrivateKey) -> String {
        let header = base64URL(Array(try! JSONSerialization.data(withJSONObject: ["alg": "EdDSA", "kid": "local-1"])))
        let payload = base64URL(Array(try! JSONSerialization.data(withJSONObject: claims)))
        let signature = try! key.signature(for: Data((header + "." + payload).utf8))
        return header + "." + payload + "." + base64URL(Array(signature))
    }

    /// Written here rather than borrowed from Tessera, so that the provider checks Tessera from outside.
    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(
            of: "/", with: "_"
        )
        .replacingOccurrences(of: "=", with: "")
    }
}
