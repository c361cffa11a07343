import Auth
import Cluster
import Engine
import Foundation
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
            var agreed = try await LogAgreement.lastAgreedLSN(
                logDirectory: dataDirectory + "/wal", store: store, clusterLast: clusterLast)
            logger.info(
                "joining the cluster as \(options.node): its log ends at LSN \(clusterLast); this node's log holds it through LSN \(agreed)"
            )
            if try await Self.continues(store, after: agreed, clusterLast: clusterLast) == false {
                agreed = try await Self.startFromSnapshot(store, dataDirectory: dataDirectory, logger: logger)
            }
            agreedLSN = agreed
        } catch {
            clientTask.cancel()
            throw StartupFailure("cannot join the cluster: \(error)")
        }
    }

    /// Whether the cluster's log still holds every record after `lsn` (it prunes what its snapshots cover).
    private static func continues(_ store: ClusterLogStore, after lsn: LSN, clusterLast: LSN) async throws -> Bool {
        guard clusterLast > lsn else { return true }
        do {
            return try await !store.batches(after: lsn, limit: 1).isEmpty
        } catch .pruned {
            return false
        }
    }

    /// Puts the cluster's newest snapshot in the data directory as its starting point; returns its LSN.
    private static func startFromSnapshot(
        _ store: ClusterLogStore, dataDirectory: String, logger: Logger
    ) async throws -> LSN {
        guard let snapshot = try await ClusterSnapshots(store: store).newest() else {
            throw StartupFailure(
                "the cluster's log no longer holds the records this node needs, and the cluster stores no snapshot")
        }
        let setAside = try await Engine.installSnapshot(
            snapshot.payload, lsn: snapshot.lsn, into: EngineConfiguration(dataDirectory: dataDirectory))
        let line =
            "starting from the cluster's snapshot at LSN \(snapshot.lsn) (\(snapshot.payload.count) bytes)"
            + (setAside.map { "; this node's former log set aside as \($0)" } ?? "")
        logger.notice("\(line)")
        return snapshot.lsn
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

    /// The services a node runs in `serve`'s group: the node itself (`outcome` says how it ended; a graceful stop
    /// or its end shuts the group down), the key files kept in step, the leader's snapshots stored.
    /// `whenLeadingNewCluster` runs when this node is the first leader of an empty cluster log.
    func services(
        node: ClusterNode, engine: Engine, keysDirectory: String, rings: IDTokenKeys, outcome: ClusterService.Outcome,
        logger: Logger, whenLeadingNewCluster: @escaping @Sendable () async -> Void
    ) -> [ServiceGroupConfiguration.ServiceConfiguration] {
        let service = ClusterService(
            node: node,
            whenLeading: { lease in if lease.lastLSN == 0 { await whenLeadingNewCluster() } },
            outcome: outcome)
        return [
            .init(
                service: service, successTerminationBehavior: .gracefullyShutdownGroup,
                failureTerminationBehavior: .gracefullyShutdownGroup),
            .init(
                service: KeySyncService(keys: keys, directory: keysDirectory, node: node, rings: rings, logger: logger)),
            .init(service: SnapshotPublishService(snapshots: snapshots, engine: engine, node: node, logger: logger)),
        ]
    }

    /// The cluster's key files in PostgreSQL.
    var keys: ClusterKeys { ClusterKeys(store: store) }

    /// The snapshots stored in PostgreSQL.
    var snapshots: ClusterSnapshots { ClusterSnapshots(store: store) }

    /// Before the keys load: the cluster's key files in `directory`, so that every node signs and verifies with
    /// the same keys. The first node of a cluster publishes its own first, made by `makeLocalKeys` when missing.
    /// Returns the secret the nodes share to vouch for the clients of the requests they forward (made by the
    /// first node that needs it, then the cluster's like the other keys).
    func prepareKeys(directory: String, logger: Logger, makeLocalKeys: () throws -> Void) async throws -> String {
        do {
            if try await !keys.clusterHasKeys() {
                try makeLocalKeys()
                try await keys.publish(from: directory)
                logger.info("published this node's keys as the cluster's")
            }
            var changed = try await keys.mirror(into: directory)
            let secretPath = directory + "/" + Self.forwardingKeyFile
            if access(secretPath, F_OK) != 0 {
                // Made here, published unless another node was first, then the cluster's taken either way.
                var generator = SystemRandomNumberGenerator()
                try Durable.replaceFile(
                    secretPath, with: (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) })
                try await keys.publish(from: directory)
                changed += try await keys.mirror(into: directory)
            }
            if !changed.isEmpty { logger.info("keys from the cluster: \(changed.joined(separator: ", "))") }
            guard let secret = FileManager.default.contents(atPath: secretPath), secret.count == 32 else {
                throw StartupFailure("\(secretPath) is not a 32-byte key")
            }
            return secret.map { String(format: "%02x", $0) }.joined()
        } catch let failure as StartupFailure {
            throw failure
        } catch {
            throw StartupFailure("cannot share the cluster's keys: \(error)")
        }
    }

    /// The key file of the nodes' shared secret, under the keys folder.
    static let forwardingKeyFile = "cluster-forwarding.key"
}

/// The HTTP layer's view of the node: `/health`'s cluster object, and where changes go.
struct NodeMembership: ClusterMembership {
    let node: ClusterNode
    let forwardingSecret: String

    var health: ClusterHealth {
        let status = node.status
        return ClusterHealth(
            role: status.role, leader: status.leader, appliedLSN: status.appliedLSN, lagRecords: status.lagRecords)
    }

    var changes: ChangeDestination {
        if node.isLeader { return .here }
        return node.leaderAddressForChanges.map(ChangeDestination.leader) ?? .nowhere
    }

    func waitUntilApplied(_ lsn: UInt64) async { await node.waitUntilApplied(lsn) }
}

/// Replaces this process with a new run of the same command: a fenced node's memory may hold changes the
/// cluster never committed, and the new process drops them at open before following. Returns only if the
/// restart failed.
func restartAsFollower() -> Int32 {
    let arguments = CommandLine.unsafeArgv
    execv("/proc/self/exe", arguments)
    return errno
}
