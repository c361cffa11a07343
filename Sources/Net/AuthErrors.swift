import Auth
import NIOHTTP1

extension AuthError {
    /// The contract's answer for this refusal.
    var apiError: APIError {
        switch code {
        case .invalidCredentials: APIError(.unauthorized, "AUTH_001", message)
        case .tokenExpired: APIError(.unauthorized, "AUTH_002", message)
        case .tokenInvalid: APIError(.unauthorized, "AUTH_003", message)
        case .userInactive: APIError(.forbidden, "AUTH_005", message)
        case .weakPassword: APIError(.unprocessableEntity, "VAL_002", message, field: "password")
        case .emailTaken: APIError(.conflict, "USER_002", message, field: "email")
        case .notFound: APIError(.notFound, "SYS_002", message)
        case .forbidden: APIError(.forbidden, "AUTH_004", message)
        case .wrongCurrentPassword: APIError(.forbidden, "AUTH_001", message, field: "current_password")
        case .accountLocked: APIError.retryLater(message, seconds: retryAfterSeconds ?? 60)
        default: APIError(.serviceUnavailable, "SYS_007", message)
        }
    }
}
