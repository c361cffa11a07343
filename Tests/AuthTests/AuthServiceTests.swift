import Auth
import Engine
import Foundation
import Testing

/// An auth service over a fresh engine, with cheap bcrypt (cost 4) and a manual clock.
struct AuthHarness {
    let directory: String
    let clock = ManualClock(milliseconds: 1_800_000_000_000)
    let service: AuthService

    init() throws {
        var template = Array("\(NSTemporaryDirectory())/tessera-auth-XXXXXX".utf8CString)
        directory = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        var configuration = EngineConfiguration(dataDirectory: directory + "/data")
        configuration.shardCount = 4
        configuration.segmentSizeBytes = 1 << 20
        let engine = try Engine.open(configuration, clock: clock)
        service = AuthService(
            engine: engine, keys: try ServerKeys.loadOrCreate(directory: directory + "/data/keys"),
            hasher: PasswordHasher(cost: 4, threads: 2), clock: clock)
    }

    func close() async {
        await service.engine.close()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

@Suite("First-party authentication: register, log in, refresh, log out")
struct AuthServiceTests {
    static let password = "Correct-Horse-42"

    @Test("a user a social sign-in made has no password: no password logs it in, and it cannot change one it lacks")
    func userWithoutPassword() async throws {
        let harness = try AuthHarness()
        let user = try await harness.service.engine.registerExternalUser(
            email: "octo@example.com", firstName: "Octo", lastName: nil,
            profile: ExternalProfile(
                identity: ExternalIdentity(provider: "github", subject: "7"), email: nil,
                emailVerified: false))
        for attempt in ["", "Correct-Horse-42"] {
            do {
                _ = try await harness.service.login(email: "octo@example.com", password: attempt, device: DeviceInfo())
                Issue.record("a user without a password logged in with \"\(attempt)\"")
            } catch {
                #expect(error.code == .invalidCredentials)
            }
        }
        do {
            try await harness.service.changePassword(
                userID: user.id, sessionID: UUID(), current: "",
                new: "Another-Horse-43")
            Issue.record("a password was changed without one")
        } catch {
            #expect(error.code == .wrongCurrentPassword)
        }
        await harness.close()
    }

    @Test("a weak password is refused naming what it lacks")
    func weakPassword() async throws {
        let harness = try AuthHarness()
        do {
            _ = try await harness.service.register(email: "a@example.com", password: "short", firstName: "A")
            Issue.record("a weak password was accepted")
        } catch {
            #expect(error.code == .weakPassword)
            #expect(error.message.contains("at least 12 characters"))
            #expect(error.message.contains("an upper-case letter"))
        }
        await harness.close()
    }

    @Test("unknown email and wrong password both answer invalidCredentials; the right one logs in")
    func login() async throws {
        let harness = try AuthHarness()
        _ = try await harness.service.register(email: "Ada@Example.com", password: Self.password, firstName: "Ada")
        for (email, password) in [("nobody@example.com", Self.password), ("ada@example.com", "Wrong-Horse-42!")] {
            do {
                _ = try await harness.service.login(email: email, password: password, device: DeviceInfo())
                Issue.record("\(email) logged in with a wrong password")
            } catch {
                #expect(error.code == .invalidCredentials)
            }
        }
        let pair = try await harness.service.login(
            email: " ADA@example.com", password: Self.password,
            device: DeviceInfo(deviceName: "curl"))
        let claims = try await harness.service.authenticate(pair.accessToken)
        #expect(claims.userID == pair.user.id)
        #expect(claims.sessionID == pair.session.id)
        await harness.close()
    }

    @Test("refresh rotates; the old token again within the grace window answers the same pair")
    func refresh() async throws {
        let harness = try AuthHarness()
        _ = try await harness.service.register(email: "ada@example.com", password: Self.password, firstName: "Ada")
        let first = try await harness.service.login(
            email: "ada@example.com", password: Self.password, device: DeviceInfo())
        harness.clock.advance(byMilliseconds: 60_000)
        let second = try await harness.service.refresh(first.refreshToken)
        #expect(second.refreshToken != first.refreshToken)
        harness.clock.advance(byMilliseconds: 3_000)
        let again = try await harness.service.refresh(first.refreshToken)
        #expect(again.refreshToken == second.refreshToken)
        #expect(again.accessToken == second.accessToken)
        let third = try await harness.service.refresh(second.refreshToken)
        #expect(third.refreshToken != second.refreshToken)
        await harness.close()
    }

    @Test("a refresh token is never accepted as an access token")
    func refreshIsNotAccess() async throws {
        let harness = try AuthHarness()
        _ = try await harness.service.register(email: "ada@example.com", password: Self.password, firstName: "Ada")
        let pair = try await harness.service.login(
            email: "ada@example.com", password: Self.password, device: DeviceInfo())
        do {
            _ = try await harness.service.authenticate(pair.refreshToken)
            Issue.record("a refresh token authenticated")
        } catch {
            #expect(error.code == .tokenInvalid)
        }
        await harness.close()
    }

    @Test("after logout-all, the access tokens of every session stop working at once")
    func immediateRevocation() async throws {
        let harness = try AuthHarness()
        let user = try await harness.service.register(
            email: "ada@example.com", password: Self.password, firstName: "Ada")
        let phone = try await harness.service.login(
            email: "ada@example.com", password: Self.password, device: DeviceInfo())
        let laptop = try await harness.service.login(
            email: "ada@example.com", password: Self.password, device: DeviceInfo())
        #expect(try await harness.service.logoutEverywhere(userID: user.id) == 2)
        for token in [phone.accessToken, laptop.accessToken] {
            await #expect(throws: AuthError.self) { _ = try await harness.service.authenticate(token) }
        }
        await #expect(throws: AuthError.self) { _ = try await harness.service.refresh(phone.refreshToken) }
        await harness.close()
    }
}

@Suite("Deactivated and deleted users")
struct InactiveUserTests {
    @Test("deactivation ends every session at once and refuses login; activation lets the user back in")
    func deactivate() async throws {
        let harness = try AuthHarness()
        let user = try await harness.service.register(
            email: "ada@example.com", password: AuthServiceTests.password, firstName: "Ada")
        let pair = try await harness.service.login(
            email: "ada@example.com", password: AuthServiceTests.password, device: DeviceInfo())
        _ = try await harness.service.engine.setActive(userID: user.id, false)
        await #expect(throws: AuthError.self) { _ = try await harness.service.authenticate(pair.accessToken) }
        do {
            _ = try await harness.service.login(
                email: "ada@example.com", password: AuthServiceTests.password, device: DeviceInfo())
            Issue.record("an inactive user logged in")
        } catch {
            #expect(error.code == .userInactive)
        }
        _ = try await harness.service.engine.setActive(userID: user.id, true)
        _ = try await harness.service.login(
            email: "ada@example.com", password: AuthServiceTests.password, device: DeviceInfo())
        await harness.close()
    }

    @Test("a deleted user cannot log in, its tokens stop at once, and its email can be registered again")
    func delete() async throws {
        let harness = try AuthHarness()
        let user = try await harness.service.register(
            email: "ada@example.com", password: AuthServiceTests.password, firstName: "Ada")
        let pair = try await harness.service.login(
            email: "ada@example.com", password: AuthServiceTests.password, device: DeviceInfo())
        try await harness.service.engine.deleteUser(user.id)
        await #expect(throws: AuthError.self) { _ = try await harness.service.authenticate(pair.accessToken) }
        await #expect(throws: AuthError.self) { _ = try await harness.service.refresh(pair.refreshToken) }
        do {
            _ = try await harness.service.login(
                email: "ada@example.com", password: AuthServiceTests.password, device: DeviceInfo())
            Issue.record("a deleted user logged in")
        } catch {
            #expect(error.code == .invalidCredentials)
        }
        let again = try await harness.service.register(
            email: "ADA@example.com", password: AuthServiceTests.password, firstName: "New")
        #expect(again.id != user.id)
        await harness.close()
    }
}

@Suite("Failed-login lockout")
struct LoginThrottleTests {
    @Test("five failures lock the account for a minute, the next lock lasts twice as long, capped; success resets")
    func growingBoundedLock() {
        let clock = ManualSeconds()
        let throttle = LoginThrottle(allowedFailures: 5, baseLockSeconds: 60, maxLockSeconds: 200, now: { clock.value })
        for _ in 0..<4 { #expect(throttle.failed("a@example.com") == nil) }
        #expect(throttle.failed("a@example.com") == 60)
        #expect(throttle.lockedFor("a@example.com") == 60)
        #expect(throttle.lockedFor("b@example.com") == nil)
        clock.value += 60
        #expect(throttle.lockedFor("a@example.com") == nil)
        for _ in 0..<4 { throttle.failed("a@example.com") }
        #expect(throttle.failed("a@example.com") == 120)
        clock.value += 120
        for _ in 0..<4 { throttle.failed("a@example.com") }
        #expect(throttle.failed("a@example.com") == 200, "the lock is capped")
        throttle.succeeded("a@example.com")
        #expect(throttle.lockedFor("a@example.com") == nil)
    }

    @Test(
        "attempts under way hold their failures: with five begun, a sixth waits, and whatever they end as, at most five are checked"
    )
    func attemptsInFlightCount() {
        let clock = ManualSeconds()
        let throttle = LoginThrottle(allowedFailures: 5, baseLockSeconds: 60, maxLockSeconds: 900, now: { clock.value })
        for _ in 0..<5 { #expect(throttle.begin("a@example.com") == nil) }
        #expect(throttle.begin("a@example.com") == 1, "five guesses are being checked: the sixth may not start")
        #expect(throttle.begin("b@example.com") == nil, "other accounts are not held up")
        throttle.abandoned("a@example.com")
        #expect(throttle.begin("a@example.com") == nil, "an attempt that checked nothing gives its place back")
        for _ in 0..<4 { #expect(throttle.failed("a@example.com") == nil) }
        #expect(throttle.failed("a@example.com") == 60)
        #expect(throttle.begin("a@example.com") == 60)
        clock.value += 60
        #expect(throttle.begin("a@example.com") == nil)
        #expect(throttle.begin("a@example.com") == nil)
        throttle.succeeded("a@example.com")
        // The other attempt still counts until it ends.
        for _ in 0..<4 { #expect(throttle.begin("a@example.com") == nil) }
        #expect(throttle.begin("a@example.com") == 1)
    }

    @Test("after five wrong passwords even the right one is refused with accountLocked, and unknown emails alike")
    func lockedLogin() async throws {
        let harness = try AuthHarness()
        _ = try await harness.service.register(
            email: "ada@example.com", password: AuthServiceTests.password, firstName: "Ada")
        for email in ["ada@example.com", "nobody@example.com"] {
            for _ in 0..<5 {
                await #expect(throws: AuthError.self) {
                    _ = try await harness.service.login(email: email, password: "Wrong-Horse-42!", device: DeviceInfo())
                }
            }
            do {
                _ = try await harness.service.login(
                    email: email, password: AuthServiceTests.password, device: DeviceInfo())
                Issue.record("a locked account logged in")
            } catch {
                #expect(error.code == .accountLocked)
                #expect((error.retryAfterSeconds ?? 0) > 0)
            }
        }
        await harness.close()
    }
}

/// Seconds that move only when told to.
final class ManualSeconds: @unchecked Sendable {
    // `@unchecked Sendable`: used by one test at a time, on one task.
    var value = 1_000
}

@Suite("Key files")
struct KeyFileTests {
    @Test("a key file a killed process left half written (*.tmp) is removed when the keys load, and named")
    func staleTemporaryRemoved() throws {
        var template = Array("\(NSTemporaryDirectory())/tessera-keys-XXXXXX".utf8CString)
        let directory = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try ServerKeys.loadOrCreate(directory: directory)
        #expect(first.removedTemporaryFiles.isEmpty)
        _ = FileManager.default.createFile(atPath: directory + "/access-hs256.key.tmp", contents: Data([1, 2]))
        let again = try ServerKeys.loadOrCreate(directory: directory)
        #expect(again.removedTemporaryFiles == ["access-hs256.key.tmp"])
        #expect(again.accessTokenKey == first.accessTokenKey, "the key itself is untouched")
        #expect(!FileManager.default.fileExists(atPath: directory + "/access-hs256.key.tmp"))
    }
}
