import Dispatch
import HummingbirdBcrypt
import Synchronization

/// bcrypt on a bounded pool of its own threads — never on a shard or an event loop. One serial queue per
/// core; work goes to them in turn. At most `maxQueued` hashes wait; beyond that callers get `busy` (a 503)
/// instead of an ever longer queue.
package final class PasswordHasher: Sendable {
    package let cost: UInt8
    private let queues: [DispatchQueue]
    private let next = Atomic<Int>(0)
    private let queued = Atomic<Int>(0)
    private let maxQueued: Int
    /// A hash of a password nobody has, verified against when the email is unknown, so that unknown emails
    /// take as long as wrong passwords.
    package let decoyHash: String

    package init(cost: UInt8, threads: Int, maxQueued: Int = 1024) {
        precondition((4...31).contains(cost), "bcrypt cost is 4 to 31")
        self.cost = cost
        self.maxQueued = maxQueued
        queues = (0..<max(1, threads)).map { DispatchQueue(label: "tessera.bcrypt.\($0)") }
        decoyHash = Bcrypt.hash("decoy password that nobody has", cost: cost)
    }

    /// The bcrypt hash of `password`. A password bcrypt would read only part of — one with a NUL (the C
    /// function stops there) or longer than 72 bytes (it ignores the rest) — is `unhashable`, never hashed.
    package func hash(_ password: String) async throws(PasswordHasherError) -> String {
        guard Self.isWhollyRead(password) else { throw PasswordHasherError(.unhashable) }
        let cost = cost
        return try await run { Bcrypt.hash(password, cost: cost) }
    }

    /// Whether `password` is the one `hash` was made from. A password bcrypt would read only part of never
    /// matches: its readable prefix could be somebody's whole password.
    package func verify(_ password: String, hash: String) async throws(PasswordHasherError) -> Bool {
        guard Self.isWhollyRead(password) else { return false }
        return try await run { Bcrypt.verify(password, hash: hash) }
    }

    /// bcrypt reads at most this many bytes of a password.
    package static let maximumPasswordBytes = 72

    /// Whether bcrypt reads every byte of `password`: no NUL, which ends the C string it is given, and at
    /// most 72 bytes.
    package static func isWhollyRead(_ password: String) -> Bool {
        password.utf8.count <= maximumPasswordBytes && !password.utf8.contains(0)
    }

    private func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async throws(PasswordHasherError) -> T {
        guard queued.add(1, ordering: .relaxed).newValue <= maxQueued else {
            queued.subtract(1, ordering: .relaxed)
            throw PasswordHasherError(.busy)
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

/// Why a password was not hashed or verified.
package struct PasswordHasherError: Error, Sendable, Hashable {
    package enum Code: Sendable, Hashable {
        /// Too many hashes are waiting.
        case busy
        /// bcrypt would read only part of the password (a NUL, or more than 72 bytes).
        case unhashable
    }

    package let code: Code

    init(_ code: Code) { self.code = code }
}
