import Foundation
import Synchronization
import Testing

/// The sign-in page's providers: a browser signs in with a social login provider and comes back signed in, with
/// a browser session like the password form's, to where it was going.
@Suite("Tessera's sign-in page signs in with the configured social login providers")
struct SocialSignInPageTests {
    /// A browser's cookie jar: every `name=value` Tessera set, sent back on each request.
    final class Jar: Sendable {
        private let jar = Mutex<[String: String]>([:])

        var cookies: [String: String] { jar.withLock { $0 } }

        func keep(_ answer: HTTPHarness.Answer) {
            for cookie in answer.headers["set-cookie"]?.split(separator: "\n") ?? [] {
                guard let pair = cookie.split(separator: ";").first else { continue }
                let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                jar.withLock { cookies in
                    if cookie.contains("Max-Age=0") {
                        cookies[parts[0]] = nil
                    } else if parts.count == 2 {
                        cookies[parts[0]] = parts[1]
                    }
                }
            }
        }

        var headers: [String: String] {
            cookies.isEmpty ? [:] : ["Cookie": cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")]
        }
    }

    static let next = "/api/v1/oauth/provider/consents"

    static func start(_ fixture: SocialLoginFixture, _ jar: Jar, provider: String = "local") async throws -> String {
        let started = try await fixture.harness.send(
            "GET", "/signin/\(provider)?next=" + next.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!,
            headers: jar.headers)
        #expect(started.status == 303, "\(String(decoding: started.body, as: UTF8.self))")
        jar.keep(started)
        return try #require(started.headers["location"])
    }

    /// The provider's page: it signs in at once and sends the browser back with a code and the state.
    static func visitProvider(_ url: String) async throws -> String {
        let parts = try #require(URLComponents(string: url))
        let answer = try await PlainHTTPClient.send(
            port: try #require(parts.port), method: "GET",
            path: parts.percentEncodedPath + "?" + (parts.percentEncodedQuery ?? ""), headers: [], body: nil)
        #expect(answer.status == 302)
        return try #require(answer.headers["location"])
    }

    static func callbackPath(_ location: String) throws -> String {
        let parts = try #require(URLComponents(string: location))
        #expect(parts.path == "/signin/local/callback")
        return parts.percentEncodedPath + "?" + (parts.percentEncodedQuery ?? "")
    }

    @Test("the page offers each provider; its button signs in and goes on to where the browser was going")
    func signsIn() async throws {
        let fixture = try await SocialLoginFixture(issuer: "http://localhost")
        defer { Task { await fixture.close() } }
        let page = try await fixture.harness.send("GET", "/signin?next=%2Fsomewhere")
        let html = String(decoding: page.body, as: UTF8.self)
        #expect(html.contains("href=\"/signin/local?next=%2Fsomewhere\""), "\(html)")
        #expect(html.contains("href=\"/signin/github?next=%2Fsomewhere\""))
        #expect(html.contains("Continue with GitHub"))

        let jar = Jar()
        let authorization = try await Self.start(fixture, jar)
        #expect(
            URLComponents(string: authorization)?.queryItems?.first { $0.name == "redirect_uri" }?.value
                == "http://localhost/signin/local/callback", "the provider sends the browser back to Tessera's page")
        #expect(jar.cookies["tessera_signin_binding"] != nil && jar.cookies["tessera_signin_next"] != nil)
        let back = try await Self.visitProvider(authorization)
        let finished = try await fixture.harness.send("GET", try Self.callbackPath(back), headers: jar.headers)
        #expect(finished.status == 303, "\(String(decoding: finished.body, as: UTF8.self))")
        #expect(finished.headers["location"] == Self.next)
        jar.keep(finished)
        #expect(jar.cookies["tessera_session"] != nil, "a browser session, as the password form gives")
        #expect(jar.cookies["tessera_signin_next"] == nil)

        // The session is a real one: the authorization endpoint knows the browser (no detour to /signin).
        let authorize = try await fixture.harness.send(
            "GET", "/api/v1/oauth/provider/authorize?response_type=code&client_id=\(UUID())", headers: jar.headers)
        #expect(authorize.status == 400, "signed in: the request itself is judged (an unknown client)")
    }

    @Test(
        "a callback without the browser's binding, a provider's error and an unknown provider show the sign-in page with why"
    )
    func failures() async throws {
        let fixture = try await SocialLoginFixture(issuer: "http://localhost")
        defer { Task { await fixture.close() } }
        let jar = Jar()
        let back = try await Self.visitProvider(try await Self.start(fixture, jar))
        let elsewhere = try await fixture.harness.send("GET", try Self.callbackPath(back))
        #expect(elsewhere.status == 400)
        #expect(String(decoding: elsewhere.body, as: UTF8.self).contains("began in another browser"))
        #expect(elsewhere.headers["set-cookie"]?.contains("tessera_session") != true)

        let cancelled = try await fixture.harness.send(
            "GET", "/signin/local/callback?error=access_denied&state=x", headers: jar.headers)
        #expect(cancelled.status == 400)
        #expect(String(decoding: cancelled.body, as: UTF8.self).contains("was cancelled"))

        let unknown = try await fixture.harness.send("GET", "/signin/nowhere")
        #expect(unknown.status == 404)
        #expect(String(decoding: unknown.body, as: UTF8.self).contains("no such way to sign in"))
    }

    @Test("an issuer a provider cannot send a browser back to is said on the page, not a crash")
    func issuerNotReachable() async throws {
        let fixture = try await SocialLoginFixture()
        defer { Task { await fixture.close() } }
        let answer = try await fixture.harness.send("GET", "/signin/local")
        #expect(answer.status == 503)
        #expect(String(decoding: answer.body, as: UTF8.self).contains("is not set up"))
    }

    @Test("in headless Chromium, the provider's button on the sign-in page signs a person in and goes on to next")
    func realBrowser() async throws {
        let folder = TemporaryFolder("social-pages")
        defer { folder.remove() }
        let provider = try await LocalOpenIDProvider.start()
        let port = try OAuthInteropTests.freePort()
        let server = try ServerProcess(
            data: folder.path + "/data", outputPath: folder.path + "/serve.log",
            arguments: ["--port", String(port), "--issuer", "http://127.0.0.1:\(port)"],
            environment: provider.environment())
        defer { server.kill9() }
        let artefacts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/test-artifacts/pages").path
        let (status, text) = try ChildProcess.python(
            "social_browser.py", ["http://127.0.0.1:\(port)", artefacts, "Local", "jane@example.com"])
        await provider.stop()
        #expect(status == 0, "\(text)")
        #expect(text.contains("all checks passed"), "\(text)")
    }
}
