import Auth
import Engine
import Foundation
import Social
import Synchronization
import Testing

/// Tessera over HTTP with social login through a local OpenID Connect provider (`local`) and a GitHub-like one
/// (`github`).
struct SocialLoginFixture {
    let oidc: LocalOpenIDProvider
    let github: LocalGitHubProvider
    let http: ProviderHTTPClient
    let harness: HTTPHarness
    var flow: SocialFlow { SocialFlow(port: harness.server.port) }

    init(
        trustUnverifiedEmails: Bool = false, clock: ManualClock? = nil, issuer: String = "http://tessera.test"
    )
        async throws
    {
        oidc = try await LocalOpenIDProvider.start()
        github = try await LocalGitHubProvider.start()
        let http = ProviderHTTPClient(timeoutSeconds: 5)
        self.http = http
        let configurations = try SocialProviderConfiguration.fromEnvironment(
            oidc.environment().merging(github.environment) { $1 })
        harness = try await HTTPHarness(
            clock: clock,
            social: { auth in
                SocialLogin(
                    auth: auth, providers: configurations.map { SocialLogin.makeProvider($0, http: http) },
                    trustUnverifiedEmails: trustUnverifiedEmails)
            }, issuer: issuer)
    }

    func close() async {
        await harness.close()
        await http.shutdown()
        await oidc.stop()
        await github.stop()
    }

    /// The user id a token answer names.
    static func userID(_ answer: HTTPHarness.Answer) -> String? {
        (answer.json["user"] as? [String: Any])?["id"] as? String
    }
}

/// A browser signing in with a provider at Tessera on `port`: it keeps the cookie Tessera sets (the binding) and
/// follows the provider's redirect.
struct SocialFlow {
    static let redirectURI = "https://app.example/auth/callback"
    let port: Int

    /// The cookies Tessera set, sent back on every request to Tessera.
    final class Browser: Sendable {
        private let jar = Mutex<String?>(nil)
        var cookie: String? { jar.withLock { $0 } }

        /// Keeps the `name=value` of a `Set-Cookie` header.
        func keep(_ answer: HTTPHarness.Answer) {
            if let header = answer.headers["set-cookie"], let pair = header.split(separator: ";").first {
                jar.withLock { $0 = String(pair) }
            }
        }

        var headers: [String: String] { cookie.map { ["Cookie": $0] } ?? [:] }
    }

    /// `GET /oauth/authorize/{provider}` from `browser` (with `token`: the start of a linking).
    func authorize(_ provider: String, browser: Browser, token: String? = nil) async throws -> HTTPHarness.Answer {
        let path =
            "/api/v1/oauth/authorize/\(provider)?redirect_uri="
            + Self.redirectURI.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let answer = try await HTTPHarness.send(port: port, "GET", path, token: token, headers: browser.headers)
        browser.keep(answer)
        return answer
    }

    /// Follows an authorization URL to the local provider, whose page signs in at once and redirects back to the
    /// redirect URI: the code and state that redirect carries.
    func visitProvider(_ authorizationURL: String) async throws -> (code: String, state: String) {
        let url = try #require(URLComponents(string: authorizationURL))
        let answer = try await PlainHTTPClient.send(
            port: try #require(url.port), method: "GET",
            path: url.percentEncodedPath + "?" + (url.percentEncodedQuery ?? ""),
            headers: [], body: nil)
        #expect(answer.status == 302, "the provider refused: \(String(decoding: answer.body, as: UTF8.self))")
        let location = try #require(answer.headers["location"].flatMap(URLComponents.init(string:)))
        #expect(location.string?.hasPrefix(Self.redirectURI + "?") == true)
        let query = Dictionary(uniqueKeysWithValues: (location.queryItems ?? []).map { ($0.name, $0.value ?? "") })
        return (try #require(query["code"]), try #require(query["state"]))
    }

    /// `POST /oauth/callback/{provider}` (or `/oauth/link/{provider}` with `token`) from `browser`.
    func finish(
        _ provider: String, code: String, state: String, browser: Browser, token: String? = nil
    ) async throws
        -> HTTPHarness.Answer
    {
        try await HTTPHarness.send(
            port: port, "POST", "/api/v1/oauth/\(token == nil ? "callback" : "link")/\(provider)",
            json: #"{"code":"\#(code)","state":"\#(state)"}"#, token: token, headers: browser.headers)
    }

    /// The whole flow in a fresh browser (or `browser`): authorize, the provider's page, the callback (or the
    /// linking, with `token`).
    func signIn(
        _ provider: String, browser: Browser = Browser(), token: String? = nil
    ) async throws -> HTTPHarness.Answer {
        let started = try await authorize(provider, browser: browser, token: token)
        #expect(started.status == 200, "\(String(decoding: started.body, as: UTF8.self))")
        let (code, state) = try await visitProvider(try #require(started.json["authorization_url"] as? String))
        #expect(state == started.json["state"] as? String)
        return try await finish(provider, code: code, state: state, browser: browser, token: token)
    }
}
