#if canImport(Glibc)
import Glibc
#endif

/// The write-ahead log: append records, await their durability, replay them after a restart.
///
/// Producers call `enqueue` (synchronous: it assigns the LSN and queues the frame, so an actor can log and
/// apply a change without suspending in between) and then `waitUntilDurable`, or `append` for both. Worker
/// threads write everything queued as one commit (group commit) and sync beside the writes: the next commit
/// goes to the disk while earlier ones' `fdatasync` run (`CommitPipeline` says who does what).
///
/// A failed write or sync is fatal: the log stops, the waiting and all later appends fail with that error,
/// and nothing is acknowledged again until a restart recovers from what is on disk.
package final class WriteAheadLog: Sendable {
    /// The configuration the log was opened with.
    package let configuration: WALConfiguration
    /// What recovery found when the log was opened.
    package let recovery: LogScanReport
    /// The device the log writes with: the configured one, or for `automatic` the faster of the two as
    /// measured at open (`DeviceProbe`), with the figures.
    package let device: DeviceChoice
    private let pipeline: LockedPipeline
    private let workers: LogWorkers
    private let segments: SegmentList
    private let maxPayloadSize: Int

    /// Opens (creating when needed) the log in `configuration.directory`, recovers it, and hands every
    /// record with an LSN above `after` to `replay`, in order, before any append is possible.
    ///
    /// Directory and files are synced before anything is read. A torn tail of the last segment is cut off.
    /// Damage elsewhere throws a `.damaged` error naming file and offset, unless the configuration's
    /// recovery policy is `.truncateAfterDamage`. Records are handed to `replay` as they validate, so after
    /// an error the caller discards what it rebuilt.
    package static func open(
        _ configuration: WALConfiguration, after: LSN = 0, replay: (WALRecordView) throws -> Void = { _ in }
    ) throws -> WriteAheadLog {
        try configuration.validate()
        if configuration.backend == .uring && configuration.deviceFactory == nil {
            // Fail at open, not at the first append, when io_uring was asked for and is not there.
            _ = try LogBackend.uring.makeDevice()
        }
        try Durable.makeDirectory(configuration.directory)
        var report = try LogScanner.scan(
            directory: configuration.directory, after: after, stopAfter: configuration.discardAfter, syncFirst: true,
            visit: replay)
        if let stop = report.damage, report.stoppedAfter != nil {
            try setAsideSegments(from: stop, report: &report, directory: configuration.directory, as: "discarded")
        } else if let damage = report.damage {
            guard configuration.recovery == .truncateAfterDamage else {
                throw WALError(
                    .damaged,
                    "\(damage.reason) at LSN \(damage.expectedLSN); start with "
                        + "--recover=truncate to keep only the records before it",
                    file: configuration.directory + "/" + damage.file, offset: damage.offset)
            }
            try setAsideSegments(from: damage, report: &report, directory: configuration.directory, as: "damaged")
        }
        if !report.staleSegments.isEmpty {
            // Created ahead of the records that would have filled the segment before them, and empty: a new
            // segment is made when a commit is laid out, before that commit reaches the previous segment.
            try Durable.remove(report.staleSegments.map { configuration.directory + "/" + $0 })
        }
        let lastLSN = report.lastLSN ?? (report.segments.first.map { $0.firstLSN - 1 } ?? after)
        if let first = report.segments.first?.firstLSN, first > after + 1 {
            throw WALError(
                .damaged,
                "the log starts at LSN \(first) but records after LSN \(after) are needed; "
                    + "a snapshot covering them is missing", file: configuration.directory)
        }
        if lastLSN < after {
            throw WALError(
                .damaged, "the log ends at LSN \(lastLSN) but the snapshot covers LSN \(after)",
                file: configuration.directory)
        }
        // Measured before any segment is made: the spare's preparation would write beside the probe.
        let device =
            configuration.deviceFactory == nil
            ? DeviceProbe.choose(
                configuration.backend, directory: configuration.directory, directIO: configuration.directIO)
            : DeviceChoice(backend: configuration.backend, reason: "a device given by the caller")
        let allocator = SegmentAllocator(
            directory: configuration.directory,
            segmentSizeBytes: configuration.segmentSizeBytes,
            directIO: configuration.directIO)
        let continuing: ActiveSegment
        var segmentFirstLSNs = report.segments.map(\.firstLSN)
        if report.lastSegmentAppendable, let last = report.segments.last, let header = last.header {
            continuing = try ActiveSegment.reopen(
                path: last.path, header: header, endOffset: last.endOffset,
                directIO: configuration.directIO)
        } else {
            // A log that was opened always has a segment file, durably, before anything is acknowledged: so
            // a log directory without one has lost its records (the data directory's identity tells the two
            // apart), never merely "not written yet". After a full, torn or truncated last segment, the new
            // one also marks where the valid records end: nothing after its first LSN is read from the old.
            continuing = try allocator.create(firstLSN: lastLSN + 1)
            segmentFirstLSNs.append(lastLSN + 1)
        }
        allocator.prepareSpare()
        return WriteAheadLog(
            configuration: configuration, recovery: report, device: device, nextLSN: lastLSN + 1,
            segmentFirstLSNs: segmentFirstLSNs, continuing: continuing, allocator: allocator)
    }

    private init(
        configuration: WALConfiguration, recovery: LogScanReport, device: DeviceChoice, nextLSN: LSN,
        segmentFirstLSNs: [LSN], continuing: ActiveSegment, allocator: SegmentAllocator
    ) {
        self.configuration = configuration
        self.recovery = recovery
        self.device = device
        let workerCount = configuration.syncsInFlight + 1
        let pipeline = LockedPipeline(
            CommitPipeline(
                nextLSN: nextLSN, durability: configuration.durability, workers: workerCount,
                maximumSyncs: configuration.syncsInFlight, maximumQueuedBytes: configuration.maxQueuedBytes),
            conditions: workerCount + 1)
        self.pipeline = pipeline
        self.segments = SegmentList(segmentFirstLSNs)
        self.maxPayloadSize = configuration.maxPayloadSize
        let turn = WriteTurn(
            continuing: continuing, allocator: allocator, segmentList: segments,
            onNewSegment: { pipeline.withLock { $0.createdSegment() } })
        workers = LogWorkers(
            count: workerCount, pipeline: pipeline, turn: turn, allocator: allocator,
            makeDevice: configuration.deviceFactory ?? device.backend.makeDevice)
        workers.start()
    }

    deinit {
        pipeline.withLock { $0.abandon() }
        workers.wakeEveryone()
    }

    /// Queues a record and returns its LSN, without waiting. The record is durable once
    /// `waitUntilDurable(lsn)` returns.
    package func enqueue(type: UInt16, payload: UnsafeRawBufferPointer) throws(WALError) -> LSN {
        guard payload.count <= maxPayloadSize else {
            throw WALError(.recordTooLarge, "a record of \(payload.count) bytes exceeds the limit of \(maxPayloadSize)")
        }
        let frameSize = RecordFrame.frameSize(payloadCount: payload.count)
        let replication = configuration.replication
        let (lsn, wakeWorker) = try pipeline.withLock { (state) throws(WALError) in
            try state.enqueue(frameSize: frameSize) { frames, lsn in
                RecordFrame.append(lsn: lsn, type: type, payload: payload, to: &frames)
                // Under the lock, so that the sink sees LSNs in order.
                replication?.queued(lsn: lsn, type: type, payload: payload)
            }
        }
        if let wakeWorker { workers.wake(worker: wakeWorker) }
        return lsn
    }

    /// Queues a record; see `enqueue(type:payload:)`.
    package func enqueue(type: UInt16, payload: [UInt8]) throws(WALError) -> LSN {
        try payload.withBytes { (bytes) throws(WALError) in try enqueue(type: type, payload: bytes) }
    }

    /// Returns once the record at `lsn` is durable as the durability mode defines it (`sync`: written and
    /// synced; `batch` and `none`: queued) — and, with a `replication` sink, replicated — or throws the error
    /// that stopped the log (or the replication's).
    package func waitUntilDurable(_ lsn: LSN) async throws(WALError) {
        try await waitUntilDurableHere(lsn)
        if let replication = configuration.replication { try await replication.waitUntilReplicated(lsn) }
    }

    private func waitUntilDurableHere(_ lsn: LSN) async throws(WALError) {
        guard case .sync = configuration.durability else {
            if let failure { throw failure }
            return
        }
        // Unchecked to save an allocation per append on the hot path; it is resumed exactly once, because
        // the pipeline hands each waiter back exactly once (durable, failed, or closed).
        let error: WALError? = await withUnsafeContinuation { continuation in
            let check = pipeline.withLock { $0.awaitDurability(of: lsn, waiter: continuation) }
            switch check {
            case .durable: continuation.resume(returning: nil)
            case .failed(let error): continuation.resume(returning: error)
            case .waiting: break
            }
        }
        if let error { throw error }
    }

    /// Queues a record and waits until it is durable; returns its LSN.
    @discardableResult
    package func append(type: UInt16, payload: [UInt8]) async throws(WALError) -> LSN {
        let lsn = try enqueue(type: type, payload: payload)
        try await waitUntilDurable(lsn)
        return lsn
    }

    /// Writes and syncs everything queued, then stops the writer. Later appends fail with `.closed`.
    package func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = pipeline.withLock { $0.close(closer: continuation) }
            if done { continuation.resume() } else { workers.wakeEveryone() }
        }
    }

    /// The error that stopped the log, if one did.
    package var failure: WALError? { pipeline.withLock { $0.failure } }

    /// Whether the log has failed: one atomic load, for checks on every request.
    package var hasFailed: Bool { workers.failed.load(ordering: .acquiring) }

    /// Every record up to this LSN is written and synced.
    package var durableLSN: LSN { pipeline.withLock { $0.durableLSN } }

    /// The LSN the next record will get.
    package var nextLSN: LSN { pipeline.withLock { $0.nextLSN } }

    /// What the writer has done since the log was opened.
    package var statistics: WALStatistics { pipeline.withLock { $0.statistics } }

    /// The first LSNs of the segment files, oldest first.
    package var segmentFirstLSNs: [LSN] { segments.all }

    /// The first LSN of the oldest segment in `directory`, or nil when it holds none. A snapshot at LSN `s`
    /// can be continued by this log when this is at most `s + 1`.
    package static func oldestSegmentFirstLSN(directory: String) throws(WALError) -> LSN? {
        guard PosixFile.exists(directory) else { return nil }
        return try LogScanner.segmentNames(in: directory).first?.firstLSN
    }

    /// Deletes the segment files whose records are all at or below `lsn` (never the one being written),
    /// then syncs the directory. Call only once a snapshot covering `lsn` is durable. Returns how many.
    @discardableResult
    package func removeSegments(coveredThrough lsn: LSN) throws(WALError) -> Int {
        let covered = segments.takeCovered(through: lsn)
        try Durable.remove(covered.map { configuration.directory + "/" + SegmentName.fileName(firstLSN: $0) })
        return covered.count
    }

    /// Renames the damaged segment (when nothing valid is left in it) and every later one to
    /// `<name>.<reason>-<n>`, keeping them for inspection, and drops them from the report.
    private static func setAsideSegments(
        from damage: LogDamage, report: inout LogScanReport, directory: String, as reason: String
    ) throws(WALError) {
        guard let index = report.segments.firstIndex(where: { $0.fileName == damage.file }) else { return }
        let keepDamaged = report.segments[index].recordCount > 0
        let firstAside = keepDamaged ? index + 1 : index
        var names = report.segments[firstAside...].map(\.fileName)
        let listed = try LogScanner.segmentNames(in: directory).map(\.name)
        names += listed.filter { name in !report.segments.contains { $0.fileName == name } }
        // Counted before the files move: the rest of the damaged segment, and every segment after it.
        var dropped = LogScanner.validRecords(
            in: directory + "/" + damage.file,
            // A discard starts at a valid record, which counts; damage starts at a bad frame, which does not.
            from: damage.offset + (report.stoppedAfter == nil ? RecordFrame.alignment : 0))
        for name in names where name != damage.file {
            let found = LogScanner.validRecords(in: directory + "/" + name, from: nil)
            dropped.count += found.count
            if let lsns = found.lsns {
                dropped.lsns =
                    dropped.lsns.map { min($0.lowerBound, lsns.lowerBound)...max($0.upperBound, lsns.upperBound) }
                    ?? lsns
            }
        }
        for name in names {
            var suffix = 1
            while PosixFile.exists("\(directory)/\(name).\(reason)-\(suffix)") { suffix += 1 }
            try Durable.rename("\(directory)/\(name)", "\(directory)/\(name).\(reason)-\(suffix)")
        }
        report.segments.removeSubrange(firstAside...)
        report.lastSegmentAppendable = false
        report.truncatedAt = damage
        report.setAside = names
        report.droppedRecords = dropped.count
        report.droppedLSNs = dropped.lsns
        report.damage = nil
    }
}
