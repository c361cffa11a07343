import Synchronization

/// Access tokens whose signature and claims were checked already, by their full text: a resource server
/// introspects the same token on every call it serves, and an Ed25519 verification costs tens of microseconds.
/// Only the signature and the claims are cached — whether the session is still active is read on every call —
/// and only until the token expires. Bounded: the oldest entry gives way. A forged token never matches an entry,
/// since the whole text is the key.
final class VerifiedTokenCache: Sendable {
    private struct Entries {
        var tokens: [String: VerifiedAccessToken] = [:]
        /// Insertion order, for eviction (a ring of `capacity` slots).
        var order: [String?]
        var next = 0
    }

    private let capacity: Int
    private let entries: Mutex<Entries>

    init(capacity: Int) {
        precondition(capacity > 0, "a cache holds at least one token")
        self.capacity = capacity
        entries = Mutex(Entries(order: Array(repeating: nil, count: capacity)))
    }

    /// The verified token, while it has not expired at `nowSeconds`.
    func get(_ token: String, nowSeconds: Int64) -> VerifiedAccessToken? {
        guard let verified = entries.withLock({ $0.tokens[token] }), nowSeconds < verified.expiresAt else { return nil }
        return verified
    }

    func put(_ token: String, _ verified: VerifiedAccessToken) {
        entries.withLock { entries in
            guard entries.tokens.updateValue(verified, forKey: token) == nil else { return }
            if let evicted = entries.order[entries.next] { entries.tokens[evicted] = nil }
            entries.order[entries.next] = token
            entries.next = (entries.next + 1) % capacity
        }
    }
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
