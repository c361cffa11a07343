import Auth
import Bytes
import Foundation

/// GitHub's OAuth apps as Tessera's sign-in uses them: the web flow at `/login/oauth/authorize` with PKCE
/// S256, the code exchanged at `/login/oauth/access_token` (the client's secret in the form, as GitHub asks),
/// then the REST API's `/user` for the stable numeric id and `/user/emails` for an address GitHub verified.
/// GitHub is not an OpenID Connect provider: there is no ID token and no nonce; the code, the state and the
/// PKCE verifier bind the answer to this sign-in. The access token is used for those two reads and dropped.
package final class GitHubProvider: SocialProvider {
    package let configuration: SocialProviderConfiguration
    private let baseURL: String
    private let apiURL: String
    private let http: ProviderHTTPClient

    /// `configuration` must be GitHub's.
    package init(_ configuration: SocialProviderConfiguration, http: ProviderHTTPClient) {
        guard case .github(let baseURL, let apiURL) = configuration.kind else {
            preconditionFailure("\(configuration.name) is not GitHub")
        }
        self.configuration = configuration
        self.baseURL = baseURL
        self.apiURL = apiURL
        self.http = http
    }

    package var usesNonce: Bool { false }

    /// The scopes asked for: the profile, and the email addresses with their verification.
    static let scope = "read:user user:email"

    /// `<base>/login/oauth/authorize` with the client, redirect URI, scope, state and S256 challenge.
    package func authorizationURL(
        redirectURI: String, state: String, nonce _: String?, codeChallenge: String
    )
        async throws(SocialError) -> String
    {
        baseURL + "/login/oauth/authorize?"
            + FormEncoding.encoded([
                ("client_id", configuration.clientID), ("redirect_uri", redirectURI), ("scope", Self.scope),
                ("state", state), ("code_challenge", codeChallenge), ("code_challenge_method", "S256"),
            ])
    }

    /// The code exchanged for an access token, then the profile read with it from `/user` and `/user/emails`.
    package func signIn(
        code: String, redirectURI: String, codeVerifier: String, nonce _: String?, nowSeconds _: Int64
    )
        async throws(SocialError) -> SocialProfile
    {
        let accessToken = try await exchange(code: code, redirectURI: redirectURI, codeVerifier: codeVerifier)
        let headers = [("authorization", "Bearer " + accessToken), ("x-github-api-version", "2022-11-28")]
        let user: GitHubUser = try await read(apiURL + "/user", headers: headers, what: "the user")
        let emails: [GitHubEmail] = try await read(
            apiURL + "/user/emails", headers: headers, what: "the email addresses")
        let verified = emails.first { $0.primary && $0.verified } ?? emails.first { $0.verified }
        let email = verified?.email ?? emails.first { $0.primary }?.email ?? user.email
        return SocialProfile(
            subject: String(user.id), email: email, emailVerified: verified != nil,
            name: user.name ?? user.login)
    }

    /// The access token the code is worth. GitHub answers a refused code with status 200 and an `error`.
    private func exchange(code: String, redirectURI: String, codeVerifier: String) async throws(SocialError) -> String {
        let answer = try await http.postForm(
            baseURL + "/login/oauth/access_token",
            form: [
                ("client_id", configuration.clientID), ("client_secret", configuration.clientSecret), ("code", code),
                ("redirect_uri", redirectURI), ("code_verifier", codeVerifier),
            ])
        struct TokenAnswer: Decodable {
            let accessToken: String?
            let error: String?
            enum CodingKeys: String, CodingKey { case accessToken = "access_token", error }
        }
        guard answer.status < 500, let parsed = try? JSONDecoder().decode(TokenAnswer.self, from: Data(answer.body))
        else {
            throw SocialError(
                .providerUnavailable, "github: the token answer could not be read (status \(answer.status))")
        }
        guard answer.status == 200, let token = parsed.accessToken, !token.isEmpty else {
            throw SocialError(
                .codeRefused, "github: the code was refused (\(parsed.error ?? "status \(answer.status)"))")
        }
        return token
    }

    private func read<T: Decodable>(
        _ url: String, headers: [(String, String)], what: String
    ) async throws(SocialError) -> T {
        let answer = try await http.get(url, headers: headers)
        guard answer.status == 200, let value = try? JSONDecoder().decode(T.self, from: Data(answer.body)) else {
            throw SocialError(.providerUnavailable, "github: \(what) could not be read (status \(answer.status))")
        }
        return value
    }
}

/// What Tessera reads of GitHub's `/user`.
private struct GitHubUser: Decodable {
    let id: Int64
    let login: String
    let name: String?
    let email: String?
}

/// One entry of GitHub's `/user/emails`.
private struct GitHubEmail: Decodable {
    let email: String
    let primary: Bool
    let verified: Bool
}
