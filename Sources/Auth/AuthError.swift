/// Why an authentication operation was refused, in the terms of the HTTP contract (each code maps to one of
/// its error codes). Messages are safe to show: they never hold a token, a password or a hash.
package struct AuthError: Error, Sendable, Hashable, CustomStringConvertible {
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalidCredentials, tokenExpired, tokenInvalid, userInactive, weakPassword, emailTaken
            case notFound, forbidden, unavailable, wrongCurrentPassword, accountLocked
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// AUTH_001: unknown email or wrong password, alike.
        package static let invalidCredentials = Code(.invalidCredentials)
        /// AUTH_002.
        package static let tokenExpired = Code(.tokenExpired)
        /// AUTH_003: forged, malformed, of another type, revoked, or reused.
        package static let tokenInvalid = Code(.tokenInvalid)
        /// AUTH_005.
        package static let userInactive = Code(.userInactive)
        /// VAL_002: the message names what the password lacks.
        package static let weakPassword = Code(.weakPassword)
        /// USER_002.
        package static let emailTaken = Code(.emailTaken)
        /// USER_001 / SYS_002.
        package static let notFound = Code(.notFound)
        /// AUTH_004.
        package static let forbidden = Code(.forbidden)
        /// SYS_004 with 429: too many failed logins for this account; `retryAfterSeconds` says for how long.
        package static let accountLocked = Code(.accountLocked)
        /// AUTH_001 with 403: the current password given to change it is wrong.
        package static let wrongCurrentPassword = Code(.wrongCurrentPassword)
        /// SYS_007: the log cannot be written, or the password hashers are saturated.
        package static let unavailable = Code(.unavailable)

        package var description: String { base.rawValue }
    }

    package let code: Code
    package let message: String
    /// For `accountLocked`: when the account may try again.
    package var retryAfterSeconds: Int?

    package init(_ code: Code, _ message: String, retryAfterSeconds: Int? = nil) {
        self.code = code
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
    }

    package var description: String { "\(code): \(message)" }
}
