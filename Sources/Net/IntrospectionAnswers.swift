import Auth
import Engine
import FoundationEssentials
import NIOCore

/// Introspection answers remembered as their encoded bytes, by the token's full text: a resource server
/// introspects the same token on every call it serves. An answer is only ever given again while nothing it was
/// read from changed — the change stamp of the token's session's shard and of the client directory, taken before
/// the read, is compared on every hit, and every change is counted before it is acknowledged — and while its
/// token and session have not expired. So a revocation, logout, deactivation or client deletion makes the very
/// next introspection read the state again. Only active answers are kept, at most 16,384.
final class IntrospectionAnswers: Sendable {
    private struct Answer: Sendable {
        let body: ByteBuffer
        let source: UUID
        let stamp: ChangeStamp
        let validUntilMilliseconds: Int64
    }

    private let answers: PartitionedCache<String, Answer>
    let provider: OAuthProvider
    let engine: Engine

    init(provider: OAuthProvider, engine: Engine, capacity: Int = 16_384) {
        self.provider = provider
        self.engine = engine
        // The token's last byte is part of its signature: evenly spread.
        answers = PartitionedCache(capacity: capacity) { Int($0.utf8.last ?? 0) }
    }

    /// The RFC 7662 answer for `token`, as bytes.
    func answer(for token: String) -> ByteBuffer {
        if let kept = answers.value(for: token), engine.clock.nowMilliseconds() < kept.validUntilMilliseconds,
            engine.changeStamp(of: kept.source) == kept.stamp
        {
            return kept.body
        }
        var stamp: ChangeStamp?
        let introspection = provider.introspect(token, stamp: &stamp)
        let body = introspection.json()
        guard introspection.active, let stamp, let source = introspection.source,
            let validUntil = introspection.validUntilMilliseconds
        else { return body }
        answers.store(Answer(body: body, source: source, stamp: stamp, validUntilMilliseconds: validUntil), for: token)
        return body
    }
}
