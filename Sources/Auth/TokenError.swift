/// Why a token was refused. Never says more than the kind: a forged token learns nothing.
public struct TokenError: Error, Sendable, Hashable, CustomStringConvertible {
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case malformed, unsupportedAlgorithm, badSignature, expired, wrongType, wrongIssuer
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// Not three base64url parts of a flat JSON header and claims, or a claim missing or of the wrong type.
        package static let malformed = Code(.malformed)
        /// Any `alg` but HS256 (`none` included).
        package static let unsupportedAlgorithm = Code(.unsupportedAlgorithm)
        package static let badSignature = Code(.badSignature)
        package static let expired = Code(.expired)
        /// Not an access token.
        package static let wrongType = Code(.wrongType)
        package static let wrongIssuer = Code(.wrongIssuer)

        package var description: String { base.rawValue }
    }

    package let code: Code

    package init(_ code: Code) { self.code = code }

    public var description: String { "token refused: \(code)" }
}
