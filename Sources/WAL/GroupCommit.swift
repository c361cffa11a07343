import Synchronization

/// What the log's threads share: the queue and its lock, segment creation, and the ways a commit ends
/// (durable, failed, closed).
final class GroupCommit: Sendable {
    let queue: ConditionLock<AppendQueue>
    /// Set once the log has failed, read without the queue's lock (by every request, on the hot path).
    let failed = Atomic<Bool>(false)
    let allocator: SegmentAllocator
    let segmentList: SegmentList
    let durability: Durability

    init(
        queue: ConditionLock<AppendQueue>, allocator: SegmentAllocator, segmentList: SegmentList,
        durability: Durability
    ) {
        self.queue = queue
        self.allocator = allocator
        self.segmentList = segmentList
        self.durability = durability
    }

    var syncsEveryCommit: Bool {
        if case .sync = durability { return true }
        return false
    }

    /// Moves everything queued into `batch` (which must be empty) and into `area`'s commit.
    func layOutQueued(into area: StagingArea, batch: inout [UInt8]) throws(WALError) {
        let alreadyStaged = area.builder.bytes
        let (first, last) = queue.withLock { state -> (LSN, LSN) in
            swap(&state.pending, &batch)
            // Counted as staged from this moment, so that the queue bound holds while they are laid out.
            state.stagedBytes = alreadyStaged + batch.count
            let first = state.pendingFirstLSN
            state.pendingFirstLSN = state.nextLSN
            return (first, state.nextLSN - 1)
        }
        guard !batch.isEmpty else { return }
        let start = MonotonicClock.nanoseconds()
        try area.lay(&batch, first: first, last: last, rotate: newSegment(firstLSN:))
        let spent = MonotonicClock.nanoseconds() - start
        let staged = area.builder.bytes
        queue.withLock { state in
            state.statistics.stagingNanoseconds += spent
            state.stagedBytes = staged
        }
    }

    func newSegment(firstLSN: LSN) throws(WALError) -> ActiveSegment {
        let segment = try allocator.create(firstLSN: firstLSN)
        segmentList.append(firstLSN: firstLSN)
        queue.withLock { $0.statistics.segmentsCreated += 1 }
        return segment
    }

    /// Marks records through `durableThrough` durable and resumes their waiters; returns how many.
    func complete(durableThrough: LSN) -> Int {
        let ready = queue.withLock { state in
            state.durableLSN = max(state.durableLSN, durableThrough)
            return state.takeWaiters(through: state.durableLSN)
        }
        for waiter in ready { waiter.continuation.resume(returning: nil) }
        return ready.count
    }

    /// Makes the log fail: the error goes to every waiting producer and to every later append, and the
    /// log's threads stop.
    func fail(with error: WALError) {
        failed.store(true, ordering: .releasing)
        let waiting = queue.withLock { state in
            if state.failure == nil { state.failure = error }
            state.pending.removeAll()
            state.pendingFirstLSN = state.nextLSN
            let waiting = state.waiters
            state.waiters.removeAll()
            return waiting
        }
        queue.broadcast(.first)
        queue.broadcast(.second)
        for waiter in waiting { waiter.continuation.resume(returning: error) }
    }

    /// After the threads stopped: fails what still waits with `closed` and resumes `close()` callers.
    func finish() {
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
