import Crypto
import Foundation
import Testing

/// Tessera as an OpenID Connect provider over HTTP: discovery, ID tokens, userinfo, and the request parameters
/// that decide whether a user signs in again. Real relying-party libraries check the signatures
/// (Tests/Interop); these tests check the claims and the rules.
@Suite("OpenID Connect provider: discovery, ID tokens, userinfo, prompt and max_age")
struct OpenIDProviderTests {
    static func claims(_ jwt: String, part: Int = 1) throws -> [String: Any] {
        var base64 = String(jwt.split(separator: ".")[part]).replacingOccurrences(of: "-", with: "+")
            .replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return try #require(try JSONSerialization.jsonObject(with: Data(base64Encoded: base64)!) as? [String: Any])
    }

    static func encoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(["-", "_", "."]))!
    }

    /// A public client that may ask for OpenID Connect's scopes, registered by the superuser.
    static func client(_ fixture: ProviderFixture) async throws -> String {
        let answer = try await fixture.harness.send(
            "POST", "/api/v1/oauth/provider/clients",
            json:
                #"{"client_name":"RP","redirect_uris":["\#(ProviderFixture.redirect)"],"client_type":"public","scopes":["openid","profile","email","offline_access","read"]}"#,
            token: fixture.root)
        return try #require(answer.json["client_id"] as? String)
    }

    /// The authorize path for `client` with these extra parameters.
    static func path(
        _ client: String, challenge: String, scope: String, _ extra: [(String, String)] = []
    ) -> String {
        let fields =
            [
                ("response_type", "code"), ("client_id", client),
                ("redirect_uri", ProviderFixture.redirect), ("scope", scope), ("state", "st"),
                ("code_challenge", challenge), ("code_challenge_method", "S256"),
            ] + extra
        return "/api/v1/oauth/provider/authorize?" + fields.map { "\($0.0)=\(encoded($0.1))" }.joined(separator: "&")
    }

    /// Authorizes with the user's Bearer token (consenting on the external consent step when asked) and
    /// exchanges the code: the token answer.
    static func tokens(
        _ fixture: ProviderFixture, client: String, scope: String, extra: [(String, String)] = []
    ) async throws -> [String: Any] {
        let verifier = ProviderFixture.verifier()
        let challenge = ProviderFixture.challenge(verifier)
        var answer = try await fixture.harness.send(
            "GET", path(client, challenge: challenge, scope: scope, extra), token: fixture.user.token)
        if answer.headers["location"]?.hasPrefix("https://app.example/oauth/consent") == true {
            let fields =
                [
                    ("approved", "true"), ("response_type", "code"), ("client_id", client),
                    ("redirect_uri", ProviderFixture.redirect), ("scope", scope), ("state", "st"),
                    ("code_challenge", challenge), ("code_challenge_method", "S256"),
                ] + extra
            answer = try await fixture.harness.sendForm(
                "/api/v1/oauth/provider/authorize/consent", fields, token: fixture.user.token)
        }
        let code = try #require(ProviderFixture.query(answer.headers["location"])["code"], "\(answer.headers)")
        let exchanged = try await fixture.harness.sendForm(
            "/api/v1/oauth/provider/token",
            [
                ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", ProviderFixture.redirect),
                ("client_id", client), ("code_verifier", verifier),
            ])
        #expect(exchanged.status == 200, "\(exchanged.json)")
        return exchanged.json
    }

    @Test(
        "discovery: one document at both addresses, naming userinfo, the ID token algorithms and what is not supported")
    func discovery() async throws {
        let fixture = try await ProviderFixture.make()
        defer { Task { await fixture.harness.close() } }
        let oidc = try await fixture.harness.send("GET", "/.well-known/openid-configuration")
        let oauth = try await fixture.harness.send("GET", "/.well-known/oauth-authorization-server")
        #expect(oidc.status == 200 && oidc.body == oauth.body, "the same issuer and endpoints, byte for byte")
        let document = oidc.json
        #expect(document["issuer"] as? String == "http://tessera.test")
        #expect(document["userinfo_endpoint"] as? String == "http://tessera.test/api/v1/oauth/provider/userinfo")
        #expect(document["subject_types_supported"] as? [String] == ["public"])
        #expect(document["id_token_signing_alg_values_supported"] as? [String] == ["RS256", "ES256", "EdDSA"])
        #expect(document["request_uri_parameter_supported"] as? Bool == false)
        #expect((document["claims_supported"] as? [String])?.contains("at_hash") == true)
    }

    @Test(
        "a code for openid gives an ID token: iss, sub, aud, azp, iat, exp, auth_time, sid, the nonce, at_hash, the user's claims by scope; RS256 with a published kid"
    )
    func idToken() async throws {
        let fixture = try await ProviderFixture.make()
        defer { Task { await fixture.harness.close() } }
        let client = try await Self.client(fixture)
        let answer = try await Self.tokens(
            fixture, client: client, scope: "openid profile email", extra: [("nonce", "n-0S6_WzA2Mj")])
        let idToken = try #require(answer["id_token"] as? String)
        let accessToken = try #require(answer["access_token"] as? String)
        let header = try Self.claims(idToken, part: 0)
        #expect(header["alg"] as? String == "RS256" && header["typ"] as? String == "JWT")
        let jwks = try await fixture.harness.send("GET", "/.well-known/jwks.json")
        let kids = (jwks.json["keys"] as? [[String: Any]])?.compactMap { $0["kid"] as? String } ?? []
        #expect(kids.contains(header["kid"] as? String ?? "?"))

        let claims = try Self.claims(idToken)
        #expect(claims["iss"] as? String == "http://tessera.test")
        #expect(claims["sub"] as? String == fixture.user.id.lowercased())
        #expect(claims["aud"] as? String == client && claims["azp"] as? String == client)
        #expect(claims["nonce"] as? String == "n-0S6_WzA2Mj")
        let iat = try #require(claims["iat"] as? Int)
        #expect(claims["exp"] as? Int == iat + 3600)
        #expect((claims["auth_time"] as? Int).map { $0 <= iat } == true)
        #expect((claims["sid"] as? String)?.count == 36)
        let hash = Data(SHA256.hash(data: Data(accessToken.utf8)).prefix(16)).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        #expect(claims["at_hash"] as? String == hash)
        #expect(claims["email"] as? String == "ada@example.com" && claims["email_verified"] as? Bool == false)
        #expect(claims["given_name"] as? String == "A" && claims["name"] as? String == "A")

        // A refresh gives a new ID token for the same sign-in, without the nonce.
        let refreshed = try await fixture.harness.sendForm(
            "/api/v1/oauth/provider/token",
            [
                ("grant_type", "refresh_token"), ("refresh_token", try #require(answer["refresh_token"] as? String)),
                ("client_id", client),
            ])
        let again = try Self.claims(try #require(refreshed.json["id_token"] as? String))
        #expect(again["nonce"] == nil && again["sub"] as? String == claims["sub"] as? String)
        #expect(
            again["auth_time"] as? Int == claims["auth_time"] as? Int
                && again["sid"] as? String == claims["sid"] as? String)

        // Without openid, no ID token; without a nonce in the request, none in the token.
        #expect(try await Self.tokens(fixture, client: client, scope: "read")["id_token"] == nil)
        let plain = try Self.claims(
            try #require(try await Self.tokens(fixture, client: client, scope: "openid")["id_token"] as? String))
        #expect(plain["nonce"] == nil && plain["email"] == nil && plain["name"] == nil, "claims by scope only")
    }

    @Test(
        "userinfo answers by scope for GET and POST; no token, a dead token or one without openid is refused as RFC 6750 says"
    )
    func userinfo() async throws {
        let fixture = try await ProviderFixture.make()
        defer { Task { await fixture.harness.close() } }
        let client = try await Self.client(fixture)
        let answer = try await Self.tokens(fixture, client: client, scope: "openid email")
        let token = try #require(answer["access_token"] as? String)
        let got = try await fixture.harness.send("GET", "/api/v1/oauth/provider/userinfo", token: token)
        #expect(got.status == 200)
        #expect(got.json["sub"] as? String == fixture.user.id.lowercased())
        #expect(got.json["email"] as? String == "ada@example.com" && got.json["name"] == nil)
        let posted = try await fixture.harness.send("POST", "/api/v1/oauth/provider/userinfo", token: token)
        #expect(posted.status == 200 && posted.json["sub"] as? String == fixture.user.id.lowercased())

        let none = try await fixture.harness.send("GET", "/api/v1/oauth/provider/userinfo")
        #expect(none.status == 401 && none.headers["www-authenticate"]?.hasPrefix("Bearer") == true)
        let withoutOpenID = try #require(
            try await Self.tokens(fixture, client: client, scope: "read")["access_token"] as? String)
        let forbidden = try await fixture.harness.send("GET", "/api/v1/oauth/provider/userinfo", token: withoutOpenID)
        #expect(
            forbidden.status == 403 && forbidden.headers["www-authenticate"]?.contains("insufficient_scope") == true)
        let firstParty = try await fixture.harness.send(
            "GET", "/api/v1/oauth/provider/userinfo", token: fixture.user.token)
        #expect(firstParty.status == 401 && firstParty.headers["www-authenticate"]?.contains("invalid_token") == true)
        _ = try await fixture.harness.sendForm(
            "/api/v1/oauth/provider/revoke",
            [("token", try #require(answer["refresh_token"] as? String)), ("client_id", client)])
        let revoked = try await fixture.harness.send("GET", "/api/v1/oauth/provider/userinfo", token: token)
        #expect(revoked.status == 401, "revocation is immediate")
    }

    @Test(
        "prompt=none never shows a page: login_required without a session, consent_required without a consent; max_age and prompt=login send a browser to sign in again, an API caller gets login_required"
    )
    func promptAndMaxAge() async throws {
        let browser = try await ConsentPageTests.Browser.make()
        defer { Task { await browser.harness.close() } }
        let harness = browser.harness
        let base =
            "/api/v1/oauth/provider/authorize?response_type=code&client_id=\(browser.client)"
            + "&redirect_uri=http%3A%2F%2Flocalhost%3A4040%2Fcb&scope=read&state=st"
            + "&code_challenge=\(ProviderFixture.challenge("v"))&code_challenge_method=S256"
        func query(_ answer: HTTPHarness.Answer) -> [String: String] {
            ProviderFixture.query(answer.headers["location"])
        }

        let anonymous = try await harness.send("GET", base + "&prompt=none")
        #expect(anonymous.status == 302 && query(anonymous)["error"] == "login_required")
        #expect(query(anonymous)["state"] == "st" && query(anonymous)["iss"] == "http://tessera.test")
        let noConsent = try await harness.send("GET", base + "&prompt=none", headers: ["Cookie": browser.cookies])
        #expect(noConsent.status == 302 && query(noConsent)["error"] == "consent_required")

        let hinted = try await harness.send("GET", base + "&login_hint=pat%40example.com")
        #expect(hinted.status == 303)
        let signIn = try #require(hinted.headers["location"])
        #expect(signIn.contains("login_hint=pat%40example.com"))
        let page = try await harness.send("GET", signIn)
        #expect(
            String(decoding: page.body, as: UTF8.self).contains(#"value="pat@example.com""#), "the hint fills the email"
        )

        let login = try await harness.send("GET", base + "&prompt=login", headers: ["Cookie": browser.cookies])
        #expect(login.status == 303 && login.headers["location"]?.hasPrefix("/signin?next=") == true)
        let next = try #require(
            URLComponents(string: login.headers["location"]!)?.queryItems?.first { $0.name == "next" }?.value)
        #expect(!next.contains("prompt=login"), "coming back, the sign-in just made satisfies it")
        let zero = try await harness.send("GET", base + "&max_age=0", headers: ["Cookie": browser.cookies])
        #expect(zero.status == 303)
        let recent = try await harness.send("GET", base + "&max_age=3600", headers: ["Cookie": browser.cookies])
        #expect(recent.status == 200, "signed in within the hour: the consent page")

        for bad in ["&prompt=none%20login", "&prompt=sometimes", "&max_age=-1", "&request=eyJ", "&claims=%7B%7D"] {
            let refused = try await harness.send("GET", base + bad, headers: ["Cookie": browser.cookies])
            #expect(refused.status == 302, "\(bad)")
            #expect(["invalid_request", "request_not_supported"].contains(query(refused)["error"] ?? ""), "\(bad)")
        }
    }

    @Test("an API caller asking for a fresh sign-in gets login_required: it cannot be sent to the sign-in page")
    func apiCallerCannotSignInAgain() async throws {
        let fixture = try await ProviderFixture.make()
        defer { Task { await fixture.harness.close() } }
        let client = try await Self.client(fixture)
        let answer = try await fixture.harness.send(
            "GET", Self.path(client, challenge: ProviderFixture.challenge("v"), scope: "openid", [("prompt", "login")]),
            token: fixture.user.token)
        #expect(answer.status == 302 && ProviderFixture.query(answer.headers["location"])["error"] == "login_required")
    }
}
