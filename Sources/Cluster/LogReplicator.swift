import Synchronization
package import WAL

/// The leader's side of replication: it sees every record the local log queues (as its `ReplicationSink`),
/// commits them to PostgreSQL in batches under the lease (`ClusterLogStore.append`), and lets a producer wait
/// until its record is committed there — in a cluster, a change is acknowledged only once it is durable in the
/// local log *and* committed in PostgreSQL. The decisions are `ReplicationPipeline`'s; this class owns it under
/// a lock and runs the one task that commits (`run()`).
package final class LogReplicator: ReplicationSink, Sendable {
    private typealias Waiter = CheckedContinuation<ClusterError?, Never>

    private let store: ClusterLogStore
    private let state: Mutex<ReplicationPipeline<Waiter>>
    /// Wakes the committing task: records were queued.
    private let wakeUps: AsyncStream<Void>.Continuation
    private let wakeUpStream: AsyncStream<Void>
    /// How long the committing task waits before it tries a failed batch again.
    private let retryDelay: Duration
    /// How long a commit may go unanswered before its producers are told it failed (PostgreSQL's client
    /// would otherwise keep them waiting while it retries connecting, up to a minute).
    private let timeout: Mutex<Duration>

    /// Replicates under `lease`, from the log's end it names.
    package init(
        store: ClusterLogStore, lease: ClusterLease, retryDelay: Duration = .milliseconds(200),
        commitTimeout: Duration = .seconds(3)
    ) {
        self.store = store
        self.state = Mutex(ReplicationPipeline(lease: lease))
        self.retryDelay = retryDelay
        self.timeout = Mutex(commitTimeout)
        (wakeUpStream, wakeUps) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Called by the local log under its lock, in LSN order: copies the record and wakes the committer.
    package func queued(lsn: LSN, type: UInt16, payload: UnsafeRawBufferPointer) {
        let record = Array(payload)
        if state.withLock({ $0.queued(lsn: lsn, type: type, payload: record) }) { wakeUps.yield() }
    }

    /// Returns once the record at `lsn` is committed to the cluster; throws `fenced` when this node lost the
    /// lease, `database` when PostgreSQL failed meanwhile (the record is still committed later, with the
    /// batch tried again; the caller answers that it is not acknowledged).
    package func waitUntilCommitted(_ lsn: LSN) async throws(ClusterError) {
        let error: ClusterError? = await withCheckedContinuation { continuation in
            switch state.withLock({ $0.awaitCommit(of: lsn, waiter: continuation) }) {
            case .committed: continuation.resume(returning: nil)
            case .failed(let error): continuation.resume(returning: error)
            case .waiting: break
            }
        }
        if let error { throw error }
    }

    /// `waitUntilCommitted`, as the local log asks it before it acknowledges.
    package func waitUntilReplicated(_ lsn: LSN) async throws(WALError) {
        do throws(ClusterError) {
            try await waitUntilCommitted(lsn)
        } catch .fenced(let current) {
            throw WALError(
                .fenced, "another node leads the cluster now (epoch \(current)): nothing more is acknowledged here")
        } catch {
            throw WALError(.replicationUnavailable, "not committed to the cluster's database: \(error)")
        }
    }

    /// The last LSN committed to the cluster, and whether this node was fenced.
    package var committedLSN: LSN { state.withLock { $0.committedLSN } }
    package var fenced: ClusterError? { state.withLock { $0.fencedBy } }
    /// Batches committed and failed attempts so far.
    package var counts: (batches: Int, failedAttempts: Int) { state.withLock { ($0.batches, $0.failedAttempts) } }

    /// Commits batches until cancelled or fenced: one transaction at a time, each holding every record queued
    /// while the previous one committed.
    package func run() async {
        for await _ in wakeUpStream {
            while let batch = state.withLock({ $0.nextBatch() }) {
                switch await attempt(batch) {
                case nil:
                    resume(state.withLock { $0.committed() }, with: nil)
                case .outOfSequence(let last) where batch.run.firstLSN <= last && last <= batch.run.lastLSN:
                    // An earlier attempt's COMMIT reached PostgreSQL though its answer was lost or late: the
                    // records through `last` are in; the rest (queued after that attempt) go in the next batch.
                    resume(state.withLock { $0.committedEarlier(through: last) }, with: nil)
                case let error?:
                    resume(state.withLock { $0.failed(error) }, with: error)
                    if case .fenced = error { return }
                    try? await Task.sleep(for: retryDelay)
                    if Task.isCancelled { return }
                }
            }
        }
    }

    /// Commits `batch`, or gives up waiting after `commitTimeout`. An attempt given up on may still commit
    /// later: the retry then finds the log's end moved to the batch's last LSN (the lease row serializes
    /// them), which counts as committed.
    private func attempt(_ batch: ReplicationPipeline<Waiter>.Batch) async -> ClusterError? {
        let outcome = OneOutcome()
        return await withCheckedContinuation { (continuation: CheckedContinuation<ClusterError?, Never>) in
            outcome.set(continuation)
            let store = store
            let timeout = self.commitTimeout
            let timer = Task {
                try await Task.sleep(for: timeout)
                outcome.finish(.database("no answer from PostgreSQL within \(timeout)"))
            }
            Task {
                do throws(ClusterError) {
                    try await store.append(batch.run, under: batch.lease)
                    outcome.finish(nil)
                } catch {
                    outcome.finish(error)
                }
                timer.cancel()
            }
        }
    }

    /// How long a commit may go unanswered before its producers are told it failed; applies from the next
    /// attempt.
    package var commitTimeout: Duration {
        get { timeout.withLock { $0 } }
        set { timeout.withLock { $0 = newValue } }
    }

    /// Ends `run()` once what it is committing is done.
    package func stop() { wakeUps.finish() }

    private func resume(_ waiters: [Waiter], with error: ClusterError?) {
        for waiter in waiters { waiter.resume(returning: error) }
    }
}

/// The first of two answers (the commit's, the timeout's) resumes the waiting committer; the other is dropped.
private final class OneOutcome: Sendable {
    private let continuation = Mutex<CheckedContinuation<ClusterError?, Never>?>(nil)

    func set(_ waiting: CheckedContinuation<ClusterError?, Never>) { continuation.withLock { $0 = waiting } }

    func finish(_ error: ClusterError?) {
        let waiting = continuation.withLock { (held: inout CheckedContinuation<ClusterError?, Never>?) in
            defer { held = nil }
            return held
        }
        waiting?.resume(returning: error)
    }
}
