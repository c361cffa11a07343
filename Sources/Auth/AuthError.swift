/// Why an authentication operation was refused, in the terms of the HTTP contract (each code maps to one of
/// its error codes). Messages are safe to show: they never hold a token, a password or a hash.
public struct AuthError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalidCredentials, tokenExpired, tokenInvalid, userInactive, weakPassword, emailTaken
            case notFound, forbidden, unavailable, wrongCurrentPassword, accountLocked
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// AUTH_001: unknown email or wrong password, alike.
        public static let invalidCredentials = Code(.invalidCredentials)
        /// AUTH_002.
        public static let tokenExpired = Code(.tokenExpired)
        /// AUTH_003: forged, malformed, of another type, revoked, or reused.
        public static let tokenInvalid = Code(.tokenInvalid)
        /// AUTH_005.
        public static let userInactive = Code(.userInactive)
        /// VAL_002: the message names what the password lacks.
        public static let weakPassword = Code(.weakPassword)
        /// USER_002.
        public static let emailTaken = Code(.emailTaken)
        /// USER_001 / SYS_002.
        public static let notFound = Code(.notFound)
        /// AUTH_004.
        public static let forbidden = Code(.forbidden)
        /// SYS_004 with 429: too many failed logins for this account; `retryAfterSeconds` says for how long.
        public static let accountLocked = Code(.accountLocked)
        /// AUTH_001 with 403: the current password given to change it is wrong.
        public static let wrongCurrentPassword = Code(.wrongCurrentPassword)
        /// SYS_007: the log cannot be written, or the password hashers are saturated.
        public static let unavailable = Code(.unavailable)

        public var description: String { base.rawValue }
    }

    public let code: Code
    public let message: String
    /// For `accountLocked`: when the account may try again.
    public var retryAfterSeconds: Int?

    public init(_ code: Code, _ message: String, retryAfterSeconds: Int? = nil) {
        self.code = code
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
    }

    public var description: String { "\(code): \(message)" }
}
