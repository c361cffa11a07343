#if canImport(Glibc)
import Glibc
#endif

/// A value guarded by a pthread mutex with a condition variable, for the writer thread to sleep on until
/// producers queue work. (Swift's `Mutex` has no condition variable; the writer is a plain thread, not a task.)
///
/// `@unchecked Sendable`: every access to `value` happens with the mutex held, inside `withLock` or `wait`.
final class ConditionLock<Value>: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var value: Value

    init(_ value: Value) {
        self.value = value
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        condition.deallocate()
    }

    func withLock<T, E: Error>(_ body: (inout Value) throws(E) -> T) throws(E) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }

    /// Wakes one thread waiting in `wait`.
    func signal() { pthread_cond_signal(condition) }

    /// Wakes every thread waiting in `wait`.
    func broadcast() { pthread_cond_broadcast(condition) }

    /// Waits until `ready` holds or, when given, the monotonic clock passes `deadlineNanoseconds`; then runs
    /// `body` with the lock still held.
    func wait<T>(
        until ready: (inout Value) -> Bool, deadlineNanoseconds: UInt64? = nil, then body: (inout Value) -> T
    ) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while !ready(&value) {
            if let deadlineNanoseconds {
                if MonotonicClock.nanoseconds() >= deadlineNanoseconds { break }
                var deadline = timespec(tv_sec: Int(deadlineNanoseconds / 1_000_000_000),
                                        tv_nsec: Int(deadlineNanoseconds % 1_000_000_000))
                pthread_cond_timedwait(condition, mutex, &deadline)
            } else {
                pthread_cond_wait(condition, mutex)
            }
        }
        return body(&value)
    }
}

/// Nanoseconds on the monotonic clock.
enum MonotonicClock {
    static func nanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }
}
