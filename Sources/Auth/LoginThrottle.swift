import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Failed logins per account (by normalized email, whether or not the account exists, so that the lock tells
/// nothing about it), in memory and never logged. After `allowedFailures` failures in a row the account is
/// locked for `baseLockSeconds`, doubling with each further lock up to `maxLockSeconds`: bounded, so that nobody
/// can lock a victim out for long, and growing, so that guessing stays slow. A success clears the count.
///
/// An attempt counts from the moment it `begin`s, not when its password check ends: a guess whose bcrypt round
/// is still running holds one of the allowed failures, so that many guesses sent at once can never have more
/// than `allowedFailures` of them checked before the lock.
package final class LoginThrottle: Sendable {
    package let allowedFailures: Int
    package let baseLockSeconds: Int
    package let maxLockSeconds: Int
    private let maxTracked: Int

    private struct Entry {
        var failures = 0
        /// Attempts begun and not yet ended.
        var inFlight = 0
        var locks = 0
        var lockedUntilSeconds: Int = 0
        var lastSeenSeconds: Int = 0
    }

    private let entries = Mutex<[String: Entry]>([:])
    /// Seconds on a monotonic clock; injected in tests.
    private let now: @Sendable () -> Int

    package init(
        allowedFailures: Int = 5, baseLockSeconds: Int = 60, maxLockSeconds: Int = 900, maxTracked: Int = 100_000,
        now: (@Sendable () -> Int)? = nil
    ) {
        self.now = now ?? { LoginThrottle.monotonicSeconds() }
        self.allowedFailures = allowedFailures
        self.baseLockSeconds = baseLockSeconds
        self.maxLockSeconds = maxLockSeconds
        self.maxTracked = maxTracked
    }

    /// Seconds until the account may try again, or nil when it may now.
    package func lockedFor(_ email: String) -> Int? {
        let now = now()
        return entries.withLock { entries in
            guard let entry = entries[email], entry.lockedUntilSeconds > now else { return nil }
            return entry.lockedUntilSeconds - now
        }
    }

    /// Begins a login attempt: nil when it may check its password now — it then holds one of the allowed
    /// failures until `failed`, `succeeded` or `abandoned` ends it — or the seconds to wait: until the lock
    /// ends, or one second while the attempts under way already hold every allowed failure.
    package func begin(_ email: String) -> Int? {
        let now = now()
        return entries.withLock { entries -> Int? in
            if let entry = entries[email] {
                if entry.lockedUntilSeconds > now { return entry.lockedUntilSeconds - now }
                if entry.failures + entry.inFlight >= allowedFailures { return 1 }
            } else if entries.count >= maxTracked {
                evict(&entries)
            }
            entries[email, default: Entry()].inFlight += 1
            entries[email]!.lastSeenSeconds = now
            return nil
        }
    }

    /// Ends an attempt whose password was wrong (or whose account does not exist); returns the lock's length
    /// when this failure locks the account.
    @discardableResult
    package func failed(_ email: String) -> Int? {
        let now = now()
        return entries.withLock { entries -> Int? in
            if entries[email] == nil && entries.count >= maxTracked { evict(&entries) }
            var entry = entries[email] ?? Entry()
            entry.inFlight = max(0, entry.inFlight - 1)
            entry.failures += 1
            entry.lastSeenSeconds = now
            var lock: Int?
            if entry.failures >= allowedFailures {
                let seconds = min(maxLockSeconds, baseLockSeconds << min(entry.locks, 20))
                entry.lockedUntilSeconds = now + seconds
                entry.locks += 1
                entry.failures = 0
                lock = seconds
            }
            entries[email] = entry
            return lock
        }
    }

    /// Ends an attempt whose password was right: the account starts afresh (attempts still under way keep
    /// counting until they end).
    package func succeeded(_ email: String) {
        entries.withLock { entries in
            guard let inFlight = entries[email]?.inFlight, inFlight > 1 else {
                entries[email] = nil
                return
            }
            entries[email] = Entry(inFlight: inFlight - 1, lastSeenSeconds: now())
        }
    }

    /// Ends an attempt that checked no password (the hashers were busy): it counts neither way.
    package func abandoned(_ email: String) {
        entries.withLock { entries in
            guard var entry = entries[email] else { return }
            entry.inFlight = max(0, entry.inFlight - 1)
            entries[email] = entry.inFlight == 0 && entry.failures == 0 && entry.locks == 0 ? nil : entry
        }
    }

    private func evict(_ entries: inout [String: Entry]) {
        let oldest = entries.sorted { $0.value.lastSeenSeconds < $1.value.lastSeenSeconds }
            .prefix(max(1, entries.count / 10)).map(\.key)
        for key in oldest { entries[key] = nil }
    }

    package static func monotonicSeconds() -> Int {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return now.tv_sec
    }
}
