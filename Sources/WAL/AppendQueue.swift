/// The state shared by producers and the writer thread, always accessed under one lock.
struct AppendQueue {
    /// Frames queued and not yet taken by the writer, in LSN order, checksums not yet filled in.
    var pending: [UInt8] = []
    /// The LSN of the first frame in `pending`.
    var pendingFirstLSN: LSN
    /// The LSN the next enqueued record gets.
    var nextLSN: LSN
    /// While the writer sleeps: how many queued records should wake it (0: none, so producers do not
    /// signal in vain).
    var writerWakeThreshold = 0
    /// Likewise for the stager, which lays out records while the writer waits for the disk.
    var stagerWakeThreshold = 0
    /// Every record up to this LSN is durable (written and synced).
    var durableLSN: LSN
    /// Producers waiting for durability, in the order they asked.
    var waiters: [Waiter] = []
    /// Set once a write or sync failed; from then on every append fails with it.
    var failure: WALError?
    var closing = false
    var closed = false
    var closeWaiters: [CheckedContinuation<Void, Never>] = []

    // Shared by the writer and the stager.
    /// The commit being laid out, with the segment it goes to; nil while a thread holds it.
    var staging: StagingArea?
    /// Bytes taken from `pending` and laid out, not yet handed to the disk; with `pending`, bounded by
    /// `maxQueuedBytes`.
    var stagedBytes = 0
    /// While the writer writes and syncs a commit.
    var writing = false
    /// The staging buffer not in use (two exist: one being laid out, one being written).
    var spareBuffer: AlignedBuffer? = AlignedBuffer(capacity: 1 << 20)
    /// The writer has stopped; the stager exits.
    var writerStopped = false
    var stagerExited = false
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
    var shouldWakeWriter: Bool { writerWakeThreshold > 0 && pendingRecords >= writerWakeThreshold }

    /// Whether an enqueue just now should wake the stager.
    var shouldWakeStager: Bool { stagerWakeThreshold > 0 && pendingRecords >= stagerWakeThreshold }

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
package struct WALStatistics: Sendable, Hashable {
    /// Writes issued (one per group commit, more when a commit crosses into a new segment).
    package var commits = 0
    /// Records written.
    package var records = 0
    /// Bytes written, frames and padding included.
    package var bytes = 0
    /// `fdatasync` calls.
    package var syncs = 0
    /// Segment files created.
    package var segmentsCreated = 0
    /// Time spent laying out and sealing commits (writer and stager), writing and syncing them (writer),
    /// and waiting for producers in the gather window (writer).
    package var stagingNanoseconds: UInt64 = 0
    package var deviceNanoseconds: UInt64 = 0
    package var gatherNanoseconds: UInt64 = 0
}
