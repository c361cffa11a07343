import Foundation
import Testing

@Suite("Users: superusers list and manage, users see themselves")
struct UserEndpointTests {
    /// A superuser's access token (created as an operator would).
    static func superuserToken(_ harness: HTTPHarness) async throws -> String {
        _ = try await harness.auth.createUser(
            email: "root@example.com", password: HTTPHarness.password,
            firstName: "Root", isSuperuser: true)
        let login = try await harness.send(
            "POST", "/api/v1/auth/login",
            json: #"{"email":"root@example.com","password":"\#(HTTPHarness.password)"}"#)
        return try #require(login.json["access_token"] as? String)
    }

    @Test("GET /users: anonymous 401, a user 403, a superuser pages, filters and sorts")
    func list() async throws {
        let harness = try await HTTPHarness()
        let root = try await Self.superuserToken(harness)
        var userToken = ""
        for index in 0..<5 {
            let login = try await harness.signUp("user\(index)@example.com")
            userToken = try #require(login.json["access_token"] as? String)
        }
        #expect(try await harness.send("GET", "/api/v1/users").errorCode == "AUTH_006")
        #expect(try await harness.send("GET", "/api/v1/users", token: userToken).errorCode == "AUTH_004")

        let page = try await harness.send(
            "GET", "/api/v1/users?page=2&limit=2&sort_by=email&sort_order=desc", token: root)
        #expect(page.status == 200)
        let pagination = try #require(page.json["pagination"] as? [String: Any])
        #expect(pagination["total"] as? Int == 6)
        #expect(pagination["total_pages"] as? Int == 3)
        #expect(pagination["has_next"] as? Bool == true)
        #expect(pagination["has_prev"] as? Bool == true)
        let emails = (page.json["data"] as? [[String: Any]])?.compactMap { $0["email"] as? String }
        #expect(emails == ["user2@example.com", "user1@example.com"])

        let supers = try await harness.send("GET", "/api/v1/users?is_superuser=true", token: root)
        #expect((supers.json["data"] as? [[String: Any]])?.count == 1)
        #expect(try await harness.send("GET", "/api/v1/users?limit=0", token: root).errorField == "limit")
        #expect(try await harness.send("GET", "/api/v1/users?sort_by=password", token: root).errorField == "sort_by")
        await harness.close()
    }

    @Test("GET and PATCH /users/{id}: self or a superuser; another user 403; unknown 404; not a UUID 422")
    func readAndEdit() async throws {
        let harness = try await HTTPHarness()
        let root = try await Self.superuserToken(harness)
        let ada = try await harness.signUp("ada@example.com")
        let bob = try await harness.signUp("bob@example.com")
        let adaToken = try #require(ada.json["access_token"] as? String)
        let adaID = try #require((ada.json["user"] as? [String: Any])?["id"] as? String)
        let bobID = try #require((bob.json["user"] as? [String: Any])?["id"] as? String)

        #expect(try await harness.send("GET", "/api/v1/users/\(adaID)", token: adaToken).status == 200)
        #expect(try await harness.send("GET", "/api/v1/users/\(bobID)", token: adaToken).errorCode == "AUTH_004")
        #expect(try await harness.send("GET", "/api/v1/users/\(bobID)", token: root).status == 200)
        #expect(try await harness.send("GET", "/api/v1/users/\(UUID().uuidString)", token: root).status == 404)
        #expect(try await harness.send("GET", "/api/v1/users/nope", token: root).errorCode == "VAL_005")

        let edited = try await harness.send(
            "PATCH", "/api/v1/users/\(bobID)", json: #"{"first_name":"Robert"}"#, token: root)
        #expect(edited.json["first_name"] as? String == "Robert")
        #expect(
            try await harness.send("PATCH", "/api/v1/users/\(bobID)", json: #"{"first_name":"X"}"#, token: adaToken)
                .status == 403)
        await harness.close()
    }

    @Test("DELETE /users/{id}: a superuser soft-deletes (tokens stop, login fails, the list hides it), never itself")
    func delete() async throws {
        let harness = try await HTTPHarness()
        let root = try await Self.superuserToken(harness)
        let rootID = try #require(await harness.auth.engine.user(email: "root@example.com")?.id.uuidString)
        let ada = try await harness.signUp("ada@example.com")
        let adaToken = try #require(ada.json["access_token"] as? String)
        let adaID = try #require((ada.json["user"] as? [String: Any])?["id"] as? String)

        #expect(try await harness.send("DELETE", "/api/v1/users/\(adaID)", token: adaToken).errorCode == "AUTH_004")
        #expect(try await harness.send("DELETE", "/api/v1/users/\(rootID)", token: root).errorCode == "AUTH_007")
        #expect(try await harness.send("DELETE", "/api/v1/users/\(adaID)", token: root).status == 200)
        #expect(try await harness.send("GET", "/api/v1/users/me", token: adaToken).status == 401)
        let login = try await harness.send(
            "POST", "/api/v1/auth/login",
            json: #"{"email":"ada@example.com","password":"\#(HTTPHarness.password)"}"#)
        #expect(login.status == 401)
        let list = try await harness.send("GET", "/api/v1/users", token: root)
        #expect((list.json["pagination"] as? [String: Any])?["total"] as? Int == 1)
        #expect(try await harness.send("DELETE", "/api/v1/users/\(adaID)", token: root).status == 404)
        await harness.close()
    }
}
