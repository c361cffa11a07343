import Foundation
import Net
import Synchronization
import Testing

@Suite("The auth endpoints over HTTP")
struct AuthEndpointTests {
    @Test("health answers ok with the security headers and the durability mode")
    func health() async throws {
        let harness = try await HTTPHarness()
        let answer = try await harness.send("GET", "/health")
        #expect(answer.status == 200)
        #expect(answer.json["status"] as? String == "ok")
        #expect(answer.json["durability"] as? String == "sync")
        #expect((answer.json["checks"] as? [String: String])?["wal"] == "ok")
        #expect((answer.json["checks"] as? [String: String])?["snapshot"] == "none yet")
        #expect(answer.headers["x-content-type-options"] == "nosniff")
        #expect(answer.headers["x-frame-options"] == "DENY")
        #expect(answer.headers["content-security-policy"] != nil)
        await harness.close()
    }

    @Test("register: 201, the same email in another case 409, self-granted superuser 403, weak password 422")
    func register() async throws {
        let harness = try await HTTPHarness()
        let created = try await harness.send(
            "POST", "/api/v1/auth/register",
            json: #"{"email":"Ada@Example.com","password":"Correct-Horse-42","first_name":"Ada"}"#)
        #expect(created.status == 201)
        #expect(created.json["email"] as? String == "ada@example.com")
        #expect(created.json["password_hash"] == nil)

        let duplicate = try await harness.send(
            "POST", "/api/v1/auth/register",
            json: #"{"email":"ADA@example.com","password":"Correct-Horse-42","first_name":"B"}"#)
        #expect(duplicate.status == 409)
        #expect(duplicate.errorCode == "USER_002")

        let superuser = try await harness.send(
            "POST", "/api/v1/auth/register",
            json: #"{"email":"eve@example.com","password":"Correct-Horse-42","first_name":"E","is_superuser":true}"#)
        #expect(superuser.status == 403)
        #expect(superuser.errorCode == "AUTH_004")

        let weak = try await harness.send(
            "POST", "/api/v1/auth/register",
            json: #"{"email":"bob@example.com","password":"short","first_name":"Bob"}"#)
        #expect(weak.status == 422)
        #expect(weak.errorCode == "VAL_002")
        await harness.close()
    }

    @Test("bad input is a 4xx in the envelope, never a 500: malformed JSON, wrong types, missing fields, bad email")
    func badInput() async throws {
        let harness = try await HTTPHarness()
        let cases: [(String, Int, String, String?)] = [
            ("{not json", 422, "VAL_001", nil),
            (#"{"email":"a@b.co","password":12,"first_name":"A"}"#, 422, "VAL_001", "password"),
            (#"{"email":"a@b.co","password":"Correct-Horse-42"}"#, 422, "VAL_001", "first_name"),
            (#"{"email":"not-an-email","password":"Correct-Horse-42","first_name":"A"}"#, 422, "VAL_003", "email"),
            (
                #"{"email":"a@b.co","password":"Correct-Horse-42","first_name":"A","phone_number":"12"}"#, 422,
                "VAL_004", "phone_number"
            ),
        ]
        for (body, status, code, field) in cases {
            let answer = try await harness.send("POST", "/api/v1/auth/register", json: body)
            #expect(answer.status == status, "\(body)")
            #expect(answer.errorCode == code, "\(body)")
            #expect(answer.errorField == field, "\(body)")
        }
        #expect(try await harness.send("GET", "/api/v1/nowhere").errorCode == "SYS_002")
        let wrongMethod = try await harness.send("DELETE", "/api/v1/auth/login")
        #expect(wrongMethod.errorCode == "SYS_003")
        #expect(wrongMethod.headers["allow"] == "POST")
        let large = try await harness.send("POST", "/api/v1/auth/register", body: Data(count: 100_000))
        #expect(large.status == 413)
        #expect(large.errorCode == "SYS_006")
        await harness.close()
    }

    @Test("login answers a token pair with no-store; wrong password and unknown email are 401 AUTH_001 alike")
    func login() async throws {
        let harness = try await HTTPHarness()
        let answer = try await harness.signUp("ada@example.com")
        #expect(answer.status == 200)
        #expect(answer.json["token_type"] as? String == "bearer")
        #expect(answer.headers["cache-control"] == "no-store")
        for body in [
            #"{"email":"ada@example.com","password":"Wrong-Horse-42!"}"#,
            #"{"email":"nobody@example.com","password":"Correct-Horse-42"}"#,
        ] {
            let refused = try await harness.send("POST", "/api/v1/auth/login", json: body)
            #expect(refused.status == 401)
            #expect(refused.errorCode == "AUTH_001")
        }
        let form = try await harness.send(
            "POST", "/api/v1/auth/login/oauth",
            body: Data("username=ada%40example.com&password=Correct-Horse-42".utf8),
            headers: ["Content-Type": "application/x-www-form-urlencoded"])
        #expect(form.status == 200)
        await harness.close()
    }

    @Test("refresh rotates; a refresh token is not an access token; logout-all ends every access token at once")
    func refreshAndRevocation() async throws {
        let harness = try await HTTPHarness()
        let login = try await harness.signUp("ada@example.com")
        let access = try #require(login.json["access_token"] as? String)
        let refresh = try #require(login.json["refresh_token"] as? String)

        #expect(try await harness.send("GET", "/api/v1/users/me", token: access).status == 200)
        let asAccess = try await harness.send("GET", "/api/v1/users/me", token: refresh)
        #expect(asAccess.status == 401)
        #expect(asAccess.errorCode == "AUTH_003")
        #expect(try await harness.send("GET", "/api/v1/users/me").errorCode == "AUTH_006")

        let rotated = try await harness.send("POST", "/api/v1/auth/refresh", json: #"{"refresh_token":"\#(refresh)"}"#)
        #expect(rotated.status == 200)
        #expect(rotated.json["refresh_token"] as? String != refresh)

        let sessions = try await harness.send("GET", "/api/v1/sessions/me", token: access)
        #expect(sessions.json["total"] as? Int == 1)

        let all = try await harness.send("POST", "/api/v1/auth/logout-all", token: access)
        #expect(all.status == 200)
        let after = try await harness.send("GET", "/api/v1/users/me", token: access)
        #expect(after.status == 401)
        await harness.close()
    }

    @Test("a session can be revoked only by its owner; an unknown one is 404")
    func sessionOwnership() async throws {
        let harness = try await HTTPHarness()
        let ada = try await harness.signUp("ada@example.com")
        let bob = try await harness.signUp("bob@example.com")
        let adaToken = try #require(ada.json["access_token"] as? String)
        let bobRefresh = try #require(bob.json["refresh_token"] as? String)
        let bobSession = String(bobRefresh.split(separator: ".")[0])
        #expect(try await harness.send("DELETE", "/api/v1/sessions/\(bobSession)", token: adaToken).status == 403)
        #expect(
            try await harness.send("DELETE", "/api/v1/sessions/\(UUID().uuidString)", token: adaToken).status == 404)
        #expect(try await harness.send("DELETE", "/api/v1/sessions/not-a-uuid", token: adaToken).errorCode == "VAL_005")
        await harness.close()
    }
}

@Suite("Rate limits")
struct RateLimitTests {
    @Test(
        "the sixth registration from one address within a minute is 429 SYS_004 with Retry-After; a refill lets one more in"
    )
    func registerLimit() async throws {
        // The limiter's clock stands still unless the test moves it: however slowly a busy machine runs the
        // five registrations, they happen within the same minute.
        let clock = ManualNanoseconds()
        let harness = try await HTTPHarness(rateLimiter: RateLimiter(nowNanoseconds: { clock.now }))
        for index in 0..<5 {
            let answer = try await harness.send(
                "POST", "/api/v1/auth/register",
                json: #"{"email":"u\#(index)@example.com","password":"Correct-Horse-42","first_name":"U"}"#)
            #expect(answer.status == 201)
        }
        let refused = try await harness.send(
            "POST", "/api/v1/auth/register",
            json: #"{"email":"u9@example.com","password":"Correct-Horse-42","first_name":"U"}"#)
        #expect(refused.status == 429)
        #expect(refused.errorCode == "SYS_004")
        #expect(Int(refused.headers["retry-after"] ?? "") == 12, "one registration comes back every 12 s")
        clock.advance(bySeconds: 12)
        #expect(
            try await harness.send(
                "POST", "/api/v1/auth/register",
                json: #"{"email":"u10@example.com","password":"Correct-Horse-42","first_name":"U"}"#
            ).status == 201)
        #expect(
            try await harness.send(
                "POST", "/api/v1/auth/register",
                json: #"{"email":"u11@example.com","password":"Correct-Horse-42","first_name":"U"}"#
            ).status == 429)
        // Other routes have their own buckets.
        #expect(
            try await harness.send(
                "POST", "/api/v1/auth/login",
                json: #"{"email":"u0@example.com","password":"Correct-Horse-42"}"#
            ).status == 200)
        await harness.close()
    }
}

@Suite("Refresh races and forged tokens over HTTP")
struct RefreshRaceTests {
    @Test("many concurrent refreshes with one token rotate once: every request gets the same new pair")
    func concurrentRefreshes() async throws {
        let harness = try await HTTPHarness()
        let login = try await harness.signUp("ada@example.com")
        let refresh = try #require(login.json["refresh_token"] as? String)
        let answers = try await withThrowingTaskGroup(of: HTTPHarness.Answer.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    try await harness.send("POST", "/api/v1/auth/refresh", json: #"{"refresh_token":"\#(refresh)"}"#)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(answers.allSatisfy { $0.status == 200 })
        let tokens = Set(answers.compactMap { $0.json["refresh_token"] as? String })
        #expect(tokens.count == 1, "the requests saw different rotations")
        #expect(Set(answers.compactMap { $0.json["access_token"] as? String }).count == 1)
        await harness.close()
    }

    @Test("a token with alg none, or with a changed payload, is 401 AUTH_003")
    func forged() async throws {
        let harness = try await HTTPHarness()
        let login = try await harness.signUp("ada@example.com")
        let access = try #require(login.json["access_token"] as? String)
        let parts = access.split(separator: ".").map(String.init)
        let noneHeader = Data(#"{"alg":"none","typ":"JWT"}"#.utf8).base64EncodedString()
            .replacingOccurrences(of: "=", with: "").replacingOccurrences(of: "+", with: "-").replacingOccurrences(
                of: "/", with: "_")
        for forged in [noneHeader + "." + parts[1] + ".", parts[0] + "." + parts[1] + "x." + parts[2], "garbage"] {
            let answer = try await harness.send("GET", "/api/v1/users/me", token: forged)
            #expect(answer.status == 401)
            #expect(answer.errorCode == "AUTH_003")
        }
        await harness.close()
    }
}

@Suite("Logout and refresh-token reuse over HTTP")
struct LogoutAndReuseTests {
    @Test("logout ends the caller's session; another user's session is 403; it needs authentication")
    func logout() async throws {
        let harness = try await HTTPHarness()
        let ada = try await harness.signUp("ada@example.com")
        let bob = try await harness.signUp("bob@example.com")
        let adaAccess = try #require(ada.json["access_token"] as? String)
        let adaRefresh = try #require(ada.json["refresh_token"] as? String)
        let bobRefresh = try #require(bob.json["refresh_token"] as? String)

        #expect(
            try await harness.send("POST", "/api/v1/auth/logout", json: #"{"refresh_token":"\#(adaRefresh)"}"#).status
                == 401)
        let foreign = try await harness.send(
            "POST", "/api/v1/auth/logout", json: #"{"refresh_token":"\#(bobRefresh)"}"#,
            token: adaAccess)
        #expect(foreign.status == 403)
        let own = try await harness.send(
            "POST", "/api/v1/auth/logout", json: #"{"refresh_token":"\#(adaRefresh)"}"#,
            token: adaAccess)
        #expect(own.status == 200)
        #expect(own.json["success"] as? Bool == true)
        #expect(
            try await harness.send("POST", "/api/v1/auth/refresh", json: #"{"refresh_token":"\#(adaRefresh)"}"#).status
                == 401)
        #expect(try await harness.send("GET", "/api/v1/users/me", token: adaAccess).status == 401)
        await harness.close()
    }

    @Test("a rotated-out refresh token used again after the grace window revokes the whole session")
    func reuseAfterGrace() async throws {
        let harness = try await HTTPHarness(refreshGraceMilliseconds: 0)
        let login = try await harness.signUp("ada@example.com")
        let first = try #require(login.json["refresh_token"] as? String)
        let rotated = try await harness.send("POST", "/api/v1/auth/refresh", json: #"{"refresh_token":"\#(first)"}"#)
        let second = try #require(rotated.json["refresh_token"] as? String)
        let reused = try await harness.send("POST", "/api/v1/auth/refresh", json: #"{"refresh_token":"\#(first)"}"#)
        #expect(reused.status == 401)
        #expect(reused.errorCode == "AUTH_003")
        // The thief's copy revoked the session: the legitimate holder's newer token is dead too.
        #expect(
            try await harness.send("POST", "/api/v1/auth/refresh", json: #"{"refresh_token":"\#(second)"}"#).status
                == 401)
        await harness.close()
    }
}

@Suite("The client's address")
struct ClientAddressTests {
    static func sessionIP(_ harness: HTTPHarness) async throws -> String? {
        _ = try await harness.send(
            "POST", "/api/v1/auth/register",
            json: #"{"email":"ada@example.com","password":"Correct-Horse-42","first_name":"A"}"#)
        let login = try await harness.send(
            "POST", "/api/v1/auth/login",
            json: #"{"email":"ada@example.com","password":"Correct-Horse-42"}"#,
            headers: ["X-Forwarded-For": "198.51.100.7, 203.0.113.9"])
        let token = try #require(login.json["access_token"] as? String)
        let sessions = try await harness.send("GET", "/api/v1/sessions/me", token: token)
        return ((sessions.json["sessions"] as? [[String: Any]])?.first)?["ip_address"] as? String
    }

    @Test("X-Forwarded-For is ignored unless the socket is a trusted proxy, then its right-most hop is the client")
    func forwardedFor() async throws {
        let untrusted = try await HTTPHarness()
        #expect(try await Self.sessionIP(untrusted) == "127.0.0.1")
        await untrusted.close()
        let trusted = try await HTTPHarness(trustedProxies: ["127.0.0.1"])
        #expect(try await Self.sessionIP(trusted) == "203.0.113.9")
        await trusted.close()
    }
}

@Suite("Malformed HTTP")
struct MalformedHTTPTests {
    /// Sends raw bytes and returns what the server answered before closing.
    static func raw(_ bytes: String, port: Int) async throws -> String {
        let connection = try RawConnection(port: port)
        connection.send(bytes)
        return try #require(await connection.readUntilClosed(), "the server kept the connection open")
    }

    @Test("a chunked body that grows past the limit is cut off with 413 SYS_006")
    func chunkedTooLarge() async throws {
        let harness = try await HTTPHarness()
        let chunk = String(repeating: "a", count: 40_000)
        let hex = String(chunk.utf8.count, radix: 16)
        let request =
            "POST /api/v1/auth/register HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "\(hex)\r\n\(chunk)\r\n\(hex)\r\n\(chunk)\r\n0\r\n\r\n"
        let answer = try await Self.raw(request, port: harness.server.port)
        #expect(answer.hasPrefix("HTTP/1.1 413"))
        #expect(answer.contains("SYS_006"))
        await harness.close()
    }

    @Test("a request the parser cannot read gets 400 in the envelope, not a 500 or a bare close")
    func garbage() async throws {
        let harness = try await HTTPHarness()
        let answer = try await Self.raw("THIS IS NOT HTTP\r\n\r\n", port: harness.server.port)
        #expect(answer.hasPrefix("HTTP/1.1 400"))
        #expect(answer.contains("VAL_006"))
        await harness.close()
    }
}

@Suite("Metrics")
struct MetricsTests {
    @Test("GET /metrics is Prometheus text with answers by status class, log counters, users and sessions")
    func exposition() async throws {
        let harness = try await HTTPHarness()
        _ = try await harness.signUp("ada@example.com")
        _ = try await harness.send("GET", "/api/v1/nowhere")
        let answer = try await harness.send("GET", "/metrics")
        #expect(answer.status == 200)
        let text = String(decoding: answer.body, as: UTF8.self)
        #expect(text.contains(#"tessera_http_responses_total{status="2xx"}"#))
        #expect(text.contains(#"tessera_http_responses_total{status="4xx"} 1"#))
        #expect(text.contains("tessera_users_count 1"))
        #expect(text.contains("tessera_sessions_count 1"))
        #expect(text.contains("tessera_wal_failed_bool 0"))
        await harness.close()
    }
}

/// A monotonic clock in nanoseconds that moves only when told to (for the rate limiter and the login throttle).
final class ManualNanoseconds: Sendable {
    private let nanoseconds = Mutex<UInt64>(1_000_000_000_000)

    var now: UInt64 { nanoseconds.withLock { $0 } }
    var seconds: Int { Int(now / 1_000_000_000) }

    func advance(bySeconds seconds: Int) { nanoseconds.withLock { $0 += UInt64(seconds) * 1_000_000_000 } }
}
