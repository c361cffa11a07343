import Auth
import Bytes
import Foundation
import Synchronization

/// What an OpenID Connect provider's discovery document says (OpenID Connect Discovery 1.0), of what Tessera uses.
package struct OpenIDMetadata: Sendable, Hashable, Decodable {
    package let issuer: String
    package let authorizationEndpoint: String
    package let tokenEndpoint: String
    package let jwksURI: String

    enum CodingKeys: String, CodingKey {
        case issuer, authorizationEndpoint = "authorization_endpoint", tokenEndpoint = "token_endpoint"
        case jwksURI = "jwks_uri"
    }
}

/// An OpenID Connect provider as Tessera's sign-in uses it: its discovery document and keys, fetched once and
/// kept (the keys fetched again when a token names a key not seen yet: the provider rotated), the authorization
/// URL with PKCE S256 and a nonce, and the code exchange that ends in a verified ID token.
package final class OpenIDConnectProvider: SocialProvider {
    package let configuration: SocialProviderConfiguration
    private let issuer: String
    private let http: ProviderHTTPClient
    private let cache = Mutex<(metadata: OpenIDMetadata?, keys: ProviderKeySet?)>((nil, nil))

    /// `configuration` must be an OpenID Connect provider's.
    package init(_ configuration: SocialProviderConfiguration, http: ProviderHTTPClient) {
        guard case .openIDConnect(let issuer) = configuration.kind else {
            preconditionFailure("\(configuration.name) is not an OpenID Connect provider")
        }
        self.configuration = configuration
        self.issuer = issuer
        self.http = http
    }

    package var usesNonce: Bool { true }

    /// The discovery document; its issuer must be exactly the configured one (OpenID Connect Discovery §4.3).
    package func metadata() async throws(SocialError) -> OpenIDMetadata {
        if let known = cache.withLock({ $0.metadata }) { return known }
        let answer = try await http.get(issuer + "/.well-known/openid-configuration")
        guard answer.status == 200,
            let metadata = try? JSONDecoder().decode(OpenIDMetadata.self, from: Data(answer.body))
        else {
            throw SocialError(
                .providerUnavailable,
                "\(configuration.name): the discovery document could not be read (status \(answer.status))")
        }
        guard metadata.issuer == issuer else {
            throw SocialError(
                .providerUnavailable, "\(configuration.name): the discovery document names another issuer")
        }
        cache.withLock { $0.metadata = metadata }
        return metadata
    }

    /// Where to send the browser: the authorization endpoint with `response_type=code`, `scope=openid email
    /// profile`, the state, the nonce and the S256 challenge of the PKCE verifier.
    package func authorizationURL(
        redirectURI: String, state: String, nonce: String?, codeChallenge: String
    )
        async throws(SocialError) -> String
    {
        guard let nonce else { throw SocialError(.identityRejected, "\(configuration.name): a sign-in needs a nonce") }
        let endpoint = try await metadata().authorizationEndpoint
        let query = FormEncoding.encoded([
            ("response_type", "code"), ("client_id", configuration.clientID), ("redirect_uri", redirectURI),
            ("scope", "openid email profile"), ("state", state), ("nonce", nonce),
            ("code_challenge", codeChallenge), ("code_challenge_method", "S256"),
        ])
        return endpoint + (endpoint.contains("?") ? "&" : "?") + query
    }

    /// Exchanges the code the provider sent back (with the PKCE verifier and the same redirect URI, the client
    /// authenticating with its secret, RFC 6749 §2.3.1) and verifies the ID token it answers. The provider's
    /// access and refresh tokens are dropped: Tessera needs nothing more from the provider.
    package func signIn(
        code: String, redirectURI: String, codeVerifier: String, nonce: String?, nowSeconds: Int64
    )
        async throws(SocialError) -> SocialProfile
    {
        guard let nonce else { throw SocialError(.identityRejected, "\(configuration.name): a sign-in needs a nonce") }
        let metadata = try await metadata()
        let credentials =
            FormEncoding.percentEncoded(configuration.clientID) + ":"
            + FormEncoding.percentEncoded(configuration.clientSecret)
        let answer = try await http.postForm(
            metadata.tokenEndpoint,
            form: [
                ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI),
                ("code_verifier", codeVerifier),
            ], headers: [("authorization", "Basic " + Data(credentials.utf8).base64EncodedString())])
        guard answer.status == 200 else {
            throw SocialError(
                (400..<500).contains(answer.status) ? .codeRefused : .providerUnavailable,
                "\(configuration.name): the code was refused (status \(answer.status))")
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(answer.body)) as? [String: Any],
            let idToken = object["id_token"] as? String
        else { throw SocialError(.providerUnavailable, "\(configuration.name): the token answer has no ID token") }
        let claims: IDTokenClaims
        do {
            claims = try verify(idToken, keys: try await keys(refresh: false), nonce: nonce, nowSeconds: nowSeconds)
        } catch let error where error.isUnknownKey {
            // A key not seen yet: the provider may have rotated its keys since they were fetched.
            claims = try verify(idToken, keys: try await keys(refresh: true), nonce: nonce, nowSeconds: nowSeconds)
        }
        return SocialProfile(
            subject: claims.subject, email: claims.email, emailVerified: claims.emailVerified,
            givenName: claims.givenName, familyName: claims.familyName, name: claims.name)
    }

    private func verify(
        _ token: String, keys: ProviderKeySet, nonce: String, nowSeconds: Int64
    ) throws(SocialError)
        -> IDTokenClaims
    {
        do {
            return try IDTokenVerifier.verify(
                token, keys: keys, issuer: issuer, clientID: configuration.clientID,
                nonce: nonce, nowSeconds: nowSeconds)
        } catch {
            throw SocialError(
                .identityRejected, "\(configuration.name): \(error.reason)", isUnknownKey: error.isUnknownKey)
        }
    }

    private func keys(refresh: Bool) async throws(SocialError) -> ProviderKeySet {
        if !refresh, let known = cache.withLock({ $0.keys }) { return known }
        let answer = try await http.get(try await metadata().jwksURI)
        guard answer.status == 200 else {
            throw SocialError(.providerUnavailable, "\(configuration.name): the keys could not be read")
        }
        let keys: ProviderKeySet
        do { keys = try ProviderKeySet(jwks: answer.body) } catch {
            throw SocialError(.providerUnavailable, "\(configuration.name): \(error.reason)")
        }
        cache.withLock { $0.keys = keys }
        return keys
    }
}
