import Cluster
import Engine
import Foundation
import PostgresNIO
import Testing
import WAL

/// The engine of a cluster's leader: a change is acknowledged only once PostgreSQL committed its record.
@Suite("A leader's engine acknowledges a change only once it is committed to the cluster")
struct ReplicatedEngineTests {
    static func newUser(_ email: String) -> NewUser { NewUser(email: email, passwordHash: "$2b$04$x", firstName: "A") }

    @Test(
        "registrations are in PostgreSQL when acknowledged; with PostgreSQL down one is refused as unavailable, and the log goes on once it is back"
    )
    func acknowledgedMeansReplicated() async throws {
        try await ClusterFixture.run(connectTimeout: .seconds(2)) { fixture, group in
            let (server, store) = (fixture.server, fixture.store)
            let replicator = fixture.replicator(for: try await fixture.lease(for: "a"))
            group.addTask { await replicator.run() }
            let (engine, folder) = try ClusterFixture.openEngine(replication: replicator)
            defer { try? FileManager.default.removeItem(atPath: folder) }

            let first = try await engine.register(Self.newUser("first@example.com"))
            let committed = try await store.holder().lastLSN
            #expect(committed >= 1 && replicator.committedLSN == committed, "acknowledged once committed")

            // While PostgreSQL is down, a change is refused after 1 s rather than when its client gives up.
            replicator.commitTimeout = .seconds(1)
            try server.shutDown()
            await #expect(throws: EngineError.self, "nothing is acknowledged while PostgreSQL is down") {
                _ = try await engine.register(Self.newUser("second@example.com"))
            }
            try server.start()
            replicator.commitTimeout = .seconds(600)
            // The refused registration's record is committed once PostgreSQL answers (it was durable here).
            try await ClusterFixture.committedEventually(engine.lastLSN, by: replicator)
            let third = try await engine.register(Self.newUser("third@example.com"))
            let found = (await engine.user(id: first.id), await engine.user(id: third.id))
            #expect(found.0 != nil && found.1 != nil)
            // Every record the engine logged is in the cluster's log, in order, the refused one's included.
            var stored: [LSN] = []
            for run in try await store.batches(after: 0) { try run.forEachRecord { stored.append($0.lsn) } }
            #expect(stored == Array(1...replicator.committedLSN) && stored.count >= 3)
            await engine.close()
            replicator.stop()
        }
    }

    /// Waits until `follower` applied `lsn`, at most 30 s (a bound, not a timing the test depends on).
    static func caughtUp(_ follower: LogFollower, to lsn: LSN) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await follower.waitUntilApplied(lsn)
                return true
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(30))
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    @Test(
        "a follower's engine applies what the leader acknowledged, in order: users and sessions appear, a revoked session is inactive there too"
    )
    func followerApplies() async throws {
        try await ClusterFixture.run { fixture, group in
            let (store, client) = (fixture.store, fixture.client)
            let replicator = fixture.replicator(for: try await fixture.lease(for: "a"))
            group.addTask { await replicator.run() }
            let (leader, leaderFolder) = try ClusterFixture.openEngine(replication: replicator)
            defer { try? FileManager.default.removeItem(atPath: leaderFolder) }
            let (follower, followerFolder) = try ClusterFixture.openEngine(acceptsChanges: false)
            defer { try? FileManager.default.removeItem(atPath: followerFolder) }
            let following = LogFollower(
                store: store, client: client, appliedLSN: follower.lastLSN, retryDelay: .milliseconds(20)
            ) { records in
                for record in records {
                    try await follower.applyReplicated(lsn: record.lsn, type: record.type, payload: record.payload)
                }
                if let last = records.last { try await follower.waitUntilLocallyDurable(last.lsn) }
            }
            group.addTask { try await following.run() }

            let user = try await leader.register(Self.newUser("ann@example.com"))
            let digest = SecretDigest(word0: 1, word1: 2, word2: 3, word3: 4)
            let session = try await leader.createSession(userID: user.id, refreshDigest: digest, device: DeviceInfo())
            #expect(await Self.caughtUp(following, to: replicator.committedLSN), "the follower catches up")
            #expect(await follower.user(id: user.id)?.email == "ann@example.com")
            #expect(await follower.user(email: "ANN@example.com")?.id == user.id, "the follower's email index has her")
            let organization = try await leader.createOrganization(
                NewOrganization(name: "Acme", slug: "acme"), ownerID: user.id)
            #expect(await follower.isSessionActive(session.id, of: user.id))

            try await leader.revokeSession(session.id, of: user.id)
            #expect(await Self.caughtUp(following, to: replicator.committedLSN))
            #expect(!(await follower.isSessionActive(session.id, of: user.id)), "revoked on the leader, inactive here")
            let memberships = await follower.organizations(of: user.id)
            #expect(memberships.map(\.organization.id) == [organization.id], "the follower's membership index has it")
            #expect(following.lagRecords == 0 && follower.lastLSN == replicator.committedLSN)

            // A follower makes no change of its own: its log stays the cluster's.
            await #expect(
                throws: EngineError(.notLeader, "this node follows the cluster's leader: changes are made there")
            ) {
                _ = try await follower.register(Self.newUser("bob@example.com"))
            }
            #expect(follower.lastLSN == replicator.committedLSN)

            await leader.close()
            await follower.close()
            replicator.stop()
        }
    }
}
