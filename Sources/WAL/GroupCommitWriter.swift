/// The writer thread: takes what producers queued, lays it out as a commit (frames sealed with their
/// segment's epoch, a piece per segment), and hands it to the committer thread, which writes and syncs it.
/// While the committer waits for the disk, the writer collects and lays out the next commit: the two stages
/// overlap, with at most one commit on its way to the disk and one being assembled.
final class GroupCommitWriter: Sendable {
    let queue: ConditionLock<AppendQueue>
    let allocator: SegmentAllocator
    let durability: Durability
    let segmentList: SegmentList
    let committer: Committer

    /// While the committer is busy, the writer lays out queued records once this many have gathered, so
    /// that sealing overlaps with the disk without waking the writer for every record.
    static let stagingThreshold = 32

    init(queue: ConditionLock<AppendQueue>, allocator: SegmentAllocator, durability: Durability,
         segmentList: SegmentList, committer: Committer) {
        self.queue = queue
        self.allocator = allocator
        self.durability = durability
        self.segmentList = segmentList
        self.committer = committer
    }

    /// Runs until the log closes or fails. `segment` is where appends continue, or nil to start a new one
    /// at `firstLSN`, the LSN the log was opened with (producers may have queued records since).
    func run(continuing segment: ActiveSegment?, firstLSN: LSN) {
        startDetachedThread(name: "tessera-wal-io") { [committer] in committer.run() }
        var active = segment
        var batch: [UInt8] = []
        do {
            if active == nil { active = try newSegment(firstLSN: firstLSN) }
            var builder = CommitBuilder(buffer: queue.withLock { $0.freeBuffers.removeLast() })
            var lastWritten = firstLSN - 1
            var unsynced = false
            var lastSyncNanoseconds = MonotonicClock.nanoseconds()
            var committerWasIdle = true
            while true {
                // The periodic sync of `batch` mode: while the committer is busy, its completion wakes the
                // writer, so the timed wake-up is only needed while it is idle.
                let deadline = syncDeadline(unsynced: unsynced || !builder.isEmpty, lastSync: lastSyncNanoseconds)
                let staged = !builder.isEmpty
                let state = queue.wait(on: .first, until: { state in
                    let idle = !state.committerBusy
                    if state.failure != nil || state.closing && idle { return true }
                    if idle && (staged || state.pendingRecords > 0) { return true }
                    if idle, let deadline, MonotonicClock.nanoseconds() >= deadline { return true }
                    if !idle && state.pendingRecords >= Self.stagingThreshold { return true }
                    state.writerWakeThreshold = idle ? 1 : Self.stagingThreshold
                    return false
                }, deadlineNanoseconds: committerWasIdle ? deadline : nil) { state in
                    state.writerWakeThreshold = 0
                    return (idle: !state.committerBusy, closing: state.closing, failed: state.failure != nil,
                            resumed: state.lastResumed, commitNanoseconds: state.lastCommitNanoseconds)
                }
                if state.failed { break }
                committerWasIdle = state.idle
                if mustSyncEveryCommit && state.idle && !staged && state.resumed > 1 {
                    gather(records: state.resumed, commitNanoseconds: state.commitNanoseconds)
                }
                let (first, last) = queue.withLock { state -> (LSN, LSN) in
                    swap(&state.pending, &batch)
                    let first = state.pendingFirstLSN
                    state.pendingFirstLSN = state.nextLSN
                    return (first, state.nextLSN - 1)
                }
                if !batch.isEmpty {
                    let stagingStart = MonotonicClock.nanoseconds()
                    try builder.append(&batch, firstLSN: first, segment: &active!, rotate: newSegment(firstLSN:))
                    lastWritten = last
                    batch.removeAll(keepingCapacity: true)
                    let spent = MonotonicClock.nanoseconds() - stagingStart
                    let staged = builder.bytes
                    queue.withLock { state in
                        state.statistics.stagingNanoseconds += spent
                        state.stagedBytes = staged
                    }
                }
                guard state.idle else { continue }
                let syncDue = state.closing || mustSyncEveryCommit
                    || deadline.map { MonotonicClock.nanoseconds() >= $0 } ?? false
                if !builder.isEmpty || (syncDue && unsynced) {
                    let commit = builder.finish(sync: syncDue, segment: active!, lastWritten: lastWritten)
                    let nextBuffer = queue.withLock { state -> AlignedBuffer in
                        state.handedOver = commit
                        state.stagedBytes = 0
                        state.committerBusy = true
                        return state.freeBuffers.removeLast()
                    }
                    queue.signal(.second)
                    builder = CommitBuilder(buffer: nextBuffer)
                    unsynced = !syncDue
                    if syncDue { lastSyncNanoseconds = MonotonicClock.nanoseconds() }
                    continue
                }
                if state.closing && queue.withLock({ $0.pendingRecords == 0 }) { break }
            }
        } catch {
            committer.fail(with: error)
        }
        queue.withLock { $0.writerStopped = true }
        queue.signal(.second)
        queue.wait(on: .first, until: { $0.committerExited }) { _ in }
        active?.close()
        allocator.quiesce()
        finish()
    }

    private var mustSyncEveryCommit: Bool {
        if case .sync = durability { return true }
        return false
    }

    /// When the next periodic sync is due in `batch` mode.
    private func syncDeadline(unsynced: Bool, lastSync: UInt64) -> UInt64? {
        guard case .batch(let milliseconds) = durability, unsynced else { return nil }
        return lastSync + UInt64(milliseconds) * 1_000_000
    }

    /// After a commit resumed `records` producers, gives them part of a commit's time to append again, so
    /// that they share the next write instead of trickling into several: waits until that many records are
    /// queued or half the last commit's I/O time (at most 0.5 ms) has passed.
    private func gather(records: Int, commitNanoseconds: UInt64) {
        let start = MonotonicClock.nanoseconds()
        let deadline = start + min(commitNanoseconds / 2, 500_000)
        queue.wait(on: .first, until: { state in
            let ready = state.pendingRecords >= records || state.closing || state.failure != nil
            state.writerWakeThreshold = ready ? 0 : records
            return ready
        }, deadlineNanoseconds: deadline) { state in
            state.writerWakeThreshold = 0
            state.lastResumed = 0
            state.statistics.gatherNanoseconds += MonotonicClock.nanoseconds() - start
        }
    }

    private func newSegment(firstLSN: LSN) throws(WALError) -> ActiveSegment {
        let segment = try allocator.create(firstLSN: firstLSN)
        segmentList.append(firstLSN: firstLSN)
        queue.withLock { $0.statistics.segmentsCreated += 1 }
        return segment
    }

    private func finish() {
        let (closers, waiting) = queue.withLock { state in
            state.closed = true
            let closers = state.closeWaiters
            state.closeWaiters.removeAll()
            let waiting = state.waiters
            state.waiters.removeAll()
            return (closers, waiting)
        }
        let closedError = WALError(.closed, "the log was closed before this record became durable")
        for waiter in waiting { waiter.continuation.resume(returning: closedError) }
        for closer in closers { closer.resume() }
    }
}
