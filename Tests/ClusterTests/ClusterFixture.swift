import Cluster
import Engine
import Foundation
import PostgresNIO
import Testing
import WAL

/// What a cluster test stands on: a private PostgreSQL, a running client to it, and a prepared store.
struct ClusterFixture {
    let server: PrivatePostgres
    let client: PostgresClient
    let store: ClusterLogStore

    /// Runs `body` with a fresh fixture; tasks it adds to `group` (a replicator, a follower) are cancelled
    /// after it, and PostgreSQL is stopped. `connectTimeout` bounds how long a query waits for PostgreSQL when
    /// it is down.
    static func run(
        connectTimeout: Duration = .seconds(10),
        _ body: (ClusterFixture, inout ThrowingTaskGroup<Void, any Error>) async throws -> Void
    ) async throws {
        let server = try PrivatePostgres()
        defer { server.stop() }
        var configuration = PostgresClient.Configuration(
            unixSocketPath: server.socketPath, username: PrivatePostgres.user, password: nil,
            database: PrivatePostgres.database)
        configuration.options.connectTimeout = connectTimeout
        let client = PostgresClient(configuration: configuration)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            let store = ClusterLogStore(client: client)
            try await store.prepare()
            try await body(ClusterFixture(server: server, client: client, store: store), &group)
        }
    }

    /// Node `node` takes the free lease (for a minute, far longer than any test).
    func lease(for node: String, appliedLSN: LSN = 0) async throws -> ClusterLease {
        try #require(
            try await store.acquire(
                node: node, address: "http://\(node)", ttlMilliseconds: 60_000, appliedLSN: appliedLSN))
    }

    /// Lets the lease expire now, by PostgreSQL's clock, rather than waiting for it.
    func expireLease() async throws {
        try await client.query("UPDATE tessera_lease SET expires_at = now() - interval '1 second'")
    }

    /// A replicator for `lease` that retries at once and waits for a commit as long as a test runs: on a busy
    /// machine a commit can take seconds, and a test must not fail for it. Tests of PostgreSQL being down
    /// shorten `commitTimeout` for that phase only.
    func replicator(for lease: ClusterLease) -> LogReplicator {
        LogReplicator(store: store, lease: lease, retryDelay: .milliseconds(20), commitTimeout: .seconds(600))
    }

    /// Waits until `lsn` is committed, through attempts that failed while PostgreSQL was coming back (each one
    /// fails the waiters of its time): at most `attempts` of them, a count rather than a time.
    static func committedEventually(_ lsn: LSN, by replicator: LogReplicator, attempts: Int = 200) async throws {
        for _ in 1..<attempts {
            do throws(ClusterError) {
                try await replicator.waitUntilCommitted(lsn)
                return
            } catch .database {
                continue
            }
        }
        try await replicator.waitUntilCommitted(lsn)
    }

    /// A folder of its own under the temporary directory.
    static func temporaryFolder(_ prefix: String) -> String {
        var template = Array("\(NSTemporaryDirectory())/\(prefix)-XXXXXX".utf8CString)
        return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    /// An engine in a new temporary folder, replicating to `replication` when given; a follower's when
    /// `acceptsChanges` is false.
    static func openEngine(
        replication: (any ReplicationSink)? = nil, acceptsChanges: Bool = true
    ) throws -> (Engine, String) {
        let folder = temporaryFolder("tessera-node")
        var configuration = EngineConfiguration(dataDirectory: folder + "/data")
        configuration.shardCount = 2
        configuration.segmentSizeBytes = 1 << 20
        configuration.backend = .pwrite
        configuration.replication = replication
        configuration.acceptsChanges = acceptsChanges
        return (try Engine.open(configuration), folder)
    }
}
