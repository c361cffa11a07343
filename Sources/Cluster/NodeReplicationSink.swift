import Synchronization
package import WAL

/// The replication sink a cluster node's log is opened with, whatever the node's role: while the node leads,
/// records go to its `LogReplicator` and are acknowledged once committed to PostgreSQL; while it follows, the
/// records its log takes are the cluster's own (applied from PostgreSQL) and need nothing more; once it stopped
/// leading, only what was committed counts as replicated.
package final class NodeReplicationSink: ReplicationSink, Sendable {
    private enum Mode {
        case following
        case leading(LogReplicator)
        /// No longer leading: records through `committed` reached the cluster, later ones never will from here.
        case stopped(committed: LSN, fenced: Bool)
    }

    private let mode = Mutex<Mode>(.following)

    package init() {}

    /// From now on, records are replicated by `replicator` (the node took the lease).
    package func lead(with replicator: LogReplicator) { mode.withLock { $0 = .leading(replicator) } }

    /// The node leads no more: records after what `replicator` committed are not acknowledged; `fenced` when
    /// another node took the lease over.
    package func stopLeading(_ replicator: LogReplicator, fenced: Bool) {
        mode.withLock { $0 = .stopped(committed: replicator.committedLSN, fenced: fenced) }
    }

    package func queued(lsn: LSN, type: UInt16, payload: UnsafeRawBufferPointer) {
        if case .leading(let replicator) = mode.withLock({ $0 }) {
            replicator.queued(lsn: lsn, type: type, payload: payload)
        }
    }

    package func waitUntilReplicated(_ lsn: LSN) async throws(WALError) {
        switch mode.withLock({ $0 }) {
        case .following:
            return
        case .leading(let replicator):
            try await replicator.waitUntilReplicated(lsn)
        case .stopped(let committed, _) where lsn <= committed:
            return
        case .stopped(_, fenced: true):
            throw WALError(.fenced, "another node leads the cluster now: nothing more is acknowledged here")
        case .stopped(_, fenced: false):
            throw WALError(.replicationUnavailable, "this node stopped leading before the change reached the cluster")
        }
    }
}
