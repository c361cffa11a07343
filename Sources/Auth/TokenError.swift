/// Why a token was refused. Never says more than the kind: a forged token learns nothing.
public struct TokenError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case malformed, unsupportedAlgorithm, badSignature, expired, wrongType, wrongIssuer
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// Not three base64url parts of a flat JSON header and claims, or a claim missing or of the wrong type.
        public static let malformed = Code(.malformed)
        /// Any `alg` but HS256 (`none` included).
        public static let unsupportedAlgorithm = Code(.unsupportedAlgorithm)
        public static let badSignature = Code(.badSignature)
        public static let expired = Code(.expired)
        /// Not an access token.
        public static let wrongType = Code(.wrongType)
        public static let wrongIssuer = Code(.wrongIssuer)

        public var description: String { base.rawValue }
    }

    public let code: Code

    public init(_ code: Code) { self.code = code }

    public var description: String { "token refused: \(code)" }
}
