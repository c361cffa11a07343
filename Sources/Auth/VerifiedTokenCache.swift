/// Access tokens whose signature and claims were checked already, by their full text: a resource server
/// introspects the same token on every call it serves, and an Ed25519 verification costs tens of microseconds.
/// Only the signature and the claims are cached — whether the session is still active is read on every call —
/// and only until the token expires. Bounded: the oldest entry gives way. A forged token never matches an entry,
/// since the whole text is the key. Split into 16 independently locked parts, chosen by the token's last byte
/// (part of its signature, so evenly spread), so that two event loops rarely wait for each other.
final class VerifiedTokenCache: Sendable {
    private let tokens: PartitionedCache<String, VerifiedAccessToken>

    init(capacity: Int) {
        tokens = PartitionedCache(capacity: capacity) { Int($0.utf8.last ?? 0) }
    }

    /// The verified token, while it has not expired at `nowSeconds`.
    func get(_ token: String, nowSeconds: Int64) -> VerifiedAccessToken? {
        guard let verified = tokens.value(for: token), nowSeconds < verified.expiresAt else { return nil }
        return verified
    }

    func put(_ token: String, _ verified: VerifiedAccessToken) { tokens.store(verified, for: token) }
}

extension VerifiedAccessToken {
    /// Unix seconds.
    var expiresAt: Int64 {
        switch self {
        case .firstParty(let claims): claims.expiresAt
        case .provider(let claims): claims.expiresAt
        }
    }
}
