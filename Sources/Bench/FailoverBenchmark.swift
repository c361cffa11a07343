import ArgumentParser
import Cluster
import Engine
import Foundation
import Logging
import PostgresNIO
import Synchronization
import WAL

/// `Bench failover`: what the cluster costs and how it behaves, on a private PostgreSQL, in one run:
/// - **acknowledgement**: the same registrations from concurrent writers on an engine acknowledging at local
///   `sync` and on a leader's engine acknowledging once PostgreSQL committed too, side by side (the ratio is the
///   price of replicated acknowledgement);
/// - **replication lag**: during the replicated run, how long after a change is acknowledged a follower's
///   engine has applied it (sampled);
/// - **time without a leader**: two nodes; the leader "crashes" (its connection to PostgreSQL closed, its lease
///   never released), and the time until the follower leads is measured, round after round.
struct FailoverBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "failover",
        abstract: "Replicated against local acknowledgement, replication lag, and time without a leader.")

    @Option(help: "Seconds per acknowledgement run.") var seconds = 5.0
    @Option(help: "Concurrent writers.") var writers = 32
    @Option(help: "Leader crashes to measure.") var rounds = 5
    @Option(help: "The lease's time to live, in milliseconds.") var leaseMilliseconds = 1500
    @OptionGroup var output: ReportOptions

    func run() async throws {
        let server = try PrivatePostgres()
        defer { server.stop() }
        var report = Report(scenario: "failover")
        let local = try await acknowledgements(replicated: false, server: server)
        report.run("local sync", local.load, detail: "acknowledged once durable on this disk")
        let replicated = try await acknowledgements(replicated: true, server: server)
        report.run("replicated", replicated.load, detail: "durable here and committed to PostgreSQL")
        report.figure("replicated / local rate", replicated.load.rate / max(local.load.rate, 1), unit: "×")
        report.figure(
            "replicated / local p99",
            replicated.load.latency.milliseconds(at: 99)
                / max(local.load.latency.milliseconds(at: 99), 0.001), unit: "×")
        if let lag = replicated.lag {
            report.figure("follower lag p50", lag.milliseconds(at: 50), unit: "ms")
            report.figure("follower lag p99", lag.milliseconds(at: 99), unit: "ms")
            report.figure("follower lag samples", Double(lag.count), unit: "")
        }
        let gaps = try await timesWithoutLeader(server: server)
        report.figure("lease", Double(leaseMilliseconds), unit: "ms")
        report.figure("time without a leader, min", gaps.min() ?? 0, unit: "ms")
        report.figure("time without a leader, max", gaps.max() ?? 0, unit: "ms")
        report.target(
            "time without a leader ≤ lease + 2 rounds", value: gaps.max() ?? 0,
            atMost: Double(leaseMilliseconds) * 5 / 3, unit: "ms")
        try report.emit(output)
    }

    /// A client of `server`, run for the duration of `body`.
    private func withClient<Result: Sendable>(
        _ server: PrivatePostgres, _ body: (PostgresClient) async throws -> Result
    ) async throws -> Result {
        var configuration = PostgresClient.Configuration(
            unixSocketPath: server.socketPath, username: PrivatePostgres.user, password: nil,
            database: PrivatePostgres.database)
        configuration.options.connectTimeout = .seconds(3)
        let client = PostgresClient(configuration: configuration)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }

    private static func folder(_ name: String) -> String {
        var template = Array("\(NSTemporaryDirectory())/tessera-\(name)-XXXXXX".utf8CString)
        return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    private static func openEngine(
        _ folder: String, replication: (any ReplicationSink)?, acceptsChanges: Bool = true
    ) throws -> Engine {
        var configuration = EngineConfiguration(dataDirectory: folder + "/data")
        configuration.shardCount = 4
        configuration.replication = replication
        configuration.acceptsChanges = acceptsChanges
        return try Engine.open(configuration)
    }

    /// Registrations from `writers` tasks for `seconds`; replicated ones also measure a follower's lag.
    private func acknowledgements(
        replicated: Bool, server: PrivatePostgres
    ) async throws -> (load: LoadResult, lag: LatencyHistogram?) {
        let leaderFolder = Self.folder("failover-leader")
        let followerFolder = Self.folder("failover-follower")
        defer {
            for folder in [leaderFolder, followerFolder] { try? FileManager.default.removeItem(atPath: folder) }
        }
        guard replicated else {
            let engine = try Self.openEngine(leaderFolder, replication: nil)
            let load = try await register(on: engine, prefix: "local")
            await engine.close()
            return (load, nil)
        }
        return try await withClient(server) { client in
            let store = try await Self.emptyCluster(client)
            guard
                let lease = try await store.acquire(
                    node: "bench", address: "http://bench", ttlMilliseconds: 600_000, appliedLSN: 0)
            else { throw ValidationError("the bench could not take the lease") }
            let replicator = LogReplicator(store: store, lease: lease)
            let leader = try Self.openEngine(leaderFolder, replication: replicator)
            let follower = try Self.openEngine(followerFolder, replication: nil, acceptsChanges: false)
            let following = LogFollower(store: store, client: client, appliedLSN: 0) { records in
                for record in records {
                    try await follower.applyReplicated(lsn: record.lsn, type: record.type, payload: record.payload)
                }
            }
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await replicator.run() }
                group.addTask { try await following.run() }
                let lag = LagSampler()
                group.addTask { await lag.sample(leader: replicator, follower: following) }
                let load = try await register(on: leader, prefix: "replicated")
                lag.stop()
                group.cancelAll()
                replicator.stop()
                await leader.close()
                await follower.close()
                return (load, lag.histogram)
            }
        }
    }

    /// A store on an empty cluster log with a free lease (each part of the run starts from nothing).
    private static func emptyCluster(_ client: PostgresClient) async throws -> ClusterLogStore {
        let store = ClusterLogStore(client: client)
        try await store.prepare()
        try await client.query("TRUNCATE tessera_log")
        try await client.query(
            "UPDATE tessera_lease SET epoch = 0, holder = NULL, address = NULL, expires_at = '-infinity', last_lsn = 0")
        return store
    }

    /// `writers` tasks registering users on `engine` for `seconds`.
    private func register(on engine: Engine, prefix: String) async throws -> LoadResult {
        let deadline = monotonicNanoseconds() + UInt64(seconds * 1e9)
        let started = monotonicNanoseconds()
        var total = LoadResult()
        try await withThrowingTaskGroup(of: LoadResult.self) { group in
            for writer in 0..<writers {
                group.addTask {
                    var result = LoadResult()
                    var number = 0
                    while monotonicNanoseconds() < deadline {
                        number += 1
                        let user = NewUser(
                            email: "\(prefix)-\(writer)-\(number)@example.com", passwordHash: "$2b$04$x", firstName: "B"
                        )
                        let began = monotonicNanoseconds()
                        do {
                            _ = try await engine.register(user)
                            result.requests += 1
                        } catch {
                            result.errors += 1
                        }
                        result.latency.record(nanoseconds: monotonicNanoseconds() - began)
                    }
                    return result
                }
            }
            for try await result in group { total.merge(result) }
        }
        total.seconds = Double(monotonicNanoseconds() - started) / 1e9
        return total
    }

    /// Crashes the leader of two nodes `rounds` times; returns the milliseconds without a leader each time.
    private func timesWithoutLeader(server: PrivatePostgres) async throws -> [Double] {
        let folders = (0..<rounds + 1).map { Self.folder("failover-node-\($0)") }
        defer { for folder in folders { try? FileManager.default.removeItem(atPath: folder) } }
        var gaps: [Double] = []
        _ = try await withClient(server) { try await Self.emptyCluster($0) }
        var survivor = try await ClusterMemberForBench.start(
            folder: folders[0], name: "node-0", server: server, lease: leaseMilliseconds)
        try await survivor.waitUntilLeading()
        for round in 1...rounds {
            let next = try await ClusterMemberForBench.start(
                folder: folders[round], name: "node-\(round)", server: server, lease: leaseMilliseconds)
            try await next.waitUntilFollowing(survivor.engine.lastLSN)
            _ = try await survivor.engine.register(
                NewUser(email: "round-\(round)@example.com", passwordHash: "$2b$04$x", firstName: "R"))
            try await next.waitUntilFollowing(survivor.engine.lastLSN)
            let crashed = monotonicNanoseconds()
            await survivor.crash()
            try await next.waitUntilLeading()
            gaps.append(Double(monotonicNanoseconds() - crashed) / 1e6)
            FileHandle.standardError.write(Data("round \(round): \(Int(gaps.last!)) ms without a leader\n".utf8))
            survivor = next
        }
        await survivor.crash()
        return gaps
    }
}

