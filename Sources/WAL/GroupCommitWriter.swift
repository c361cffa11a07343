/// The writer thread's loop: take everything queued, seal each frame with its segment's epoch, write it as
/// one contiguous block, `fdatasync` (per the durability mode), then resume the producers waiting for it.
final class GroupCommitWriter: Sendable {
    let queue: ConditionLock<AppendQueue>
    let allocator: SegmentAllocator
    let durability: Durability
    let makeDevice: @Sendable () throws(WALError) -> any LogDevice
    let segmentList: SegmentList
    let directory: String
    /// Where direct-I/O writes are assembled. Used by the writer thread only.
    nonisolated(unsafe) let staging = AlignedBuffer(capacity: 1 << 20)

    init(queue: ConditionLock<AppendQueue>, allocator: SegmentAllocator, durability: Durability,
         makeDevice: @escaping @Sendable () throws(WALError) -> any LogDevice, segmentList: SegmentList, directory: String) {
        self.queue = queue
        self.allocator = allocator
        self.durability = durability
        self.makeDevice = makeDevice
        self.segmentList = segmentList
        self.directory = directory
    }

    /// Runs until the log closes or fails. `segment` is where appends continue, or nil to start a new one
    /// at `firstLSN`, the LSN the log was opened with (producers may have queued records since).
    /// `device` is created on this thread because an io_uring ring belongs to the thread that set it up.
    func run(continuing segment: ActiveSegment?, firstLSN: LSN) {
        var active = segment
        var batch: [UInt8] = []
        do {
            let device = try makeDevice()
            var lastWritten = firstLSN - 1
            if active == nil { active = try newSegment(firstLSN: lastWritten + 1) }
            var lastSyncNanoseconds = MonotonicClock.nanoseconds()
            var unsynced = false
            var gather = GatherWindow()
            while true {
                if mustSyncEveryCommit, let (records, deadline) = gather.next() {
                    let gatherStart = MonotonicClock.nanoseconds()
                    defer {
                        let spent = MonotonicClock.nanoseconds() - gatherStart
                        queue.withLock { $0.statistics.gatherNanoseconds += spent }
                    }
                    // The producers just resumed are likely to append again at once: give them part of a
                    // commit's time so that they share the next write instead of trickling into several.
                    queue.wait(until: { $0.writerMayProceed(records: records) }, deadlineNanoseconds: deadline) {
                        $0.writerWakeThreshold = 0
                    }
                }
                let deadline = syncDeadline(unsynced: unsynced, lastSync: lastSyncNanoseconds)
                let (firstLSN, lastLSN, closing) = queue.wait(
                    until: { $0.writerMayProceed(records: 1) }, deadlineNanoseconds: deadline
                ) { state -> (LSN, LSN, Bool) in
                    state.writerWakeThreshold = 0
                    swap(&state.pending, &batch)
                    let first = state.pendingFirstLSN
                    state.pendingFirstLSN = state.nextLSN
                    return (first, state.nextLSN - 1, state.closing)
                }
                let commitStart = MonotonicClock.nanoseconds()
                let syncDue = closing || mustSyncEveryCommit
                    || deadline.map { MonotonicClock.nanoseconds() >= $0 } ?? false
                if !batch.isEmpty {
                    try write(&batch, firstLSN: firstLSN, into: &active!, device: device, sync: syncDue)
                    let spent = MonotonicClock.nanoseconds() - commitStart
                    queue.withLock { $0.statistics.sealAndWriteNanoseconds += spent }
                    lastWritten = lastLSN
                    unsynced = !syncDue
                } else if syncDue && unsynced {
                    try sync(active!, device: device)
                    unsynced = false
                }
                batch.removeAll(keepingCapacity: true)
                if syncDue {
                    lastSyncNanoseconds = MonotonicClock.nanoseconds()
                    let resumed = complete(durableThrough: lastWritten)
                    gather.committed(resumed: resumed, nanoseconds: lastSyncNanoseconds - commitStart)
                }
                if closing && queue.withLock({ $0.pending.isEmpty }) { break }
            }
        } catch {
            fail(with: error)
        }
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

    /// Writes `batch` after the last record of `segment`, moving to a new segment when a frame does not fit.
    private func write(
        _ batch: inout [UInt8], firstLSN: LSN, into segment: inout ActiveSegment, device: any LogDevice, sync: Bool
    ) throws(WALError) {
        var records = 0
        var failure: WALError?
        batch.withUnsafeMutableBytes { bytes in
          do throws(WALError) {
            var chunkStart = 0
            var offset = 0
            var lsn = firstLSN
            while offset < bytes.count {
                let frameSize = RecordFrame.alignUp(Int(UnsafeRawBufferPointer(bytes).readLE(UInt32.self, at: offset)))
                if offset - chunkStart + frameSize > segment.remaining {
                    // Everything before this frame goes to the current segment, made durable before it is left.
                    try put(UnsafeRawBufferPointer(rebasing: bytes[chunkStart..<offset]), into: segment,
                            device: device, sync: true)
                    segment.close()
                    segment = try newSegment(firstLSN: lsn)
                    chunkStart = offset
                }
                RecordFrame.seal(UnsafeMutableRawBufferPointer(rebasing: bytes[offset..<offset + frameSize]),
                                 epoch: segment.header.epoch)
                offset += frameSize
                lsn += 1
                records += 1
            }
            try put(UnsafeRawBufferPointer(rebasing: bytes[chunkStart..<offset]), into: segment, device: device,
                    sync: sync)
          } catch {
            failure = error
          }
        }
        if let failure { throw failure }
        let written = batch.count
        queue.withLock { state in
            state.statistics.records += records
            state.statistics.bytes += written
        }
    }

    private func put(_ bytes: UnsafeRawBufferPointer, into segment: ActiveSegment, device: any LogDevice,
                     sync: Bool) throws(WALError) {
        guard !bytes.isEmpty || sync else { return }
        let deviceStart = MonotonicClock.nanoseconds()
        defer {
            let spent = MonotonicClock.nanoseconds() - deviceStart
            queue.withLock { $0.statistics.deviceNanoseconds += spent }
        }
        do {
            if segment.direct && !bytes.isEmpty {
                try putBlocks(bytes, into: segment, device: device, sync: sync)
            } else {
                try device.write(fd: segment.fd, bytes: bytes, offset: segment.writeOffset, sync: sync)
            }
        } catch {
            throw WALError.system(error.operation, path: segment.path, errno: error.errno, fatal: true)
        }
        segment.writeOffset += bytes.count
        queue.withLock { state in
            state.statistics.commits += 1
            if sync { state.statistics.syncs += 1 }
        }
    }

    /// The direct-I/O write: the segment's partial last block, then `bytes`, zero-padded to a block boundary,
    /// written from the block's start in one aligned write. Keeps the new partial block as the segment's tail.
    private func putBlocks(_ bytes: UnsafeRawBufferPointer, into segment: ActiveSegment, device: any LogDevice,
                           sync: Bool) throws(DeviceFailure) {
        let blockStart = AlignedBuffer.alignDown(segment.writeOffset)
        let tailCount = segment.writeOffset - blockStart
        let total = tailCount + bytes.count
        let alignedCount = AlignedBuffer.alignUp(total)
        staging.reserve(alignedCount)
        let base = staging.base
        segment.tail.withUnsafeBytes { tail in
            if tailCount > 0 { base.copyMemory(from: tail.baseAddress!, byteCount: tailCount) }
        }
        (base + tailCount).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        (base + total).initializeMemory(as: UInt8.self, repeating: 0, count: alignedCount - total)
        try device.write(fd: segment.fd, bytes: staging.bytes(0..<alignedCount), offset: blockStart, sync: sync)
        let newTailStart = AlignedBuffer.alignDown(total)
        segment.tail = Array(staging.bytes(newTailStart..<total))
    }

    private func sync(_ segment: ActiveSegment, device: any LogDevice) throws(WALError) {
        do { try device.sync(fd: segment.fd) } catch {
            throw WALError.system(error.operation, path: segment.path, errno: error.errno, fatal: true)
        }
        queue.withLock { $0.statistics.syncs += 1 }
    }

    private func newSegment(firstLSN: LSN) throws(WALError) -> ActiveSegment {
        let segment = try allocator.create(firstLSN: firstLSN)
        segmentList.append(firstLSN: firstLSN)
        queue.withLock { $0.statistics.segmentsCreated += 1 }
        return segment
    }

    /// Marks records through `durableThrough` durable and resumes their waiters.
    @discardableResult
    private func complete(durableThrough: LSN) -> Int {
        let ready = queue.withLock { state in
            state.durableLSN = max(state.durableLSN, durableThrough)
            return state.takeWaiters(through: state.durableLSN)
        }
        for waiter in ready { waiter.continuation.resume(returning: nil) }
        return ready.count
    }

    /// Makes the log fail: the error goes to every waiting producer and to every later append.
    private func fail(with error: WALError) {
        let waiting = queue.withLock { state in
            if state.failure == nil { state.failure = error }
            state.pending.removeAll()
            let waiting = state.waiters
            state.waiters.removeAll()
            return waiting
        }
        for waiter in waiting { waiter.continuation.resume(returning: error) }
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

/// How long the writer waits for the producers it just resumed to queue again, before the next write.
///
/// After a commit that resumed `n` producers, wait until `n` records are queued or half the last commit's
/// duration (at most 0.5 ms) has passed, whichever comes first. A single producer is never waited for.
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
