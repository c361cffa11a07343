/// When an append counts as done.
package enum Durability: Sendable, Hashable, CustomStringConvertible {
    /// Acknowledge only after the record was written and `fdatasync`ed (the default, and the promise).
    case sync
    /// Acknowledge once queued; write at once and `fdatasync` at most every `milliseconds`. A crash can lose
    /// the acknowledged records of the last interval.
    case batch(milliseconds: Int)
    /// Acknowledge once queued, never `fdatasync` (benchmarks only). A crash can lose anything not yet
    /// written back by the kernel.
    case none

    /// Parses `sync`, `batch:<ms>` or `none`.
    package init?(parsing text: String) {
        switch text {
        case "sync": self = .sync
        case "none": self = .none
        default:
            guard text.hasPrefix("batch:"), let ms = Int(text.dropFirst(6)), ms > 0, ms <= 60_000 else { return nil }
            self = .batch(milliseconds: ms)
        }
    }

    package var description: String {
        switch self {
        case .sync: "sync"
        case .batch(let ms): "batch:\(ms)"
        case .none: "none"
        }
    }
}

/// What to do when recovery finds damage before the end of the log.
package enum RecoveryPolicy: String, Sendable, CaseIterable {
    /// Refuse to open, naming the file and offset (the default).
    case strict
    /// Keep the valid prefix; segments after the damage are renamed `*.damaged-<n>` and kept for inspection.
    case truncateAfterDamage = "truncate"
}

/// How a log is opened.
package struct WALConfiguration: Sendable {
    /// The directory holding the segment files; created when missing.
    package var directory: String
    /// Size of each preallocated segment file.
    package var segmentSizeBytes: Int = 64 << 20
    package var durability: Durability = .sync
    package var backend: LogBackend = .fromEnvironment()
    /// Sees every record as it is queued, in LSN order, and holds acknowledgements until it replicated them (a
    /// cluster's leader).
    package var replication: (any ReplicationSink)?
    /// Records after this LSN are dropped at open, whatever the recovery policy: the segments holding them are
    /// set aside as `*.discarded-<n>`. A cluster node's records beyond what the cluster committed were never
    /// acknowledged, and the cluster's own records from there on replace them.
    package var discardAfter: LSN?
    /// Replaces the device `backend` would create: the seam for fault injection in tests.
    package var deviceFactory: (@Sendable () throws(WALError) -> any LogDevice)?
    package var recovery: RecoveryPolicy = .strict
    /// Write segments with O_DIRECT, in whole 4 KiB blocks, bypassing the page cache (where the file system
    /// supports it; elsewhere the buffered path is used).
    package var directIO = true
    /// Bound on bytes queued and not yet handed to the disk (queued, or laid out for the next commit); an
    /// append past it fails with `queueFull`.
    package var maxQueuedBytes: Int = 256 << 20
    /// How many `fdatasync` calls may run at once, beside the write under way (one worker thread each, plus
    /// one for the write turn). Two flushes in flight nearly double the commits per second of this machine's
    /// disk; see docs/BENCHMARKS.md.
    package var syncsInFlight = 2

    package init(directory: String) {
        self.directory = directory
    }

    func validate() throws(WALError) {
        guard segmentSizeBytes >= 1 << 16, segmentSizeBytes <= 1 << 32, segmentSizeBytes % 4096 == 0 else {
            throw WALError(.invalidConfiguration, "segment size must be a multiple of 4096 between 64 KiB and 4 GiB")
        }
        guard (1...8).contains(syncsInFlight) else {
            throw WALError(.invalidConfiguration, "syncs in flight must be between 1 and 8")
        }
        guard maxQueuedBytes >= 1 << 16 else {
            throw WALError(.invalidConfiguration, "the queue bound must be at least 64 KiB")
        }
    }

    /// The largest payload a record may have: it must fit in one segment after the header, and in the queue.
    var maxPayloadSize: Int {
        min(
            RecordFrame.maxPayloadSize, segmentSizeBytes - SegmentHeader.size - RecordFrame.headerSize,
            maxQueuedBytes - RecordFrame.headerSize - RecordFrame.alignment)
    }
}

/// Where the log's records are replicated (a cluster's leader commits them to PostgreSQL). With one, a record
/// is durable — and an append acknowledged — only once it is durable here *and* replicated there.
package protocol ReplicationSink: Sendable {
    /// The record `lsn` was queued (not yet durable). Called under the log's lock, in LSN order, from the
    /// producer's thread: copy what is needed and return.
    func queued(lsn: LSN, type: UInt16, payload: UnsafeRawBufferPointer)

    /// Returns once the record at `lsn` is replicated; throws `replicationUnavailable` when it could not be
    /// (yet), `fenced` when this log may replicate nothing more.
    func waitUntilReplicated(_ lsn: LSN) async throws(WALError)
}
