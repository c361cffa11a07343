import Auth
import Engine
import FoundationEssentials
import NIOCore
import Synchronization

/// Introspection answers remembered as their encoded bytes, by the token's full text: a resource server
/// introspects the same token on every call it serves. An answer is only ever given again while nothing it was
/// read from changed — the change stamp of the token's session's shard and of the client directory, taken before
/// the read, is compared on every hit, and every change is counted before it is acknowledged — and while its
/// token and session have not expired. So a revocation, logout, deactivation or client deletion makes the very
/// next introspection read the state again. Only active answers are kept; bounded (16 parts of 1,024, the oldest
/// giving way), each part behind its own lock.
final class IntrospectionAnswers: Sendable {
    private struct Answer: Sendable {
        let body: ByteBuffer
        let source: UUID
        let stamp: ChangeStamp
        let validUntilMilliseconds: Int64
    }

    private struct Entries {
        var answers: [String: Answer] = [:]
        var order: [String?]
        var next = 0
    }

    private final class Part: Sendable {
        let entries: Mutex<Entries>
        init(capacity: Int) { entries = Mutex(Entries(order: Array(repeating: nil, count: capacity))) }
    }

    private static let partCount = 16
    private let partCapacity: Int
    private let parts: [Part]
    let provider: OAuthProvider
    let engine: Engine

    init(provider: OAuthProvider, engine: Engine, capacity: Int = 16_384) {
        self.provider = provider
        self.engine = engine
        partCapacity = max(1, capacity / Self.partCount)
        parts = (0..<Self.partCount).map { [partCapacity] _ in Part(capacity: partCapacity) }
    }

    private func part(for token: String) -> Part { parts[Int(token.utf8.last ?? 0) % Self.partCount] }

    /// The RFC 7662 answer for `token`, as bytes.
    func answer(for token: String) -> ByteBuffer {
        let part = part(for: token)
        if let kept = part.entries.withLock({ $0.answers[token] }),
            engine.clock.nowMilliseconds() < kept.validUntilMilliseconds,
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
        let answer = Answer(body: body, source: source, stamp: stamp, validUntilMilliseconds: validUntil)
        let capacity = partCapacity
        part.entries.withLock { entries in
            guard entries.answers.updateValue(answer, forKey: token) == nil else { return }
            if let evicted = entries.order[entries.next] { entries.answers[evicted] = nil }
            entries.order[entries.next] = token
            entries.next = (entries.next + 1) % capacity
        }
        return body
    }
}
