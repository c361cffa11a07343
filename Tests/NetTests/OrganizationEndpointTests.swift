import Foundation
import Testing

/// A signed-up user as the tests use it.
struct TestUser {
    let id: String
    let token: String

    static func signUp(_ harness: HTTPHarness, _ name: String) async throws -> TestUser {
        let login = try await harness.signUp("\(name)@example.com")
        return TestUser(
            id: try #require((login.json["user"] as? [String: Any])?["id"] as? String),
            token: try #require(login.json["access_token"] as? String))
    }
}

extension HTTPHarness.Answer {
    var array: [[String: Any]] { (try? JSONSerialization.jsonObject(with: body)) as? [[String: Any]] ?? [] }
    var data: [[String: Any]] { json["data"] as? [[String: Any]] ?? [] }
}

@Suite("Organizations over HTTP: roles owner, admin, member, guest; outsiders, anonymous and superusers")
struct OrganizationEndpointTests {
    /// An organization owned by `owner`, with an admin, a member and a guest; returns its id.
    static func organization(
        _ harness: HTTPHarness, owner: TestUser, admin: TestUser, member: TestUser,
        guest: TestUser
    ) async throws -> String {
        let created = try await harness.send(
            "POST", "/api/v1/organizations",
            json:
                #"{"name":"Acme","slug":"acme","description":"widgets","settings":{"plan":"pro"}}"#, token: owner.token)
        #expect(created.status == 201)
        #expect(created.json["role"] as? String == "owner")
        #expect(created.json["member_count"] as? Int == 1)
        #expect((created.json["settings"] as? [String: Any])?["plan"] as? String == "pro")
        let id = try #require(created.json["id"] as? String)
        for (user, role) in [(admin, "admin"), (member, "member"), (guest, "guest")] {
            let added = try await harness.send(
                "POST", "/api/v1/organizations/\(id)/members",
                json: #"{"user_id":"\#(user.id)","role":"\#(role)"}"#, token: owner.token)
            #expect(added.status == 201)
            #expect(added.json["role"] as? String == role)
        }
        return id
    }

    /// An owner, an admin, a member, a guest, and an outsider, signed up.
    static func cast(
        _ harness: HTTPHarness
    ) async throws
        -> (owner: TestUser, admin: TestUser, member: TestUser, guest: TestUser, outsider: TestUser)
    {
        (
            try await TestUser.signUp(harness, "owner"), try await TestUser.signUp(harness, "admin"),
            try await TestUser.signUp(harness, "member"), try await TestUser.signUp(harness, "guest"),
            try await TestUser.signUp(harness, "outsider")
        )
    }

    @Test(
        "create, list mine with role and member count, read as member; outsiders 403, anonymous 401, bad slugs 422/409")
    func createAndRead() async throws {
        let harness = try await HTTPHarness()
        let (owner, admin, member, guest, outsider) = try await Self.cast(harness)
        let id = try await Self.organization(harness, owner: owner, admin: admin, member: member, guest: guest)

        let mine = try await harness.send("GET", "/api/v1/organizations/me", token: guest.token)
        #expect(mine.array.map { $0["slug"] as? String } == ["acme"])
        #expect(mine.array.first?["role"] as? String == "guest")
        #expect(mine.array.first?["member_count"] as? Int == 4)
        #expect(try await harness.send("GET", "/api/v1/organizations/me", token: outsider.token).array.isEmpty)

        for user in [owner, admin, member, guest] {
            #expect(try await harness.send("GET", "/api/v1/organizations/\(id)", token: user.token).status == 200)
            let members = try await harness.send(
                "GET", "/api/v1/organizations/\(id)/members?limit=2&page=2", token: user.token)
            #expect(members.data.map { $0["role"] as? String } == ["member", "guest"])
            #expect((members.json["pagination"] as? [String: Any])?["total"] as? Int == 4)
        }
        let outsiderRead = try await harness.send("GET", "/api/v1/organizations/\(id)", token: outsider.token)
        #expect(outsiderRead.status == 403)
        #expect(outsiderRead.errorCode == "AUTH_004")
        #expect(
            try await harness.send("GET", "/api/v1/organizations/\(id)/members", token: outsider.token).status == 403)
        let anonymous = try await harness.send("GET", "/api/v1/organizations/\(id)")
        #expect(anonymous.status == 401)
        #expect(anonymous.errorCode == "AUTH_006")
        #expect(
            try await harness.send("GET", "/api/v1/organizations/\(UUID().uuidString)", token: owner.token).status
                == 404)
        let badID = try await harness.send("GET", "/api/v1/organizations/not-a-uuid", token: owner.token)
        #expect(badID.status == 422)
        #expect(badID.errorCode == "VAL_005")

        let taken = try await harness.send(
            "POST", "/api/v1/organizations", json: #"{"name":"Other","slug":"acme"}"#,
            token: outsider.token)
        #expect(taken.status == 409)
        #expect(taken.errorCode == "SYS_005")
        #expect(taken.errorField == "slug")
        for slug in ["Acme Corp", "-acme", "a", "acme--x"] {
            let invalid = try await harness.send(
                "POST", "/api/v1/organizations", json: #"{"name":"X","slug":"\#(slug)"}"#,
                token: outsider.token)
            #expect(invalid.status == 422)
            #expect(invalid.errorField == "slug")
        }
        #expect(
            try await harness.send(
                "POST", "/api/v1/organizations", json: #"{"name":"X","slug":"x1","is_active":false}"#,
                token: outsider.token
            ).status == 403)
        await harness.close()
    }

