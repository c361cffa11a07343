/// An error of the OAuth provider's endpoints, answered in RFC 6749 §5.2 form:
/// `{"error": "invalid_grant", "error_description": "…"}`; client authentication failures are 401 with
/// `WWW-Authenticate`.
package struct OAuthError: Error, Sendable, Hashable {
    /// The RFC 6749 (or RFC 7009 / 7662) error code.
    package let error: String
    package let description: String
    /// The HTTP status it is answered with.
    package let status: Int

    package init(_ error: String, _ description: String, status: Int = 400) {
        self.error = error
        self.description = description
        self.status = status
    }

    package static func invalidRequest(_ description: String) -> OAuthError {
        OAuthError("invalid_request", description)
    }
    package static func invalidClient(_ description: String) -> OAuthError {
        OAuthError("invalid_client", description, status: 401)
    }
    package static func invalidGrant(_ description: String) -> OAuthError { OAuthError("invalid_grant", description) }
    package static func unauthorizedClient(_ description: String) -> OAuthError {
        OAuthError("unauthorized_client", description)
    }
    package static func unsupportedGrantType(_ description: String) -> OAuthError {
        OAuthError("unsupported_grant_type", description)
    }
    package static func invalidScope(_ description: String) -> OAuthError { OAuthError("invalid_scope", description) }
    package static func unavailable(_ description: String) -> OAuthError {
        OAuthError("temporarily_unavailable", description, status: 503)
    }
}
