package import Engine
package import Logging
package import PostgresNIO
import Synchronization
package import WAL

/// What a node says about its place in the cluster (`/health`).
package struct ClusterStatus: Sendable, Hashable {
    /// "leader", "follower", or "fenced" (it led, another node took over; it restarts as a follower).
    package var role: String
    /// The address of the node that leads, as last seen; nil when none holds an unexpired lease.
    package var leader: String?
    /// The last LSN applied here (on the leader: committed to the cluster).
    package var appliedLSN: LSN
    /// Records the cluster holds that this node has not applied yet (0 on the leader).
    package var lagRecords: UInt64
}

/// One node of a cluster: it follows the cluster's log into its engine until its lease keeper takes the lease,
/// then leads — its engine accepts changes, and its records are committed to PostgreSQL before they are
/// acknowledged — until it stops (and releases the lease) or is fenced. A node never goes from leading back to
/// following in place: its memory may hold changes the cluster never committed, so a fenced node restarts and
/// drops them at open (`LogAgreement`, `EngineConfiguration.discardAfter`).
package final class ClusterNode: Sendable {
    /// How `run()` ended.
    package enum Outcome: Sendable, Equatable {
        /// Cancelled (the service stops); a lease held was released.
        case stopped
        /// Another node took the lease over: restart as a follower.
        case fenced(currentEpoch: UInt64)
        /// The cluster pruned records this node had not applied (it was cut off for long): restart, to start
        /// from the cluster's snapshot.
        case fellBehind(firstAvailableLSN: LSN)
    }

    private let engine: Engine
    private let store: ClusterLogStore
    private let sink: NodeReplicationSink
    private let keeper: LeaseKeeper
    private let follower: LogFollower
    private let replicator = Mutex<LogReplicator?>(nil)
    private enum Phase { case following, leading, fenced }
    private let phase = Mutex<Phase>(.following)
    /// Why following ended, when it ended on its own (the cluster's log could not be applied here).
    private let followerFailure = Mutex<(any Error)?>(nil)
    private let roundInterval: Duration
    private let logger: Logger

    /// A node named `node`, reached by the others at `address`, whose engine was opened following (changes
    /// refused) with `sink` as its replication sink, from a log that agrees with the cluster's.
    package init(
        engine: Engine, store: ClusterLogStore, client: PostgresClient, sink: NodeReplicationSink, node: String,
        address: String, ttlMilliseconds: Int, logger: Logger
    ) {
        self.engine = engine
        self.store = store
        self.sink = sink
        self.logger = logger
        roundInterval = .milliseconds(ttlMilliseconds / 3)
        let follower = LogFollower(store: store, client: client, appliedLSN: engine.lastLSN) { records in
            for record in records {
                try await engine.applyReplicated(lsn: record.lsn, type: record.type, payload: record.payload)
            }
            if let last = records.last { try await engine.waitUntilLocallyDurable(last.lsn) }
        }
        self.follower = follower
        keeper = LeaseKeeper(
            store: store, node: node, address: address, ttlMilliseconds: ttlMilliseconds,
            appliedLSN: { follower.appliedLSN })
    }

    /// The node's place in the cluster now.
    package var status: ClusterStatus {
        let leader = keeper.leaderAddress
        switch phase.withLock({ $0 }) {
        case .leading:
            return ClusterStatus(role: "leader", leader: leader, appliedLSN: engine.lastLSN, lagRecords: 0)
        case .following:
            return ClusterStatus(
                role: "follower", leader: leader, appliedLSN: follower.appliedLSN, lagRecords: follower.lagRecords)
        case .fenced:
            return ClusterStatus(role: "fenced", leader: leader, appliedLSN: engine.lastLSN, lagRecords: 0)
        }
    }

    /// Where a change that reaches this node goes: nil while this node leads, or while no other node does
    /// (then it is refused: 503 with Retry-After), else the leader's address.
    package var leaderAddressForChanges: String? {
        guard case .following = phase.withLock({ $0 }), case .follower = keeper.role else { return nil }
        return keeper.leaderAddress
    }

    /// Returns once this node's engine holds the cluster's log through `lsn` (at once on the leader).
    package func waitUntilApplied(_ lsn: LSN) async {
        guard !isLeader else { return }
        await follower.waitUntilApplied(lsn)
    }

    /// Whether this node leads: it holds the lease, and its engine accepts changes.
    package var isLeader: Bool { phase.withLock { $0 } == .leading }

    /// Follows, then leads when the lease comes to it, until cancelled or fenced. Throws when the cluster's log
    /// cannot be applied here (this node's log disagrees with it, or a batch is damaged).
    /// `whenLeading` runs each time this node starts leading, its engine open to changes (a first superuser
    /// of a new cluster is made there).
    package func run(whenLeading: @Sendable (ClusterLease) async -> Void = { _ in }) async throws -> Outcome {
        // Unstructured so that leading can end it while the rounds go on; cancelled on every way out.
        let following = Task {
            do { try await follower.run() } catch { followerFailure.withLock { $0 = error } }
        }
        defer { following.cancel() }
        while !Task.isCancelled {
            if let failure = followerFailure.withLock({ $0 }) { return try fellBehind(failure) }
            switch await keeper.step() {
            case .leader(let lease) where replicator.withLock({ $0 }) == nil:
                following.cancel()
                await following.value
                if let failure = followerFailure.withLock({ $0 }) { return try fellBehind(failure) }
                try await lead(under: lease)
                await whenLeading(lease)
            case .fenced(let current):
                logger.error(
                    "the lease was taken over (epoch \(current)): this node acknowledges nothing more and restarts as a follower"
                )
                stepDown(fenced: true)
                return .fenced(currentEpoch: current)
            default:
                break
            }
            try? await Task.sleep(for: roundInterval)
        }
        stepDown(fenced: false)
        await keeper.release()
        return .stopped
    }

    /// `fellBehind` when following failed because the records it needed were pruned; else following cannot go on.
    private func fellBehind(_ failure: any Error) throws -> Outcome {
        guard case .pruned(let first) = failure as? ClusterError else {
            throw NodeFailure(description: "the cluster's log could not be applied here: \(failure)")
        }
        logger.error(
            "the cluster's log now starts at LSN \(first), after what this node applied: it restarts from the cluster's snapshot"
        )
        return .fellBehind(firstAvailableLSN: first)
    }

    /// Starts leading under `lease`: a replicator from the lease's log end, then the engine's changes.
    private func lead(under lease: ClusterLease) async throws {
        guard engine.lastLSN == lease.lastLSN else {
            // Cannot happen when following worked (the lease goes only to a node that applied everything, and
            // a following engine makes no record of its own): refuse to lead rather than fork the log.
            await keeper.release()
            throw ClusterError.outOfSequence(lastLSN: lease.lastLSN)
        }
        let replicator = LogReplicator(store: store, lease: lease)
        self.replicator.withLock { $0 = replicator }
        // Ends when `stepDown` stops the replicator.
        Task { await replicator.run() }
        sink.lead(with: replicator)
        engine.acceptChanges(true)
        phase.withLock { $0 = .leading }
        logger.notice("leading the cluster from LSN \(lease.lastLSN) (epoch \(lease.epoch))")
    }

    /// Leads no more: no change of its own, and nothing after what was committed is acknowledged.
    private func stepDown(fenced: Bool) {
        engine.acceptChanges(false)
        phase.withLock { $0 = fenced ? .fenced : .following }
        guard let replicator = replicator.withLock({ $0 }) else { return }
        sink.stopLeading(replicator, fenced: fenced)
        replicator.stop()
    }
}

/// Why a node cannot go on following: the cluster's log does not apply here (a damaged batch, a log that
/// disagrees with this node's).
package struct NodeFailure: Error, CustomStringConvertible {
    package let description: String
}
