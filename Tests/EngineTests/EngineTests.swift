import Engine
import Foundation
import Testing
import WAL

/// An engine on a fresh data directory with a manual clock and seeded randomness.
struct EngineHarness {
    let directory: String
    let clock = ManualClock(milliseconds: 1_800_000_000_000)

    init() {
        var template = Array("\(NSTemporaryDirectory())/tessera-engine-XXXXXX".utf8CString)
        directory = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    var configuration: EngineConfiguration {
        var configuration = EngineConfiguration(dataDirectory: directory + "/data")
        configuration.shardCount = 4
        configuration.segmentSizeBytes = 1 << 20
        return configuration
    }

    func open(seed: UInt64 = 1) throws -> Engine {
        try Engine.open(configuration, clock: clock, random: .seeded(seed))
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }
}

@Suite("The engine: users and sessions, logged before acknowledged")
struct EngineTests {
    static let ada = NewUser(email: "  Ada@Example.com ", passwordHash: "$2b$12$ada", firstName: "Ada")

    @Test("registration stores a normalized email, and the same email in any case is taken")
    func register() async throws {
        let harness = EngineHarness()
        defer { harness.remove() }
        let engine = try harness.open()
        let user = try await engine.register(Self.ada)
        #expect(user.email == "ada@example.com")
        #expect(await engine.user(email: "ADA@example.COM")?.id == user.id)
        await #expect(throws: EngineError.self) {
            _ = try await engine.register(NewUser(email: "ada@EXAMPLE.com", passwordHash: "x", firstName: "B"))
        }
        await engine.close()
    }

    @Test("refresh rotates; the old secret again within the grace window repeats; after it, revokes")
    func refreshRotationAndReuse() async throws {
        let harness = EngineHarness()
        defer { harness.remove() }
        let engine = try harness.open()
        let user = try await engine.register(Self.ada)
        let session = try await engine.createSession(
            userID: user.id, refreshDigest: Fixtures.digest(1),
            device: DeviceInfo(deviceName: "Firefox", ipAddress: "10.0.0.1"))
        #expect(await engine.isSessionActive(session.id))

        guard
            case .rotated(let rotated) = try await engine.refresh(
                sessionID: session.id, presentedDigest: Fixtures.digest(1),
                newDigest: Fixtures.digest(2))
        else {
            Issue.record("the current secret did not rotate")
            return
        }
        #expect(rotated.generation == 1)
        harness.clock.advance(byMilliseconds: 5_000)
        let repeated = try await engine.refresh(
            sessionID: session.id, presentedDigest: Fixtures.digest(1),
            newDigest: Fixtures.digest(3))
        #expect(repeated == .repeatedWithinGrace(rotated))

        harness.clock.advance(byMilliseconds: 6_000)
        do {
            _ = try await engine.refresh(
                sessionID: session.id, presentedDigest: Fixtures.digest(1),
                newDigest: Fixtures.digest(5))
            Issue.record("reuse after the grace window was accepted")
        } catch {
            #expect(error.code == .refreshTokenReused)
        }
        #expect(!(await engine.isSessionActive(session.id)))
        await engine.close()
    }

    @Test("a secret of the session rotated out several rotations ago revokes it, at once or after the grace window")
    func reuseAnywhereInTheChain() async throws {
        for waitMilliseconds: Int64 in [0, 60_000] {
            let harness = EngineHarness()
            defer { harness.remove() }
            let engine = try harness.open()
            let user = try await engine.register(Self.ada)
            let session = try await engine.createSession(
                userID: user.id, refreshDigest: Fixtures.digest(10),
                device: DeviceInfo())
            // T0 → T1 → T2 by a thief, then T0 again by the victim.
            _ = try await engine.refresh(
                sessionID: session.id, presentedDigest: Fixtures.digest(10), newDigest: Fixtures.digest(11))
            _ = try await engine.refresh(
                sessionID: session.id, presentedDigest: Fixtures.digest(11), newDigest: Fixtures.digest(12))
            harness.clock.advance(byMilliseconds: waitMilliseconds)
            do {
                _ = try await engine.refresh(
                    sessionID: session.id, presentedDigest: Fixtures.digest(10),
                    newDigest: Fixtures.digest(13))
                Issue.record("a token two rotations old was accepted")
            } catch {
                #expect(error.code == .refreshTokenReused)
            }
            #expect(!(await engine.isSessionActive(session.id)), "the thief's rotation must end with the session")
            do {
                _ = try await engine.refresh(
                    sessionID: session.id, presentedDigest: Fixtures.digest(12),
                    newDigest: Fixtures.digest(14))
                Issue.record("the thief's current token still rotates")
            } catch {
                #expect(error.code == .sessionInactive)
            }
            await engine.close()
        }
    }

