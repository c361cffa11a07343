/// Why a social sign-in, a linking or an unlinking was refused; the HTTP layer answers each code its way.
/// Messages are safe to show: they never carry a code, a state or a token.
package struct SocialLoginError: Error, Sendable, Hashable, CustomStringConvertible {
    package enum Code: Sendable, Hashable {
        /// No provider of that name is configured.
        case unknownProvider
        /// A parameter is missing or malformed (`field` names it).
        case invalidRequest
        /// The state is unknown, spent, expired, for another provider or purpose, or from another browser.
        case stateInvalid
        /// The provider could not be reached or answered something unusable.
        case providerUnavailable
        /// The provider refused the code.
        case codeRefused
        /// The provider's answer did not prove the identity (an ID token that does not verify).
        case identityRejected
        /// The provider gave no email, so no account can be made.
        case emailRequired
        /// The provider has not verified the email, and unverified emails are not trusted.
        case emailUnverified
        /// The user is inactive or deleted.
        case userInactive
        /// The provider account signs another user in, or the user has an account of that provider already.
        case alreadyLinked
        /// The user has no account of that provider.
        case notLinked
        /// Unlinking would leave the user no way to sign in.
        case lastSignInMethod
        /// The change could not be stored (the log is failing).
        case unavailable
    }

    package let code: Code
    package let message: String
    /// The request field at fault, when there is one.
    package let field: String?

    package init(_ code: Code, _ message: String, field: String? = nil) {
        self.code = code
        self.message = message
        self.field = field
    }

    package var description: String { message }
}
