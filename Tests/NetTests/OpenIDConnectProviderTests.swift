import Auth
import Crypto
import Foundation
import Social
import Synchronization
import Testing

@Suite("An OpenID Connect provider over HTTP: discovery, authorization URL, code exchange, ID token verified")
struct OpenIDConnectProviderTests {
    static let redirectURI = "https://app.example/auth/callback"

    struct Fixture {
        let local: LocalOpenIDProvider
        let http = ProviderHTTPClient(timeoutSeconds: 5)
        let provider: OpenIDConnectProvider

        init() async throws {
            local = try await LocalOpenIDProvider.start()
            let configuration = try #require(
                try SocialProviderConfiguration.fromEnvironment([
                    "TESSERA_OIDC_PROVIDERS": "local", "TESSERA_OIDC_LOCAL_ISSUER": local.issuer,
                    "TESSERA_OIDC_LOCAL_CLIENT_ID": local.clientID,
                    "TESSERA_OIDC_LOCAL_CLIENT_SECRET": local.clientSecret,
                ]).first)
            provider = OpenIDConnectProvider(configuration, http: http)
        }

        func close() async {
            await http.shutdown()
            await local.stop()
        }

        /// A verifier and its S256 challenge.
        static func pkce() -> (verifier: String, challenge: String) {
            let verifier = LocalOpenIDProvider.base64URL((0..<32).map { _ in UInt8.random(in: 0...255) })
            return (verifier, LocalOpenIDProvider.base64URL(Array(SHA256.hash(data: Data(verifier.utf8)))))
        }

        func code(nonce: String, challenge: String, subject: String = "248289761001") -> String {
            local.issueCode(
                .init(
                    subject: subject, email: "jane@example.com", emailVerified: true, nonce: nonce,
                    codeChallenge: challenge, redirectURI: OpenIDConnectProviderTests.redirectURI))
        }

