package import Engine

/// Why a client's OpenID Connect metadata is refused: the field and what it must be.
package struct OpenIDMetadataProblem: Error, Sendable, Hashable {
    package let field: String
    package let message: String
}

extension OpenIDClientSettings {
    /// The settings a client asks for, held to the rules: post-logout redirect URIs and the back-channel logout
    /// URI are `https`, or `http` to this machine, without a fragment (at most 20 of the first); the ID token
    /// algorithm is RS256 (the default), ES256 or EdDSA — never `none`.
    package static func checked(
        postLogoutRedirectURIs: [String]?, backchannelLogoutURI: String?, idTokenSignedResponseAlgorithm: String?
    ) throws(OpenIDMetadataProblem) -> OpenIDClientSettings {
        let postLogout = postLogoutRedirectURIs ?? []
        guard postLogout.count <= 20, postLogout.allSatisfy({ RedirectURI.kind(of: $0) != nil }) else {
            throw OpenIDMetadataProblem(
                field: "post_logout_redirect_uris",
                message: "at most 20 https URIs (or http to this machine) without a fragment")
        }
        if let backchannelLogoutURI, RedirectURI.kind(of: backchannelLogoutURI) == nil {
            throw OpenIDMetadataProblem(
                field: "backchannel_logout_uri", message: "an https URI (or http to this machine) without a fragment")
        }
        let algorithm = idTokenSignedResponseAlgorithm ?? SigningAlgorithm.rs256.rawValue
        guard SigningAlgorithm(rawValue: algorithm) != nil else {
            throw OpenIDMetadataProblem(field: "id_token_signed_response_alg", message: "RS256, ES256 or EdDSA")
        }
        return OpenIDClientSettings(
            postLogoutRedirectURIs: postLogout, backchannelLogoutURI: backchannelLogoutURI,
            idTokenSignedResponseAlgorithm: algorithm)
    }
}
