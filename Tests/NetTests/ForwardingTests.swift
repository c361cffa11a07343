import Engine
import Foundation
import NIOCore
import Synchronization
import Testing

@testable import Net

/// A membership that says what a test tells it, and remembers the LSNs it was asked to apply.
struct FixedMembership: ClusterMembership {
    let changes: ChangeDestination
    var forwardingSecret = "the-nodes-secret"
    let waited = WaitedLSNs()

    var health: ClusterHealth {
        ClusterHealth(role: changes == .here ? "leader" : "follower", leader: nil, appliedLSN: 7, lagRecords: 2)
    }

    func waitUntilApplied(_ lsn: UInt64) async { waited.append(lsn) }
}

final class WaitedLSNs: Sendable {
    private let lsns = Mutex<[UInt64]>([])
    func append(_ lsn: UInt64) { lsns.withLock { $0.append(lsn) } }
    var all: [UInt64] { lsns.withLock { $0 } }
}

/// A cluster's follower passes the changes that reach it to the leader and returns the leader's answer.
@Suite(
    "A follower forwards changes to the leader: up front for writes, after the engine's refusal for reads that change")
struct ForwardingTests {
    static let registration = #"{"email":"ann@example.com","password":"\#(HTTPHarness.password)","first_name":"A"}"#

    @Test(
        "a registration sent to a follower is made at the leader and its answer returned; the follower's own engine is untouched"
    )
    func writesForwarded() async throws {
        let leader = try await HTTPHarness()
        let follower = try await HTTPHarness(
            cluster: FixedMembership(changes: .leader("http://127.0.0.1:\(leader.server.port)")),
            configure: { $0.acceptsChanges = false })
        let answer = try await follower.send("POST", "/api/v1/auth/register", json: Self.registration)
        #expect(answer.status == 201, "\(answer.json)")
        #expect(answer.json["email"] as? String == "ann@example.com")
        #expect(await leader.auth.engine.user(email: "ann@example.com") != nil)
        #expect(await follower.auth.engine.user(email: "ann@example.com") == nil)
        let health = try await follower.send("GET", "/health")
        let cluster = health.json["cluster"] as? [String: Any]
        #expect(cluster?["role"] as? String == "follower" && cluster?["lag_records"] as? Int == 2)
        #expect(cluster?.keys.contains("leader") == true, "leader is null, not absent")
        await follower.close()
        await leader.close()
    }

