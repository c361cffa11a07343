package import WAL

/// The leader's replication as one state machine: records come in as the local log queues them (in LSN order),
/// are committed to PostgreSQL one batch at a time — everything queued since the last batch, as group commit —
/// and the producers waiting for an LSN are resumed once a batch holding it committed. Synchronous and
/// thread-free: `LogReplicator` owns it under a lock and does what it returns.
///
/// A database error fails the producers waiting then (they answer 503) but keeps the records: the batch is
/// tried again, with the same LSNs, until it commits or the lease is lost, so nothing is skipped. Once fenced,
/// everything fails and nothing more is committed: another node leads.
package struct ReplicationPipeline<Waiter> {
    /// What a producer's wait found.
    package enum WaitCheck {
        case committed
        case failed(ClusterError)
        case waiting
    }

    /// A batch to commit now.
    package struct Batch {
        package let run: FrameRun
        package let lease: ClusterLease
    }

    let lease: ClusterLease
    /// Records queued and not yet in a batch being committed, from `pendingFirstLSN`.
    private var pending: [(type: UInt16, payload: [UInt8])] = []
    private(set) var pendingFirstLSN: LSN
    /// The batch being committed, if any, and its records (kept for a retry).
    private(set) var inFlight: FrameRun?
    private var inFlightRecords: [(type: UInt16, payload: [UInt8])] = []
    /// Every record through here is committed to the cluster.
    private(set) var committedLSN: LSN
    private var waiters: [(lsn: LSN, waiter: Waiter)] = []
    /// Set once fenced: nothing more is committed, every wait fails with it.
    private(set) var fencedBy: ClusterError?
    /// Batches committed, and failed attempts.
    private(set) var batches = 0
    private(set) var failedAttempts = 0

    /// Starts replicating after `lease.lastLSN` (the log's end in PostgreSQL when the lease was taken).
    package init(lease: ClusterLease) {
        self.lease = lease
        pendingFirstLSN = lease.lastLSN + 1
        committedLSN = lease.lastLSN
    }

    /// The local log queued record `lsn`. Returns whether the committer should be woken (nothing in flight).
    package mutating func queued(lsn: LSN, type: UInt16, payload: [UInt8]) -> Bool {
        precondition(lsn == pendingFirstLSN + LSN(pending.count), "records reach replication in LSN order")
        guard fencedBy == nil else { return false }
        pending.append((type, payload))
        return inFlight == nil
    }

    /// A producer waits for `lsn` to be committed to the cluster.
    package mutating func awaitCommit(of lsn: LSN, waiter: Waiter) -> WaitCheck {
        if committedLSN >= lsn { return .committed }
        if let fencedBy { return .failed(fencedBy) }
        waiters.append((lsn, waiter))
        return .waiting
    }

    /// The next batch to commit: everything queued, when nothing is in flight and the lease is held.
    package mutating func nextBatch() -> Batch? {
        guard fencedBy == nil, inFlight == nil, !pending.isEmpty else { return nil }
        let run = FrameRun(records: pending, firstLSN: pendingFirstLSN, seed: lease.epoch)
        swap(&pending, &inFlightRecords)
        pending.removeAll(keepingCapacity: true)
        pendingFirstLSN = run.lastLSN + 1
        inFlight = run
        return Batch(run: run, lease: lease)
    }

    /// The batch in flight committed. Returns the producers to resume.
    package mutating func committed() -> [Waiter] {
        guard let run = inFlight else { return [] }
        return settle(through: run.lastLSN)
    }

    /// PostgreSQL already holds the batch in flight through `last`: an attempt given up on (no answer in time)
    /// committed late, and the retry — holding the same records and those queued since — found the log's end
    /// there. Those records count as committed; the rest are tried again, ahead of what was queued since.
    /// Returns the producers to resume.
    package mutating func committedEarlier(through last: LSN) -> [Waiter] {
        guard let run = inFlight, run.firstLSN <= last, last <= run.lastLSN else { return [] }
        return settle(through: last)
    }

    /// Records of the batch in flight through `last` are committed; any after it wait for the next batch.
    private mutating func settle(through last: LSN) -> [Waiter] {
        guard let run = inFlight else { return [] }
        if last < run.lastLSN {
            pending = Array(inFlightRecords.dropFirst(Int(last - run.firstLSN + 1))) + pending
            pendingFirstLSN = last + 1
        }
        inFlight = nil
        inFlightRecords.removeAll(keepingCapacity: true)
        batches += 1
        committedLSN = last
        var resumed: [Waiter] = []
        waiters.removeAll { entry in
            guard entry.lsn <= last else { return false }
            resumed.append(entry.waiter)
            return true
        }
        return resumed
    }

    /// The batch in flight failed with `error`. Returns the producers to fail: all of them. When fenced,
    /// nothing will be committed again; otherwise the batch is kept, ahead of what was queued since, to be
    /// tried again.
    package mutating func failed(_ error: ClusterError) -> [Waiter] {
        failedAttempts += 1
        if case .fenced = error {
            fencedBy = error
            pending.removeAll()
            inFlightRecords.removeAll()
            inFlight = nil
        } else if let run = inFlight {
            // The same records ahead of the newer ones, so that the retry commits the same LSNs.
            pending = inFlightRecords + pending
            inFlightRecords.removeAll()
            pendingFirstLSN = run.firstLSN
            inFlight = nil
        }
        let failing = waiters.map(\.waiter)
        waiters.removeAll()
        return failing
    }

    /// Whether records wait for a batch (after a failure, the committer tries again).
    package var hasPending: Bool { !pending.isEmpty && inFlight == nil && fencedBy == nil }
}