        var now: Int64 { Int64(Date().timeIntervalSince1970) }
    }

    @Test("the authorization URL carries the client, redirect URI, scope, state, nonce and S256 challenge")
    func authorizationURL() async throws {
        let fixture = try await Fixture()
        let url = try await fixture.provider.authorizationURL(
            redirectURI: Self.redirectURI, state: "st&ate",
            nonce: "n1", codeChallenge: "ch")
        let components = try #require(URLComponents(string: url))
        let query = Dictionary(uniqueKeysWithValues: (components.queryItems ?? []).map { ($0.name, $0.value ?? "") })
        #expect(url.hasPrefix(fixture.local.issuer + "/authorize?"))
        #expect(
            query == [
                "response_type": "code", "client_id": fixture.local.clientID, "redirect_uri": Self.redirectURI,
                "scope": "openid email profile", "state": "st&ate", "nonce": "n1", "code_challenge": "ch",
                "code_challenge_method": "S256",
            ])
        await fixture.close()
    }

    @Test("a code exchanged with its verifier gives the person's verified claims; the code works once")
    func signIn() async throws {
        let fixture = try await Fixture()
        let (verifier, challenge) = Fixture.pkce()
        let code = fixture.code(nonce: "nonce-1", challenge: challenge)
        let claims = try await fixture.provider.signIn(
            code: code, redirectURI: Self.redirectURI, codeVerifier: verifier,
            nonce: "nonce-1", nowSeconds: fixture.now)
        #expect(claims.subject == "248289761001" && claims.email == "jane@example.com" && claims.emailVerified)
        await #expect(throws: SocialError.self) {
            try await fixture.provider.signIn(
                code: code, redirectURI: Self.redirectURI, codeVerifier: verifier,
                nonce: "nonce-1", nowSeconds: fixture.now)
        }
        await fixture.close()
    }

    @Test("refused: a wrong verifier, another nonce, a token signed with an unpublished key, another issuer")
    func refusals() async throws {
        let fixture = try await Fixture()
        let (verifier, challenge) = Fixture.pkce()
        await #expect(throws: SocialError.self) {
            try await fixture.provider.signIn(
                code: fixture.code(nonce: "n", challenge: challenge), redirectURI: Self.redirectURI,
                codeVerifier: Fixture.pkce().verifier, nonce: "n", nowSeconds: fixture.now)
        }
        await #expect(throws: SocialError.self) {
            try await fixture.provider.signIn(
                code: fixture.code(nonce: "n", challenge: challenge), redirectURI: Self.redirectURI,
                codeVerifier: verifier, nonce: "another", nowSeconds: fixture.now)
        }
        fixture.local.misbehavior.withLock { $0 = .foreignKey }
        await #expect(throws: SocialError.self) {
            try await fixture.provider.signIn(
                code: fixture.code(nonce: "n", challenge: challenge), redirectURI: Self.redirectURI,
                codeVerifier: verifier, nonce: "n", nowSeconds: fixture.now)
        }
        fixture.local.misbehavior.withLock { $0 = .wrongIssuer }
        await #expect(throws: SocialError.self) {
            try await fixture.provider.signIn(
                code: fixture.code(nonce: "n", challenge: challenge), redirectURI: Self.redirectURI,
                codeVerifier: verifier, nonce: "n", nowSeconds: fixture.now)
        }
        await fixture.close()
    }

    @Test("the discovery document and the keys are fetched once for many sign-ins")
    func keyCaching() async throws {
        let fixture = try await Fixture()
        for _ in 0..<3 {
            let (verifier, challenge) = Fixture.pkce()
            _ = try await fixture.provider.signIn(
                code: fixture.code(nonce: "n", challenge: challenge),
                redirectURI: Self.redirectURI, codeVerifier: verifier, nonce: "n",
                nowSeconds: fixture.now)
        }
        #expect(fixture.local.jwksFetches.load(ordering: .relaxed) == 1)
        await fixture.close()
    }

    @Test("a provider that answers more than 1 MiB, or redirects elsewhere, is refused rather than followed or read")
    func boundedAnswers() async throws {
        let reached = Mutex(false)
        let elsewhere = try await LocalHTTPServer.start { _ in
            reached.withLock { $0 = true }
            return .json(.ok, ["issuer": "http://elsewhere"])
        }
        let hostile = try await LocalHTTPServer.start { request in
            // A discovery document that would be accepted but for its 2 MiB of padding.
            request.path.hasPrefix("/huge")
                ? .json(
                    .ok,
                    [
                        "issuer":
                            "http://127.0.0.1:\(request.headers.first(name: "host")?.split(separator: ":").last ?? "")/huge",
                        "authorization_endpoint": "a", "token_endpoint": "t", "jwks_uri": "k",
                        "padding": String(repeating: "x", count: 2 << 20),
                    ])
                : .redirect(to: "http://127.0.0.1:\(elsewhere.port)/.well-known/openid-configuration")
        }
        let http = ProviderHTTPClient(timeoutSeconds: 5)
        for issuer in ["http://127.0.0.1:\(hostile.port)/huge", "http://127.0.0.1:\(hostile.port)/moved"] {
            let configuration = try #require(
                try SocialProviderConfiguration.fromEnvironment([
                    "TESSERA_OIDC_PROVIDERS": "x", "TESSERA_OIDC_X_ISSUER": issuer,
                    "TESSERA_OIDC_X_CLIENT_ID": "i", "TESSERA_OIDC_X_CLIENT_SECRET": "s",
                ]).first)
            let error = await #expect(throws: SocialError.self) {
                try await OpenIDConnectProvider(configuration, http: http).metadata()
            }
            #expect(error?.kind == .providerUnavailable)
        }
        #expect(reached.withLock { $0 } == false, "the redirect was followed")
        await http.shutdown()
        await hostile.stop()
        await elsewhere.stop()
    }

    @Test("an unreachable provider is an error naming where, not a hang")
    func unreachable() async throws {
        let http = ProviderHTTPClient(timeoutSeconds: 2)
        let configuration = try #require(
            try SocialProviderConfiguration.fromEnvironment([
                "TESSERA_OIDC_PROVIDERS": "gone", "TESSERA_OIDC_GONE_ISSUER": "http://127.0.0.1:1",
                "TESSERA_OIDC_GONE_CLIENT_ID": "i", "TESSERA_OIDC_GONE_CLIENT_SECRET": "s",
            ]).first)
        await #expect(throws: SocialError.self) {
            try await OpenIDConnectProvider(configuration, http: http).metadata()
        }
        await http.shutdown()
    }
}
