/// The stager thread: while the writer waits for the disk, it takes what producers queue and lays it out
/// (copied, sealed, placed in segments) as the next commit, so that the writer finds it ready.
final class Stager: Sendable {
    let shared: GroupCommit

    /// Records queued before the stager is woken: enough to be worth a wake-up.
    static let wakeThreshold = 32

    init(shared: GroupCommit) { self.shared = shared }

    func run() {
        let queue = shared.queue
        var batch: [UInt8] = []
        while true {
            let area = queue.wait(
                on: .second,
                until: { state in
                    if state.writerStopped || state.failure != nil { return true }
                    return state.writing && state.staging != nil && state.pendingRecords >= Self.wakeThreshold
                }
            ) { state -> StagingArea? in
                guard !state.writerStopped, state.failure == nil else { return nil }
                defer { state.staging = nil }
                return state.staging
            }
            guard let area else { break }
            do throws(WALError) {
                try shared.layOutQueued(into: area, batch: &batch)
            } catch {
                queue.withLock { $0.staging = area }
                shared.fail(with: error)
                break
            }
            queue.withLock { $0.staging = area }
            queue.signal(.first)
        }
        queue.withLock { $0.stagerExited = true }
        queue.broadcast(.first)
    }
}
