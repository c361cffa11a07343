import Foundation
import Testing

/// What the organization clients saw acknowledged. A membership whose change was sent but not answered is
/// unknown (the change may be durable with its answer lost) and is not checked, until the next change to it
/// is acknowledged.
actor AcknowledgedOrganizations {
    struct Key: Hashable {
        let organization: String
        let user: String
    }
    /// Organization id → its owner's email.
    var organizations: [String: String] = [:]
    /// The acknowledged role of each membership, nil once its removal was acknowledged.
    var memberships: [Key: String?] = [:]
    /// User id → email, for every acknowledged registration.
    var users: [String: String] = [:]
    /// Users whose deactivation was acknowledged.
    var deactivated: Set<String> = []
    /// Users whose deactivation was sent without an answer yet: active or not, nobody can say.
    var deactivating: Set<String> = []

    func user(_ id: String, _ email: String) { users[id] = email }
    func organization(_ id: String, owner: String) { organizations[id] = owner }
    func begin(_ key: Key) { memberships.removeValue(forKey: key) }
    func membership(_ key: Key, role: String?) { memberships[key] = .some(role) }
    func deactivating(_ id: String) { deactivating.insert(id) }
    func deactivate(_ id: String) {
        deactivating.remove(id)
        deactivated.insert(id)
    }
}

@Suite("Organizations and admin actions survive SIGKILL whole")
struct OrganizationCrashTests {
    static let password = "Correct-Horse-42"

