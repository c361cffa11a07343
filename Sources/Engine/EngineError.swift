/// Why the engine refused an operation. A struct over a hidden code, like `WALError`; messages never contain
/// secrets (no tokens, no passwords, no digests).
public struct EngineError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case userNotFound, emailTaken, sessionNotFound, sessionInactive, notYourSession
            case refreshTokenInvalid, refreshTokenReused, logUnavailable, invalidArgument
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        public static let userNotFound = Code(.userNotFound)
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