    @Test("a session opens only while the password a login verified is still the user's")
    func sessionNeedsTheVerifiedPassword() async throws {
        let harness = EngineHarness()
        defer { harness.remove() }
        let engine = try harness.open()
        let user = try await engine.register(Self.ada)
        try await engine.changePassword(userID: user.id, passwordHash: "$2b$12$new", keptSessionID: nil)
        do {
            _ = try await engine.createSession(
                userID: user.id, refreshDigest: Fixtures.digest(1), device: DeviceInfo(),
                requiringPasswordHash: Self.ada.passwordHash)
            Issue.record("a session opened with the password the change replaced")
        } catch {
            #expect(error.code == .credentialChanged)
        }
        #expect(await engine.sessions(of: user.id).isEmpty)
        _ = try await engine.createSession(
            userID: user.id, refreshDigest: Fixtures.digest(2), device: DeviceInfo(),
            requiringPasswordHash: "$2b$12$new")
        _ = try await engine.setActive(userID: user.id, false)
        do {
            _ = try await engine.createSession(
                userID: user.id, refreshDigest: Fixtures.digest(3), device: DeviceInfo(),
                requiringPasswordHash: "$2b$12$new")
            Issue.record("a session opened for a deactivated user")
        } catch {
            #expect(error.code == .userInactive)
        }
        await engine.close()
    }

    @Test("a pending password reset is void after a password change, a deactivation or a deletion")
    func resetVoided() async throws {
        let harness = EngineHarness()
        defer { harness.remove() }
        let engine = try harness.open()
        let changes: [(String, @Sendable (Engine, UUID) async throws -> Void)] = [
            (
                "a password change",
                { engine, id in
                    try await engine.changePassword(userID: id, passwordHash: "$2b$12$b", keptSessionID: nil)
                }
            ),
            (
                "a deactivation",
                { engine, id in
                    _ = try await engine.setActive(userID: id, false)
                    _ = try await engine.setActive(userID: id, true)
                }
            ),
            ("a deletion", { engine, id in try await engine.deleteUser(id) }),
        ]
        for (index, (name, change)) in changes.enumerated() {
            let user = try await engine.register(
                NewUser(email: "u\(index)@example.com", passwordHash: "$2b$12$a", firstName: "U"))
            _ = try await engine.issuePasswordReset(
                email: user.email, digest: Fixtures.digest(100), lifetimeMilliseconds: 3_600_000)
            try await change(engine, user.id)
            do {
                try await engine.completePasswordReset(
                    userID: user.id, digest: Fixtures.digest(100), passwordHash: "$2b$12$c")
                Issue.record("a reset asked for before \(name) was still accepted")
            } catch {
                #expect(error.code == .invalidArgument)
            }
            #expect(await engine.user(id: user.id)?.passwordHash != "$2b$12$c")
        }
        await engine.close()
    }

