import Engine
import HummingbirdBcrypt
import WAL

/// A data directory of many users built through the engine's own operations — each change logged as in
/// service — then a snapshot, then a tail of refreshes after it, so that opening it loads the snapshot and
/// replays the tail. Every user's password is `DataSet.password` (bcrypt cost 4), so that `tessera serve
/// --data <dir>` can log them in.
struct DataSet {
    static let password = "Bench-Password-1"

    let users: Int
    let sessionsPerUser: Int
    /// Refreshes logged after the snapshot.
    let tail: Int
    let shards: Int

    /// What building took.
    struct Built: Sendable {
        var seconds = 0.0
        var snapshotBytes = 0
        var logRecordsAfterSnapshot = 0
    }

    static func email(_ index: Int) -> String { "user\(index)@bench.example" }

    /// The digest of session `index`'s refresh secret after `generation` rotations (a deterministic stand-in
    /// for the SHA-256 of a random secret: the engine stores 32 bytes either way).
    static func digest(session index: Int, generation: Int) -> SecretDigest {
        SecretDigest(word0: UInt64(index), word1: UInt64(generation), word2: 0x7465_7373_6572_61, word3: 1)
    }

    /// Builds into `directory` (created when missing; must not hold a data set already), reporting progress.
    func build(into directory: String, progress: Progress) async throws -> Built {
        let started = monotonicNanoseconds()
        var configuration = EngineConfiguration(dataDirectory: directory)
        configuration.shardCount = shards
        // Built as fast as the log can take it; `close` writes and syncs everything before it returns.
        configuration.durability = .none
        let engine = try Engine.open(configuration)
        guard engine.startup.users == 0 else { throw BenchError("\(directory) holds a data set already") }
        let hash = Bcrypt.hash(Self.password, cost: 4)

        progress.start("users", total: users)
        let userIDs = try await Self.concurrently(count: users, progress: progress) { index in
            try await engine.register(
                NewUser(
                    email: Self.email(index), passwordHash: hash, firstName: "Bench",
                    lastName: "User \(index)")
            ).id
        }
        let sessionCount = users * sessionsPerUser
        progress.start("sessions", total: sessionCount)
        let sessionIDs = try await Self.concurrently(count: sessionCount, progress: progress) { index in
            try await engine.createSession(
                userID: userIDs[index % users], refreshDigest: Self.digest(session: index, generation: 0),
                device: DeviceInfo(
                    deviceName: "bench", deviceID: "device-\(index)",
                    ipAddress: "10.0.\(index / 256 % 256).\(index % 256)")
            ).id
        }
        let checkpoint = try await engine.checkpoint()
        let before = engine.log.statistics.records

        progress.start("log tail (refreshes after the snapshot)", total: tail)
        var refreshed = 0
        while refreshed < tail && sessionCount > 0 {
            // One round refreshes each session at most once, so no refresh can overtake the one before it on
            // the same session; the next round starts when this one is done.
            let generation = refreshed / sessionCount
            let round = min(sessionCount, tail - refreshed)
            _ = try await Self.concurrently(count: round, progress: progress) { session in
                _ = try await engine.refresh(
                    sessionID: sessionIDs[session],
                    presentedDigest: Self.digest(session: session, generation: generation),
                    newDigest: Self.digest(session: session, generation: generation + 1))
                return ()
            }
            refreshed += round
        }
        let tailRecords = Int(engine.log.statistics.records - before)
        await engine.close()
        progress.finish()
        return Built(
            seconds: Double(monotonicNanoseconds() - started) / 1e9, snapshotBytes: checkpoint.bytes,
            logRecordsAfterSnapshot: tailRecords)
    }

    /// Runs `body` for each of `0..<count` from 64 tasks at a time and collects the results in order.
    private static func concurrently<T: Sendable>(
        count: Int, progress: Progress, _ body: @escaping @Sendable (Int) async throws -> T
    ) async throws -> [T] {
        let workers = 64
        var results = [T?](repeating: nil, count: count)
        try await withThrowingTaskGroup(of: [(Int, T)].self) { group in
            for worker in 0..<workers {
                group.addTask {
                    var done: [(Int, T)] = []
                    var index = worker
                    while index < count {
                        done.append((index, try await body(index)))
                        progress.advance()
                        index += workers
                    }
                    return done
                }
            }
            for try await part in group {
                for (index, value) in part { results[index] = value }
            }
        }
        return results.map { $0! }
    }
}
