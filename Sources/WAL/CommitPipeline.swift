/// The coordination of the log's producers and worker threads, as one state machine: each method takes an
/// event (records queued, a worker asking for work, a write or a sync done, a failure, a close) and returns
/// what the caller must do (wake a worker, resume waiters, write, sync, stop). Callers hold the log's lock
/// for the call and act after releasing it; nothing here blocks, reads a clock or touches a file, so tests
/// drive every sequence of events without threads.
///
/// The pipeline: one worker at a time holds the *write turn* and writes, in LSN order, what producers queued;
/// syncs run beside it, up to `maximumSyncs` at once, each covering everything written before it started.
/// So the next commit goes to the disk while the previous one's `fdatasync` runs, and several flushes are in
/// flight together. Writes never overlap, so a commit may rewrite the block the previous one ended in: the
/// device has the previous write before the next is issued. A sync that completes makes every record it
/// covers durable — and everything before it, since it started after those writes ended — so durability
/// advances in LSN order whatever order syncs complete in.
///
/// `Waiter` is what a producer waiting for durability leaves behind (a continuation in the log, a number in
/// tests), `Closer` likewise for `close()`.
struct CommitPipeline<Waiter, Closer> {
    /// What a worker does next.
    enum Work: Equatable {
        /// Lay out and write the frames handed over (LSNs `first…last`), then report `wrote`. The worker holds
        /// the write turn until then.
        case write(first: LSN, last: LSN)
        /// `fdatasync(fd)` (the segment at `path`), then report `synced(through:)`.
        case sync(fd: Int32, path: String, through: LSN)
        /// Leave the loop. `last`: the other workers have left; clean up and report `finished`.
        case stop(last: Bool)
    }

    /// A worker's next step: work, or sleep until woken (or until the deadline, in `batch` mode).
    enum Step: Equatable {
        case work(Work)
        case sleep(untilNanoseconds: UInt64?)
    }

    /// What `awaitDurability` found.
    enum DurabilityCheck {
        /// Durable already: return.
        case durable
        /// The log failed or closed: throw.
        case failed(WALError)
        /// The waiter was kept and is handed back by `synced`, `failed` or `finished`.
        case waiting
    }

    let durability: Durability
    let maximumSyncs: Int
    let maximumQueuedBytes: Int

    /// Frames queued and not yet taken by a write, in LSN order, their checksums not yet filled in.
    private(set) var pending: [UInt8] = []
    /// An empty buffer with capacity, swapped in for `pending` when a write takes it.
    private var spareFrames: [UInt8] = []
    private(set) var pendingFirstLSN: LSN
    /// The LSN the next record gets.
    private(set) var nextLSN: LSN
    /// Bytes handed to the write under way; with `pending`, bounded by `maximumQueuedBytes`.
    private var bytesBeingWritten = 0

    /// A worker holds the write turn.
    private(set) var writing = false
    /// The writer waits for the syncs in flight to end before it closes a full segment; no sync starts.
    private(set) var retiring = false
    /// Every record through here is written (not necessarily synced), to `writtenFD`.
    private(set) var writtenLSN: LSN
    private var writtenFD: Int32 = -1
    private var writtenPath = ""
    /// The highest LSN a started sync covers.
    private(set) var syncTarget: LSN
    /// Every record through here is durable.
    private(set) var durableLSN: LSN
    private(set) var syncsInFlight = 0
    /// When the latest sync started (for `batch` mode's interval).
    private var lastSyncNanoseconds: UInt64 = 0
    private var waiters: [(lsn: LSN, waiter: Waiter)] = []

    /// Set once a write or sync failed; from then on every append fails with it.
    private(set) var failure: WALError?
    private(set) var closing = false
    private(set) var closed = false
    private var closers: [Closer] = []

    /// The sleeping workers, the most recent last: a wake-up goes to the one that slept last, whose caches
    /// (and CPU) are warm, rather than to any — waking whichever the kernel picked moved the log's work
    /// between CPUs on nearly every commit and cost a fifth of the single-producer rate.
    private var sleepers: [Int] = []
    private var runningWorkers: Int
    /// A worker was signalled for queued records and has not yet asked for work.
    private var wakeSent = false
    /// The gather window: after a sync resumed `gatherRecords` producers, the next write waits until as many
    /// records are queued (they will append again) or the deadline passes, so that they share one commit.
    private var gatherRecords = 0
    private var gatherDeadline: UInt64 = 0
    /// The longest the gather window waits.
    static var maximumGatherNanoseconds: UInt64 { 500_000 }

    private(set) var statistics = WALStatistics()

    init(nextLSN: LSN, durability: Durability, workers: Int, maximumSyncs: Int, maximumQueuedBytes: Int) {
        precondition(workers >= 1 && maximumSyncs >= 1)
        self.nextLSN = nextLSN
        pendingFirstLSN = nextLSN
        writtenLSN = nextLSN - 1
        syncTarget = nextLSN - 1
        durableLSN = nextLSN - 1
        self.durability = durability
        self.runningWorkers = workers
        self.maximumSyncs = maximumSyncs
        self.maximumQueuedBytes = maximumQueuedBytes
    }

