import Cluster
import Engine
import Logging
import Net
import PostgresNIO
import ServiceLifecycle
import Synchronization
import WAL

#if canImport(Glibc)
import Glibc
#endif

/// `serve --cluster`: the node's connection to the cluster's PostgreSQL, what its data directory keeps of the
/// cluster's log at open (the records the two agree on), and — once the engine is open — the node that follows
/// and leads (`ClusterNode`).
final class ClusterMember: Sendable {
    let options: ClusterOptions
    let client: PostgresClient
    let store: ClusterLogStore
    let sink = NodeReplicationSink()
    /// The last LSN this node's log shares with the cluster's: the engine drops what it holds after it.
    let agreedLSN: LSN
    private let clientTask: Task<Void, Never>

    /// Connects (waiting for PostgreSQL as long as it takes), prepares the tables, and finds how much of the
    /// local log in `dataDirectory` the cluster's log holds.
    init(options: ClusterOptions, dataDirectory: String, logger: Logger) async throws {
        self.options = options
        let client = PostgresClient(configuration: try options.postgresConfiguration())
        self.client = client
        // Unstructured: the engine opens (and the keys load) before the service group starts. Cancelled by
        // `shutdown()`.
        clientTask = Task { await client.run() }
        store = ClusterLogStore(client: client)
        do {
            try await store.prepare()
            let clusterLast = try await store.holder().lastLSN
            agreedLSN = try await LogAgreement.lastAgreedLSN(
                logDirectory: dataDirectory + "/wal", store: store, clusterLast: clusterLast)
            logger.info(
                "joining the cluster as \(options.node): its log ends at LSN \(clusterLast); this node's log holds it through LSN \(agreedLSN)"
            )
        } catch {
            clientTask.cancel()
            throw StartupFailure("cannot join the cluster: \(error)")
        }
    }

    /// Opens the engine as a follower: changes refused until it leads, records replicated through the node's
    /// sink, nothing kept past what the cluster holds.
    func configure(_ configuration: inout EngineConfiguration) {
        configuration.replication = sink
        configuration.acceptsChanges = false
        configuration.discardAfter = agreedLSN
    }

    /// The node of `engine`, reached by the others at `address`.
    func node(engine: Engine, address: String, logger: Logger) -> ClusterNode {
        ClusterNode(
            engine: engine, store: store, client: client, sink: sink, node: options.node, address: address,
            ttlMilliseconds: options.leaseMilliseconds, logger: logger)
    }

    func shutdown() { clientTask.cancel() }
}

/// The HTTP layer's view of the node: `/health`'s cluster object, and where changes go.
struct NodeMembership: ClusterMembership {
    let node: ClusterNode

    var health: ClusterHealth {
        let status = node.status
        return ClusterHealth(
            role: status.role, leader: status.leader, appliedLSN: status.appliedLSN, lagRecords: status.lagRecords)
    }

    var changes: ChangeDestination {
        if node.isLeader { return .here }
        return node.leaderAddressForChanges.map(ChangeDestination.leader) ?? .nowhere
    }
}

/// The node as a service of `serve`'s group: it follows and leads until a graceful shutdown (then it releases
/// a lease it holds), or until it is fenced — then it ends, the group shuts down, and `serve` restarts the
/// process as a follower (`restartAsFollower`).
struct ClusterService: Service {
    let node: ClusterNode
    let whenLeading: @Sendable (ClusterLease) async -> Void
    /// How the node ended, read by `serve` once the group has stopped.
    let outcome: Outcome

    final class Outcome: Sendable {
        private let value = Mutex<ClusterNode.Outcome?>(nil)
        var fenced: Bool {
            if case .fenced = value.withLock({ $0 }) { return true }
            return false
        }
        func set(_ outcome: ClusterNode.Outcome) { value.withLock { $0 = outcome } }
    }

    func run() async throws {
        let result = try await cancelWhenGracefulShutdown { try await node.run(whenLeading: whenLeading) }
        outcome.set(result)
    }
}

/// Replaces this process with a new run of the same command: a fenced node's memory may hold changes the
/// cluster never committed, and the new process drops them at open before following. Returns only if the
/// restart failed.
func restartAsFollower() -> Int32 {
    let arguments = CommandLine.unsafeArgv
    execv("/proc/self/exe", arguments)
    return errno
}
