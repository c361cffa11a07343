package import WAL

/// The leader's lease as PostgreSQL holds it: one row, whose epoch grows by one at every takeover. A batch is
/// committed only in a transaction that finds the lease's epoch unchanged, so a node whose lease was taken over
/// can commit nothing more (fencing). Expiry is judged by PostgreSQL's clock alone, never a node's.
package struct ClusterLease: Sendable, Hashable {
    /// The epoch this node holds; it seals the batches it commits.
    package let epoch: UInt64
    /// The node that holds it, and the address other nodes reach it at.
    package let holder: String
    package let address: String
    /// The last LSN committed to the cluster when the lease was taken.
    package let lastLSN: LSN
}

/// Who holds the lease now, as any node may read it.
package struct LeaseHolder: Sendable, Hashable {
    package let epoch: UInt64
    package let holder: String?
    package let address: String?
    /// Whether the lease has expired by PostgreSQL's clock.
    package let expired: Bool
    /// The last LSN committed to the cluster.
    package let lastLSN: LSN
}
