import Auth
import Engine
import Foundation
import Testing

@Suite(
    "Social login over HTTP: sign-in, linking and unlinking through a local OpenID Connect and a GitHub-like provider")
struct SocialLoginEndpointTests {
    typealias Fixture = SocialLoginFixture

    @Test("the providers are listed with their names, icons and kinds")
    func providers() async throws {
        let fixture = try await Fixture()
        let answer = try await fixture.harness.send("GET", "/api/v1/oauth/providers")
        #expect(answer.status == 200)
        let providers = try #require(answer.json["providers"] as? [[String: String]])
        #expect(
            providers == [
                ["name": "local", "display_name": "Local", "icon": "local", "kind": "oidc"],
                ["name": "github", "display_name": "GitHub", "icon": "github", "kind": "github"],
            ])
        #expect(
            try await fixture.harness.send("GET", "/api/v1/oauth/authorize/nope?redirect_uri=https://a.example/cb")
                .status == 404)
        await fixture.close()
    }

    @Test("a first sign-in makes a user without a password and a real session; the second signs the same user in")
    func firstAndSecondSignIn() async throws {
        let fixture = try await Fixture()
        let first = try await fixture.flow.signIn("local")
        #expect(first.status == 200, "\(first.json)")
        #expect(first.json["is_new_user"] as? Bool == true)
        let user = try #require(first.json["user"] as? [String: Any])
        #expect(user["email"] as? String == "jane@example.com" && user["first_name"] as? String == "Local")
        #expect(user["last_name"] as? String == "Person")
        let token = try #require(first.json["access_token"] as? String)
        #expect(try await fixture.harness.send("GET", "/api/v1/users/me", token: token).status == 200)

        // Its refresh token rotates at /auth/refresh like a password login's.
        let refresh = try #require(first.json["refresh_token"] as? String)
        let rotated = try await fixture.harness.send(
            "POST", "/api/v1/auth/refresh", json: #"{"refresh_token":"\#(refresh)"}"#)
        #expect(rotated.status == 200 && rotated.json["refresh_token"] as? String != refresh)
        #expect(Fixture.userID(rotated) == user["id"] as? String)

        let second = try await fixture.flow.signIn("local")
        #expect(second.status == 200 && second.json["is_new_user"] as? Bool == false)
        #expect(Fixture.userID(second) == user["id"] as? String)
        let sessions = try await fixture.harness.send("GET", "/api/v1/sessions/me", token: token)
        #expect(sessions.json["total"] as? Int == 2)

        let accounts = try await fixture.harness.send("GET", "/api/v1/oauth/accounts", token: token)
        #expect(accounts.json["has_password"] as? Bool == false)
        let linked = try #require(accounts.json["accounts"] as? [[String: Any]])
        #expect(
            linked.count == 1 && linked[0]["provider"] as? String == "local"
                && linked[0]["email_verified"] as? Bool == true)

        // No password was set, so no password opens the account.
        let login = try await fixture.harness.send(
            "POST", "/api/v1/auth/login",
            json: #"{"email":"jane@example.com","password":"\#(HTTPHarness.password)"}"#)
        #expect(login.status == 401 && login.errorCode == "AUTH_001")
        await fixture.close()
    }

    @Test("GitHub: the stable numeric id and the primary verified address from /user/emails")
    func gitHubSignIn() async throws {
        let fixture = try await Fixture()
        let first = try await fixture.flow.signIn("github")
        #expect(first.status == 200 && first.json["is_new_user"] as? Bool == true, "\(first.json)")
        let user = try #require(first.json["user"] as? [String: Any])
        #expect(user["email"] as? String == "octo@example.com" && user["first_name"] as? String == "The")
        // The login name changes at GitHub; the id does not, and still signs the same user in.
        fixture.github.signedIn.withLock { $0.login = "renamed-octocat" }
        let second = try await fixture.flow.signIn("github")
        #expect(second.json["is_new_user"] as? Bool == false && Fixture.userID(second) == user["id"] as? String)

        // A GitHub account whose only address is unverified makes no user.
        fixture.github.signedIn.withLock {
            $0 = .init(id: 9, login: "new", name: nil, emails: [("new@example.com", true, false)])
        }
        let unverified = try await fixture.flow.signIn("github")
        #expect(unverified.status == 403 && unverified.errorCode == "AUTH_007", "\(unverified.json)")
        await fixture.close()
    }

    @Test(
        "a verified email links to the password account that has it; an unverified one neither links nor makes a user")
    func autoLinking() async throws {
        let fixture = try await Fixture()
        let password = try await fixture.harness.signUp("jane@example.com")
        let passwordUser = try #require(Fixture.userID(password))

        fixture.oidc.signedIn.withLock {
            $0 = LocalPerson(subject: "unverified-1", email: "jane@example.com", emailVerified: false)
        }
        let refused = try await fixture.flow.signIn("local")
        #expect(refused.status == 403 && refused.errorCode == "AUTH_007" && refused.errorField == "email")
        let token = try #require(password.json["access_token"] as? String)
        let none = try await fixture.harness.send("GET", "/api/v1/oauth/accounts", token: token)
        #expect((none.json["accounts"] as? [Any])?.isEmpty == true)
        fixture.oidc.signedIn.withLock {
            $0 = LocalPerson(subject: "unverified-2", email: "nobody@example.com", emailVerified: false)
        }
        #expect(try await fixture.flow.signIn("local").status == 403)
        #expect(await fixture.harness.auth.engine.user(email: "nobody@example.com") == nil)

        fixture.oidc.signedIn.withLock { $0 = LocalPerson(subject: "verified-1", email: "JANE@example.com") }
        let linked = try await fixture.flow.signIn("local")
        #expect(linked.status == 200 && linked.json["is_new_user"] as? Bool == false)
        #expect(Fixture.userID(linked) == passwordUser)
        let accounts = try await fixture.harness.send("GET", "/api/v1/oauth/accounts", token: token)
        #expect(accounts.json["has_password"] as? Bool == true && (accounts.json["accounts"] as? [Any])?.count == 1)
        await fixture.close()
    }

    @Test("with unverified emails trusted (configured), an unverified email links")
    func trustedUnverifiedEmails() async throws {
        let fixture = try await Fixture(trustUnverifiedEmails: true)
        let password = try await fixture.harness.signUp("jane@example.com")
        fixture.oidc.signedIn.withLock {
            $0 = LocalPerson(subject: "unverified-1", email: "jane@example.com", emailVerified: false)
        }
        let linked = try await fixture.flow.signIn("local")
        #expect(linked.status == 200 && Fixture.userID(linked) == Fixture.userID(password))
        await fixture.close()
    }

    @Test("a state works once, only in the browser that started it, only for its provider")
    func stateRules() async throws {
        let fixture = try await Fixture()
        let browser = SocialFlow.Browser()
        let started = try await fixture.flow.authorize("local", browser: browser)
        #expect(started.headers["set-cookie"]?.contains("HttpOnly") == true)
        #expect(started.headers["set-cookie"]?.contains("Path=/api/v1/oauth") == true)
        let (code, state) = try await fixture.flow.visitProvider(
            try #require(started.json["authorization_url"] as? String))

        let noCookie = try await fixture.flow.finish("local", code: code, state: state, browser: SocialFlow.Browser())
        #expect(noCookie.status == 400 && noCookie.errorCode == "AUTH_003" && noCookie.errorField == "state")
        let otherBrowser = SocialFlow.Browser()
        _ = try await fixture.flow.authorize("local", browser: otherBrowser)
        #expect(try await fixture.flow.finish("local", code: code, state: state, browser: otherBrowser).status == 400)
        #expect(try await fixture.flow.finish("github", code: code, state: state, browser: browser).status == 400)
        #expect(
            try await fixture.flow.finish("local", code: code, state: "not-a-state", browser: browser).status == 400)

        // None of those spent it: its own browser finishes, once.
        #expect(try await fixture.flow.finish("local", code: code, state: state, browser: browser).status == 200)
        let again = try await fixture.flow.finish("local", code: code, state: state, browser: browser)
        #expect(again.status == 400 && again.errorCode == "AUTH_003")
        await fixture.close()
    }

    @Test("first sign-ins of one identity racing each other make one user, and all of them sign it in")
    func racingFirstSignIns() async throws {
        let fixture = try await Fixture()
        var pending: [(SocialFlow.Browser, String, String)] = []
        for _ in 0..<6 {
            let browser = SocialFlow.Browser()
            let started = try await fixture.flow.authorize("local", browser: browser)
            let (code, state) = try await fixture.flow.visitProvider(
                try #require(started.json["authorization_url"] as? String))
            pending.append((browser, code, state))
        }
        let flow = fixture.flow
        let answers = try await withThrowingTaskGroup(of: HTTPHarness.Answer.self) { group in
            for (browser, code, state) in pending {
                group.addTask { try await flow.finish("local", code: code, state: state, browser: browser) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(answers.allSatisfy { $0.status == 200 }, "\(answers.map(\.json))")
        #expect(Set(answers.compactMap(Fixture.userID)).count == 1)
        #expect(answers.filter { $0.json["is_new_user"] as? Bool == true }.count == 1)
        await fixture.close()
    }

    @Test("a browser keeps one binding, so two flows started in it both finish")
    func twoTabs() async throws {
        let fixture = try await Fixture()
        let browser = SocialFlow.Browser()
        let first = try await fixture.flow.authorize("local", browser: browser)
        let cookie = browser.cookie
        let second = try await fixture.flow.authorize("github", browser: browser)
        #expect(browser.cookie == cookie)
        let (firstCode, firstState) = try await fixture.flow.visitProvider(
            try #require(first.json["authorization_url"] as? String))
        let (secondCode, secondState) = try await fixture.flow.visitProvider(
            try #require(second.json["authorization_url"] as? String))
        #expect(
            try await fixture.flow.finish("github", code: secondCode, state: secondState, browser: browser).status
                == 200)
        #expect(
            try await fixture.flow.finish("local", code: firstCode, state: firstState, browser: browser).status == 200)
        await fixture.close()
    }

    @Test("after ten minutes a state is refused")
    func expiredState() async throws {
        let clock = ManualClock(milliseconds: Int64(Date().timeIntervalSince1970 * 1000))
        let fixture = try await Fixture(clock: clock)
        let browser = SocialFlow.Browser()
        let started = try await fixture.flow.authorize("local", browser: browser)
        let (code, state) = try await fixture.flow.visitProvider(
            try #require(started.json["authorization_url"] as? String))
        clock.advance(byMilliseconds: 600_001)
        let late = try await fixture.flow.finish("local", code: code, state: state, browser: browser)
        #expect(late.status == 400 && late.errorCode == "AUTH_003")
        #expect(await fixture.harness.auth.engine.user(email: "jane@example.com") == nil)
        await fixture.close()
    }

    @Test("a forged ID token, a wrong nonce, another issuer or a refused code signs no one in")
    func forgeries() async throws {
        let fixture = try await Fixture()
        for misbehavior in [LocalOpenIDProvider.Misbehavior.foreignKey, .wrongNonce, .wrongIssuer] {
            fixture.oidc.misbehavior.withLock { $0 = misbehavior }
            let answer = try await fixture.flow.signIn("local")
            #expect(answer.status == 400 && answer.errorCode == "AUTH_003", "\(misbehavior): \(answer.json)")
        }
        fixture.oidc.misbehavior.withLock { $0 = .none }
        let browser = SocialFlow.Browser()
        let started = try await fixture.flow.authorize("local", browser: browser)
        let (_, state) = try await fixture.flow.visitProvider(
            try #require(started.json["authorization_url"] as? String))
        let refused = try await fixture.flow.finish("local", code: "made-up", state: state, browser: browser)
        #expect(refused.status == 400 && refused.errorField == "code")
        #expect(await fixture.harness.auth.engine.user(email: "jane@example.com") == nil)
        await fixture.close()
    }

    @Test(
        "linking: started with a Bearer token, finished at /link by the same user; then the account signs that user in")
    func linking() async throws {
        let fixture = try await Fixture()
        let password = try await fixture.harness.signUp("someone@example.com")
        let token = try #require(password.json["access_token"] as? String)

        let browser = SocialFlow.Browser()
        let started = try await fixture.flow.authorize("github", browser: browser, token: token)
        let (code, state) = try await fixture.flow.visitProvider(
            try #require(started.json["authorization_url"] as? String))
        let other = try await fixture.harness.signUp("other@example.com")
        let otherToken = try #require(other.json["access_token"] as? String)
        #expect(
            try await fixture.flow.finish("github", code: code, state: state, browser: browser, token: otherToken)
                .status == 400)
        let linked = try await fixture.flow.finish("github", code: code, state: state, browser: browser, token: token)
        #expect(linked.status == 200 && linked.json["provider"] as? String == "github", "\(linked.json)")
        #expect(linked.json["email"] as? String == "octo@example.com")

        let signIn = try await fixture.flow.signIn("github")
        #expect(signIn.json["is_new_user"] as? Bool == false && Fixture.userID(signIn) == Fixture.userID(password))
        // The same GitHub account cannot also link to another user.
        let taken = try await fixture.flow.signIn("github", token: otherToken)
        #expect(taken.status == 409 && taken.errorCode == "USER_002")
        #expect(
            try await fixture.harness.send(
                "GET", "/api/v1/oauth/authorize/github?redirect_uri=https://a.example/cb",
                token: "not-a-token"
            ).status == 401)
        await fixture.close()
    }

    @Test(
        "linking as the original backend did it: POST /link starts it, the callback finishes it for that user and browser only"
    )
    func linkingStartedAtLink() async throws {
        let fixture = try await Fixture()
        let password = try await fixture.harness.signUp("someone@example.com")
        let token = try #require(password.json["access_token"] as? String)
        let browser = SocialFlow.Browser()
        let started = try await HTTPHarness.send(
            port: fixture.harness.server.port, "POST", "/api/v1/oauth/link/github",
            json: #"{"redirect_uri":"\#(SocialFlow.redirectURI)"}"#, token: token,
            headers: browser.headers)
        #expect(started.status == 200, "\(started.json)")
        browser.keep(started)
        let (code, state) = try await fixture.flow.visitProvider(
            try #require(started.json["authorization_url"] as? String))
        #expect(state == started.json["state"] as? String)
        // Another browser cannot finish it.
        #expect(
            try await fixture.flow.finish("github", code: code, state: state, browser: SocialFlow.Browser()).status
                == 400)
        let linked = try await fixture.flow.finish("github", code: code, state: state, browser: browser)
        #expect(linked.status == 200 && linked.json["provider"] as? String == "github", "\(linked.json)")
        #expect(linked.json["access_token"] == nil, "finishing a linking signs nobody in")
        let accounts = try await fixture.harness.send("GET", "/api/v1/oauth/accounts", token: token)
        #expect((accounts.json["accounts"] as? [[String: Any]])?.count == 1)
        let signIn = try await fixture.flow.signIn("github")
        #expect(Fixture.userID(signIn) == Fixture.userID(password))
        #expect(
            try await HTTPHarness.send(port: fixture.harness.server.port, "POST", "/api/v1/oauth/link/github").status
                == 401)
        await fixture.close()
    }

    @Test("unlinking: refused for the last way to sign in, allowed while another remains")
    func unlinking() async throws {
        let fixture = try await Fixture()
        let first = try await fixture.flow.signIn("local")
        let token = try #require(first.json["access_token"] as? String)
        let last = try await fixture.harness.send("DELETE", "/api/v1/oauth/accounts/local", token: token)
        #expect(last.status == 403 && last.errorCode == "AUTH_007")

        #expect(try await fixture.flow.signIn("github", token: token).status == 200)
        #expect(try await fixture.harness.send("DELETE", "/api/v1/oauth/accounts/local", token: token).status == 200)
        #expect(try await fixture.harness.send("DELETE", "/api/v1/oauth/accounts/local", token: token).status == 404)
        #expect(try await fixture.harness.send("DELETE", "/api/v1/oauth/accounts/github", token: token).status == 403)
        #expect(try await fixture.harness.send("DELETE", "/api/v1/oauth/accounts/github").status == 401)

        // Unlinked, the identity is free: signing in with it makes nobody new (its email is this user's, verified).
        let again = try await fixture.flow.signIn("local")
        #expect(again.status == 200 && Fixture.userID(again) == Fixture.userID(first))
        await fixture.close()
    }

    @Test("a user a social sign-in made sets a password by reset; then it logs in with it and may unlink its account")
    func passwordAfterSocialSignIn() async throws {
        let fixture = try await Fixture()
        let first = try await fixture.flow.signIn("local")
        let harness = fixture.harness
        #expect(
            try await harness.send(
                "POST", "/api/v1/auth/password-reset/request",
                json: #"{"email":"jane@example.com"}"#
            ).status == 200)
        #expect(try await PasswordResetTests.mails(harness, count: 1).count == 1)
        let token = try #require(try PasswordResetTests.lastToken(harness))
        let reset = try await harness.send(
            "POST", "/api/v1/auth/password-reset/confirm",
            json: #"{"token":"\#(token)","new_password":"\#(HTTPHarness.password)"}"#)
        #expect(reset.status == 200, "\(reset.json)")
        let login = try await harness.send(
            "POST", "/api/v1/auth/login",
            json: #"{"email":"jane@example.com","password":"\#(HTTPHarness.password)"}"#)
        #expect(login.status == 200 && Fixture.userID(login) == Fixture.userID(first))
        let access = try #require(login.json["access_token"] as? String)
        #expect(try await harness.send("DELETE", "/api/v1/oauth/accounts/local", token: access).status == 200)
        let accounts = try await harness.send("GET", "/api/v1/oauth/accounts", token: access)
        #expect(
            accounts.json["has_password"] as? Bool == true && (accounts.json["accounts"] as? [Any])?.isEmpty == true)
        await fixture.close()
    }

    @Test("a deactivated user cannot sign in with a provider")
    func inactiveUser() async throws {
        let fixture = try await Fixture()
        let first = try await fixture.flow.signIn("local")
        let id = try #require(Fixture.userID(first).flatMap(UUID.init(uuidString:)))
        _ = try await fixture.harness.auth.engine.setActive(userID: id, false)
        let refused = try await fixture.flow.signIn("local")
        #expect(refused.status == 403 && refused.errorCode == "AUTH_005")
        await fixture.close()
    }

    @Test("bad input: a missing or foreign redirect URI, a malformed body")
    func badInput() async throws {
        let fixture = try await Fixture()
        let missing = try await fixture.harness.send("GET", "/api/v1/oauth/authorize/local")
        #expect(missing.status == 422 && missing.errorField == "redirect_uri")
        let plain = try await fixture.harness.send(
            "GET", "/api/v1/oauth/authorize/local?redirect_uri=http://evil.example/cb")
        #expect(plain.status == 422 && plain.errorField == "redirect_uri")
        let relative = try await fixture.harness.send("GET", "/api/v1/oauth/authorize/local?redirect_uri=/cb")
        #expect(relative.status == 422)
        let body = try await fixture.harness.send("POST", "/api/v1/oauth/callback/local", json: #"{"code":1}"#)
        #expect(body.status == 422)
        await fixture.close()
    }
}
