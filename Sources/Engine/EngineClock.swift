import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Where the engine reads the time: injected, so that tests control it. Records carry the time they were
/// made with, so replay never reads a clock.
package protocol EngineClock: Sendable {
    /// Unix time in milliseconds.
    func nowMilliseconds() -> Int64
}

/// The system's wall clock.
package struct SystemClock: EngineClock {
    package init() {}

    package func nowMilliseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}

/// A clock that moves only when told to.
package final class ManualClock: EngineClock {
    private let milliseconds: Mutex<Int64>

    package init(milliseconds: Int64) { self.milliseconds = Mutex(milliseconds) }

    package func nowMilliseconds() -> Int64 { milliseconds.withLock { $0 } }

    package func advance(byMilliseconds delta: Int64) { milliseconds.withLock { $0 += delta } }
}
