/// Why the engine refused an operation. A struct over a hidden code, like `WALError`; messages never contain
/// secrets (no tokens, no passwords, no digests).
package struct EngineError: Error, Sendable, Hashable, CustomStringConvertible {
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case userNotFound, userInactive, credentialChanged, emailTaken, sessionNotFound, sessionInactive,
                notYourSession
            case refreshTokenInvalid, refreshTokenReused, logUnavailable, notLeader, invalidArgument
            case organizationNotFound, slugTaken, alreadyMember, notMember, insufficientRole, lastOwner
            case clientNotFound, codeInvalid, codeReused, resourceNotGranted, initialAccessTokenInvalid
            case externalAccountTaken, externalAccountNotFound, lastSignInMethod, socialStateInvalid
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        package static let userNotFound = Code(.userNotFound)
        /// The user is deactivated.
        package static let userInactive = Code(.userInactive)
        /// The password a login verified is no longer the user's: it was changed or reset meanwhile.
        package static let credentialChanged = Code(.credentialChanged)
        /// Another user that is not deleted has this email.
        package static let emailTaken = Code(.emailTaken)
        package static let sessionNotFound = Code(.sessionNotFound)
        /// Revoked or expired.
        package static let sessionInactive = Code(.sessionInactive)
        /// The session belongs to another user.
        package static let notYourSession = Code(.notYourSession)
        /// The refresh token does not match the session's current or previous secret.
        package static let refreshTokenInvalid = Code(.refreshTokenInvalid)
        /// A rotated-out refresh token came back after the grace window: the session was revoked.
        package static let refreshTokenReused = Code(.refreshTokenReused)
        /// The log cannot be written; nothing is acknowledged.
        package static let logUnavailable = Code(.logUnavailable)
        /// This node follows the cluster's leader: changes are made there, never here.
        package static let notLeader = Code(.notLeader)
        package static let invalidArgument = Code(.invalidArgument)
        package static let organizationNotFound = Code(.organizationNotFound)
        /// Another organization has this slug.
        package static let slugTaken = Code(.slugTaken)
        /// The user is a member of the organization already.
        package static let alreadyMember = Code(.alreadyMember)
        /// The user is not a member of the organization.
        package static let notMember = Code(.notMember)
        /// The caller's role in the organization does not allow the change.
        package static let insufficientRole = Code(.insufficientRole)
        /// The change would leave the organization without an owner.
        package static let lastOwner = Code(.lastOwner)
        /// No such OAuth client (or it was deleted).
        package static let clientNotFound = Code(.clientNotFound)
        /// The authorization code is unknown, expired, or bound to another client, redirect URI or verifier.
        package static let codeInvalid = Code(.codeInvalid)
        /// A token request named a resource (RFC 8707) its authorization did not: nothing was spent.
        package static let resourceNotGranted = Code(.resourceNotGranted)
        /// An initial access token (client registration) that is unknown, revoked, expired or used up.
        package static let initialAccessTokenInvalid = Code(.initialAccessTokenInvalid)
        /// The authorization code was used before: the session it made is revoked.
        package static let codeReused = Code(.codeReused)
        /// The provider identity signs another user in, or the user has an account of that provider already.
        package static let externalAccountTaken = Code(.externalAccountTaken)
        /// The user has no account of that provider linked.
        package static let externalAccountNotFound = Code(.externalAccountNotFound)
        /// Unlinking would leave the user without a password and without any other linked account.
        package static let lastSignInMethod = Code(.lastSignInMethod)
        /// The social sign-in state is unknown, used, expired, or presented by another browser or provider.
        package static let socialStateInvalid = Code(.socialStateInvalid)

        package var description: String { base.rawValue }
    }

    package let code: Code
    package let message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { "\(code): \(message)" }
}
