import Auth

/// What a provider vouches for at sign-in: its stable id of the person, and the email and names it gave.
package struct SocialProfile: Sendable, Hashable {
    /// The provider's stable id of the person (the ID token's `sub`, GitHub's numeric id): never an email or a
    /// login name, which can change hands.
    package let subject: String
    package let email: String?
    /// Whether the provider says it verified the email (`email_verified`; GitHub's `verified`).
    package let emailVerified: Bool
    package let givenName: String?
    package let familyName: String?
    /// The full name, or a login name, when the provider gives no parts.
    package let name: String?

    package init(
        subject: String, email: String?, emailVerified: Bool, givenName: String? = nil,
        familyName: String? = nil, name: String? = nil
    ) {
        self.subject = subject
        self.email = email
        self.emailVerified = emailVerified
        self.givenName = givenName
        self.familyName = familyName
        self.name = name
    }
}

/// A provider users sign in with: where to send the browser, and what the code it sends back proves. The
/// caller keeps the state, the PKCE verifier and the nonce between the two calls.
package protocol SocialProvider: Sendable {
    var configuration: SocialProviderConfiguration { get }
    /// Whether the provider takes an OpenID Connect nonce (plain OAuth 2.0 providers do not).
    var usesNonce: Bool { get }

    /// The provider's authorization URL with the client, `redirectURI`, `state`, the nonce (when the provider
    /// uses one) and the S256 challenge of the PKCE verifier.
    func authorizationURL(
        redirectURI: String, state: String, nonce: String?, codeChallenge: String
    )
        async throws(SocialError) -> String

    /// Exchanges the code (with the same redirect URI and the PKCE verifier) and answers who signed in. The
    /// provider's tokens are dropped once the profile is read: Tessera keeps none.
    func signIn(
        code: String, redirectURI: String, codeVerifier: String, nonce: String?, nowSeconds: Int64
    )
        async throws(SocialError) -> SocialProfile
}
