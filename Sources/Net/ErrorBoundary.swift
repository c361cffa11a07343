import Auth
import Engine
import Logging
import Social

/// How a route writes its errors.
package enum ErrorStyle: Sendable {
    /// The contract's envelope: `{"success": false, "errors": [{"code", "message", "field"}]}`.
    case envelope
    /// RFC 6749 §5.2: `{"error", "error_description"}`, for the OAuth provider's protocol endpoints.
    case oauth
}

/// The one place where an error becomes its answer. Routes and guards throw the errors of the layers below —
/// `AuthError`, `EngineError`, `OAuthError`, `SocialLoginError`, a body that does not decode — or an `APIError`
/// where the contract wants a particular answer; the router hands each to `answer(for:style:context:)`.
/// Anything else is a bug: 500 SYS_001, logged with the request's id and the error's type (never its text,
/// which could hold a secret).
enum ErrorBoundary {
    static func answer(for error: any Error, style: ErrorStyle, context: RequestContext?) -> APIError {
        switch error {
        case let error as APIError: return error
        case let error as OAuthError: return answer(for: error, style: style)
        case let error as AuthError: return answer(for: error)
        case let error as EngineError: return answer(for: error)
        case let error as SocialLoginError: return answer(for: error)
        case let error as DecodingError: return JSONBody.validationError(error)
        default:
            context?.logger.error(
                "a route failed with an unexpected error",
                metadata: (context?.metadata ?? [:]).merging(
                    ["error_type": "\(String(reflecting: type(of: error)))"]) { $1 })
            return style == .oauth
                ? APIError(oauth: OAuthError("server_error", "internal error", status: 500)) : .internalError
        }
    }

    /// The 503 of a service whose log has failed, in the route's style.
    static func outOfService(style: ErrorStyle) -> APIError {
        let message = "the service cannot store changes and answers nothing until it restarts"
        return style == .oauth
            ? answer(for: OAuthError.unavailable(message), style: .oauth)
            : APIError(.serviceUnavailable, "SYS_007", message)
    }

    /// RFC 6749 form on the protocol endpoints (401 with `WWW-Authenticate` for client authentication); in the
    /// envelope elsewhere (a consent form that does not parse).
    static func answer(for error: OAuthError, style: ErrorStyle) -> APIError {
        guard style == .oauth else {
            return switch error.error {
            case "invalid_request": APIError(.unprocessableEntity, "VAL_001", error.description)
            case "temporarily_unavailable": APIError(.serviceUnavailable, "SYS_007", error.description)
            default: APIError(.badRequest, "VAL_006", error.description)
            }
        }
        var answer = APIError(oauth: error)
        if error.error == "invalid_token" {
            // A registration access token (RFC 7592), a bearer token (RFC 6750 §3).
            answer.headers.add(name: "www-authenticate", value: #"Bearer error="invalid_token""#)
        } else if error.status == 401 {
            answer.headers.add(name: "www-authenticate", value: #"Basic realm="tessera""#)
        }
        answer.headers.add(name: "cache-control", value: "no-store")
        return answer
    }

    static func answer(for error: AuthError) -> APIError {
        switch error.code {
        case .invalidCredentials: APIError(.unauthorized, "AUTH_001", error.message)
        case .tokenExpired: APIError(.unauthorized, "AUTH_002", error.message)
        case .tokenInvalid: APIError(.unauthorized, "AUTH_003", error.message)
        case .userInactive: APIError(.forbidden, "AUTH_005", error.message)
        case .weakPassword: APIError(.unprocessableEntity, "VAL_002", error.message, field: "password")
        case .emailTaken: APIError(.conflict, "USER_002", error.message, field: "email")
        case .notFound: APIError(.notFound, "SYS_002", error.message)
        case .forbidden: APIError(.forbidden, "AUTH_004", error.message)
        case .wrongCurrentPassword: APIError(.forbidden, "AUTH_001", error.message, field: "current_password")
        case .accountLocked: APIError.retryLater(error.message, seconds: error.retryAfterSeconds ?? 60)
        default: APIError(.serviceUnavailable, "SYS_007", error.message)
        }
    }

    static func answer(for error: EngineError) -> APIError {
        switch error.code {
        case .userNotFound: APIError(.notFound, "USER_001", "user not found")
        case .userInactive: APIError(.forbidden, "AUTH_005", "the account is inactive")
        case .credentialChanged: APIError(.unauthorized, "AUTH_001", "invalid email or password")
        case .emailTaken: APIError(.conflict, "USER_002", "a user with this email exists", field: "email")
        case .sessionNotFound: APIError(.notFound, "SYS_002", "session not found")
        case .notYourSession: APIError(.forbidden, "AUTH_004", "not your session")
        case .sessionInactive, .refreshTokenInvalid, .refreshTokenReused:
            APIError(.unauthorized, "AUTH_003", "invalid refresh token")
        case .invalidArgument: APIError(.unprocessableEntity, "VAL_001", error.message)
        case .organizationNotFound: APIError(.notFound, "SYS_002", "organization not found")
        case .notMember: APIError(.notFound, "SYS_002", "the user is not a member of this organization")
        case .slugTaken: APIError(.conflict, "SYS_005", "an organization with this slug exists", field: "slug")
        case .alreadyMember: APIError(.conflict, "SYS_005", "the user is a member already", field: "user_id")
        case .insufficientRole: APIError(.forbidden, "AUTH_004", error.message)
        case .lastOwner, .lastSignInMethod: APIError(.forbidden, "AUTH_007", error.message)
        case .clientNotFound, .externalAccountNotFound, .initialAccessTokenInvalid:
            APIError(.notFound, "SYS_002", error.message)
        case .resourceNotGranted: APIError(.badRequest, "VAL_001", error.message)
        case .externalAccountTaken: APIError(.conflict, "USER_002", error.message)
        case .socialStateInvalid, .codeInvalid, .codeReused: APIError(.badRequest, "AUTH_003", error.message)
        case .notLeader: APIError(.serviceUnavailable, "SYS_007", error.message)
        default: APIError(.serviceUnavailable, "SYS_007", "the change could not be stored")
        }
    }

    static func answer(for error: SocialLoginError) -> APIError {
        switch error.code {
        case .unknownProvider, .notLinked: APIError(.notFound, "SYS_002", error.message)
        case .invalidRequest: APIError(.unprocessableEntity, "VAL_001", error.message, field: error.field)
        case .stateInvalid, .codeRefused, .identityRejected:
            APIError(.badRequest, "AUTH_003", error.message, field: error.field)
        case .emailRequired: APIError(.badRequest, "VAL_003", error.message, field: "email")
        case .emailUnverified: APIError(.forbidden, "AUTH_007", error.message, field: "email")
        case .userInactive: APIError(.forbidden, "AUTH_005", error.message)
        case .alreadyLinked: APIError(.conflict, "USER_002", error.message)
        case .lastSignInMethod: APIError(.forbidden, "AUTH_007", error.message)
        case .providerUnavailable, .unavailable: APIError(.serviceUnavailable, "SYS_007", error.message)
        }
    }
}