    /// Records queued and not yet taken by a write.
    var pendingRecords: Int { Int(nextLSN - pendingFirstLSN) }

    // MARK: Producers

    /// A producer queues a frame of `frameSize` bytes; `appendFrame` appends it (for the LSN it is given) to
    /// the queue. Returns the LSN and the worker to wake, if one must be.
    mutating func enqueue(
        frameSize: Int, appendFrame: (inout [UInt8], LSN) -> Void
    ) throws(WALError) -> (lsn: LSN, wakeWorker: Int?) {
        if let failure { throw failure }
        if closing { throw WALError(.closed, "the log is closed") }
        guard pending.count + bytesBeingWritten + frameSize <= maximumQueuedBytes else {
            throw WALError(.queueFull, "more than \(maximumQueuedBytes) bytes are waiting for the disk")
        }
        let lsn = nextLSN
        nextLSN += 1
        appendFrame(&pending, lsn)
        return (lsn, wakeWorkerForWrite())
    }

    /// A producer asks to wait until `lsn` is durable.
    mutating func awaitDurability(of lsn: LSN, waiter: Waiter) -> DurabilityCheck {
        if let failure { return .failed(failure) }
        if durableLSN >= lsn { return .durable }
        if closed { return .failed(WALError(.closed, "the log is closed")) }
        waiters.append((lsn, waiter))
        return .waiting
    }

    /// `close()` was called: write and sync what is queued, then stop. Returns whether it is done already
    /// (else `closer` is kept and handed back by `finished`).
    mutating func close(closer: Closer) -> Bool {
        closing = true
        if closed { return true }
        closers.append(closer)
        return false
    }

    /// The log was released without `close()`: stop once what is queued is written.
    mutating func abandon() { closing = true }

    // MARK: Workers

    /// Worker `worker` (numbered from 0) asks for work; `wokeUp` says it slept since its last call.
    /// `frames` receives the queued frames with a `write`; it must be empty. Also returns another worker to
    /// wake, for records still waiting for the write turn.
    mutating func nextStep(
        worker: Int, wokeUp: Bool, nowNanoseconds: UInt64, frames: inout [UInt8]
    ) -> (step: Step, wakeAnother: Int?) {
        if wokeUp {
            // Signalled workers were taken off the list; one woken by its deadline or spuriously is still on it.
            sleepers.removeAll { $0 == worker }
            wakeSent = false
        }
        if failure != nil || (closing && isDrained) {
            runningWorkers -= 1
            return (.work(.stop(last: runningWorkers == 0)), nil)
        }
        // Syncs first: the write turn is left to another worker, woken for it, so that both proceed.
        if let sync = startSyncIfDue(nowNanoseconds: nowNanoseconds) {
            return (.work(sync), wakeWorkerForWrite())
        }
        if gatherRecords > 0 && nowNanoseconds >= gatherDeadline { gatherRecords = 0 }
        if !writing && !pending.isEmpty && isGathered {
            writing = true
            gatherRecords = 0
            let first = pendingFirstLSN
            let last = nextLSN - 1
            bytesBeingWritten = pending.count
            swap(&frames, &spareFrames)
            swap(&frames, &pending)
            pendingFirstLSN = nextLSN
            return (.work(.write(first: first, last: last)), nil)
        }
        sleepers.append(worker)
        var deadline = periodicSyncDeadline
        // While a gather window is open, a worker sleeps until its end at the latest: producers do not wake
        // one before the window has the records it waits for.
        if gatherRecords > 0 { deadline = min(deadline ?? .max, gatherDeadline) }
        return (.sleep(untilNanoseconds: deadline), nil)
    }

    /// The write turn's holder must close a full segment: it may once no sync is in flight (so none uses the
    /// segment's descriptor); until then no sync starts. Returns whether it may now; else it sleeps (woken
    /// when `synced` says to wake all) and asks again. Throws when the log failed meanwhile.
    mutating func mayRetireSegment() throws(WALError) -> Bool {
        precondition(writing)
        if let failure { throw failure }
        retiring = true
        return syncsInFlight == 0
    }

    /// The write turn's holder wrote frames through `lsn` to `fd` (the segment at `path`, where the commit
    /// ended); `frames` is the buffer it was handed, given back. Ends the write turn. (The same worker asks
    /// for its next step at once, and takes the sync that is now due.)
    mutating func wrote(
        through lsn: LSN, fd: Int32, path: String, frames: inout [UInt8], commit: CommitStatistics
    ) {
        precondition(writing)
        writing = false
        retiring = false
        bytesBeingWritten = 0
        if failure == nil {
            writtenLSN = lsn
            writtenFD = fd
            writtenPath = path
            statistics.add(commit)
        }
        frames.removeAll(keepingCapacity: true)
        swap(&frames, &spareFrames)
    }

