package import Engine
import PostgresNIO
package import WAL

/// The cluster's history as a data directory `Engine.replay` can read: the newest snapshot stored in PostgreSQL
/// that lies within the replay's limit, the cluster's log after it, and the cluster's key files. For `tessera
/// replay --cluster`: the state as it was at an LSN or a time, from the cluster's own records rather than one
/// node's.
package enum ClusterHistory {
    /// Writes into `directory` (which must not exist) the history `Engine.replay` needs to reach `limit`.
    /// Returns the LSN of the snapshot it starts from (0: the log from its start).
    @discardableResult
    package static func materialize(
        from store: ClusterLogStore, until limit: ReplayLimit, into directory: String,
        progress: (Int, LSN) -> Void = { _, _ in }
    ) async throws -> LSN {
        let start = try await startingSnapshot(store, within: limit)
        if let start {
            try await Engine.installSnapshot(
                start.payload, lsn: start.lsn, into: EngineConfiguration(dataDirectory: directory))
        }
        let after = start?.lsn ?? 0
        try Durable.makeDirectories(directory)
        // A scratch copy for one replay: nothing here needs to survive a crash.
        var logConfiguration = WALConfiguration(directory: directory + "/wal")
        logConfiguration.durability = .none
        let log = try WriteAheadLog.open(logConfiguration, after: after)
        var copied = 0
        var next = after
        do {
            while true {
                let runs = try await batches(store, after: next)
                guard !runs.isEmpty else { break }
                for run in runs {
                    for record in try run.records() where record.lsn > next {
                        if case .lsn(let last) = limit, record.lsn > last { break }
                        _ = try await log.append(type: record.type, payload: record.payload)
                        next = record.lsn
                        copied += 1
                    }
                    if case .lsn(let last) = limit, next >= last { break }
                }
                progress(copied, next)
                if case .lsn(let last) = limit, next >= last { break }
            }
        } catch {
            await log.close()
            throw error
        }
        await log.close()
        try await ClusterKeys(store: store).mirror(into: directory + "/keys")
        return after
    }

    /// The batches after `lsn`; records already pruned are an error that says so.
    private static func batches(_ store: ClusterLogStore, after lsn: LSN) async throws -> [FrameRun] {
        do {
            return try await store.batches(after: lsn)
        } catch {
            guard case .pruned(let first) = error else { throw error }
            throw EngineError(
                .invalidArgument,
                "the cluster's log starts at LSN \(first) and no snapshot it stores lies within the limit: "
                    + "the history before LSN \(first) was pruned")
        }
    }

    /// The newest stored snapshot every record of which lies within `limit` (by LSN, or stored no later than the
    /// limit's time), nil when none does.
    private static func startingSnapshot(
        _ store: ClusterLogStore, within limit: ReplayLimit
    ) async throws -> ClusterSnapshots.Stored? {
        let snapshots = ClusterSnapshots(store: store)
        for (lsn, storedAt) in try await snapshots.index() {
            switch limit {
            case .lsn(let last) where lsn <= last: return try await snapshots.load(lsn: lsn)
            case .time(let milliseconds) where storedAt <= milliseconds: return try await snapshots.load(lsn: lsn)
            default: continue
            }
        }
        return nil
    }
}
