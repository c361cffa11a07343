/// A cluster node as the HTTP layer sees it (`tessera serve --cluster`): what `/health` says about its place,
/// and where the changes that reach it are made. Reads are answered from this node's memory in every role.
package protocol ClusterMembership: Sendable {
    /// The node's role, the leader, how far it applied the cluster's log and how far behind it is.
    var health: ClusterHealth { get }
    /// Where a change that reaches this node is made now.
    var changes: ChangeDestination { get }
    /// Returns once this node has applied the cluster's log through `lsn` (a follower, after a change it
    /// forwarded, so that the client reads its own change here next).
    func waitUntilApplied(_ lsn: UInt64) async
    /// The secret the nodes share (a key file of the cluster's): a forwarded request that carries it is from a
    /// node, whose word on the client's address is taken (rate limits and sessions see the real client).
    var forwardingSecret: String { get }
}

/// Where a change is made.
package enum ChangeDestination: Sendable, Equatable {
    /// Here: this node leads.
    case here
    /// At the leader, whose base URL this is: the request is forwarded and its answer returned.
    case leader(String)
    /// Nowhere right now (no node leads, or this one is taking over): 503 with `Retry-After`.
    case nowhere
}

/// The `cluster` object of `/health`.
package struct ClusterHealth: Sendable, Hashable, Encodable {
    /// "leader", "follower", or "fenced" (another node took over; this one restarts as a follower).
    package var role: String
    /// The leader's advertised address, when one leads.
    package var leader: String?
    /// The last record of the cluster's log applied here.
    package var appliedLSN: UInt64
    /// Records the cluster holds that are not applied here yet.
    package var lagRecords: UInt64

    package init(role: String, leader: String?, appliedLSN: UInt64, lagRecords: UInt64) {
        self.role = role
        self.leader = leader
        self.appliedLSN = appliedLSN
        self.lagRecords = lagRecords
    }

    enum CodingKeys: String, CodingKey {
        case role, leader
        case appliedLSN = "applied_lsn"
        case lagRecords = "lag_records"
    }

    /// Every field, `leader` as null when none leads (rather than left out).
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(role, forKey: .role)
        try container.encode(leader, forKey: .leader)
        try container.encode(appliedLSN, forKey: .appliedLSN)
        try container.encode(lagRecords, forKey: .lagRecords)
    }
}
