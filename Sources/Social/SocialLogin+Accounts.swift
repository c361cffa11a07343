import Auth
package import Engine
package import Foundation

extension SocialLogin {
    /// Finishes linking: spends a state the same user started in the same browser, has the provider prove
    /// the identity, and links it. No email check: the user proved both sides. Linking an identity the user
    /// has linked already answers its account; one that signs another user in is `alreadyLinked`.
    package func finishLinking(
        userID: UUID, provider name: String, code: String, state: String, browserBinding: String?
    )
        async throws(SocialLoginError) -> ExternalAccount
    {
        let (_, profile) = try await verify(
            provider: name, code: code, state: state, browserBinding: browserBinding,
            linkingUserID: userID)
        let identity = ExternalIdentity(provider: name, subject: profile.subject)
        await identityTurns.acquire(identity)
        let outcome = await link(identity, profile: profile, to: userID)
        await identityTurns.release(identity)
        return try outcome.get()
    }

    /// The user whose linking `state` finishes, when it was started as a linking (the original backend's
    /// callback finishes both kinds of flow); nil for a sign-in's state or a bad one.
    package func linkingUser(ofState state: String) async -> UUID? {
        guard let token = SecretToken(parsing: state) else { return nil }
        return await engine.linkingUser(ofSocialState: token.id)
    }

    /// The linking of `identity`, in its turn.
    private func link(
        _ identity: ExternalIdentity, profile: SocialProfile, to userID: UUID
    ) async
        -> Result<ExternalAccount, SocialLoginError>
    {
        let name = identity.provider
        if let linked = await engine.user(linkedTo: identity) {
            guard linked.id == userID,
                let account = await accounts(of: userID).first(where: { $0.identity == identity })
            else {
                return .failure(SocialLoginError(.alreadyLinked, "this \(name) account signs another user in already"))
            }
            return .success(account)
        }
        let email = profile.email.map(User.normalizedEmail)
        do {
            return .success(
                try await engine.linkExternalAccount(
                    userID: userID,
                    profile: ExternalProfile(identity: identity, email: email, emailVerified: profile.emailVerified)))
        } catch {
            return .failure(Self.mapped(error))
        }
    }

    /// The user's linked accounts, in the order linked.
    func accounts(of userID: UUID) async -> [ExternalAccount] {
        await engine.externalAccounts(of: userID)
    }

    /// Unlinks the user's account of `provider`, unless no other way to sign in would be left. Static: a
    /// user can unlink an account of a provider no longer configured.
    package static func unlink(userID: UUID, provider: String, engine: Engine) async throws(SocialLoginError) {
        do { try await engine.unlinkExternalAccount(userID: userID, provider: provider) } catch { throw mapped(error) }
    }
}
