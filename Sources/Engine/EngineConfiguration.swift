public import WAL

/// How an engine is opened.
public struct EngineConfiguration: Sendable {
    /// The data directory; the log lives in its `wal/` folder.
    public var dataDirectory: String
    public var shardCount = 16
    public var durability: Durability = .sync
    public var backend: LogBackend = .fromEnvironment()
    public var segmentSizeBytes = 64 << 20
    public var recovery: RecoveryPolicy = .strict
    /// Replaces the log device: the seam through which tests make the disk fail.
    public var logDeviceFactory: (@Sendable () throws(WALError) -> any LogDevice)?
    /// Sessions expire this long after their last refresh (sliding).
    public var sessionLifetimeMilliseconds: Int64 = 7 * 86_400_000
    /// A rotated-out refresh token presented again within this window gets the same new pair instead of
    /// revoking the session (concurrent clients).
    public var refreshGraceMilliseconds: Int64 = 10_000

    /// A snapshot is written once this many records were logged since the last one…
    public var snapshotEveryRecords: UInt64 = 500_000
    /// …or this many bytes.
    public var snapshotEveryBytes = 256 << 20
    /// How often revoked and expired sessions are forgotten.
    public var purgeIntervalSeconds = 600

    /// How many snapshots checkpoints keep (at least 2): how far back a replay can start from a snapshot.
    public var keptSnapshots = 2

    /// Which log segments a checkpoint deletes.
    public var logRetention: LogRetention = .sinceOldestSnapshot

    /// Open a data directory that has served (it has an identity) even though its log or snapshots are gone,
    /// going on with what is left. Off by default: such a start would silently lose acknowledged changes.
    public var acceptLostState = false

    public init(dataDirectory: String) { self.dataDirectory = dataDirectory }

    var logDirectory: String { dataDirectory + "/wal" }
    var snapshotDirectory: String { dataDirectory + "/snapshots" }

    var logConfiguration: WALConfiguration {
        var configuration = WALConfiguration(directory: logDirectory)
        configuration.durability = durability
        configuration.backend = backend
        configuration.segmentSizeBytes = segmentSizeBytes
        configuration.recovery = recovery
        configuration.deviceFactory = logDeviceFactory
        return configuration
    }
}

/// How much of the log checkpoints keep.
public enum LogRetention: Sendable, Hashable {
    /// The log after the oldest snapshot kept: enough to fall back to any of them, or replay from it.
    case sinceOldestSnapshot
    /// Everything: the whole history can be replayed and audited (the disk grows without bound).
    case everything
}
