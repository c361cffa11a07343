import Auth
import Crypto
import Foundation
import Synchronization
import Testing

/// A client's back-channel logout endpoint, in memory: every token POSTed, and whether it answers.
final class LogoutReceiver: LogoutTokenDelivery {
    private let state = Mutex<(tokens: [(token: String, url: String)], down: Bool)>(([], false))

    var tokens: [(token: String, url: String)] { state.withLock { $0.tokens } }

    func setDown(_ down: Bool) { state.withLock { $0.down = down } }

    func deliver(_ token: String, to url: String) async -> String? {
        state.withLock { state in
            state.tokens.append((token, url))
            return state.down ? "could not be reached (the test's receiver is down)" : nil
        }
    }
}

/// OpenID Connect logout over HTTP: RP-initiated logout and back-channel logout tokens.
@Suite("OpenID Connect logout: RP-initiated logout ends the browser's session; clients hear of every ended session")
struct OpenIDLogoutTests {
    static let postLogout = "https://rp.example/bye"
    static let backchannel = "https://rp.example/backchannel"

    /// A browser signed in on Tessera's page, an OpenID client (ES256, logout URIs) registered by the superuser,
    /// and a receiver for its back-channel logout.
    struct Setup {
        let harness: HTTPHarness
        let receiver: LogoutReceiver
        let client: String
        let cookies: String
        let csrf: String

