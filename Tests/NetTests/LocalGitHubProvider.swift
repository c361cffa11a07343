import Crypto
import Foundation
import NIOHTTP1
import Synchronization

/// A GitHub-like OAuth provider on this machine: the web flow (`/login/oauth/authorize` signs in `signedIn`
/// and redirects back with a code; `/login/oauth/access_token` checks the client, the code, its redirect URI and
/// the PKCE verifier, and answers a refused code with status 200 and an `error`, as GitHub does) and the REST API
/// under `/api` (`/user`, `/user/emails`, with the access token as Bearer).
final class LocalGitHubProvider: Sendable {
    struct Account: Sendable {
        var id: Int64
        var login: String
        var name: String?
        /// `(email, primary, verified)`.
        var emails: [(String, Bool, Bool)]
    }

    private struct Grant: Sendable {
        let account: Account
        let redirectURI: String
        let challenge: String
    }

    let clientID = "Iv1.local-github"
    let clientSecret = "github-secret-\(UUID().uuidString)"
    private let server: LocalHTTPServer
    var baseURL: String { "http://127.0.0.1:\(server.port)" }
    private let codes = Mutex<[String: Grant]>([:])
    private let tokens = Mutex<[String: Account]>([:])
    /// Who the authorization page signs in.
    let signedIn = Mutex(
        Account(
            id: 583_231, login: "octocat", name: "The Octocat",
            emails: [("octo@example.com", true, true), ("old@example.com", false, false)]))

    private init(server: LocalHTTPServer) { self.server = server }

    static func start() async throws -> LocalGitHubProvider {
        let late = LateBound<LocalGitHubProvider>()
        let server = try await LocalHTTPServer.start { request in
            late.get?.answer(request) ?? .json(.serviceUnavailable, ["message": "starting"])
        }
        let provider = LocalGitHubProvider(server: server)
        late.set(provider)
        return provider
    }

    func stop() async { await server.stop() }

    /// The environment `tessera serve` reads to use this provider.
    var environment: [String: String] {
        [
            "TESSERA_GITHUB_CLIENT_ID": clientID, "TESSERA_GITHUB_CLIENT_SECRET": clientSecret,
            "TESSERA_GITHUB_BASE_URL": baseURL, "TESSERA_GITHUB_API_URL": baseURL + "/api",
        ]
    }

    private func answer(_ request: LocalRequest) -> LocalAnswer {
        switch (request.method, request.path) {
        case (.GET, "/login/oauth/authorize"):
            let query = request.query
            guard query["client_id"] == clientID, query["code_challenge_method"] == "S256",
                let redirectURI = query["redirect_uri"], let state = query["state"],
                let challenge = query["code_challenge"]
            else { return .json(.badRequest, ["error": "invalid_request"]) }
            let code = UUID().uuidString
            let account = signedIn.withLock { $0 }
            codes.withLock { $0[code] = Grant(account: account, redirectURI: redirectURI, challenge: challenge) }
            return .redirect(to: redirectURI + "?code=\(code)&state=\(state)")
        case (.POST, "/login/oauth/access_token"):
            let form = request.form
            guard form["client_id"] == clientID, form["client_secret"] == clientSecret else {
                return .json(.ok, ["error": "incorrect_client_credentials"])
            }
            guard let code = form["code"], let grant = codes.withLock({ $0.removeValue(forKey: code) }),
                form["redirect_uri"] == grant.redirectURI, let verifier = form["code_verifier"],
                LocalOpenIDProvider.base64URL(Array(SHA256.hash(data: Data(verifier.utf8)))) == grant.challenge
            else { return .json(.ok, ["error": "bad_verification_code"]) }
            let token = "gho_" + UUID().uuidString
            tokens.withLock { $0[token] = grant.account }
            return .json(.ok, ["access_token": token, "token_type": "bearer", "scope": "read:user,user:email"])
        case (.GET, "/api/user"):
            guard let account = account(of: request) else {
                return .json(.unauthorized, ["message": "Bad credentials"])
            }
            var user: [String: Any] = ["id": account.id, "login": account.login, "email": NSNull()]
            if let name = account.name { user["name"] = name }
            return .json(.ok, user)
        case (.GET, "/api/user/emails"):
            guard let account = account(of: request) else {
                return .json(.unauthorized, ["message": "Bad credentials"])
            }
            return .json(
                .ok, account.emails.map { ["email": $0.0, "primary": $0.1, "verified": $0.2, "visibility": NSNull()] })
        default:
            return .json(.notFound, ["message": "Not Found"])
        }
    }

    private func account(of request: LocalRequest) -> Account? {
        guard let header = request.headers.first(name: "authorization"), header.hasPrefix("Bearer ") else { return nil }
        return tokens.withLock { $0[String(header.dropFirst(7))] }
    }
}