    @Test(
        "the leader says where its log ends once the change is made; the follower applies that far before it answers, and the client never sees the header"
    )
    func readYourWrites() async throws {
        let leader = try await HTTPHarness(cluster: FixedMembership(changes: .here))
        let membership = FixedMembership(changes: .leader("http://127.0.0.1:\(leader.server.port)"))
        let follower = try await HTTPHarness(cluster: membership, configure: { $0.acceptsChanges = false })
        let direct = try await leader.send(
            "POST", "/api/v1/auth/register", json: Self.registration, headers: ["X-Tessera-Forwarded": "1"])
        #expect(direct.status == 201 && direct.headers["x-tessera-lsn"] == "7", "what a follower is told")
        let answer = try await follower.send(
            "POST", "/api/v1/auth/register",
            json: #"{"email":"bob@example.com","password":"\#(HTTPHarness.password)","first_name":"B"}"#)
        #expect(answer.status == 201 && answer.headers["x-tessera-lsn"] == nil)
        #expect(membership.waited.all == [7])
        let plain = try await leader.send(
            "POST", "/api/v1/auth/register",
            json: #"{"email":"cy@example.com","password":"\#(HTTPHarness.password)","first_name":"C"}"#)
        #expect(plain.status == 201 && plain.headers["x-tessera-lsn"] == nil, "only forwarded requests are told")
        await follower.close()
        await leader.close()
    }

    @Test(
        "the leader takes the client's address from a follower that knows the nodes' secret (the session records it), and from nobody else"
    )
    func vouchedClientAddress() async throws {
        for (secret, expected) in [("the-nodes-secret", "203.0.113.9"), ("a-guess", "127.0.0.1")] {
            let leader = try await HTTPHarness(cluster: FixedMembership(changes: .here))
            var membership = FixedMembership(changes: .leader("http://127.0.0.1:\(leader.server.port)"))
            membership.forwardingSecret = secret
            // The follower sits behind a proxy it trusts, which names the client.
            let follower = try await HTTPHarness(
                trustedProxies: ["127.0.0.1"], cluster: membership, configure: { $0.acceptsChanges = false })
            #expect(try await follower.send("POST", "/api/v1/auth/register", json: Self.registration).status == 201)
            let login = try await follower.send(
                "POST", "/api/v1/auth/login",
                json: #"{"email":"ann@example.com","password":"\#(HTTPHarness.password)"}"#,
                headers: ["X-Forwarded-For": "203.0.113.9"])
            #expect(login.status == 200, "\(login.json)")
            let user = try #require(await leader.auth.engine.user(email: "ann@example.com"))
            let sessions = await leader.auth.engine.sessions(of: user.id)
            #expect(sessions.map(\.ipAddress) == [expected], "secret \(secret)")
            await follower.close()
            await leader.close()
        }
    }

    @Test(
        "no leader, a leader that cannot be reached, or a request forwarded once already: 503 SYS_007 with Retry-After")
    func refusedWithoutLeader() async throws {
        let nowhere = try await HTTPHarness(
            cluster: FixedMembership(changes: .nowhere), configure: { $0.acceptsChanges = false })
        let unreachable = try await HTTPHarness(
            cluster: FixedMembership(changes: .leader("http://127.0.0.1:1")), configure: { $0.acceptsChanges = false })
        for harness in [nowhere, unreachable] {
            let answer = try await harness.send("POST", "/api/v1/auth/register", json: Self.registration)
            #expect(answer.status == 503 && answer.errorCode == "SYS_007", "\(answer.json)")
            #expect(answer.headers["retry-after"] == "1")
        }
        let leader = try await HTTPHarness()
        let follower = try await HTTPHarness(
            cluster: FixedMembership(changes: .leader("http://127.0.0.1:\(leader.server.port)")),
            configure: { $0.acceptsChanges = false })
        let again = try await follower.send(
            "POST", "/api/v1/auth/register", json: Self.registration, headers: ["X-Tessera-Forwarded": "1"])
        #expect(again.status == 503, "a request is forwarded at most once")
        #expect(await leader.auth.engine.user(email: "ann@example.com") == nil)
        for harness in [nowhere, unreachable, follower, leader] { await harness.close() }
    }

    @Test(
        "a GET whose handler turns the engine's refusal into an answer of its own is still answered by the leader")
    func readThatChangesForwarded() async throws {
        let leaderEngine = try await HTTPHarness()
        let followerEngine = try await HTTPHarness(configure: { $0.acceptsChanges = false })
        /// The same route on both: it registers a user and, whatever fails, answers 200 "swallowed".
        func router(_ engine: Engine, cluster: (any ClusterMembership)?) -> Router {
            var options = Router.Options()
            options.cluster = cluster
            return Router(options) { root in
                root.get("/make") { _, _ in
                    do {
                        _ = try await engine.register(
                            NewUser(email: "g@example.com", passwordHash: "x", firstName: "G"))
                        return .json(.created, Array(#"{"made":true}"#.utf8))
                    } catch {
                        return .json(.ok, Array(#"{"swallowed":true}"#.utf8))
                    }
                }
            }
        }
        let leader = try await HTTPServer.start(
            host: "127.0.0.1", port: 0, router: router(leaderEngine.auth.engine, cluster: nil), threads: 1)
        let follower = try await HTTPServer.start(
            host: "127.0.0.1", port: 0,
            router: router(
                followerEngine.auth.engine,
                cluster: FixedMembership(changes: .leader("http://127.0.0.1:\(leader.port)"))),
            threads: 1)
        let answer = try await HTTPHarness.send(port: follower.port, "GET", "/make")
        #expect(answer.status == 201 && answer.json["made"] as? Bool == true, "\(answer.json)")
        #expect(await leaderEngine.auth.engine.user(email: "g@example.com") != nil)
        await follower.stop()
        await leader.stop()
        await followerEngine.close()
        await leaderEngine.close()
    }
}
