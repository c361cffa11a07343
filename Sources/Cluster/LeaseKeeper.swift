import Synchronization
package import WAL

/// What a node is in the cluster, as its lease keeper last found.
package enum NodeRole: Sendable, Hashable {
    /// Another node leads (or none does yet and this one is not caught up): apply, serve reads.
    case follower
    /// This node holds the lease: it alone commits.
    case leader(ClusterLease)
    /// This node led, and the lease was taken over: it must acknowledge nothing more and rejoin as a follower.
    case fenced(current: UInt64)
}

/// Keeps a node's lease: a leader renews it, a follower takes it once it has expired (by PostgreSQL's clock)
/// and the follower has applied everything committed, and a leader that finds it taken over is fenced. Each
/// `step()` is one round against PostgreSQL; `run()` takes a step every third of the lease's time to live, so a
/// leader renews well inside it.
package final class LeaseKeeper: Sendable {
    private let store: ClusterLogStore
    private let node: String
    private let address: String
    private let ttlMilliseconds: Int
    private let appliedLSN: @Sendable () -> LSN
    private let current = Mutex<NodeRole>(.follower)
    /// The lease as the last round found it held by another node (nil: none seen yet, or this node leads).
    private let seen = Mutex<LeaseHolder?>(nil)

    /// `appliedLSN` says how far this node's state goes (a follower may lead only once it equals the cluster's
    /// last LSN).
    package init(
        store: ClusterLogStore, node: String, address: String, ttlMilliseconds: Int,
        appliedLSN: @escaping @Sendable () -> LSN
    ) {
        precondition(ttlMilliseconds >= 3)
        self.store = store
        self.node = node
        self.address = address
        self.ttlMilliseconds = ttlMilliseconds
        self.appliedLSN = appliedLSN
    }

    /// The role found by the last step.
    package var role: NodeRole { current.withLock { $0 } }

    /// The address of the node that leads, as the last step found it: this node's own while it leads; nil when
    /// no node holds an unexpired lease (or PostgreSQL could not be asked yet).
    package var leaderAddress: String? {
        if case .leader = role { return address }
        return seen.withLock { holder in holder.flatMap { $0.expired ? nil : $0.address } }
    }

    /// One round: renew the lease held, or take an expired one when caught up. Returns the role after it. When
    /// PostgreSQL cannot be reached, the role stays: a leader cut off from it can commit nothing anyway, and
    /// whoever takes its lease over fences it.
    @discardableResult
    package func step() async -> NodeRole {
        let next: NodeRole
        switch role {
        case .fenced:
            return role
        case .leader(let lease):
            do throws(ClusterError) {
                try await store.renew(lease, ttlMilliseconds: ttlMilliseconds)
                next = .leader(lease)
            } catch .fenced(let epoch) {
                next = .fenced(current: epoch)
            } catch {
                next = .leader(lease)
            }
        case .follower:
            do throws(ClusterError) {
                let holder = try await store.holder()
                seen.withLock { $0 = holder }
                guard holder.holder == nil || holder.expired || holder.holder == node else { return .follower }
                next =
                    try await store.acquire(
                        node: node, address: address, ttlMilliseconds: ttlMilliseconds, appliedLSN: appliedLSN()
                    ).map(NodeRole.leader) ?? .follower
            } catch {
                next = .follower
            }
        }
        current.withLock { $0 = next }
        return next
    }

    /// Steps until cancelled or fenced, every third of the lease's time to live; `changed` is told each new role.
    package func run(changed: @Sendable (NodeRole) async -> Void) async {
        var last = role
        while !Task.isCancelled {
            let now = await step()
            if now != last {
                await changed(now)
                last = now
            }
            if case .fenced = now { return }
            try? await Task.sleep(for: .milliseconds(ttlMilliseconds / 3))
        }
    }

    /// A stopping leader gives the lease up, so that a follower may take it at once.
    package func release() async {
        guard case .leader(let lease) = role else { return }
        try? await store.release(lease)
        current.withLock { $0 = .follower }
    }
}
