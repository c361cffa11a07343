import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A progress line on standard error, rewritten at most once a second, so that a long run shows it is alive
/// without slowing the work it counts (one relaxed atomic add per step).
final class Progress: Sendable {
    private struct Phase: Sendable {
        var name = ""
        var total = 0
        var startedAt: UInt64 = 0
    }

    private let done = Atomic<Int>(0)
    private let lastPrintedAt = Atomic<UInt64>(0)
    private let phase = Mutex(Phase())
    /// Quiet progress prints nothing (for `--json` runs piped elsewhere it still goes to standard error).
    let quiet: Bool

    init(quiet: Bool = false) { self.quiet = quiet }

    /// Starts counting a new phase of `total` steps.
    func start(_ name: String, total: Int) {
        finish()
        done.store(0, ordering: .relaxed)
        let now = monotonicNanoseconds()
        lastPrintedAt.store(now, ordering: .relaxed)
        phase.withLock { $0 = Phase(name: name, total: total, startedAt: now) }
    }

    /// One step done.
    func advance(by steps: Int = 1) {
        let count = done.add(steps, ordering: .relaxed).newValue
        guard count & 1023 == 0 || steps > 1 else { return }
        let now = monotonicNanoseconds()
        let last = lastPrintedAt.load(ordering: .relaxed)
        guard now - last >= 1_000_000_000,
            lastPrintedAt.compareExchange(expected: last, desired: now, ordering: .relaxed).exchanged
        else { return }
        print(line(count: count, now: now), terminator: "\r")
    }

    /// Ends the current phase's line.
    func finish() {
        let current = phase.withLock { $0 }
        guard !current.name.isEmpty else { return }
        print(line(count: done.load(ordering: .relaxed), now: monotonicNanoseconds()), terminator: "\n")
        phase.withLock { $0 = Phase() }
    }

    private func line(count: Int, now: UInt64) -> String {
        let current = phase.withLock { $0 }
        let seconds = Double(now - current.startedAt) / 1e9
        let rate = seconds > 0 ? Int(Double(count) / seconds) : 0
        guard count > 0 || current.total > 0 else { return "  \(current.name): \(format(seconds)) s   " }
        let of = current.total > 0 ? " of \(current.total)" : ""
        return "  \(current.name): \(count)\(of), \(rate)/s, \(format(seconds)) s   "
    }

    private func print(_ text: String, terminator: String) {
        guard !quiet else { return }
        let bytes = Array((text + terminator).utf8)
        _ = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }
}
