import Cluster
import Synchronization
import Testing
import WAL

/// Who leads, round by round against a real PostgreSQL (each `step()` is one round; no test waits on a clock).
@Suite("Lease keepers: one leader renews, a caught-up follower takes an expired lease, the deposed leader is fenced")
struct LeaseKeeperTests {
    /// How far a node has applied, settable by the test.
    final class Applied: Sendable {
        let value = Atomic<UInt64>(0)
        func set(_ lsn: LSN) { value.store(lsn, ordering: .relaxed) }
        var lsn: LSN { value.load(ordering: .relaxed) }
    }

    static func keeper(_ node: String, _ store: ClusterLogStore, applied: Applied) -> LeaseKeeper {
        LeaseKeeper(
            store: store, node: node, address: "http://\(node)", ttlMilliseconds: 60_000,
            appliedLSN: { applied.lsn })
    }

    @Test(
        "the first node leads and renews; another follows; after expiry only a caught-up follower takes over, and the old leader is fenced"
    )
    func failover() async throws {
        try await ClusterFixture.run { fixture, _ in
            let (appliedA, appliedB) = (Applied(), Applied())
            let a = Self.keeper("a", fixture.store, applied: appliedA)
            let b = Self.keeper("b", fixture.store, applied: appliedB)
            guard case .leader(let first) = await a.step() else {
                Issue.record("the first node of an empty cluster leads")
                return
            }
            #expect(await b.step() == .follower, "the lease is held")
            #expect(await a.step() == .leader(first), "a leader renews and keeps its epoch")

            // The leader commits three records, which b has not all applied when the lease expires.
            try await fixture.store.append(
                FrameRun(records: [(1, [1]), (1, [2]), (1, [3])], firstLSN: 1, seed: first.epoch), under: first)
            try await fixture.expireLease()
            appliedB.set(2)
            #expect(await b.step() == .follower, "a follower behind the log may not lead")
            appliedB.set(3)
            guard case .leader(let second) = await b.step() else {
                Issue.record("a caught-up follower takes an expired lease")
                return
            }
            #expect(second.epoch == first.epoch + 1 && second.lastLSN == 3)
            #expect(
                await a.step() == .fenced(current: second.epoch), "the deposed leader learns it at its next renewal")
            #expect(await a.step() == .fenced(current: second.epoch), "and stays fenced")
        }
    }

    @Test("a leader that stops gives the lease up: a follower takes it at its next step, without waiting for expiry")
    func release() async throws {
        try await ClusterFixture.run { fixture, _ in
            let a = Self.keeper("a", fixture.store, applied: Applied())
            let b = Self.keeper("b", fixture.store, applied: Applied())
            guard case .leader = await a.step() else {
                Issue.record("a leads")
                return
            }
            #expect(await b.step() == .follower)
            await a.release()
            #expect(a.role == .follower)
            guard case .leader(let lease) = await b.step() else {
                Issue.record("b takes the released lease")
                return
            }
            #expect(lease.holder == "b")
        }
    }
}
