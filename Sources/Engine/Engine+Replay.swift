import FoundationEssentials
package import WAL

#if canImport(Glibc)
import Glibc
#endif

/// How far `Engine.replay` goes.
package enum ReplayLimit: Sendable, Hashable {
    /// Every record up to and including this LSN.
    case lsn(LSN)
    /// Every record made at or before this time (Unix milliseconds).
    case time(milliseconds: Int64)
}

/// What a replay rebuilt.
package struct ReplaySummary: Sendable {
    /// The snapshot it started from, if any.
    package let snapshotLSN: LSN?
    package let recordsApplied: Int
    /// The state is as it was after this record.
    package let lastLSN: LSN
    package let users: Int
    package let activeSessions: Int
    package let milliseconds: Int
}

extension Engine {
    private struct ReachedLimit: Error {}

    /// Rebuilds the state of the data directory `source` as it was at `limit` — the newest snapshot at or
    /// before it, then the log up to it — into a new data directory `output` that `open` (and `tessera
    /// serve`) can use: a snapshot of that state, an empty log that continues after it, and the source's keys.
    /// `source` is only read.
    package static func replay(
        source: String, until limit: ReplayLimit, into output: String, shardCount: Int = 16,
        progress: (Int, LSN) -> Void = { _, _ in }
    ) async throws -> ReplaySummary {
        let started = ContinuousClock.now
        let sourceConfiguration = EngineConfiguration(dataDirectory: source)
        guard access(sourceConfiguration.logDirectory, F_OK) == 0 else {
            throw EngineError(.invalidArgument, "\(source) has no log")
        }
        guard access(output, F_OK) != 0 else { throw EngineError(.invalidArgument, "\(output) exists already") }
        let boundary = try boundaryLSN(of: limit, logDirectory: sourceConfiguration.logDirectory)
        let oldestSegment = try WriteAheadLog.oldestSegmentFirstLSN(directory: sourceConfiguration.logDirectory) ?? 1
        let snapshots = SnapshotStore(readingFrom: sourceConfiguration.snapshotDirectory)
        let candidates = ((try? snapshots.snapshotLSNs()) ?? []).filter { $0 <= boundary && oldestSegment <= $0 + 1 }
        var snapshot: EngineSnapshot?
        for lsn in candidates.sorted(by: >) {
            guard let loaded = try? snapshots.load(lsn: lsn), let decoded = try? EngineSnapshot.decode(loaded.payload)
            else { continue }
            snapshot = decoded
            break
        }
        guard snapshot != nil || oldestSegment <= 1 else {
            throw EngineError(.invalidArgument, "neither a snapshot nor the log reaches back to LSN \(boundary)")
        }
        let routing = ShardRouting(shardCount: shardCount)
        var states = Array(repeating: ShardState(), count: shardCount)
        if let snapshot {
            snapshot.restore(into: &states, routing: routing)
        }
        var applied = 0
        var lastLSN = snapshot?.lsn ?? 0
        do {
            _ = try LogReader.read(directory: sourceConfiguration.logDirectory, after: snapshot?.lsn ?? 0) { view in
                guard view.lsn <= boundary else { throw ReachedLimit() }
                let record = try EngineRecord(type: view.type, payload: view.payload)
                lastLSN = view.lsn
                if snapshot?.reflects(lsn: view.lsn, shardKey: record.shardKey) == true { return }
                states[routing.shard(of: record.shardKey)].apply(record, lsn: view.lsn)
                applied += 1
                if applied % 100_000 == 0 { progress(applied, view.lsn) }
            }
        } catch is ReachedLimit {}
        try await writeDataDirectory(
            output, states: states, lsn: lastLSN, keysFrom: source + "/keys",
            shardCount: shardCount)
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let elapsed = ContinuousClock.now - started
        return ReplaySummary(
            snapshotLSN: snapshot?.lsn, recordsApplied: applied, lastLSN: lastLSN,
            users: states.reduce(0) { $0 + $1.users.count },
            activeSessions: states.reduce(0) { count, state in
                count + state.sessions.values.filter { $0.isActive(at: now) }.count
            },
            milliseconds: Int(
                elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000))
    }

    /// The last LSN within `limit`: for a time, the record before the first one made after it.
    private static func boundaryLSN(of limit: ReplayLimit, logDirectory: String) throws -> LSN {
        switch limit {
        case .lsn(let lsn):
            return lsn
        case .time(let milliseconds):
            var boundary: LSN = 0
            do {
                _ = try LogReader.read(directory: logDirectory, after: 0) { view in
                    let record = try EngineRecord(type: view.type, payload: view.payload)
                    guard record.atMilliseconds <= milliseconds else { throw ReachedLimit() }
                    boundary = view.lsn
                }
            } catch is ReachedLimit {}
            return boundary
        }
    }

    private static func writeDataDirectory(
        _ output: String, states: [ShardState], lsn: LSN, keysFrom keys: String,
        shardCount: Int
    ) async throws {
        guard access(output, F_OK) != 0 else { throw EngineError(.invalidArgument, "\(output) exists already") }
        try Durable.makeDirectory(output)
        var configuration = EngineConfiguration(dataDirectory: output)
        configuration.shardCount = shardCount
        let store = try SnapshotStore(directory: configuration.snapshotDirectory)
        let watermarks = Array(repeating: lsn, count: states.count)
        _ = try store.write(lsn: lsn) { file in
            try EngineSnapshot.write(states: states, watermarks: watermarks, into: &file)
        }
        var logConfiguration = configuration.logConfiguration
        logConfiguration.durability = .sync
        let log = try WriteAheadLog.open(logConfiguration, after: lsn)
        await log.close()
        try copyKeys(from: keys, to: output + "/keys")
    }

    /// Copies the key files (`*.key`) of `source` into `destination`, each made durable — and those of its
    /// folders (the signing key rings: `ed25519/`, `es256/`, `rs256/`), so that the rebuilt state verifies the
    /// tokens the source issued whatever their algorithm.
    private static func copyKeys(from source: String, to destination: String, descending: Bool = true) throws {
        guard let directory = opendir(source) else { return }
        defer { closedir(directory) }
        try Durable.makeDirectory(destination)
        while let entry = readdir(directory) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if descending, entry.pointee.d_type == UInt8(DT_DIR), name != ".", name != ".." {
                try copyKeys(from: source + "/" + name, to: destination + "/" + name, descending: false)
                continue
            }
            guard name.hasSuffix(".key") else { continue }
            let input = Glibc.open(source + "/" + name, O_RDONLY | O_CLOEXEC)
            guard input >= 0 else { throw EngineError(.invalidArgument, "cannot read \(source)/\(name)") }
            defer { Glibc.close(input) }
            var bytes: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count: Int = buffer.withUnsafeMutableBytes { Glibc.read(input, $0.baseAddress, 4096) }
                guard count >= 0 else { throw EngineError(.invalidArgument, "cannot read \(source)/\(name)") }
                if count == 0 { break }
                bytes += buffer[..<count]
            }
            try Durable.replaceFile(destination + "/" + name, with: bytes)
        }
    }
}
