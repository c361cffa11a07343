import Auth
import Foundation
import Testing

/// Passwords bcrypt would read only part of, and the races between a login and the account changing under it.
@Suite("Credentials: what bcrypt sees, guesses in flight, and logins racing a change of the account")
struct CredentialHardeningTests {
    static func json(_ fields: [String: String]) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: fields), as: UTF8.self)
    }

    @Test(
        "a password with a NUL is refused at registration, admin creation, change and reset; the prefix before it never logs in"
    )
    func nulInPassword() async throws {
        let harness = try await HTTPHarness()
        let root = try await UserEndpointTests.superuserToken(harness)
        for (index, password) in ["\u{0}Abcdefgh1234!", "a\u{0}Bcdefgh1234!", "Abcdefgh1234!\u{0}"].enumerated() {
            let email = "nul\(index)@example.com"
            let registered = try await harness.send(
                "POST", "/api/v1/auth/register",
                json: Self.json(["email": email, "password": password, "first_name": "N"]))
            #expect(registered.status == 422, "registration took a password with a NUL")
            #expect(registered.errorCode == "VAL_002")
            let created = try await harness.send(
                "POST", "/api/v1/admin/users",
                json: Self.json(["email": email, "password": password, "first_name": "N"]), token: root)
            #expect(created.status == 422, "admin creation took a password with a NUL")
            let prefix = String(password.prefix { $0 != "\u{0}" })
            #expect(
                try await harness.send(
                    "POST", "/api/v1/auth/login",
                    json: Self.json(["email": email, "password": prefix])
                ).status == 401)
        }
        let login = try await harness.signUp("ada@example.com")
        let token = try #require(login.json["access_token"] as? String)
        let changed = try await harness.send(
            "PATCH", "/api/v1/users/me/password",
            json: Self.json([
                "current_password": HTTPHarness.password, "new_password": "Ab\u{0}cdefgh1234!",
            ]), token: token)
        #expect(changed.status == 422)
        #expect(changed.errorCode == "VAL_002")
        _ = try await harness.send("POST", "/api/v1/auth/password-reset/request", json: #"{"email":"ada@example.com"}"#)
        _ = try await PasswordResetTests.mails(harness, count: 1)
        let resetToken = try #require(try PasswordResetTests.lastToken(harness))
        let reset = try await harness.send(
            "POST", "/api/v1/auth/password-reset/confirm",
            json: Self.json(["token": resetToken, "new_password": "\u{0}Abcdefgh1234!"]))
        #expect(reset.status == 422)
        // The real password followed by a NUL and more is not the real password.
        #expect(
            try await harness.send(
                "POST", "/api/v1/auth/login",
                json: Self.json([
                    "email": "ada@example.com", "password": HTTPHarness.password + "\u{0}anything",
                ])
            ).status == 401)
        #expect(
            try await harness.send(
                "POST", "/api/v1/auth/login",
                json: Self.json([
                    "email": "ada@example.com", "password": HTTPHarness.password,
                ])
            ).status == 200)
        await harness.close()
    }

    @Test("the hasher never hashes, and never matches, a password it would read only part of")
    func hasherReadsWholePasswords() async throws {
        let hasher = PasswordHasher(cost: 4, threads: 1)
        let hash = try await hasher.hash("Abcdefgh1234!")
        #expect(try await hasher.verify("Abcdefgh1234!", hash: hash))
        #expect(try await !hasher.verify("Abcdefgh1234!\u{0}more", hash: hash))
        let long = String(repeating: "A", count: 72)
        let longHash = try await hasher.hash(long)
        #expect(try await !hasher.verify(long + "b", hash: longHash), "bcrypt would ignore the 73rd byte")
        await #expect(throws: PasswordHasherError.self) { _ = try await hasher.hash("Ab\u{0}cdefgh1234!") }
        await #expect(throws: PasswordHasherError.self) { _ = try await hasher.hash(long + "b") }
    }

    @Test("thirty simultaneous wrong guesses for one account: at most the five allowed are checked, the rest wait")
    func guessesInFlightCount() async throws {
        // bcrypt cost 8 keeps each guess in the hasher long enough for all thirty to be in flight at once.
        let harness = try await HTTPHarness(bcryptCost: 8)
        _ = try await harness.signUp("ada@example.com")
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<30 {
                group.addTask {
                    try await harness.send(
                        "POST", "/api/v1/auth/login",
                        json: #"{"email":"ada@example.com","password":"Wrong-Guess-\#(index)!"}"#
                    ).status
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(statuses.count { $0 == 401 } <= 5, "every 401 is a guess checked against the hash: \(statuses)")
        #expect(statuses.allSatisfy { $0 == 401 || $0 == 429 })
        let right = try await harness.send(
            "POST", "/api/v1/auth/login",
            json: #"{"email":"ada@example.com","password":"\#(HTTPHarness.password)"}"#)
        #expect(right.status == 429, "five failures lock the account")
        await harness.close()
    }

    @Test("logins with the old password racing a password change never end with a session that outlived the change")
    func loginRacingPasswordChange() async throws {
        // bcrypt cost 10 (tens of milliseconds a round): logins started at staggered moments during the change
        // check the old password while the change hashes the new one, so some would open a session after it.
        // The logins that lose the race fail; the lockout must not stop the rounds that follow.
        let harness = try await HTTPHarness(bcryptCost: 10, throttle: LoginThrottle(allowedFailures: 1_000))
        let login = try await harness.signUp("ada@example.com")
        var token = try #require(login.json["access_token"] as? String)
        var current = HTTPHarness.password
        for round in 0..<4 {
            let next = "Round-\(round)-Horse-42"
            let loginBody = Self.json(["email": "ada@example.com", "password": current])
            let racing = Task {
                try await withThrowingTaskGroup(of: HTTPHarness.Answer.self) { group in
                    for step in 0..<6 {
                        group.addTask {
                            try await Task.sleep(for: .milliseconds(40 * step))
                            return try await harness.send("POST", "/api/v1/auth/login", json: loginBody)
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
            }
            let changed = try await harness.send(
                "PATCH", "/api/v1/users/me/password",
                json: Self.json([
                    "current_password": current, "new_password": next,
                ]), token: token)
            #expect(changed.status == 200)
            for raced in try await racing.value {
                if raced.status == 200, let access = raced.json["access_token"] as? String {
                    #expect(
                        try await harness.send("GET", "/api/v1/users/me", token: access).status == 401,
                        "round \(round): a session opened with the old password survived the change")
                } else {
                    #expect(raced.status == 401, "round \(round): \(raced.status)")
                }
            }
            current = next
            let fresh = try await harness.send(
                "POST", "/api/v1/auth/login",
                json: Self.json(["email": "ada@example.com", "password": current]))
            token = try #require(fresh.json["access_token"] as? String)
        }
        await harness.close()
    }

    @Test("a reset token mailed before a password change or a deactivation no longer works after it")
    func resetVoidedByChange() async throws {
        let harness = try await HTTPHarness()
        let root = try await UserEndpointTests.superuserToken(harness)
        let login = try await harness.signUp("ada@example.com")
        let token = try #require(login.json["access_token"] as? String)
        let userID = try #require((login.json["user"] as? [String: Any])?["id"] as? String)

        _ = try await harness.send("POST", "/api/v1/auth/password-reset/request", json: #"{"email":"ada@example.com"}"#)
        _ = try await PasswordResetTests.mails(harness, count: 1)
        let beforeChange = try #require(try PasswordResetTests.lastToken(harness))
        #expect(
            try await harness.send(
                "PATCH", "/api/v1/users/me/password",
                json: Self.json([
                    "current_password": HTTPHarness.password, "new_password": "Changed-Horse-43",
                ]), token: token
            ).status == 200)
        let afterChange = try await harness.send(
            "POST", "/api/v1/auth/password-reset/confirm",
            json: Self.json(["token": beforeChange, "new_password": "Attacker-Horse-44"]))
        #expect(afterChange.status == 400, "the reset undid the change")
        #expect(afterChange.errorCode == "AUTH_003")

        _ = try await harness.send("POST", "/api/v1/auth/password-reset/request", json: #"{"email":"ada@example.com"}"#)
        _ = try await PasswordResetTests.mails(harness, count: 2)
        let beforeDeactivation = try #require(try PasswordResetTests.lastToken(harness))
        #expect(try await harness.send("POST", "/api/v1/admin/users/\(userID)/deactivate", token: root).status == 200)
        #expect(try await harness.send("POST", "/api/v1/admin/users/\(userID)/activate", token: root).status == 200)
        let afterDeactivation = try await harness.send(
            "POST", "/api/v1/auth/password-reset/confirm",
            json: Self.json(["token": beforeDeactivation, "new_password": "Attacker-Horse-44"]))
        #expect(afterDeactivation.status == 400, "a reset asked for before a deactivation survived it")
        #expect(
            try await harness.send(
                "POST", "/api/v1/auth/login",
                json: Self.json([
                    "email": "ada@example.com", "password": "Changed-Horse-43",
                ])
            ).status == 200)
        await harness.close()
    }
}
