import Social
import Testing

@Suite("Social login providers come from the environment as API.md names it, over HTTPS or to this machine")
struct SocialProviderConfigurationTests {
    @Test("Google with its default issuer, another OIDC provider by issuer, and GitHub with its default URLs")
    func providers() throws {
        let providers = try SocialProviderConfiguration.fromEnvironment([
            "TESSERA_OIDC_PROVIDERS": "google, Acme-Corp",
            "TESSERA_OIDC_GOOGLE_CLIENT_ID": "g-id", "TESSERA_OIDC_GOOGLE_CLIENT_SECRET": "g-secret",
            "TESSERA_OIDC_ACME_CORP_ISSUER": "http://127.0.0.1:9000/realm/", "TESSERA_OIDC_ACME_CORP_CLIENT_ID": "a-id",
            "TESSERA_OIDC_ACME_CORP_CLIENT_SECRET": "a-secret", "TESSERA_OIDC_ACME_CORP_DISPLAY_NAME": "Acme SSO",
            "TESSERA_GITHUB_CLIENT_ID": "gh-id", "TESSERA_GITHUB_CLIENT_SECRET": "gh-secret",
        ])
        #expect(providers.map(\.name) == ["google", "acme-corp", "github"])
        #expect(providers[0].kind == .openIDConnect(issuer: SocialProviderConfiguration.googleIssuer))
        #expect(providers[0].displayName == "Google" && providers[0].clientSecret == "g-secret")
        #expect(providers[1].kind == .openIDConnect(issuer: "http://127.0.0.1:9000/realm"))
        #expect(providers[1].displayName == "Acme SSO" && providers[1].icon == "acme-corp")
        #expect(providers[2].kind == .github(baseURL: "https://github.com", apiURL: "https://api.github.com"))
        #expect(try SocialProviderConfiguration.fromEnvironment([:]).isEmpty)
    }

    @Test(
        "refused, naming the variable: a missing issuer, id or secret, plain HTTP to another machine, a bad name",
        arguments: [
            [
                "TESSERA_OIDC_PROVIDERS": "acme", "TESSERA_OIDC_ACME_CLIENT_ID": "i",
                "TESSERA_OIDC_ACME_CLIENT_SECRET": "s",
            ],
            ["TESSERA_OIDC_PROVIDERS": "google", "TESSERA_OIDC_GOOGLE_CLIENT_SECRET": "s"],
            [
                "TESSERA_OIDC_PROVIDERS": "acme", "TESSERA_OIDC_ACME_ISSUER": "http://idp.example",
                "TESSERA_OIDC_ACME_CLIENT_ID": "i",
                "TESSERA_OIDC_ACME_CLIENT_SECRET": "s",
            ],
            ["TESSERA_OIDC_PROVIDERS": "ac me"],
            ["TESSERA_OIDC_PROVIDERS": "github"],
            ["TESSERA_GITHUB_CLIENT_ID": "i"],
            [
                "TESSERA_GITHUB_CLIENT_ID": "i", "TESSERA_GITHUB_CLIENT_SECRET": "s",
                "TESSERA_GITHUB_BASE_URL": "http://github.example",
            ],
        ])
    func refused(environment: [String: String]) {
        #expect(throws: SocialProviderConfiguration.Problem.self) {
            try SocialProviderConfiguration.fromEnvironment(environment)
        }
    }
}