    @Test("owners and admins update and manage members; members, guests and outsiders cannot; the last owner stays")
    func manage() async throws {
        let harness = try await HTTPHarness()
        let (owner, admin, member, guest, outsider) = try await Self.cast(harness)
        let id = try await Self.organization(harness, owner: owner, admin: admin, member: member, guest: guest)
        let path = "/api/v1/organizations/\(id)"

        for user in [member, guest, outsider] {
            let update = try await harness.send("PUT", path, json: #"{"name":"Mine"}"#, token: user.token)
            #expect(update.status == 403)
            let add = try await harness.send(
                "POST", path + "/members", json: #"{"user_id":"\#(outsider.id)"}"#,
                token: user.token)
            #expect(add.status == 403)
            #expect(try await harness.send("DELETE", path + "/members/\(guest.id)", token: user.token).status == 403)
        }
        let renamed = try await harness.send(
            "PUT", path, json: #"{"name":"Acme Ltd","description":null,"settings":null}"#,
            token: admin.token)
        #expect(renamed.status == 200)
        #expect(renamed.json["name"] as? String == "Acme Ltd")
        #expect(renamed.json["description"] is NSNull)

        // An admin cannot hand out or take away the owner role.
        let grant = try await harness.send(
            "PATCH", path + "/members/\(member.id)", json: #"{"role":"owner"}"#, token: admin.token)
        #expect(grant.status == 403)
        #expect(try await harness.send("DELETE", path + "/members/\(owner.id)", token: admin.token).status == 403)
        let demoted = try await harness.send(
            "PATCH", path + "/members/\(member.id)", json: #"{"role":"guest"}"#, token: admin.token)
        #expect(demoted.json["role"] as? String == "guest")
        #expect(try await harness.send("DELETE", path + "/members/\(guest.id)", token: admin.token).status == 200)
        #expect(try await harness.send("GET", path, token: guest.token).status == 403)

        let lastOwner = try await harness.send(
            "PATCH", path + "/members/\(owner.id)", json: #"{"role":"admin"}"#, token: owner.token)
        #expect(lastOwner.status == 403)
        #expect(lastOwner.errorCode == "AUTH_007")
        #expect(
            try await harness.send("DELETE", path + "/members/\(owner.id)", token: owner.token).errorCode == "AUTH_007")
        #expect(
            try await harness.send(
                "PATCH", path + "/members/\(admin.id)", json: #"{"role":"owner"}"#,
                token: owner.token
            ).status == 200)
        #expect(try await harness.send("DELETE", path + "/members/\(owner.id)", token: admin.token).status == 200)

        let duplicate = try await harness.send(
            "POST", path + "/members", json: #"{"user_id":"\#(member.id)"}"#, token: admin.token)
        #expect(duplicate.status == 409)
        let unknown = try await harness.send(
            "POST", path + "/members", json: #"{"user_id":"\#(UUID().uuidString)"}"#,
            token: admin.token)
        #expect(unknown.status == 404)
        #expect(unknown.errorCode == "USER_001")
        let badRole = try await harness.send(
            "POST", path + "/members", json: #"{"user_id":"\#(outsider.id)","role":"king"}"#,
            token: admin.token)
        #expect(badRole.status == 422)
        #expect(badRole.errorField == "role")
        let notMember = try await harness.send(
            "PATCH", path + "/members/\(outsider.id)", json: #"{"role":"guest"}"#,
            token: admin.token)
        #expect(notMember.status == 404)

        // A superuser acts as an owner through the same routes.
        let root = try await UserEndpointTests.superuserToken(harness)
        #expect(
            try await harness.send("PUT", path, json: #"{"slug":"acme-ltd"}"#, token: root).json["slug"] as? String
                == "acme-ltd")
        await harness.close()
    }

    @Test("an outsider's refused update naming the organization's own slug leaves the slug taken")
    func refusedUpdateKeepsSlug() async throws {
        let harness = try await HTTPHarness()
        let (owner, admin, member, guest, outsider) = try await Self.cast(harness)
        let id = try await Self.organization(harness, owner: owner, admin: admin, member: member, guest: guest)
        let refused = try await harness.send(
            "PUT", "/api/v1/organizations/\(id)", json: #"{"slug":"acme"}"#,
            token: outsider.token)
        #expect(refused.status == 403)
        let copy = try await harness.send(
            "POST", "/api/v1/organizations", json: #"{"name":"Copy","slug":"acme"}"#,
            token: outsider.token)
        #expect(copy.status == 409, "a second organization got the slug acme")
        #expect(copy.errorCode == "SYS_005")
        await harness.close()
    }

    @Test("owners and admins cannot set is_active through PUT /organizations/{id}; the admin route can")
    func statusOnlyThroughAdmin() async throws {
        let harness = try await HTTPHarness()
        let root = try await UserEndpointTests.superuserToken(harness)
        let (owner, admin, member, guest, _) = try await Self.cast(harness)
        let id = try await Self.organization(harness, owner: owner, admin: admin, member: member, guest: guest)
        #expect(
            try await harness.send(
                "PUT", "/api/v1/admin/organizations/\(id)", json: #"{"is_active":false}"#,
                token: root
            ).json["is_active"] as? Bool == false)
        for user in [owner, admin] {
            let undo = try await harness.send(
                "PUT", "/api/v1/organizations/\(id)", json: #"{"is_active":true}"#, token: user.token)
            #expect(undo.status == 403, "an owner or admin undid the deactivation")
            #expect(undo.errorCode == "AUTH_004")
            #expect(undo.errorField == "is_active")
        }
        #expect(
            try await harness.send("GET", "/api/v1/admin/organizations/\(id)", token: root).json["is_active"] as? Bool
                == false)
        await harness.close()
    }

    @Test("admin organizations: list with search and member counts, create, update, delete, members; users 403")
    func admin() async throws {
        let harness = try await HTTPHarness()
        let root = try await UserEndpointTests.superuserToken(harness)
        let ada = try await TestUser.signUp(harness, "ada")
        #expect(try await harness.send("GET", "/api/v1/admin/organizations", token: ada.token).status == 403)
        var ids: [String] = []
        for (name, slug) in [("Blue Team", "blue"), ("Red Team", "red"), ("Green", "green")] {
            let created = try await harness.send(
                "POST", "/api/v1/admin/organizations",
                json: #"{"name":"\#(name)","slug":"\#(slug)","is_active":true}"#, token: root)
            #expect(created.status == 201)
            #expect(created.json["member_count"] as? Int == 0)
            ids.append(try #require(created.json["id"] as? String))
        }
        let added = try await harness.send(
            "POST", "/api/v1/admin/organizations/\(ids[1])/members",
            json: #"{"user_id":"\#(ada.id)","role":"owner"}"#, token: root)
        #expect(added.status == 201)
        let teams = try await harness.send(
            "GET", "/api/v1/admin/organizations?search=TEAM&sort_by=member_count&sort_order=desc",
            token: root)
        #expect(teams.data.map { $0["slug"] as? String } == ["red", "blue"])
        #expect(teams.data.map { $0["member_count"] as? Int } == [1, 0])

        let updated = try await harness.send(
            "PUT", "/api/v1/admin/organizations/\(ids[2])",
            json: #"{"is_active":false,"slug":"red"}"#, token: root)
        #expect(updated.status == 409)
        #expect(
            try await harness.send(
                "PUT", "/api/v1/admin/organizations/\(ids[2])", json: #"{"is_active":false}"#,
                token: root
            ).json["is_active"] as? Bool == false)
        let members = try await harness.send("GET", "/api/v1/admin/organizations/\(ids[1])/members", token: root)
        #expect(members.data.map { $0["user_id"] as? String } == [ada.id])
        #expect(members.data.first?["email"] as? String == "ada@example.com")
        // The last owner stays, for superusers too; deleting the organization is the way out.
        #expect(
            try await harness.send(
                "DELETE", "/api/v1/admin/organizations/\(ids[1])/members/\(ada.id)",
                token: root
            ).status == 403)
        #expect(try await harness.send("DELETE", "/api/v1/admin/organizations/\(ids[1])", token: root).status == 200)
        #expect(try await harness.send("GET", "/api/v1/admin/organizations/\(ids[1])", token: root).status == 404)
        #expect(try await harness.send("GET", "/api/v1/organizations/me", token: ada.token).array.isEmpty)
        let reused = try await harness.send(
            "POST", "/api/v1/organizations", json: #"{"name":"Red","slug":"red"}"#,
            token: ada.token)
        #expect(reused.status == 201)
        await harness.close()
    }

    @Test("deleting a user removes it from its organizations' members and counts")
    func userDeletion() async throws {
        let harness = try await HTTPHarness()
        let root = try await UserEndpointTests.superuserToken(harness)
        let owner = try await TestUser.signUp(harness, "owner")
        let member = try await TestUser.signUp(harness, "member")
        let created = try await harness.send(
            "POST", "/api/v1/organizations", json: #"{"name":"Acme","slug":"acme"}"#,
            token: owner.token)
        let id = try #require(created.json["id"] as? String)
        _ = try await harness.send(
            "POST", "/api/v1/organizations/\(id)/members", json: #"{"user_id":"\#(member.id)"}"#,
            token: owner.token)
        #expect(try await harness.send("DELETE", "/api/v1/users/\(member.id)", token: root).status == 200)
        let organization = try await harness.send("GET", "/api/v1/organizations/\(id)", token: owner.token)
        #expect(organization.json["member_count"] as? Int == 1)
        await harness.close()
    }

    @Test("admin stats: growth over 30 days, registrations over 14, status, largest organizations; users 403")
    func stats() async throws {
        let harness = try await HTTPHarness()
        let root = try await UserEndpointTests.superuserToken(harness)
        let ada = try await TestUser.signUp(harness, "ada")
        let bob = try await TestUser.signUp(harness, "bob")
        #expect(try await harness.send("GET", "/api/v1/admin/stats", token: ada.token).status == 403)
        #expect(try await harness.send("POST", "/api/v1/admin/users/\(bob.id)/deactivate", token: root).status == 200)
        _ = try await harness.send(
            "POST", "/api/v1/organizations", json: #"{"name":"Acme","slug":"acme"}"#, token: ada.token)

        let stats = try await harness.send("GET", "/api/v1/admin/stats", token: root)
        #expect(stats.status == 200)
        let growth = try #require(stats.json["user_growth"] as? [[String: Any]])
        #expect(growth.count == 30)
        #expect(growth.last?["total_users"] as? Int == 3)
        #expect(growth.last?["active_users"] as? Int == 2)
        let today = String(ISO8601DateFormatter().string(from: Date()).prefix(10))
        #expect(growth.last?["date"] as? String == today)
        let registrations = try #require(stats.json["registration_activity"] as? [[String: Any]])
        #expect(registrations.count == 14)
        #expect(registrations.last?["registrations"] as? Int == 3)
        let status = try #require(stats.json["user_status"] as? [[String: Any]])
        #expect(status.map { $0["value"] as? Int } == [2, 1])
        let distribution = try #require(stats.json["organization_distribution"] as? [[String: Any]])
        #expect(distribution.map { $0["name"] as? String } == ["Acme"])
        #expect(distribution.first?["value"] as? Int == 1)
        await harness.close()
    }
}
