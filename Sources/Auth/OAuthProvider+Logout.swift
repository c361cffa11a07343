import Bytes
package import Engine
package import FoundationEssentials

/// The parameters of RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0 §2).
package struct LogoutRequest: Sendable, Hashable {
    package var idTokenHint: String?
    package var postLogoutRedirectURI: String?
    package var state: String?
    package var clientID: String?

    package init(parameters: [String: String]) {
        idTokenHint = parameters["id_token_hint"]
        postLogoutRedirectURI = parameters["post_logout_redirect_uri"]
        state = parameters["state"]
        clientID = parameters["client_id"]
    }

    /// The parameters again, for the confirmation form.
    package var parameters: [(String, String)] {
        [
            ("id_token_hint", idTokenHint), ("post_logout_redirect_uri", postLogoutRedirectURI), ("state", state),
            ("client_id", clientID),
        ].compactMap { name, value in value.map { (name, $0) } }
    }
}

/// What to do with a logout request.
package enum LogoutDecision: Sendable, Hashable {
    /// 400, never a redirect: an ID token hint Tessera did not issue, a redirect URI the client did not register.
    case refused(String)
    /// Ask the signed-in person first (nothing proves the request comes from their application): the client
    /// that asks, if known.
    case confirm(client: OAuthClient?)
    /// End the browser's session now, then go to `redirect` (the registered URI with `state`), or say so.
    case signOut(redirect: String?)
}

extension OAuthProvider {
    /// Judges a logout request from a browser signed in as `browserUserID` (nil: none). A valid `id_token_hint`
    /// naming that very user lets the sign-out happen at once; otherwise the person is asked. A
    /// `post_logout_redirect_uri` must be one the client (the hint's audience, or `client_id`) registered.
    package func judgeLogout(_ request: LogoutRequest, browserUserID: UUID?, confirmed: Bool) -> LogoutDecision {
        var hintedUser: UUID?
        var hintedClient: String?
        if let hint = request.idTokenHint {
            guard let claims = idTokenKeys?.verifiedClaims(hint), claims["iss"] == .string(auth.signer.issuer),
                case .string(let subject)? = claims["sub"], case .string(let audience)? = claims["aud"]
            else { return .refused("the id_token_hint is not an ID token this server issued") }
            hintedUser = UUIDText.parse(subject)
            hintedClient = audience
        }
        if let named = request.clientID, let hintedClient, named != hintedClient {
            return .refused("client_id is not the audience of the id_token_hint")
        }
        let client = (hintedClient ?? request.clientID).flatMap(liveClient)
        var redirect: String?
        if let uri = request.postLogoutRedirectURI {
            guard let client, client.openID.postLogoutRedirectURIs.contains(uri) else {
                return .refused("post_logout_redirect_uri is not registered for this client")
            }
            redirect = request.state.map { Self.url(uri, adding: [("state", $0)]) } ?? uri
        }
        guard let browserUserID else { return .signOut(redirect: redirect) }
        if confirmed || hintedUser == browserUserID { return .signOut(redirect: redirect) }
        return .confirm(client: client)
    }
}
