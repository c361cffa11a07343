import Synchronization

/// Access tokens whose signature and claims were checked already, by their full text: a resource server
/// introspects the same token on every call it serves, and an Ed25519 verification costs tens of microseconds.
/// Only the signature and the claims are cached — whether the session is still active is read on every call —
/// and only until the token expires. Bounded: the oldest entry gives way. A forged token never matches an entry,
/// since the whole text is the key. Split into 16 independently locked parts, chosen by the token's last byte
/// (part of its signature, so evenly spread), so that two event loops rarely wait for each other.
final class VerifiedTokenCache: Sendable {
    private struct Entries {
        var tokens: [String: VerifiedAccessToken] = [:]
        /// Insertion order, for eviction (a ring of `capacity` slots).
        var order: [String?]
        var next = 0
    }

    /// One independently locked part (a class: a `Mutex` cannot sit in an array).
    private final class Part: Sendable {
        let entries: Mutex<Entries>
        init(capacity: Int) { entries = Mutex(Entries(order: Array(repeating: nil, count: capacity))) }
    }

    private static let partCount = 16
    private let partCapacity: Int
    private let parts: [Part]

    init(capacity: Int) {
        precondition(capacity > 0, "a cache holds at least one token")
        partCapacity = max(1, capacity / Self.partCount)
        parts = (0..<Self.partCount).map { [partCapacity] _ in Part(capacity: partCapacity) }
    }

    private func part(for token: String) -> Part {
        parts[Int(token.utf8.last ?? 0) % Self.partCount]
    }

    /// The verified token, while it has not expired at `nowSeconds`.
    func get(_ token: String, nowSeconds: Int64) -> VerifiedAccessToken? {
        guard let verified = part(for: token).entries.withLock({ $0.tokens[token] }), nowSeconds < verified.expiresAt
        else {
            return nil
        }
        return verified
    }

    func put(_ token: String, _ verified: VerifiedAccessToken) {
        let capacity = partCapacity
        part(for: token).entries.withLock { entries in
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
