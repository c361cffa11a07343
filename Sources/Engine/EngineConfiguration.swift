package import WAL

/// How an engine is opened.
package struct EngineConfiguration: Sendable {
    /// The data directory; the log lives in its `wal/` folder.
    package var dataDirectory: String
    package var shardCount = 16
    package var durability: Durability = .sync
    package var backend: LogBackend = .fromEnvironment()
    package var segmentSizeBytes = 64 << 20
    package var recovery: RecoveryPolicy = .strict
    /// Replaces the log device: the seam through which tests make the disk fail.
    package var logDeviceFactory: (@Sendable () throws(WALError) -> any LogDevice)?
    /// Where the log's records are replicated before a change is acknowledged (a cluster's leader).
    package var replication: (any ReplicationSink)?
    /// Whether this engine makes changes of its own. A cluster's follower opens with false: it only applies
    /// the leader's records (`applyReplicated`) and refuses every change with `notLeader`, at open too.
    package var acceptsChanges = true
    /// Records after this LSN are dropped at open, and snapshots after it deleted: a cluster node's state beyond
    /// what the cluster committed (a former leader's records that were never acknowledged).
    package var discardAfter: LSN?
    /// Sessions expire this long after their last refresh (sliding).
    package var sessionLifetimeMilliseconds: Int64 = 7 * 86_400_000
    /// A rotated-out refresh token presented again within this window gets the same new pair instead of
    /// revoking the session (concurrent clients).
    package var refreshGraceMilliseconds: Int64 = 10_000

    /// A snapshot is written once this many records were logged since the last one…
    package var snapshotEveryRecords: UInt64 = 500_000
    /// …or this many bytes.
    package var snapshotEveryBytes = 256 << 20
    /// How often revoked and expired sessions are forgotten.
    package var purgeIntervalSeconds = 600
    /// A client that registered itself anonymously and holds no consent, grant, code or token this long after
    /// registering is deleted (at the next purge).
    package var unusedAnonymousClientMilliseconds: Int64 = 24 * 3_600_000

    /// How many snapshots checkpoints keep (at least 2): how far back a replay can start from a snapshot.
    package var keptSnapshots = 2

    /// Which log segments a checkpoint deletes.
    package var logRetention: LogRetention = .sinceOldestSnapshot

    /// Open a data directory that has served (it has an identity) even though its log or snapshots are gone,
    /// going on with what is left. Off by default: such a start would silently lose acknowledged changes.
    package var acceptLostState = false

    package init(dataDirectory: String) { self.dataDirectory = dataDirectory }

    var logDirectory: String { dataDirectory + "/wal" }
    var snapshotDirectory: String { dataDirectory + "/snapshots" }

    var logConfiguration: WALConfiguration {
        var configuration = WALConfiguration(directory: logDirectory)
        configuration.durability = durability
        configuration.backend = backend
        configuration.segmentSizeBytes = segmentSizeBytes
        configuration.recovery = recovery
        configuration.deviceFactory = logDeviceFactory
        configuration.replication = replication
        configuration.discardAfter = discardAfter
        return configuration
    }
}

/// How much of the log checkpoints keep.
package enum LogRetention: Sendable, Hashable {
    /// The log after the oldest snapshot kept: enough to fall back to any of them, or replay from it.
    case sinceOldestSnapshot
    /// Everything: the whole history can be replayed and audited (the disk grows without bound).
    case everything
}
