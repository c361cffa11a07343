/// The state shared by producers and the writer thread, always accessed under one lock.
struct AppendQueue {
    /// Frames queued and not yet taken by the writer, in LSN order, checksums not yet filled in.
    var pending: [UInt8] = []
    /// The LSN of the first frame in `pending`.
    var pendingFirstLSN: LSN
    /// The LSN the next enqueued record gets.
    var nextLSN: LSN
    /// While the writer sleeps: how many queued records should wake it (0 while it is busy, so producers
    /// do not signal in vain).
    var writerWakeThreshold = 0
    /// Every record up to this LSN is durable (written and synced).
    var durableLSN: LSN
    /// Producers waiting for durability, in the order they asked.
    var waiters: [Waiter] = []
    /// Set once a write or sync failed; from then on every append fails with it.
    var failure: WALError?
    var closing = false
    var closed = false
    var closeWaiters: [CheckedContinuation<Void, Never>] = []

    // The pipeline between the writer thread and the committer thread.
    /// Bytes the writer has taken from `pending` and laid out, not yet handed over; with `pending`, bounded
    /// by `maxQueuedBytes`.
    var stagedBytes = 0
    /// A commit the writer handed over and the committer has not taken yet.
    var handedOver: Commit?
    /// From hand-over until the committer has written (and synced) the commit.
    var committerBusy = false
    /// Staging buffers not in use (two exist: one being filled, one being written).
    var freeBuffers: [AlignedBuffer] = [AlignedBuffer(capacity: 1 << 20), AlignedBuffer(capacity: 1 << 20)]
    /// The writer hands over no more commits; the committer exits when it has none.
    var writerStopped = false
    var committerExited = false
    /// Producers the last completed commit resumed, and how long its I/O took: the gather window's input.
    var lastResumed = 0
    var lastCommitNanoseconds: UInt64 = 0
    var statistics = WALStatistics()

    /// A producer suspended in `waitUntilDurable`. Its continuation is unchecked to save an allocation per
    /// append on the hot path; it is resumed exactly once because a waiter is removed from `waiters` under
    /// the lock by whoever resumes it (completion, failure, or close).
    struct Waiter {
        let lsn: LSN
        let continuation: UnsafeContinuation<WALError?, Never>
    }

    init(nextLSN: LSN) {
        self.nextLSN = nextLSN
        self.pendingFirstLSN = nextLSN
        self.durableLSN = nextLSN - 1
    }

    /// Records queued and not yet taken by the writer.
    var pendingRecords: Int { Int(nextLSN - pendingFirstLSN) }

    /// Whether an enqueue just now should wake the writer.
    var shouldWakeWriter: Bool {
        writerWakeThreshold > 0 && pendingRecords >= writerWakeThreshold
    }

    /// Removes and returns the waiters whose records are now durable.
    mutating func takeWaiters(through lsn: LSN) -> [Waiter] {
        guard !waiters.isEmpty else { return [] }
        var ready: [Waiter] = []
        waiters.removeAll { waiter in
            guard waiter.lsn <= lsn else { return false }
            ready.append(waiter)
            return true
        }
        return ready
    }
}

/// Counters of the writer's work, for `wal stats` and benchmarks.
public struct WALStatistics: Sendable, Hashable {
    /// Writes issued (one per group commit, more when a commit crosses into a new segment).
    public var commits = 0
    /// Records written.
    public var records = 0
    /// Bytes written, frames and padding included.
    public var bytes = 0
    /// `fdatasync` calls.
    public var syncs = 0
    /// Segment files created.
    public var segmentsCreated = 0
    /// Time spent laying out and sealing commits (writer thread), writing and syncing them (committer
    /// thread), and waiting for producers in the gather window (writer thread).
    public var stagingNanoseconds: UInt64 = 0
    public var deviceNanoseconds: UInt64 = 0
    public var gatherNanoseconds: UInt64 = 0
}
