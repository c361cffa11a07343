import Foundation
import Testing

@Suite("Admin user management over HTTP")
struct AdminUserEndpointTests {
    @Test("create (may be a superuser), search, update status and rights, activate and deactivate")
    func manage() async throws {
        let harness = try await HTTPHarness()
        let root = try await UserEndpointTests.superuserToken(harness)
        let created = try await harness.send(
            "POST", "/api/v1/admin/users",
            json:
                #"{"email":"Op@Example.com","password":"Correct-Horse-42","first_name":"Operator","is_superuser":true}"#,
            token: root)
        #expect(created.status == 201)
        #expect(created.json["is_superuser"] as? Bool == true)
        let ada = try await harness.signUp("ada@example.com")
        let adaToken = try #require(ada.json["access_token"] as? String)
        let adaID = try #require((ada.json["user"] as? [String: Any])?["id"] as? String)
        #expect(try await harness.send("GET", "/api/v1/admin/users", token: adaToken).errorCode == "AUTH_004")

        let found = try await harness.send("GET", "/api/v1/admin/users?search=OPER", token: root)
        #expect((found.json["data"] as? [[String: Any]])?.compactMap { $0["email"] as? String } == ["op@example.com"])

        let updated = try await harness.send(
            "PUT", "/api/v1/admin/users/\(adaID)",
            json: #"{"first_name":"Augusta","is_superuser":true}"#, token: root)
        #expect(updated.json["first_name"] as? String == "Augusta")
        #expect(updated.json["is_superuser"] as? Bool == true)

        let deactivated = try await harness.send("POST", "/api/v1/admin/users/\(adaID)/deactivate", token: root)
        #expect(deactivated.json["is_active"] as? Bool == false)
        #expect(try await harness.send("GET", "/api/v1/users/me", token: adaToken).status == 401)
        let refused = try await harness.send(
            "POST", "/api/v1/auth/login",
            json: #"{"email":"ada@example.com","password":"Correct-Horse-42"}"#)
        #expect(refused.status == 403)
        #expect(refused.errorCode == "AUTH_005")
        #expect(try await harness.send("POST", "/api/v1/admin/users/\(adaID)/activate", token: root).status == 200)
        #expect(
            try await harness.send(
                "POST", "/api/v1/auth/login",
                json: #"{"email":"ada@example.com","password":"Correct-Horse-42"}"#
            ).status == 200)
        await harness.close()
    }

    @Test("bulk actions count what they did and what failed, and never touch the caller")
    func bulk() async throws {
        let harness = try await HTTPHarness()
        let root = try await UserEndpointTests.superuserToken(harness)
        let rootID = try #require(await harness.auth.engine.user(email: "root@example.com")?.id.uuidString.lowercased())
        var ids: [String] = []
        for index in 0..<3 {
            let login = try await harness.signUp("user\(index)@example.com")
            ids.append(try #require((login.json["user"] as? [String: Any])?["id"] as? String))
        }
        let body =
            #"{"action":"deactivate","user_ids":["\#(ids[0])","\#(ids[1])","\#(rootID)","garbage","\#(UUID().uuidString)"]}"#
        let answer = try await harness.send("POST", "/api/v1/admin/users/bulk-action", json: body, token: root)
        #expect(answer.status == 200)
        #expect(answer.json["affected_count"] as? Int == 2)
        #expect(answer.json["failed_count"] as? Int == 3)
        #expect((answer.json["failed_ids"] as? [String])?.contains(rootID) == true)
        #expect(try await harness.send("GET", "/api/v1/users/me", token: root).status == 200)
        let inactive = try await harness.send("GET", "/api/v1/admin/users?is_active=false", token: root)
        #expect((inactive.json["pagination"] as? [String: Any])?["total"] as? Int == 2)

        let empty = try await harness.send(
            "POST", "/api/v1/admin/users/bulk-action",
            json: #"{"action":"delete","user_ids":[]}"#, token: root)
        #expect(empty.errorField == "user_ids")
        let unknown = try await harness.send(
            "POST", "/api/v1/admin/users/bulk-action",
            json: #"{"action":"explode","user_ids":["\#(ids[2])"]}"#, token: root)
        #expect(unknown.status == 422)
        #expect(
            try await harness.send("PUT", "/api/v1/admin/users/\(rootID)", json: #"{"is_active":false}"#, token: root)
                .errorCode == "AUTH_007")
        await harness.close()
    }
}

@Suite("Admin sessions over HTTP")
struct AdminSessionEndpointTests {
    @Test("GET /admin/sessions lists sessions with their users, pages them, and filters active ones; superusers only")
    func list() async throws {
        let harness = try await HTTPHarness()
        let root = try await UserEndpointTests.superuserToken(harness)
        let ada = try await harness.signUp("ada@example.com")
        let adaToken = try #require(ada.json["access_token"] as? String)
        _ = try await harness.send("POST", "/api/v1/auth/logout-all", token: adaToken)
        _ = try await harness.send(
            "POST", "/api/v1/auth/login", json: #"{"email":"ada@example.com","password":"Correct-Horse-42"}"#)

        #expect(try await harness.send("GET", "/api/v1/admin/sessions", token: adaToken).status == 401)
        let all = try await harness.send("GET", "/api/v1/admin/sessions?sort_order=desc", token: root)
        #expect(all.status == 200)
        #expect((all.json["pagination"] as? [String: Any])?["total"] as? Int == 3)
        let first = try #require((all.json["data"] as? [[String: Any]])?.first)
        #expect(first["user_email"] as? String == "ada@example.com")
        #expect(first["user_full_name"] as? String == "A")
        let active = try await harness.send("GET", "/api/v1/admin/sessions?is_active=true", token: root)
        #expect((active.json["pagination"] as? [String: Any])?["total"] as? Int == 2)
        let ended = try await harness.send("GET", "/api/v1/admin/sessions?is_active=false", token: root)
        #expect((ended.json["pagination"] as? [String: Any])?["total"] as? Int == 1)
        await harness.close()
    }
}
