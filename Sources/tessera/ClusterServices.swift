import Auth
import Cluster
import Engine
import Logging
import ServiceLifecycle
import Synchronization

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
        private let error = Mutex<String?>(nil)

        /// Why the node stopped following, when it failed (the cluster's log could not be applied here).
        var failure: String? { error.withLock { $0 } }
        func fail(_ failure: any Error) { error.withLock { $0 = "\(failure)" } }
        /// Whether the node must start again: fenced, or behind what the cluster's log still holds.
        var restarts: Bool {
            switch value.withLock({ $0 }) {
            case .fenced, .fellBehind: true
            case .stopped, nil: false
            }
        }
        func set(_ outcome: ClusterNode.Outcome) { value.withLock { $0 = outcome } }
    }

    func run() async throws {
        do {
            let result = try await cancelWhenGracefulShutdown { try await node.run(whenLeading: whenLeading) }
            outcome.set(result)
        } catch {
            outcome.fail(error)
            throw error
        }
    }
}

/// The leader stores each snapshot its checkpoints write in PostgreSQL (`ClusterSnapshots`), for nodes that
/// start from nothing or fell behind what the cluster's log holds; storing one prunes the log it covers.
struct SnapshotPublishService: Service {
    let snapshots: ClusterSnapshots
    let engine: Engine
    let node: ClusterNode
    let logger: Logger
    var interval: Duration = .seconds(10)

    func run() async throws {
        let published = Mutex(try? await snapshots.newestLSN())
        await everyRound(interval) {
            guard node.isLeader, let lsn = engine.snapshotStatus.lsn, lsn > published.withLock({ $0 }) ?? 0 else {
                return
            }
            do {
                let payload = try engine.snapshotPayload(lsn: lsn)
                try await snapshots.publish(lsn: lsn, payload: payload)
                published.withLock { $0 = lsn }
                logger.info("stored the snapshot at LSN \(lsn) in the cluster (\(payload.count) bytes)")
            } catch {
                logger.warning("the snapshot at LSN \(lsn) could not be stored in the cluster: \(error)")
            }
        }
    }
}

/// Keeps the key files the same on every node: the leader publishes what it made or rotated, every node mirrors
/// the cluster's and reloads its rings when they changed. A rotated key is known to the other nodes within one
/// round (`interval`).
struct KeySyncService: Service {
    let keys: ClusterKeys
    let directory: String
    let node: ClusterNode
    let rings: IDTokenKeys
    let logger: Logger
    var interval: Duration = .seconds(10)

    func run() async throws {
        await everyRound(interval) {
            do {
                if node.isLeader { try await keys.publish(from: directory) }
                let changed = try await keys.mirror(into: directory)
                guard !changed.isEmpty else { return }
                try rings.reload()
                logger.info("signing keys from the cluster: \(changed.joined(separator: ", "))")
            } catch {
                logger.warning("the cluster's keys could not be synchronized (tried again shortly): \(error)")
            }
        }
    }
}

/// Runs `round` every `interval` until a graceful shutdown (or cancellation).
private func everyRound(_ interval: Duration, _ round: @escaping @Sendable () async -> Void) async {
    await cancelWhenGracefulShutdown {
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            if Task.isCancelled { return }
            await round()
        }
    }
}
