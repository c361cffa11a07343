/// The writer thread, which owns the log device (for io_uring, the ring): takes what producers queued (and
/// what the stager already laid out), writes it as one commit, syncs it per the durability mode, and
/// resumes the producers it made durable. While it waits for the disk, the stager lays out the next commit.
final class GroupCommitWriter: Sendable {
    let shared: GroupCommit
    let makeDevice: @Sendable () throws(WALError) -> any LogDevice
    let stager: Stager

    init(shared: GroupCommit, makeDevice: @escaping @Sendable () throws(WALError) -> any LogDevice) {
        self.shared = shared
        self.makeDevice = makeDevice
        self.stager = Stager(shared: shared)
    }

    private var queue: ConditionLock<AppendQueue> { shared.queue }

    /// Runs until the log closes or fails. `segment` is where appends continue, or nil to start a new one
    /// at `firstLSN`, the LSN the log was opened with (producers may have queued records since). The device
    /// is created here because an io_uring ring belongs to the thread that set it up.
    func run(continuing segment: ActiveSegment?, firstLSN: LSN) {
        var stagerStarted = false
        do throws(WALError) {
            let device = try makeDevice()
            var active = segment
            if active == nil { active = try shared.newSegment(firstLSN: firstLSN) }
            let area = StagingArea(
                builder: CommitBuilder(buffer: AlignedBuffer(capacity: 1 << 20)),
                segment: active!, lastLaidOut: firstLSN - 1)
            queue.withLock { $0.staging = area }
            startDetachedThread(name: "tessera-wal-stage") { [stager] in stager.run() }
            stagerStarted = true
            try loop(device: device)
        } catch {
            shared.fail(with: error)
        }
        queue.withLock { $0.writerStopped = true }
        queue.broadcast(.second)
        if stagerStarted { queue.wait(on: .first, until: { $0.stagerExited }) { _ in } }
        // After a failure the writer may have held the staging area; its descriptor then closes with the process.
        queue.withLock { $0.staging }?.segment.close()
        shared.allocator.quiesce()
        shared.finish()
    }

    private func loop(device: any LogDevice) throws(WALError) {
        var batch: [UInt8] = []
        var unsynced = false
        var lastSyncNanoseconds = MonotonicClock.nanoseconds()
        var gather = GatherWindow()
        while true {
            let deadline = syncDeadline(unsynced: unsynced, lastSync: lastSyncNanoseconds)
            // Wait for the staging area (the stager may hold it briefly) and for something to do.
            let (area, closing) = queue.wait(
                on: .first,
                until: { state in
                    if state.failure != nil { return true }
                    guard state.staging != nil else { return false }
                    if state.closing || state.pendingRecords > 0 || state.stagedBytes > 0 { return true }
                    if let deadline, MonotonicClock.nanoseconds() >= deadline { return true }
                    state.writerWakeThreshold = 1
                    return false
                }, deadlineNanoseconds: deadline
            ) { state -> (StagingArea?, Bool) in
                state.writerWakeThreshold = 0
                guard state.failure == nil else { return (nil, true) }
                defer { state.staging = nil }
                return (state.staging, state.closing)
            }
            guard let area else { return }
            if syncsEveryCommit, area.builder.isEmpty, let (records, until) = gather.next() {
                waitForProducers(records: records, deadline: until)
            }
            try shared.layOutQueued(into: area, batch: &batch)
            let syncDue = closing || syncsEveryCommit || deadline.map { MonotonicClock.nanoseconds() >= $0 } ?? false
            guard !area.builder.isEmpty || (syncDue && unsynced) else {
                let drained = queue.withLock { state in
                    state.staging = area
                    return state.pendingRecords == 0
                }
                if closing && drained { return }
                continue
            }
            let commit = area.builder.finish(sync: syncDue, segment: area.segment, lastWritten: area.lastLaidOut)
            let wakeStager = queue.withLock { state -> Bool in
                area.builder = CommitBuilder(buffer: state.spareBuffer.take()!)
                state.staging = area
                state.stagedBytes = 0
                state.writing = true
                // Producers wake the stager once enough is queued; wake it now only if that is already so.
                state.stagerWakeThreshold = Stager.wakeThreshold
                return state.shouldWakeStager
            }
            if wakeStager { queue.signal(.second) }
            let start = MonotonicClock.nanoseconds()
            try write(commit, device: device)
            let elapsed = MonotonicClock.nanoseconds() - start
            let resumed = commit.sync ? shared.complete(durableThrough: commit.lastLSN) : 0
            gather.committed(resumed: resumed, nanoseconds: elapsed)
            queue.withLock { state in
                state.writing = false
                state.stagerWakeThreshold = 0
                state.spareBuffer = commit.buffer
                state.statistics.commits += 1
                state.statistics.records += commit.records
                state.statistics.bytes += commit.bytes
                state.statistics.deviceNanoseconds += elapsed
                if commit.sync { state.statistics.syncs += 1 }
            }
            unsynced = !commit.sync
            if commit.sync { lastSyncNanoseconds = MonotonicClock.nanoseconds() }
        }
    }

    private var syncsEveryCommit: Bool { shared.syncsEveryCommit }

    /// When the next periodic sync is due in `batch` mode.
    private func syncDeadline(unsynced: Bool, lastSync: UInt64) -> UInt64? {
        guard case .batch(let milliseconds) = shared.durability, unsynced else { return nil }
        return lastSync + UInt64(milliseconds) * 1_000_000
    }

    /// Waits until `records` are queued or the deadline passes.
    private func waitForProducers(records: Int, deadline: UInt64) {
        let start = MonotonicClock.nanoseconds()
        queue.wait(
            on: .first,
            until: { state in
                let ready = state.pendingRecords >= records || state.closing || state.failure != nil
                state.writerWakeThreshold = ready ? 0 : records
                return ready
            }, deadlineNanoseconds: deadline
        ) { state in
            state.writerWakeThreshold = 0
            state.statistics.gatherNanoseconds += MonotonicClock.nanoseconds() - start
        }
    }

    private func write(_ commit: Commit, device: any LogDevice) throws(WALError) {
        for piece in commit.pieces {
            do {
                try device.write(
                    fd: piece.fd, bytes: commit.buffer.bytes(piece.range), offset: piece.fileOffset,
                    sync: piece.sync)
            } catch {
                throw WALError.system(error.operation, path: piece.path, errno: error.errno, fatal: true)
            }
            if piece.closesSegment { PosixFile.close(piece.fd) }
        }
    }
}

/// How long the writer waits for the producers it just resumed to queue again, before the next commit.
///
/// After a commit that resumed `n` producers, wait until `n` records are queued or half the last commit's
/// I/O time (at most 0.5 ms) has passed, whichever comes first. A single producer is never waited for.
struct GatherWindow {
    private var resumed = 0
    private var commitNanoseconds: UInt64 = 0
    static let maximumNanoseconds: UInt64 = 500_000

    mutating func committed(resumed: Int, nanoseconds: UInt64) {
        self.resumed = resumed
        commitNanoseconds = nanoseconds
    }

    /// The records to wait for and the deadline, or nil when there is nothing to wait for.
    mutating func next() -> (records: Int, deadline: UInt64)? {
        defer { resumed = 0 }
        guard resumed > 1 else { return nil }
        return (resumed, MonotonicClock.nanoseconds() + min(commitNanoseconds / 2, Self.maximumNanoseconds))
    }
}