    /// One client: registers an owner and a member, creates an organization, adds the member, promotes,
    /// sometimes removes it, and sometimes has the superuser deactivate the member.
    static func clientLoop(
        _ client: Client, id: Int, round: Int, root: String, acknowledged: AcknowledgedOrganizations,
        until deadline: Date
    ) async {
        var counter = 0
        while Date() < deadline {
            counter += 1
            var ids: [String] = []
            for role in ["o", "m"] {
                let email = "\(role)\(round)-\(id)-\(counter)@example.com"
                let (status, user) = await client.post(
                    "/api/v1/auth/register",
                    #"{"email":"\#(email)","password":"\#(password)","first_name":"C"}"#)
                guard status == 201, let userID = user["id"] as? String else { return }
                await acknowledged.user(userID, email)
                ids.append(userID)
            }
            guard let owner = await client.login("o\(round)-\(id)-\(counter)@example.com") else { return }
            let (created, organization) = await client.post(
                "/api/v1/organizations",
                #"{"name":"Org \#(round) \#(id) \#(counter)","slug":"o\#(round)-\#(id)-\#(counter)"}"#,
                token: owner)
            guard created == 201, let organizationID = organization["id"] as? String else { return }
            await acknowledged.organization(organizationID, owner: ids[0])
            let key = AcknowledgedOrganizations.Key(organization: organizationID, user: ids[1])
            let path = "/api/v1/organizations/\(organizationID)/members"
            await acknowledged.begin(key)
            guard await client.post(path, #"{"user_id":"\#(ids[1])","role":"member"}"#, token: owner).0 == 201 else {
                return
            }
            await acknowledged.membership(key, role: "member")
            await acknowledged.begin(key)
            guard await client.send("PATCH", path + "/\(ids[1])", #"{"role":"admin"}"#, token: owner).0 == 200 else {
                return
            }
            await acknowledged.membership(key, role: "admin")
            if counter % 2 == 0 {
                await acknowledged.begin(key)
                guard await client.send("DELETE", path + "/\(ids[1])", token: owner).0 == 200 else { return }
                await acknowledged.membership(key, role: nil)
            } else if counter % 3 == 0 {
                await acknowledged.deactivating(ids[1])
                guard await client.post("/api/v1/admin/users/\(ids[1])/deactivate", "", token: root).0 == 200 else {
                    return
                }
                await acknowledged.deactivate(ids[1])
            }
        }
    }

    /// Every acknowledged organization and membership holds, seen from the organization and from the user, and
    /// the two views agree for every user (no half of a membership survives alone).
    static func verify(_ client: Client, _ acknowledged: AcknowledgedOrganizations, round: Int) async throws {
        let root = try #require(await client.login("root@example.com"))
        var organizationsByUser: [String: Set<String>] = [:]
        var roles: [AcknowledgedOrganizations.Key: String] = [:]
        for (organizationID, ownerID) in await acknowledged.organizations {
            let (status, page) = await client.send(
                "GET", "/api/v1/admin/organizations/\(organizationID)/members?limit=100",
                token: root)
            #expect(status == 200, "round \(round): acknowledged organization \(organizationID) is gone")
            let members = ((page as? [String: Any])?["data"] as? [[String: Any]]) ?? []
            for member in members {
                guard let userID = member["user_id"] as? String else { continue }
                organizationsByUser[userID, default: []].insert(organizationID)
                roles[.init(organization: organizationID, user: userID)] = member["role"] as? String
            }
            #expect(roles[.init(organization: organizationID, user: ownerID)] == "owner")
        }
        let deactivated = await acknowledged.deactivated
        let uncertain = await acknowledged.deactivating
        for (key, role) in await acknowledged.memberships {
            #expect(roles[key] == role, "round \(round): membership \(key) should be \(role ?? "removed")")
        }
        for (userID, email) in await acknowledged.users where !uncertain.contains(userID) {
            if deactivated.contains(userID) {
                #expect(await client.login(email) == nil, "round \(round): an acknowledged deactivation was undone")
                continue
            }
            let token = try #require(await client.login(email), "round \(round): \(email) cannot log in")
            let (_, mine) = await client.send("GET", "/api/v1/organizations/me", token: token)
            let seen = Set(((mine as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String })
            let expected = organizationsByUser[userID] ?? []
            #expect(
                seen.intersection(Set(await acknowledged.organizations.keys)) == expected,
                "round \(round): the user's and the organizations' views of \(email) differ")
        }
    }

    @Test("killed while organizations and memberships change, it keeps every acknowledged change, and both views agree")
    func killRepeatedly() async throws {
        var template = Array("\(NSTemporaryDirectory())/tessera-orgcrash-XXXXXX".utf8CString)
        let directory = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let acknowledged = AcknowledgedOrganizations()
        var generator = SystemRandomNumberGenerator()
        for round in 0..<5 {
            let server = try ServerProcess(
                data: directory + "/data", outputPath: directory + "/serve-\(round).log", superuser: true)
            let client = Client(port: server.port)
            try await Self.verify(client, acknowledged, round: round)
            let root = try #require(await client.login("root@example.com"))
            let before = await acknowledged.organizations.count
            // The clients run until the kill ends their requests; the bound only stops a server that hangs.
            let until = Date().addingTimeInterval(180)
            let clients = Task {
                await withTaskGroup(of: Void.self) { group in
                    for id in 0..<6 {
                        group.addTask {
                            await Self.clientLoop(
                                client, id: id, round: round, root: root, acknowledged: acknowledged,
                                until: until)
                        }
                    }
                }
            }
            // The kill comes at a random moment once the round has made progress (three organizations
            // acknowledged), however slow a busy machine makes it.
            #expect(
                await eventually(seconds: 120) { await acknowledged.organizations.count >= before + 3 },
                "round \(round) made no progress")
            try await Task.sleep(for: .milliseconds(Int.random(in: 50...400, using: &generator)))
            server.kill9()
            await clients.value
        }
        let server = try ServerProcess(
            data: directory + "/data", outputPath: directory + "/serve-final.log", superuser: true)
        try await Self.verify(Client(port: server.port), acknowledged, round: 5)
        #expect(
            await acknowledged.organizations.count >= 15,
            "each round should have acknowledged three organizations at least")
        server.kill9()
    }
}
