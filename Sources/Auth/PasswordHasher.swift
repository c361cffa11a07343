import Dispatch
import HummingbirdBcrypt
import Synchronization

/// bcrypt on a bounded pool of its own threads — never on a shard or an event loop. One serial queue per
/// core; work goes to them in turn. At most `maxQueued` hashes wait; beyond that callers get `busy` (a 503)
/// instead of an ever longer queue.
public final class PasswordHasher: Sendable {
    public let cost: UInt8
    private let queues: [DispatchQueue]
    private let next = Atomic<Int>(0)
    private let queued = Atomic<Int>(0)
    private let maxQueued: Int
    /// A hash of a password nobody has, verified against when the email is unknown, so that unknown emails
    /// take as long as wrong passwords.
    public let decoyHash: String

    public init(cost: UInt8, threads: Int, maxQueued: Int = 1024) {
        precondition((4...31).contains(cost), "bcrypt cost is 4 to 31")
        self.cost = cost
        self.maxQueued = maxQueued
        queues = (0..<max(1, threads)).map { DispatchQueue(label: "tessera.bcrypt.\($0)") }
        decoyHash = Bcrypt.hash("decoy password that nobody has", cost: cost)
    }

    public func hash(_ password: String) async throws(PasswordHasherError) -> String {
        let cost = cost
        return try await run { Bcrypt.hash(password, cost: cost) }
    }

    public func verify(_ password: String, hash: String) async throws(PasswordHasherError) -> Bool {
        try await run { Bcrypt.verify(password, hash: hash) }
    }

    private func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async throws(PasswordHasherError) -> T {
        guard queued.add(1, ordering: .relaxed).newValue <= maxQueued else {
            queued.subtract(1, ordering: .relaxed)
            throw PasswordHasherError()
        }
        let queue = queues[next.add(1, ordering: .relaxed).newValue % queues.count]
        return await withCheckedContinuation { continuation in
            queue.async {
                let result = work()
                self.queued.subtract(1, ordering: .relaxed)
                continuation.resume(returning: result)
            }
        }
    }
}

/// Too many password hashes are waiting.
public struct PasswordHasherError: Error, Sendable {}
