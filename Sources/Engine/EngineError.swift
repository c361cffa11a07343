/// Why the engine refused an operation. A struct over a hidden code, like `WALError`; messages never contain
/// secrets (no tokens, no passwords, no digests).
public struct EngineError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case userNotFound, userInactive, credentialChanged, emailTaken, sessionNotFound, sessionInactive,
                notYourSession
            case refreshTokenInvalid, refreshTokenReused, logUnavailable, invalidArgument
            case organizationNotFound, slugTaken, alreadyMember, notMember, insufficientRole, lastOwner
            case clientNotFound, codeInvalid, codeReused
            case externalAccountTaken, externalAccountNotFound, lastSignInMethod, socialStateInvalid
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        public static let userNotFound = Code(.userNotFound)
        /// The user is deactivated.
        public static let userInactive = Code(.userInactive)
        /// The password a login verified is no longer the user's: it was changed or reset meanwhile.
        public static let credentialChanged = Code(.credentialChanged)
        /// Another user that is not deleted has this email.
        public static let emailTaken = Code(.emailTaken)
        public static let sessionNotFound = Code(.sessionNotFound)
        /// Revoked or expired.
        public static let sessionInactive = Code(.sessionInactive)
        /// The session belongs to another user.
        public static let notYourSession = Code(.notYourSession)
        /// The refresh token does not match the session's current or previous secret.
        public static let refreshTokenInvalid = Code(.refreshTokenInvalid)
        /// A rotated-out refresh token came back after the grace window: the session was revoked.
        public static let refreshTokenReused = Code(.refreshTokenReused)
        /// The log cannot be written; nothing is acknowledged.
        public static let logUnavailable = Code(.logUnavailable)
        public static let invalidArgument = Code(.invalidArgument)
        public static let organizationNotFound = Code(.organizationNotFound)
        /// Another organization has this slug.
        public static let slugTaken = Code(.slugTaken)
        /// The user is a member of the organization already.
        public static let alreadyMember = Code(.alreadyMember)
        /// The user is not a member of the organization.
        public static let notMember = Code(.notMember)
        /// The caller's role in the organization does not allow the change.
        public static let insufficientRole = Code(.insufficientRole)
        /// The change would leave the organization without an owner.
        public static let lastOwner = Code(.lastOwner)
        /// No such OAuth client (or it was deleted).
        public static let clientNotFound = Code(.clientNotFound)
        /// The authorization code is unknown, expired, or bound to another client, redirect URI or verifier.
        public static let codeInvalid = Code(.codeInvalid)
        /// The authorization code was used before: the session it made is revoked.
        public static let codeReused = Code(.codeReused)
        /// The provider identity signs another user in, or the user has an account of that provider already.
        public static let externalAccountTaken = Code(.externalAccountTaken)
        /// The user has no account of that provider linked.
        public static let externalAccountNotFound = Code(.externalAccountNotFound)
        /// Unlinking would leave the user without a password and without any other linked account.
        public static let lastSignInMethod = Code(.lastSignInMethod)
        /// The social sign-in state is unknown, used, expired, or presented by another browser or provider.
        public static let socialStateInvalid = Code(.socialStateInvalid)

        public var description: String { base.rawValue }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
