package import FoundationEssentials

/// A social sign-in under way: what Tessera must remember between sending the browser to the provider and the
/// provider sending it back. Its token (`<id>.<secret>`, the OAuth `state` parameter) is single-use and
/// short-lived; the engine keeps only the secret's digest, and the digest of a value kept in the browser that
/// started the flow (a cookie), so that a `state` taken from one browser cannot finish in another.
public struct SocialLoginState: Sendable, Hashable {
    package let id: UUID
    package let digest: SecretDigest
    package let browserBinding: SecretDigest
    /// The provider's configured name.
    package let provider: String
    /// Where the provider sends the browser back (sent again at the token exchange).
    package let redirectURI: String
    /// The PKCE verifier (RFC 7636) whose S256 challenge went to the provider.
    package let codeVerifier: String
    /// The OpenID Connect nonce the ID token must carry (nil for plain OAuth providers).
    package let nonce: String?
    /// Set when a signed-in user links an account rather than signs in.
    package let linkingUserID: UUID?
    package let createdAtMilliseconds: Int64
    package let expiresAtMilliseconds: Int64

    package init(
        id: UUID, digest: SecretDigest, browserBinding: SecretDigest, provider: String, redirectURI: String,
        codeVerifier: String, nonce: String?, linkingUserID: UUID?, createdAtMilliseconds: Int64,
        expiresAtMilliseconds: Int64
    ) {
        self.id = id
        self.digest = digest
        self.browserBinding = browserBinding
        self.provider = provider
        self.redirectURI = redirectURI
        self.codeVerifier = codeVerifier
        self.nonce = nonce
        self.linkingUserID = linkingUserID
        self.createdAtMilliseconds = createdAtMilliseconds
        self.expiresAtMilliseconds = expiresAtMilliseconds
    }
}

extension BinaryWriter {
    mutating func write(_ state: SocialLoginState) {
        write(state.id)
        write(state.digest)
        write(state.browserBinding)
        write(state.provider)
        write(state.redirectURI)
        write(state.codeVerifier)
        write(state.nonce)
        write(state.linkingUserID)
        write(state.createdAtMilliseconds)
        write(state.expiresAtMilliseconds)
    }
}

extension BinaryReader {
    mutating func read(_: SocialLoginState.Type) throws(RecordDecodingError) -> SocialLoginState {
        SocialLoginState(
            id: try read(UUID.self), digest: try read(SecretDigest.self), browserBinding: try read(SecretDigest.self),
            provider: try read(String.self), redirectURI: try read(String.self), codeVerifier: try read(String.self),
            nonce: try readOptional(String.self), linkingUserID: try readOptional(UUID.self),
            createdAtMilliseconds: try read(Int64.self), expiresAtMilliseconds: try read(Int64.self))
    }
}