    /// A sync that covered `lsn` returned. Returns the waiters now durable, to resume, and whether to wake
    /// every worker (a retiring writer waits for the last sync; a closing log stops once drained).
    /// `nowNanoseconds` is when it returned, `nanoseconds` how long it took: the gather window for the
    /// producers it resumes is half that, at most `maximumGatherNanoseconds`.
    mutating func synced(
        through lsn: LSN, nowNanoseconds: UInt64, nanoseconds: UInt64
    ) -> (durable: [Waiter], wakeAll: Bool) {
        syncsInFlight -= 1
        statistics.syncs += 1
        statistics.syncNanoseconds += nanoseconds
        guard failure == nil else { return ([], syncsInFlight == 0) }
        durableLSN = max(durableLSN, lsn)
        var durable: [Waiter] = []
        if !waiters.isEmpty {
            waiters.removeAll { entry in
                guard entry.lsn <= durableLSN else { return false }
                durable.append(entry.waiter)
                return true
            }
        }
        if durable.count > 1 {
            gatherRecords = pendingRecords + durable.count
            gatherDeadline = nowNanoseconds + min(nanoseconds / 2, Self.maximumGatherNanoseconds)
        }
        let wakeAll = (retiring && syncsInFlight == 0) || (closing && isDrained)
        return (durable, wakeAll)
    }

    /// A write or sync failed: the log stops. Returns the waiters to fail with the error (the first failure's).
    mutating func failed(_ error: WALError) -> (failing: [Waiter], error: WALError) {
        if failure == nil { failure = error }
        pending.removeAll()
        pendingFirstLSN = nextLSN
        let failing = waiters.map(\.waiter)
        waiters.removeAll()
        return (failing, failure!)
    }

    /// The last worker cleaned up: the log is closed. Returns the `close()` callers to resume and the
    /// waiters left (none unless the log failed), to fail with `closed`.
    mutating func finished() -> (closers: [Closer], waiters: [Waiter]) {
        closed = true
        let leftClosers = closers
        closers.removeAll()
        let left = waiters.map(\.waiter)
        waiters.removeAll()
        return (leftClosers, left)
    }

    /// A new segment file was made.
    mutating func createdSegment() { statistics.segmentsCreated += 1 }

    // MARK: Rules

    /// Everything queued is written and synced, and no worker is busy.
    private var isDrained: Bool {
        pending.isEmpty && !writing && syncsInFlight == 0 && syncTarget >= writtenLSN
    }

    /// Starts a sync when records are written and not yet covered, a slot is free, and the durability mode
    /// says it is due (`sync`: always; `batch`: once its interval passed; `none`: at close only).
    private mutating func startSyncIfDue(nowNanoseconds: UInt64) -> Work? {
        guard !retiring, syncsInFlight < maximumSyncs, writtenLSN > syncTarget else { return nil }
        switch durability {
        case .sync: break
        case .batch:
            guard closing || nowNanoseconds >= periodicSyncDeadline ?? 0 else { return nil }
        case .none:
            guard closing else { return nil }
        }
        syncsInFlight += 1
        syncTarget = writtenLSN
        lastSyncNanoseconds = nowNanoseconds
        return .sync(fd: writtenFD, path: writtenPath, through: writtenLSN)
    }

    /// In `batch` mode with written records not yet covered: when their sync is due.
    private var periodicSyncDeadline: UInt64? {
        guard case .batch(let milliseconds) = durability, writtenLSN > syncTarget else { return nil }
        return lastSyncNanoseconds + UInt64(milliseconds) * 1_000_000
    }

    /// Whether the queued records may be written now: the gather window has what it waits for, or is closed.
    private var isGathered: Bool { gatherRecords == 0 || pendingRecords >= gatherRecords || closing }

    /// Whether to signal a sleeping worker for queued records that no write has taken: once per wake-up,
    /// and not before the gather window has the records it waits for (its deadline wakes a worker anyway).
    private mutating func wakeWorkerForWrite() -> Int? {
        guard !writing, !pending.isEmpty, !wakeSent, !sleepers.isEmpty else { return nil }
        guard gatherRecords == 0 || pendingRecords >= gatherRecords else { return nil }
        wakeSent = true
        return sleepers.removeLast()
    }
}

/// What one commit did, as its writer reports it.
struct CommitStatistics {
    var records = 0
    var bytes = 0
    var layoutNanoseconds: UInt64 = 0
    var writeNanoseconds: UInt64 = 0
}

/// Counters of the log's work, for `wal stats`, metrics and benchmarks.
package struct WALStatistics: Sendable, Hashable {
    /// Commits written (each one write per segment it touches).
    package var commits = 0
    /// Records written.
    package var records = 0
    /// Bytes written, frames and padding included.
    package var bytes = 0
    /// `fdatasync` calls.
    package var syncs = 0
    /// Segment files created.
    package var segmentsCreated = 0
    /// Time spent laying out and sealing commits, writing them, and syncing (summed over the syncs in flight).
    package var stagingNanoseconds: UInt64 = 0
    package var deviceNanoseconds: UInt64 = 0
    package var syncNanoseconds: UInt64 = 0

    mutating func add(_ commit: CommitStatistics) {
        commits += 1
        records += commit.records
        bytes += commit.bytes
        stagingNanoseconds += commit.layoutNanoseconds
        deviceNanoseconds += commit.writeNanoseconds
    }
}