/// Samples, every few milliseconds, the time from the leader's latest committed LSN to the follower applying it.
private final class LagSampler: Sendable {
    private let result = Mutex(LatencyHistogram())
    private let stopped = Atomic<Bool>(false)

    var histogram: LatencyHistogram { result.withLock { $0 } }

    func stop() { stopped.store(true, ordering: .releasing) }

    func sample(leader: LogReplicator, follower: LogFollower) async {
        while !stopped.load(ordering: .acquiring) && !Task.isCancelled {
            let lsn = leader.committedLSN
            let began = monotonicNanoseconds()
            if lsn > 0 {
                await follower.waitUntilApplied(lsn)
                let waited = monotonicNanoseconds() - began
                result.withLock { $0.record(nanoseconds: waited) }
            }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }
}

/// One node of the crash rounds: an engine, its own PostgreSQL client and a `ClusterNode`. `crash()` closes
/// its client and ends its run without releasing the lease, as a killed process would leave it.
private struct ClusterMemberForBench {
    let engine: Engine
    let node: ClusterNode
    let tasks: [Task<Void, Never>]

    static func start(folder: String, name: String, server: PrivatePostgres, lease: Int) async throws -> Self {
        var configuration = PostgresClient.Configuration(
            unixSocketPath: server.socketPath, username: PrivatePostgres.user, password: nil,
            database: PrivatePostgres.database)
        configuration.options.connectTimeout = .seconds(3)
        let client = PostgresClient(configuration: configuration)
        let clientTask = Task { await client.run() }
        let store = ClusterLogStore(client: client)
        try await store.prepare()
        let sink = NodeReplicationSink()
        var engineConfiguration = EngineConfiguration(dataDirectory: folder + "/data")
        engineConfiguration.shardCount = 4
        engineConfiguration.replication = sink
        engineConfiguration.acceptsChanges = false
        let engine = try Engine.open(engineConfiguration)
        var logger = Logger(label: "bench.\(name)")
        logger.logLevel = .error
        let node = ClusterNode(
            engine: engine, store: store, client: client, sink: sink, node: name, address: "http://\(name)",
            ttlMilliseconds: lease, logger: logger)
        let nodeTask = Task { _ = try? await node.run() }
        return Self(engine: engine, node: node, tasks: [nodeTask, clientTask])
    }

    /// Waits (at most a minute) until this node leads.
    func waitUntilLeading() async throws {
        for _ in 0..<60_000 where !node.isLeader { try await Task.sleep(for: .milliseconds(1)) }
        guard node.isLeader else { throw ValidationError("no node took the lease within a minute") }
    }

    /// Waits (at most a minute) until this node follows and applied `lsn`.
    func waitUntilFollowing(_ lsn: LSN) async throws {
        for _ in 0..<60_000 where node.status.appliedLSN < lsn { try await Task.sleep(for: .milliseconds(1)) }
    }

    /// As a killed process: the connection to PostgreSQL closes first (no release can reach it), then the node
    /// stops.
    func crash() async {
        tasks[1].cancel()
        await tasks[1].value
        tasks[0].cancel()
        await tasks[0].value
        await engine.close()
    }
}
