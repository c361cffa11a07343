package import WAL

#if canImport(Glibc)
import Glibc
#endif

extension Engine {
    /// Makes `configuration.dataDirectory` start from a snapshot the cluster stored — for a node whose own log
    /// the cluster can no longer continue (it pruned the records after it): the log folder is set aside as
    /// `wal.replaced-<n>` (kept for inspection), the snapshot is written as the directory's newest, and a new log
    /// begins right after its LSN. `open` then loads it and the node follows from there. Returns the name the old
    /// log folder was given, if there was one.
    @discardableResult
    package static func installSnapshot(
        _ payload: [UInt8], lsn: LSN, into configuration: EngineConfiguration
    ) async throws -> String? {
        let decoded: EngineSnapshot
        do { decoded = try EngineSnapshot.decode(payload) } catch {
            throw EngineError(.invalidArgument, "the cluster's snapshot at LSN \(lsn) does not decode: \(error)")
        }
        guard decoded.lsn == lsn else {
            throw EngineError(
                .invalidArgument, "the cluster's snapshot names LSN \(decoded.lsn), stored as LSN \(lsn)")
        }
        try Durable.makeDirectories(configuration.dataDirectory)
        let lock = try DataDirectoryLock(directory: configuration.dataDirectory)
        defer { lock.release() }
        var setAside: String?
        if access(configuration.logDirectory, F_OK) == 0 {
            var suffix = 1
            while access("\(configuration.logDirectory).replaced-\(suffix)", F_OK) == 0 { suffix += 1 }
            setAside = "\(configuration.logDirectory).replaced-\(suffix)"
            try Durable.rename(configuration.logDirectory, setAside!)
        }
        try Durable.makeDirectories(configuration.snapshotDirectory)
        let snapshots = try SnapshotStore(
            directory: configuration.snapshotDirectory, retainedCount: configuration.keptSnapshots)
        _ = try snapshots.write(lsn: lsn) { writer in try writer.write(payload) }
        var logConfiguration = configuration.logConfiguration
        logConfiguration.replication = nil
        // Opening makes the log's first segment, beginning at `lsn` + 1, durably: a log that continues the snapshot.
        await (try WriteAheadLog.open(logConfiguration, after: lsn)).close()
        return setAside
    }
}
