package import Auth
package import Engine
package import Foundation

/// The start of a sign-in: where to send the browser, and the state the callback must bring back.
package struct SocialAuthorization: Sendable, Hashable {
    package let authorizationURL: String
    package let state: String
}

/// A finished social sign-in: a real session (its refresh token rotates at `/auth/refresh` like any other),
/// and whether the sign-in made the user.
package struct SocialSignIn: Sendable {
    package let tokens: TokenPair
    package let isNewUser: Bool
}

/// Social login: signing users in with Google, GitHub or any OpenID Connect provider, and linking those
/// accounts to users. The flow is the authorization code flow with PKCE S256 (and a nonce for OpenID Connect);
/// its `state` is single-use, expires after ten minutes, and is bound to the browser that started it (the
/// digest of a value that browser keeps in a cookie). Every change — the state issued and spent, a user made,
/// an account linked or unlinked, the session opened — is logged by the engine like any other.
///
/// An identity the provider vouches for signs in the user it is linked to. An identity seen for the first time
/// is linked to the user with its email when the provider verified that email (never on an unverified one,
/// unless `trustUnverifiedEmails`: anyone can type an address at some providers), or makes a new user without a
/// password.
package final class SocialLogin: Sendable {
    package let auth: AuthService
    /// The providers in the configured order.
    package let providers: [any SocialProvider]
    /// Whether an email the provider has not verified may link to, or make, a user.
    package let trustUnverifiedEmails: Bool
    /// One sign-in or linking at a time per identity.
    let identityTurns = KeyedTurns<ExternalIdentity>()

    /// Social login over `auth`'s engine and sessions with `providers` (names must differ: the first of a name
    /// serves it).
    package init(auth: AuthService, providers: [any SocialProvider], trustUnverifiedEmails: Bool = false) {
        self.auth = auth
        self.providers = providers
        self.trustUnverifiedEmails = trustUnverifiedEmails
    }

    var engine: Engine { auth.engine }

    /// The provider a configuration describes, talking through `http`.
    package static func makeProvider(
        _ configuration: SocialProviderConfiguration, http: ProviderHTTPClient
    )
        -> any SocialProvider
    {
        switch configuration.kind {
        case .openIDConnect: OpenIDConnectProvider(configuration, http: http)
        case .github: GitHubProvider(configuration, http: http)
        }
    }

    /// A new value for a browser to keep (a cookie) and present again at the callback.
    package static func newBrowserBinding() -> String { FlowSecrets.randomText() }

    /// Whether `text` has the shape of a browser binding (a cookie's value worth keeping).
    package static func isBrowserBinding(_ text: String) -> Bool { FlowSecrets.bindingDigest(text) != nil }

    func provider(named name: String) throws(SocialLoginError) -> any SocialProvider {
        guard let provider = providers.first(where: { $0.configuration.name == name }) else {
            throw SocialLoginError(.unknownProvider, "no provider named \(name.prefix(40)) is configured")
        }
        return provider
    }

    /// Starts a sign-in (or, with `linkingUserID`, the linking of an account to that user): keeps a state with a
    /// PKCE verifier and a nonce, bound to `browserBinding`, and answers the provider's authorization URL.
    /// `redirectURI` must be an absolute `https` URL (plain `http` only to this machine) without a fragment; the
    /// provider checks it against the ones registered with it.
    package func start(
        provider name: String, redirectURI: String, browserBinding: String, linkingUserID: UUID? = nil
    )
        async throws(SocialLoginError) -> SocialAuthorization
    {
        let provider = try provider(named: name)
        try Self.checkRedirectURI(redirectURI)
        guard let binding = FlowSecrets.bindingDigest(browserBinding) else {
            throw SocialLoginError(.invalidRequest, "the browser binding is malformed")
        }
        let secret = SecretToken.randomSecret()
        let verifier = FlowSecrets.randomText()
        let nonce = provider.usesNonce ? FlowSecrets.randomText() : nil
        let kept: SocialLoginState
        do {
            kept = try await engine.issueSocialState(
                NewSocialLoginState(
                    digest: SecretToken.digest(ofSecret: secret), browserBinding: binding, provider: name,
                    redirectURI: redirectURI, codeVerifier: verifier, nonce: nonce, linkingUserID: linkingUserID))
        } catch {
            throw SocialLoginError(.unavailable, "the sign-in could not be started; try again")
        }
        let state = SecretToken(id: kept.id, secret: secret).text
        do {
            let url = try await provider.authorizationURL(
                redirectURI: redirectURI, state: state, nonce: nonce,
                codeChallenge: FlowSecrets.challenge(of: verifier))
            return SocialAuthorization(authorizationURL: url, state: state)
        } catch {
            throw Self.mapped(error)
        }
    }

    /// Finishes a sign-in: spends the state (which must come from the same browser, for this provider), has the
    /// provider prove who signed in, and opens a session for the linked user — linking or making one first
    /// when the identity is new.
    package func finishSignIn(
        provider name: String, code: String, state: String, browserBinding: String?,
        device: DeviceInfo
    ) async throws(SocialLoginError) -> SocialSignIn {
        let (provider, profile) = try await verify(
            provider: name, code: code, state: state,
            browserBinding: browserBinding, linkingUserID: nil)
        let identity = ExternalIdentity(provider: name, subject: profile.subject)
        await identityTurns.acquire(identity)
        let outcome = await signIn(identity, profile: profile, provider: provider, device: device)
        await identityTurns.release(identity)
        return try outcome.get()
    }

    /// The sign-in of `identity`, in its turn.
    private func signIn(
        _ identity: ExternalIdentity, profile: SocialProfile, provider: any SocialProvider,
        device: DeviceInfo
    ) async -> Result<SocialSignIn, SocialLoginError> {
        // Twice at most: a registration of the same email can win the race between the look-up and the change;
        // the second round then finds that user.
        for round in 0..<2 {
            do {
                let (user, isNew) = try await user(for: identity, profile: profile, provider: provider)
                do {
                    return .success(
                        SocialSignIn(tokens: try await auth.openSession(for: user, device: device), isNewUser: isNew))
                } catch {
                    return .failure(
                        error.code == .userInactive
                            ? SocialLoginError(.userInactive, "the account is inactive")
                            : SocialLoginError(.unavailable, "the session could not be opened; try again"))
                }
            } catch let error as EngineError where round == 0 && error.code == .emailTaken {
                continue
            } catch let error as EngineError {
                return .failure(Self.mapped(error))
            } catch let error as SocialLoginError {
                return .failure(error)
            } catch {
                return .failure(SocialLoginError(.unavailable, "the sign-in could not be finished"))
            }
        }
        return .failure(SocialLoginError(.unavailable, "the sign-in could not be finished; try again"))
    }

    /// The user `identity` signs in, linking it (by a trusted email) or making a user when it is new.
    private func user(
        for identity: ExternalIdentity, profile: SocialProfile, provider: any SocialProvider
    )
        async throws -> (User, isNew: Bool)
    {
        if let linked = await engine.user(linkedTo: identity) { return (linked, false) }
        guard let email = profile.email.map(User.normalizedEmail), EmailAddress.isValid(email) else {
            throw SocialLoginError(.emailRequired, "\(provider.configuration.displayName) gave no email address")
        }
        guard profile.emailVerified || trustUnverifiedEmails else {
            throw SocialLoginError(
                .emailUnverified,
                "\(provider.configuration.displayName) has not verified \(email); verify it there first")
        }
        let external = ExternalProfile(identity: identity, email: email, emailVerified: profile.emailVerified)
        if let existing = await engine.user(email: email), !existing.isDeleted {
            guard existing.isActive else { throw SocialLoginError(.userInactive, "the account is inactive") }
            _ = try await engine.linkExternalAccount(userID: existing.id, profile: external)
            return (existing, false)
        }
        let (first, last) = Self.names(profile, email: email)
        return (
            try await engine.registerExternalUser(email: email, firstName: first, lastName: last, profile: external),
            true
        )
    }

    /// Spends the state and has the provider prove who signed in.
    func verify(
        provider name: String, code: String, state text: String, browserBinding: String?, linkingUserID: UUID?
    )
        async throws(SocialLoginError) -> (any SocialProvider, SocialProfile)
    {
        let provider = try provider(named: name)
        guard !code.isEmpty, code.utf8.count <= 2048 else {
            throw SocialLoginError(.invalidRequest, "code is required", field: "code")
        }
        guard let token = SecretToken(parsing: text) else {
            throw SocialLoginError(.stateInvalid, "the state is unknown, used or expired", field: "state")
        }
        guard let binding = browserBinding.flatMap(FlowSecrets.bindingDigest) else {
            throw SocialLoginError(
                .stateInvalid, "the sign-in must finish in the browser that started it", field: "state")
        }
        let state: SocialLoginState
        do {
            state = try await engine.consumeSocialState(
                id: token.id, digest: token.digest, browserBinding: binding,
                provider: name, linkingUserID: linkingUserID)
        } catch {
            throw error.code == .socialStateInvalid
                ? SocialLoginError(
                    .stateInvalid, "the state is unknown, used, expired or from another browser", field: "state")
                : SocialLoginError(.unavailable, "the sign-in could not be finished; try again")
        }
        do throws(SocialError) {
            let profile = try await provider.signIn(
                code: code, redirectURI: state.redirectURI, codeVerifier: state.codeVerifier,
                nonce: state.nonce, nowSeconds: engine.clock.nowMilliseconds() / 1000)
            guard !profile.subject.isEmpty, profile.subject.utf8.count <= 255 else {
                throw SocialError(.identityRejected, "\(name): the profile has no usable id")
            }
            return (provider, profile)
        } catch {
            throw Self.mapped(error)
        }
    }

    static func mapped(_ error: SocialError) -> SocialLoginError {
        switch error.kind {
        case .providerUnavailable: SocialLoginError(.providerUnavailable, error.description)
        case .codeRefused: SocialLoginError(.codeRefused, error.description, field: "code")
        case .identityRejected: SocialLoginError(.identityRejected, error.description)
        }
    }

    static func mapped(_ error: EngineError) -> SocialLoginError {
        switch error.code {
        case .externalAccountTaken: SocialLoginError(.alreadyLinked, error.message)
        case .externalAccountNotFound: SocialLoginError(.notLinked, error.message)
        case .lastSignInMethod: SocialLoginError(.lastSignInMethod, error.message)
        case .userNotFound: SocialLoginError(.userInactive, "the account is inactive")
        case .emailTaken: SocialLoginError(.alreadyLinked, "an account with this email was made meanwhile; try again")
        default: SocialLoginError(.unavailable, "the change could not be stored; try again")
        }
    }

    /// An absolute URL, `https` or `http` to this machine, without a fragment (RFC 6749 §3.1.2).
    static func checkRedirectURI(_ text: String) throws(SocialLoginError) {
        guard text.utf8.count <= 2000, let url = URL(string: text), let host = url.host, !host.isEmpty,
            url.fragment == nil, !text.contains("#")
        else { throw SocialLoginError(.invalidRequest, "redirect_uri must be an absolute URL", field: "redirect_uri") }
        guard SocialProviderConfiguration.isHTTPSOrLocal(url) else {
            throw SocialLoginError(
                .invalidRequest, "redirect_uri must use https (plain http only to this machine)",
                field: "redirect_uri")
        }
    }

    /// A first and last name for a new user: the provider's parts, else its full name split at the first
    /// space, else the email's local part; at most 100 characters each.
    static func names(_ profile: SocialProfile, email: String) -> (String, String?) {
        func clean(_ text: String?) -> String? {
            guard
                let text = text.map({ TextRules.cleaned($0, maxCharacters: 100) })?
                    .trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty
            else { return nil }
            return text
        }
        if let given = clean(profile.givenName) { return (given, clean(profile.familyName)) }
        if let name = clean(profile.name) {
            let parts = name.split(separator: " ", maxSplits: 1)
            return (String(parts[0]), parts.count > 1 ? clean(String(parts[1])) : nil)
        }
        return (TextRules.cleaned(String(email.prefix { $0 != "@" }), maxCharacters: 100), nil)
    }
}
