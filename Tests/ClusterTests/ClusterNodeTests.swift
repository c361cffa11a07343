import Cluster
import Engine
import Foundation
import Logging
import PostgresNIO
import Testing
import WAL

/// Two nodes of one cluster, each an engine of its own behind a `ClusterNode`, against one real PostgreSQL.
@Suite("Cluster nodes: the first leads, the other follows and takes over when the lease comes free")
struct ClusterNodeTests {
    struct Member {
        let engine: Engine
        let node: ClusterNode
        let folder: String
    }

    static func member(_ name: String, _ fixture: ClusterFixture, ttlMilliseconds: Int = 1500) throws -> Member {
        let sink = NodeReplicationSink()
        let (engine, folder) = try ClusterFixture.openEngine(replication: sink, acceptsChanges: false)
        let node = ClusterNode(
            engine: engine, store: fixture.store, client: fixture.client, sink: sink, node: name,
            address: "http://\(name)", ttlMilliseconds: ttlMilliseconds, logger: Logger(label: "test.\(name)"))
        return Member(engine: engine, node: node, folder: folder)
    }

    /// Runs `body` with two members on a fresh PostgreSQL: `a` running and leading, `b` not started yet.
    static func withLeader(
        _ body: (ClusterFixture, Member, Member, Task<ClusterNode.Outcome, any Error>) async throws -> Void
    ) async throws {
        try await ClusterFixture.run { fixture, _ in
            let a = try member("a", fixture)
            let b = try member("b", fixture)
            defer { for folder in [a.folder, b.folder] { try? FileManager.default.removeItem(atPath: folder) } }
            let runningA = Task { try await a.node.run() }
            #expect(await eventually { a.node.isLeader })
            try await body(fixture, a, b, runningA)
        }
    }

    /// Waits until `condition` holds, checking every 20 ms, at most `attempts` times (a bound, not a timing the
    /// outcome depends on).
    static func eventually(attempts: Int = 3000, _ condition: () async -> Bool) async -> Bool {
        for _ in 0..<attempts {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return await condition()
    }

    @Test(
        "the leader's changes reach the follower, which refuses its own; once the leader stops, the follower leads and its changes are committed after the old ones"
    )
    func leadFollowTakeOver() async throws {
        try await Self.withLeader { fixture, a, b, runningA in
            let runningB = Task { try await b.node.run() }
            defer { runningB.cancel() }

            let ann = try await a.engine.register(ReplicatedEngineTests.newUser("ann@example.com"))
            #expect(await Self.eventually { b.node.status.appliedLSN >= a.engine.lastLSN })
            #expect(await b.engine.user(email: "ann@example.com")?.id == ann.id)
            // The follower learns who leads at its lease keeper's round, which its applying need not wait for.
            #expect(await Self.eventually { b.node.status.leader == "http://a" })
            #expect(b.node.status.role == "follower")
            #expect(b.node.leaderAddressForChanges == "http://a" && a.node.leaderAddressForChanges == nil)
            await #expect(throws: EngineError.self, "a follower makes no change of its own") {
                _ = try await b.engine.register(ReplicatedEngineTests.newUser("bob@example.com"))
            }

            // The leader stops: it releases the lease, and the follower takes it at its next round.
            runningA.cancel()
            #expect(try await runningA.value == .stopped)
            #expect(await Self.eventually { b.node.isLeader })
            let bob = try await b.engine.register(ReplicatedEngineTests.newUser("bob@example.com"))
            #expect(await b.engine.user(id: bob.id) != nil)
            let holder = try await fixture.store.holder()
            #expect(holder.holder == "b" && holder.lastLSN == b.engine.lastLSN && holder.lastLSN > 1)
            await a.engine.close()
            runningB.cancel()
            #expect(try await runningB.value == .stopped)
            await b.engine.close()
        }
    }

    @Test(
        "a leader whose lease was taken over is fenced: its run ends so that it restarts, and it acknowledges nothing more"
    )
    func fencedLeader() async throws {
        try await Self.withLeader { fixture, a, b, runningA in
            _ = try await a.engine.register(ReplicatedEngineTests.newUser("ann@example.com"))
            let runningB = Task { try await b.node.run() }
            defer { runningB.cancel() }
            // As if the leader had paused past its lease: expire it (by PostgreSQL's clock) until the follower,
            // caught up, has taken it.
            #expect(
                await Self.eventually {
                    try? await fixture.expireLease()
                    return b.node.isLeader
                })
            #expect(try await runningA.value == .fenced(currentEpoch: 2))
            #expect(a.node.status.role == "fenced")
            await #expect(throws: EngineError.self, "a fenced leader makes no change") {
                _ = try await a.engine.register(ReplicatedEngineTests.newUser("late@example.com"))
            }
            _ = try await b.engine.register(ReplicatedEngineTests.newUser("bob@example.com"))
            #expect(try await fixture.store.holder().holder == "b")
            await a.engine.close()
            runningB.cancel()
            _ = try await runningB.value
            await b.engine.close()
        }
    }

    @Test(
        "a follower whose next records the cluster pruned (it was away too long) ends its run to start again from the cluster's snapshot"
    )
    func fellBehind() async throws {
        try await ClusterFixture.run { fixture, _ in
            let lease = try await fixture.lease(for: "a")
            for first in [1 as LSN, 11] {
                let records = (0..<10).map { (type: UInt16(1), payload: [UInt8(first), UInt8($0)]) }
                try await fixture.store.append(
                    FrameRun(records: records, firstLSN: first, seed: lease.epoch), under: lease)
            }
            try await fixture.store.prune(through: 10)
            let late = try Self.member("late", fixture)
            defer { try? FileManager.default.removeItem(atPath: late.folder) }
            #expect(try await late.node.run() == .fellBehind(firstAvailableLSN: 11))
            #expect(late.engine.lastLSN == 0, "nothing was applied out of order")
            await late.engine.close()
        }
    }
}
