#if canImport(Glibc)
import Glibc
#endif

/// A value guarded by a pthread mutex, with condition variables for threads to sleep on until the value
/// changes in a way they wait for. (Swift's `Mutex` has no condition variable, and the log's threads are
/// plain threads that block, not tasks.) Each kind of waiter has its own condition, so that a signal meant
/// for one never wakes the other instead.
///
/// `@unchecked Sendable`: every access to `value` happens with the mutex held, inside `withLock` or `wait`.
final class ConditionLock<Value>: @unchecked Sendable {
    private let conditionCount: Int
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let conditions: UnsafeMutablePointer<pthread_cond_t>
    private var value: Value

    /// `conditions`: how many condition variables threads may wait on (`LockCondition(index:)` below it).
    init(_ value: Value, conditions conditionCount: Int = 1) {
        self.value = value
        self.conditionCount = conditionCount
        conditions = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: conditionCount)
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        for index in 0..<conditionCount { pthread_cond_init(conditions + index, &attributes) }
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        for index in 0..<conditionCount { pthread_cond_destroy(conditions + index) }
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        conditions.deallocate()
    }

    func withLock<T, E: Error>(_ body: (inout Value) throws(E) -> T) throws(E) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }

    /// Wakes one thread waiting on `condition`.
    func signal(_ condition: LockCondition = .first) { pthread_cond_signal(conditions + condition.index) }

    /// Wakes every thread waiting on `condition`.
    func broadcast(_ condition: LockCondition = .first) { pthread_cond_broadcast(conditions + condition.index) }

    /// Calls `decide` with the lock held until it says to proceed, sleeping on `condition` (the lock released
    /// while asleep, so that no signal is missed between deciding and sleeping) whenever it says to sleep;
    /// returns its result. `decide` is told whether the thread slept since its previous call — woken by a
    /// signal, by the deadline or spuriously: it decides again either way.
    func step<Result>(
        on condition: LockCondition, _ decide: (inout Value, _ wokeUp: Bool) -> LockStep<Result>
    )
        -> Result
    {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        var wokeUp = false
        while true {
            switch decide(&value, wokeUp) {
            case .proceed(let result):
                return result
            case .sleep(let deadlineNanoseconds?):
                var deadline = timespec(
                    tv_sec: Int(deadlineNanoseconds / 1_000_000_000),
                    tv_nsec: Int(deadlineNanoseconds % 1_000_000_000))
                pthread_cond_timedwait(conditions + condition.index, mutex, &deadline)
            case .sleep(nil):
                pthread_cond_wait(conditions + condition.index, mutex)
            }
            wokeUp = true
        }
    }

    /// Waits on `condition` until `ready` holds, then runs `body` with the lock still held.
    func wait<T>(
        on condition: LockCondition = .first, until ready: (Value) -> Bool, then body: (inout Value) -> T
    ) -> T {
        step(on: condition) { value, _ in ready(value) ? .proceed(body(&value)) : .sleep(untilNanoseconds: nil) }
    }
}

/// What a thread in `ConditionLock.step` does next: go on with a result, or sleep first.
enum LockStep<Result> {
    case proceed(Result)
    /// Sleep until signalled, or until the monotonic clock passes the deadline when one is given.
    case sleep(untilNanoseconds: UInt64?)
}

/// Which of a `ConditionLock`'s condition variables to wait on or signal.
struct LockCondition: Sendable {
    let index: Int
    static let first = LockCondition(index: 0)
}

/// Nanoseconds on the monotonic clock.
enum MonotonicClock {
    static func nanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }
}
