package import WAL

/// Why the cluster's log store refused or failed an operation.
package enum ClusterError: Error, Hashable, CustomStringConvertible {
    /// The lease was taken over: this node's epoch is no longer current, so it may commit nothing more.
    case fenced(current: UInt64)
    /// A batch does not continue the log: the store's last LSN is `lastLSN`.
    case outOfSequence(lastLSN: LSN)
    /// The records asked for were pruned (a snapshot covers them); the log starts at `firstAvailableLSN`.
    case pruned(firstAvailableLSN: LSN)
    /// A stored batch does not read back (a checksum, an LSN out of sequence, bytes missing).
    case damaged(firstLSN: LSN, FrameRun.Defect)
    /// PostgreSQL could not be reached or refused the statement; nothing is known to have changed.
    case database(String)

    package var description: String {
        switch self {
        case .fenced(let current):
            "the lease was taken over (epoch \(current) is current): this node may commit nothing"
        case .outOfSequence(let last): "the batch does not follow the cluster's log, which ends at LSN \(last)"
        case .pruned(let first): "the cluster's log starts at LSN \(first): what is before is in the snapshot"
        case .damaged(let first, let defect): "the batch stored from LSN \(first) is damaged: \(defect)"
        case .database(let message): "PostgreSQL: \(message)"
        }
    }
}