    @Test("many concurrent refreshes with one secret rotate exactly once")
    func concurrentRefreshes() async throws {
        let harness = EngineHarness()
        defer { harness.remove() }
        let engine = try harness.open()
        let user = try await engine.register(Self.ada)
        let session = try await engine.createSession(
            userID: user.id, refreshDigest: Fixtures.digest(1), device: DeviceInfo())
        let outcomes = try await withThrowingTaskGroup(of: RefreshOutcome.self) { group in
            for index in 0..<32 {
                group.addTask {
                    try await engine.refresh(
                        sessionID: session.id, presentedDigest: Fixtures.digest(1),
                        newDigest: Fixtures.digest(UInt64(100 + index)))
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let rotations = outcomes.filter { if case .rotated = $0 { true } else { false } }
        #expect(rotations.count == 1)
        #expect(outcomes.count == 32)
        await engine.close()
    }

    @Test("logout-all revokes at once, except the kept session")
    func revokeAll() async throws {
        let harness = EngineHarness()
        defer { harness.remove() }
        let engine = try harness.open()
        let user = try await engine.register(Self.ada)
        var sessions: [Session] = []
        for index in 0..<3 {
            sessions.append(
                try await engine.createSession(
                    userID: user.id, refreshDigest: Fixtures.digest(UInt64(index)),
                    device: DeviceInfo()))
        }
        #expect(try await engine.revokeAllSessions(of: user.id, except: sessions[0].id) == 2)
        #expect(await engine.isSessionActive(sessions[0].id))
        #expect(!(await engine.isSessionActive(sessions[1].id)))
        #expect(!(await engine.isSessionActive(sessions[2].id)))

        let other = try await engine.register(NewUser(email: "bob@example.com", passwordHash: "x", firstName: "Bob"))
        do {
            try await engine.revokeSession(sessions[0].id, of: other.id)
            Issue.record("a user revoked another user's session")
        } catch {
            #expect(error.code == .notYourSession)
        }
        await engine.close()
    }

    @Test("a data directory whose parents are missing is created with them; one under a file is a clear error")
    func dataDirectoryCreation() async throws {
        let harness = EngineHarness()
        defer { harness.remove() }
        var configuration = harness.configuration
        configuration.dataDirectory = harness.directory + "/a/b/data"
        let engine = try Engine.open(configuration)
        _ = try await engine.register(NewUser(email: "ada@example.com", passwordHash: "x", firstName: "Ada"))
        await engine.close()
        let reopened = try Engine.open(configuration)
        #expect(await reopened.user(email: "ada@example.com") != nil)
        await reopened.close()

        #expect(FileManager.default.createFile(atPath: harness.directory + "/file", contents: Data()))
        configuration.dataDirectory = harness.directory + "/file/data"
        let error = #expect(throws: EngineError.self) { try Engine.open(configuration) }
        #expect(error?.message.contains("Not a directory") == true, "\(String(describing: error))")
    }

    @Test("a restart rebuilds exactly the state that was acknowledged")
    func restart() async throws {
        let harness = EngineHarness()
        defer { harness.remove() }
        let engine = try harness.open()
        var users: [User] = []
        var sessions: [UUID: Session] = [:]
        for index in 0..<20 {
            let user = try await engine.register(
                NewUser(
                    email: "user\(index)@example.com", passwordHash: "h\(index)",
                    firstName: "U\(index)"))
            users.append(user)
            let session = try await engine.createSession(
                userID: user.id, refreshDigest: Fixtures.digest(UInt64(index)),
                device: DeviceInfo(deviceID: "d\(index)"))
            sessions[session.id] = session
            if index % 3 == 0 {
                _ = try await engine.refresh(
                    sessionID: session.id, presentedDigest: Fixtures.digest(UInt64(index)),
                    newDigest: Fixtures.digest(UInt64(1000 + index)))
            }
            if index % 5 == 0 { try await engine.revokeSession(session.id, of: user.id) }
        }
        var before: [UUID: Session] = [:]
        for id in sessions.keys { before[id] = await engine.session(id: id) }
        await engine.close()

        let reopened = try harness.open(seed: 2)
        for user in users {
            #expect(await reopened.user(id: user.id) == user)
            #expect(await reopened.user(email: user.email.uppercased())?.id == user.id)
        }
        for (id, session) in before { #expect(await reopened.session(id: id) == session) }
        await #expect(throws: EngineError.self) {
            _ = try await reopened.register(NewUser(email: "USER3@example.com", passwordHash: "x", firstName: "Again"))
        }
        await reopened.close()
    }
}

@Suite("Periodic engine work")
struct MaintenanceTests {
    @Test("maintenance writes a snapshot once enough records were logged, and forgets ended sessions")
    func snapshotsAndPurges() async throws {
        let harness = EngineHarness()
        defer { harness.remove() }
        var configuration = harness.configuration
        configuration.snapshotEveryRecords = 10
        configuration.purgeIntervalSeconds = 1
        let engine = try Engine.open(configuration, clock: harness.clock, random: .seeded(3))
        let maintenance = Task { await engine.runMaintenance() }
        let user = try await engine.register(EngineTests.ada)
        for index in 0..<12 {
            let session = try await engine.createSession(
                userID: user.id, refreshDigest: Fixtures.digest(UInt64(index)),
                device: DeviceInfo())
            try await engine.revokeSession(session.id, of: user.id)
        }
        // Bounded waits for the periodic work to happen; they check that it happens, not how fast.
        let snapshots = SnapshotStoreProbe(directory: configuration.dataDirectory + "/snapshots")
        for _ in 0..<600 where snapshots.isEmpty { try await Task.sleep(for: .milliseconds(100)) }
        #expect(!snapshots.isEmpty)
        for _ in 0..<600 where !(await engine.sessions(of: user.id)).isEmpty {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(await engine.sessions(of: user.id).isEmpty)
        maintenance.cancel()
        await maintenance.value
        await engine.close()
    }
}

/// Whether a snapshot directory holds a snapshot yet.
struct SnapshotStoreProbe {
    let directory: String
    var isEmpty: Bool {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return !names.contains { $0.hasSuffix(".snap") }
    }
}

@Suite("One process per data directory")
struct DataDirectoryLockTests {
    @Test("a second open of a data directory in use is refused; after close it succeeds")
    func exclusive() async throws {
        let harness = EngineHarness()
        defer { harness.remove() }
        let first = try harness.open()
        #expect(throws: EngineError.self) { _ = try harness.open() }
        await first.close()
        let second = try harness.open()
        await second.close()
    }
}
