import Auth
import Bytes
package import Foundation

/// A social login provider Tessera signs users in with, as configured (API.md): any OpenID Connect provider by
/// its issuer URL (discovery at `<issuer>/.well-known/openid-configuration`), Google as one with Google's issuer
/// by default, and GitHub's OAuth apps. Tests point the URLs at local providers over plain HTTP; anything else
/// must use HTTPS.
package struct SocialProviderConfiguration: Sendable, Hashable {
    package enum Kind: Sendable, Hashable {
        case openIDConnect(issuer: String)
        /// GitHub's web flow at `baseURL` (`/login/oauth/authorize`, `/login/oauth/access_token`) and its REST
        /// API at `apiURL` (`/user`, `/user/emails`).
        case github(baseURL: String, apiURL: String)
    }

    /// The name in routes: `/oauth/authorize/{name}`.
    package let name: String
    /// What a sign-in page shows.
    package let displayName: String
    package let icon: String
    package let kind: Kind
    package let clientID: String
    package let clientSecret: String

    package static let googleIssuer = "https://accounts.google.com"

    /// Why a provider's configuration was refused, naming the variable.
    package struct Problem: Error, Sendable, Hashable, CustomStringConvertible {
        package let description: String
    }

    /// The providers `environment` configures: `TESSERA_OIDC_PROVIDERS=google,acme` with, for each name,
    /// `TESSERA_OIDC_<NAME>_ISSUER` (Google's by default for `google`), `_CLIENT_ID`, `_CLIENT_SECRET`, and
    /// optionally `_DISPLAY_NAME` and `_ICON` for a sign-in page (the name capitalized, and the name); and GitHub
    /// when `TESSERA_GITHUB_CLIENT_ID` is set, with `_CLIENT_SECRET`, `TESSERA_GITHUB_BASE_URL` and
    /// `TESSERA_GITHUB_API_URL` (the real service by default).
    package static func fromEnvironment(
        _ environment: [String: String]
    ) throws(Problem) -> [SocialProviderConfiguration] {
        var providers: [SocialProviderConfiguration] = []
        let names = (environment["TESSERA_OIDC_PROVIDERS"] ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
        for name in names {
            guard name != "github",
                name.utf8.allSatisfy({ (0x61...0x7a).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2d })
            else {
                throw Problem(
                    description: "TESSERA_OIDC_PROVIDERS: \"\(name)\" is not a provider name (a-z, 0-9, -; not github)")
            }
            let prefix = "TESSERA_OIDC_" + name.uppercased().replacingOccurrences(of: "-", with: "_")
            let issuer = environment[prefix + "_ISSUER"] ?? (name == "google" ? googleIssuer : nil)
            guard let issuer else { throw Problem(description: "\(prefix)_ISSUER is required") }
            try checkURL(issuer, variable: prefix + "_ISSUER")
            providers.append(
                SocialProviderConfiguration(
                    name: name,
                    displayName: environment[prefix + "_DISPLAY_NAME"]
                        ?? (name == "google" ? "Google" : name.capitalized),
                    icon: environment[prefix + "_ICON"] ?? name,
                    kind: .openIDConnect(issuer: issuer.withoutTrailingSlash),
                    clientID: try required(prefix + "_CLIENT_ID", in: environment),
                    clientSecret: try required(prefix + "_CLIENT_SECRET", in: environment)))
        }
        if let clientID = environment["TESSERA_GITHUB_CLIENT_ID"] {
            let baseURL = environment["TESSERA_GITHUB_BASE_URL"] ?? "https://github.com"
            let apiURL = environment["TESSERA_GITHUB_API_URL"] ?? "https://api.github.com"
            try checkURL(baseURL, variable: "TESSERA_GITHUB_BASE_URL")
            try checkURL(apiURL, variable: "TESSERA_GITHUB_API_URL")
            guard !clientID.isEmpty else { throw Problem(description: "TESSERA_GITHUB_CLIENT_ID is empty") }
            providers.append(
                SocialProviderConfiguration(
                    name: "github", displayName: "GitHub", icon: "github",
                    kind: .github(baseURL: trimmed(baseURL), apiURL: trimmed(apiURL)), clientID: clientID,
                    clientSecret: try required("TESSERA_GITHUB_CLIENT_SECRET", in: environment)))
        }
        return providers
    }

    private static func required(_ variable: String, in environment: [String: String]) throws(Problem) -> String {
        guard let value = environment[variable], !value.isEmpty else {
            throw Problem(description: "\(variable) is required")
        }
        return value
    }

    /// Whether `url` is HTTPS, or plain HTTP to this machine (`localhost`, `127.0.0.1`, `::1`): the rule for
    /// every URL a social sign-in sends a secret or a code to.
    package static func isHTTPSOrLocal(_ url: URL) -> Bool {
        guard let host = url.host else { return false }
        return url.scheme == "https"
            || (url.scheme == "http" && RedirectURI.isLoopbackHost(host))
    }

    private static func trimmed(_ url: String) -> String { url.withoutTrailingSlash }

    /// HTTPS, or plain HTTP to this machine only (a local provider in tests): tokens and secrets never cross a
    /// network in clear.
    private static func checkURL(_ text: String, variable: String) throws(Problem) {
        guard let url = URL(string: text), let host = url.host, !host.isEmpty else {
            throw Problem(description: "\(variable): \"\(text)\" is not a URL")
        }
        guard isHTTPSOrLocal(url) else {
            throw Problem(description: "\(variable): \"\(text)\" must use https (plain http only to this machine)")
        }
    }
}