        static func make() async throws -> Setup {
            let receiver = LogoutReceiver()
            let harness = try await HTTPHarness(ownConsentPage: true, logoutDelivery: receiver)
            let root = try await UserEndpointTests.superuserToken(harness)
            let registered = try await harness.send(
                "POST", "/api/v1/oauth/provider/clients",
                json: #"""
                    {"client_name":"RP","redirect_uris":["https://rp.example/cb"],"client_type":"public",
                     "scopes":["openid","email","offline_access"],"post_logout_redirect_uris":["\#(postLogout)"],
                     "backchannel_logout_uri":"\#(backchannel)","id_token_signed_response_alg":"ES256"}
                    """#, token: root)
            #expect(registered.status == 201, "\(registered.json)")
            #expect(registered.json["backchannel_logout_uri"] as? String == backchannel)
            _ = try await TestUser.signUp(harness, "pat")
            let csrf = String(repeating: "D", count: 43)
            let signedIn = try await SignInPageTests.signIn(
                harness, csrf: csrf, cookieCSRF: csrf, email: "pat@example.com", password: HTTPHarness.password)
            let session = try #require(SignInPageTests.cookie(signedIn, "tessera_session")).value
            return Setup(
                harness: harness, receiver: receiver, client: try #require(registered.json["client_id"] as? String),
                cookies: "tessera_session=\(session); tessera_csrf=\(csrf)", csrf: csrf)
        }

        /// The browser authorizes the client (approving on the consent page) and the client exchanges the code.
        func tokens(scope: String) async throws -> [String: Any] {
            let verifier = ProviderFixture.verifier()
            let fields = [
                ("response_type", "code"), ("client_id", client), ("redirect_uri", "https://rp.example/cb"),
                ("scope", scope), ("state", "st"), ("nonce", "n1"),
                ("code_challenge", ProviderFixture.challenge(verifier)), ("code_challenge_method", "S256"),
            ]
            let approved = try await harness.send(
                "POST", "/api/v1/oauth/provider/authorize/consent",
                body: SignInPageTests.form(fields + [("approved", "true"), ("csrf", csrf)]),
                headers: ["Content-Type": "application/x-www-form-urlencoded", "Cookie": cookies])
            let code = try #require(ProviderFixture.query(approved.headers["location"])["code"], "\(approved.headers)")
            let answer = try await harness.sendForm(
                "/api/v1/oauth/provider/token",
                [
                    ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", "https://rp.example/cb"),
                    ("client_id", client), ("code_verifier", verifier),
                ])
            #expect(answer.status == 200, "\(answer.json)")
            return answer.json
        }

        /// Whether the grant of a refresh token (`<session id>.<secret>`) is live.
        func isLive(_ refreshToken: String) throws -> Bool {
            harness.auth.engine.activeSession(try #require(UUID(uuidString: String(refreshToken.prefix(36))))) != nil
        }

        /// The same browser signed in anew (the earlier session ended).
        static func signInAgain(_ setup: Setup) async throws -> Setup {
            let signedIn = try await SignInPageTests.signIn(
                setup.harness, csrf: setup.csrf, cookieCSRF: setup.csrf, email: "pat@example.com",
                password: HTTPHarness.password)
            let session = try #require(SignInPageTests.cookie(signedIn, "tessera_session")).value
            return Setup(
                harness: setup.harness, receiver: setup.receiver, client: setup.client,
                cookies: "tessera_session=\(session); tessera_csrf=\(setup.csrf)", csrf: setup.csrf)
        }

        /// Waits (bounded, by progress) until the receiver has `count` tokens.
        func waitForTokens(_ count: Int) async throws {
            for _ in 0..<4_000 where receiver.tokens.count < count { try await Task.sleep(for: .milliseconds(5)) }
            #expect(receiver.tokens.count >= count, "\(harness.logoutReports.all)")
        }
    }

    /// The logout token's signature, checked with the ES256 key the JWKS names.
    static func verifiedClaims(_ token: String, harness: HTTPHarness) async throws -> [String: Any] {
        let header = try OpenIDProviderTests.claims(token, part: 0)
        #expect(header["typ"] as? String == "logout+jwt" && header["alg"] as? String == "ES256")
        let jwks = try await harness.send("GET", "/.well-known/jwks.json")
        let key = try #require(
            (jwks.json["keys"] as? [[String: Any]])?.first { $0["kid"] as? String == header["kid"] as? String })
        func bytes(_ text: Any?) throws -> Data {
            var base64 = try #require(text as? String).replacingOccurrences(of: "-", with: "+")
                .replacingOccurrences(of: "_", with: "/")
            while base64.count % 4 != 0 { base64 += "=" }
            return try #require(Data(base64Encoded: base64))
        }
        let publicKey = try P256.Signing.PublicKey(rawRepresentation: try bytes(key["x"]) + bytes(key["y"]))
        let parts = token.split(separator: ".")
        let signature = try P256.Signing.ECDSASignature(rawRepresentation: try bytes(String(parts[2])))
        #expect(publicKey.isValidSignature(signature, for: Data((parts[0] + "." + parts[1]).utf8)), "the signature")
        return try OpenIDProviderTests.claims(token)
    }

    @Test(
        "signing out of the browser tells the client with a signed logout token (sid, sub, events, no nonce); the online grant ends, the offline one lives"
    )
    func signOutTellsClients() async throws {
        let setup = try await Setup.make()
        defer { Task { await setup.harness.close() } }
        let online = try await setup.tokens(scope: "openid email")
        let offline = try await setup.tokens(scope: "openid offline_access")
        let idToken = try OpenIDProviderTests.claims(try #require(online["id_token"] as? String))
        let sid = try #require(idToken["sid"] as? String)

        let signedOut = try await setup.harness.send(
            "POST", "/signout", body: SignInPageTests.form([("csrf", setup.csrf)]),
            headers: ["Content-Type": "application/x-www-form-urlencoded", "Cookie": setup.cookies])
        #expect(signedOut.status == 303)
        try await setup.waitForTokens(2)
        let received = setup.receiver.tokens
        #expect(received.allSatisfy { $0.url == Self.backchannel })
        for (token, _) in received {
            let claims = try await Self.verifiedClaims(token, harness: setup.harness)
            #expect(claims["iss"] as? String == "http://tessera.test" && claims["aud"] as? String == setup.client)
            #expect(claims["sid"] as? String == sid && claims["sub"] as? String == idToken["sub"] as? String)
            #expect(claims["nonce"] == nil && claims["jti"] != nil && claims["iat"] != nil)
            let events = try #require(claims["events"] as? [String: Any])
            #expect(events["http://schemas.openid.net/event/backchannel-logout"] is [String: Any])
        }
        #expect(try !setup.isLive(try #require(online["refresh_token"] as? String)), "online: ended")
        #expect(try setup.isLive(try #require(offline["refresh_token"] as? String)), "offline: lives on")
    }

    @Test("a receiver that is down gets a bounded number of attempts, each logged; the logout is not held up")
    func receiverDown() async throws {
        let setup = try await Setup.make()
        defer { Task { await setup.harness.close() } }
        setup.receiver.setDown(true)
        _ = try await setup.tokens(scope: "openid")
        let signedOut = try await setup.harness.send(
            "POST", "/signout", body: SignInPageTests.form([("csrf", setup.csrf)]),
            headers: ["Content-Type": "application/x-www-form-urlencoded", "Cookie": setup.cookies])
        #expect(signedOut.status == 303, "answered whatever the client does")
        for _ in 0..<4_000 where !setup.harness.logoutReports.all.contains(where: { $0.contains("given up") }) {
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(setup.receiver.tokens.count == 3, "three attempts, no more")
        let reports = setup.harness.logoutReports.all
        #expect(reports.filter { $0.contains("failed (attempt") }.count == 3)
        #expect(reports.contains { $0.contains("given up after 3 attempts") })
    }

    @Test(
        "RP-initiated logout: with its ID token as hint, the browser is signed out and sent to the registered URI with state; an unregistered URI is never a redirect; without a hint the person is asked"
    )
    func rpInitiated() async throws {
        let setup = try await Setup.make()
        defer { Task { await setup.harness.close() } }
        let idToken = try #require(try await setup.tokens(scope: "openid")["id_token"] as? String)
        func logout(_ query: String, cookies: Bool = true) async throws -> HTTPHarness.Answer {
            try await setup.harness.send(
                "GET", "/api/v1/oauth/provider/logout?" + query, headers: cookies ? ["Cookie": setup.cookies] : [:])
        }
        let enc = { (text: String) in OpenIDProviderTests.encoded(text) }
        let unregistered = try await logout(
            "id_token_hint=\(idToken)&post_logout_redirect_uri=\(enc("https://evil.example/"))")
        #expect(unregistered.status == 400 && unregistered.headers["location"] == nil)
        #expect(String(decoding: unregistered.body, as: UTF8.self).contains("not registered"))
        let forged = try await logout("id_token_hint=\(idToken.dropLast(4))AAAA")
        #expect(forged.status == 400)

        let ask = try await logout("post_logout_redirect_uri=\(enc(Self.postLogout))&client_id=\(setup.client)")
        #expect(ask.status == 200 && String(decoding: ask.body, as: UTF8.self).contains("RP asks to sign you out"))
        let noCSRF = try await setup.harness.send(
            "POST", "/api/v1/oauth/provider/logout", body: SignInPageTests.form([("confirm", "yes")]),
            headers: ["Content-Type": "application/x-www-form-urlencoded", "Cookie": setup.cookies])
        #expect(noCSRF.status == 403)

        let done = try await logout(
            "id_token_hint=\(idToken)&post_logout_redirect_uri=\(enc(Self.postLogout))&state=s%201")
        #expect(done.status == 303 && done.headers["location"] == Self.postLogout + "?state=s%201")
        #expect(done.headers["set-cookie"]?.contains("tessera_session=;") == true, "the cookie is cleared")
        let again = try await setup.harness.send(
            "GET",
            "/api/v1/oauth/provider/authorize?response_type=code&client_id=\(setup.client)"
                + "&redirect_uri=https%3A%2F%2Frp.example%2Fcb&scope=openid&code_challenge=\(ProviderFixture.challenge("v"))"
                + "&code_challenge_method=S256&prompt=none",
            headers: ["Cookie": setup.cookies])
        #expect(ProviderFixture.query(again.headers["location"])["error"] == "login_required", "the session is over")
        try await setup.waitForTokens(1)
    }

    @Test("logging out everywhere, then a deactivation, tell the client of each grant they ended")
    func everywhere() async throws {
        let setup = try await Setup.make()
        defer { Task { await setup.harness.close() } }
        _ = try await setup.tokens(scope: "openid offline_access")
        let login = try await setup.harness.send(
            "POST", "/api/v1/auth/login", json: #"{"email":"pat@example.com","password":"\#(HTTPHarness.password)"}"#)
        let token = try #require(login.json["access_token"] as? String)
        #expect(try await setup.harness.send("POST", "/api/v1/auth/logout-all", token: token).status == 200)
        try await setup.waitForTokens(1)
        let claims = try OpenIDProviderTests.claims(setup.receiver.tokens[0].token)
        #expect(claims["aud"] as? String == setup.client)

        let root = try await setup.harness.send(
            "POST", "/api/v1/auth/login", json: #"{"email":"root@example.com","password":"\#(HTTPHarness.password)"}"#)
        let second = try await Setup.signInAgain(setup)
        _ = try await second.tokens(scope: "openid offline_access")
        let userID = try #require(
            (try await setup.harness.send(
                "POST", "/api/v1/auth/login",
                json: #"{"email":"pat@example.com","password":"\#(HTTPHarness.password)"}"#
            ).json["user"] as? [String: Any])?["id"] as? String)
        let deactivated = try await setup.harness.send(
            "PUT", "/api/v1/admin/users/\(userID)", json: #"{"is_active":false}"#,
            token: try #require(root.json["access_token"] as? String))
        #expect(deactivated.status == 200, "\(deactivated.json)")
        try await setup.waitForTokens(2)
    }

    @Test("a reused refresh token ends the grant, and its client is told")
    func reuse() async throws {
        let setup = try await Setup.make()
        defer { Task { await setup.harness.close() } }
        let tokens = try await setup.tokens(scope: "openid offline_access")
        let first = try #require(tokens["refresh_token"] as? String)
        func refresh(_ token: String) async throws -> HTTPHarness.Answer {
            try await setup.harness.sendForm(
                "/api/v1/oauth/provider/token",
                [("grant_type", "refresh_token"), ("refresh_token", token), ("client_id", setup.client)])
        }
        let second = try await refresh(first)
        let next = try #require(second.json["refresh_token"] as? String)
        _ = try await refresh(next)
        // The first token again, after the grace window's repeat is spent: a reuse.
        let reused = try await refresh(first)
        #expect(reused.status == 400)
        try await setup.waitForTokens(1)
        #expect(try OpenIDProviderTests.claims(setup.receiver.tokens[0].token)["aud"] as? String == setup.client)
    }
}
