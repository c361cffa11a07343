import Foundation
import Testing

/// Tessera's own consent page, over HTTP, for a browser signed in on the sign-in page (no --consent-url).
@Suite("The consent page: asked once per client, scope and resource; a CSRF-checked form; a policy for the redirect")
struct ConsentPageTests {
    /// A provider whose consent step is Tessera's page, a user signed in on the sign-in page, and a public client
    /// that registered itself.
    struct Browser {
        let harness: HTTPHarness
        let client: String
        let cookies: String
        let csrf: String

        static func make() async throws -> Browser {
            let harness = try await HTTPHarness(ownConsentPage: true)
            _ = try await TestUser.signUp(harness, "pat")
            let registered = try await harness.send(
                "POST", "/api/v1/oauth/provider/register",
                json:
                    #"{"redirect_uris":["http://localhost:4040/cb"],"token_endpoint_auth_method":"none","client_name":"<Tool>","scope":"read"}"#
            )
            let client = try #require(registered.json["client_id"] as? String)
            let csrf = String(repeating: "C", count: 43)
            let signedIn = try await SignInPageTests.signIn(
                harness, csrf: csrf, cookieCSRF: csrf, email: "pat@example.com", password: HTTPHarness.password)
            let session = try #require(SignInPageTests.cookie(signedIn, "tessera_session")).value
            return Browser(
                harness: harness, client: client, cookies: "tessera_session=\(session); tessera_csrf=\(csrf)",
                csrf: csrf)
        }

        var authorizePath: String {
            "/api/v1/oauth/provider/authorize?response_type=code&client_id=\(client)"
                + "&redirect_uri=http%3A%2F%2Flocalhost%3A4040%2Fcb&scope=read&state=st"
                + "&code_challenge=\(ProviderFixture.challenge(ProviderFixture.verifier()))&code_challenge_method=S256"
                + "&resource=https%3A%2F%2Fmcp.example%2Fmcp"
        }

        func consent(_ approved: Bool, csrf: String?) async throws -> HTTPHarness.Answer {
            var fields = [
                ("approved", approved ? "true" : "false"), ("response_type", "code"), ("client_id", client),
                ("redirect_uri", "http://localhost:4040/cb"), ("scope", "read"), ("state", "st"),
                ("code_challenge", ProviderFixture.challenge(ProviderFixture.verifier())),
                ("code_challenge_method", "S256"), ("resource", "https://mcp.example/mcp"),
            ]
            if let csrf { fields.append(("csrf", csrf)) }
            return try await harness.send(
                "POST", "/api/v1/oauth/provider/authorize/consent", body: SignInPageTests.form(fields),
                headers: ["Content-Type": "application/x-www-form-urlencoded", "Cookie": cookies])
        }
    }

    @Test(
        "a signed-in browser is asked on the page: the client's name escaped, who registered it, where it goes, the resource"
    )
    func page() async throws {
        let browser = try await Browser.make()
        defer { Task { await browser.harness.close() } }
        let page = try await browser.harness.send("GET", browser.authorizePath, headers: ["Cookie": browser.cookies])
        #expect(page.status == 200)
        let html = String(decoding: page.body, as: UTF8.self)
        #expect(html.contains("Allow &lt;Tool&gt;?") && !html.contains("<Tool>"))
        #expect(html.contains("registered itself") && html.contains("<strong>localhost</strong>"))
        #expect(html.contains("https://mcp.example/mcp"))
        #expect(html.contains("name=\"csrf\" value=\"\(browser.csrf)\""))
        let policy = try #require(page.headers["content-security-policy"])
        #expect(policy.contains("form-action 'self' http://localhost:4040;"), "\(policy)")
        #expect(policy.contains("default-src 'none'") && !policy.contains("script-src"))
        #expect(page.headers["x-frame-options"] == "DENY")
        #expect(page.headers["cache-control"] == "no-store")
    }

    @Test("the consent form without its CSRF token, or with another, is refused and grants nothing")
    func csrf() async throws {
        let browser = try await Browser.make()
        defer { Task { await browser.harness.close() } }
        for token in [nil, String(repeating: "D", count: 43)] {
            let refused = try await browser.consent(true, csrf: token)
            #expect(refused.status == 403, "\(String(describing: token))")
        }
        let page = try await browser.harness.send("GET", browser.authorizePath, headers: ["Cookie": browser.cookies])
        #expect(page.status == 200, "still asked: nothing was granted")
    }

    @Test("Allow sends a code (with iss) and the next request is not asked again; Deny sends access_denied")
    func decide() async throws {
        let browser = try await Browser.make()
        defer { Task { await browser.harness.close() } }
        let denied = try await browser.consent(false, csrf: browser.csrf)
        #expect(denied.status == 302)
        #expect(ProviderFixture.query(denied.headers["location"])["error"] == "access_denied")
        let allowed = try await browser.consent(true, csrf: browser.csrf)
        #expect(allowed.status == 302)
        let query = ProviderFixture.query(allowed.headers["location"])
        #expect(query["code"] != nil && query["iss"] == "http://tessera.test" && query["state"] == "st")
        let again = try await browser.harness.send("GET", browser.authorizePath, headers: ["Cookie": browser.cookies])
        #expect(again.status == 302 && again.headers["location"]?.hasPrefix("http://localhost:4040/cb?code=") == true)
    }

    @Test("a browser whose session was revoked is sent to sign in again")
    func revokedSession() async throws {
        let browser = try await Browser.make()
        defer { Task { await browser.harness.close() } }
        let login = try await browser.harness.send(
            "POST", "/api/v1/auth/login", json: #"{"email":"pat@example.com","password":"\#(HTTPHarness.password)"}"#)
        let token = try #require(login.json["access_token"] as? String)
        #expect(try await browser.harness.send("POST", "/api/v1/auth/logout-all", token: token).status == 200)
        let page = try await browser.harness.send("GET", browser.authorizePath, headers: ["Cookie": browser.cookies])
        #expect(page.status == 303)
        #expect(page.headers["location"]?.hasPrefix("/signin?next=") == true)
    }

    @Test("a browser sent with a request Tessera must refuse gets a page saying why; an API caller the JSON envelope")
    func refusedRequestPage() async throws {
        let browser = try await Browser.make()
        defer { Task { await browser.harness.close() } }
        let path =
            "/api/v1/oauth/provider/authorize?response_type=code&client_id=\(UUID())&redirect_uri=https%3A%2F%2Fx.example%2Fcb"
        let page = try await browser.harness.send(
            "GET", path, headers: ["Cookie": browser.cookies, "Accept": "text/html,application/xhtml+xml,*/*;q=0.8"])
        #expect(page.status == 400)
        #expect(page.headers["content-type"]?.hasPrefix("text/html") == true)
        let html = String(decoding: page.body, as: UTF8.self)
        #expect(html.contains("This request cannot be completed") && html.contains("unknown client"))
        let api = try await browser.harness.send("GET", path, headers: ["Cookie": browser.cookies])
        #expect(api.status == 400 && api.errorCode == "VAL_006")
    }
}
