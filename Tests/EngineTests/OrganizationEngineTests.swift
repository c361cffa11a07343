import Engine
import Foundation
import Testing

@Suite("Organizations: owned by their shard, role rules decided there, indexes rebuilt on open")
struct OrganizationEngineTests {
    static func register(_ engine: Engine, _ name: String) async throws -> User {
        try await engine.register(NewUser(email: "\(name)@example.com", passwordHash: "h", firstName: name))
    }

    static func caller(_ user: User) -> OrganizationCaller { OrganizationCaller(userID: user.id, isSuperuser: false) }

    @Test("owners and admins manage members; only an owner touches the owner role; members and guests cannot")
    func roleRules() async throws {
        let harness = EngineHarness()
        defer { harness.remove() }
        let engine = try harness.open()
        let owner = try await Self.register(engine, "owner")
        let admin = try await Self.register(engine, "admin")
        let member = try await Self.register(engine, "member")
        let guest = try await Self.register(engine, "guest")
        let organization = try await engine.createOrganization(
            NewOrganization(name: "Acme", slug: "Acme"), ownerID: owner.id)
        #expect(organization.slug == "acme")
        #expect(organization.members[owner.id]?.role == .owner)

        _ = try await engine.addMember(admin.id, role: .admin, to: organization.id, by: Self.caller(owner))
        _ = try await engine.addMember(member.id, role: .member, to: organization.id, by: Self.caller(admin))
        await #expect(throws: EngineError(.insufficientRole, "only an owner may change the owner role")) {
            _ = try await engine.addMember(guest.id, role: .owner, to: organization.id, by: Self.caller(admin))
        }
        _ = try await engine.addMember(guest.id, role: .guest, to: organization.id, by: Self.caller(admin))
        for outsider in [member, guest] {
            await #expect(throws: EngineError.self) {
                try await engine.removeMember(admin.id, from: organization.id, by: Self.caller(outsider))
            }
        }
        await #expect(throws: EngineError.self) {
            _ = try await engine.addMember(guest.id, role: .member, to: organization.id, by: Self.caller(owner))
        }
        // An admin may not demote or remove an owner.
        await #expect(throws: EngineError.self) {
            _ = try await engine.changeMemberRole(owner.id, to: .member, in: organization.id, by: Self.caller(admin))
        }
        let promoted = try await engine.changeMemberRole(
            guest.id, to: .member, in: organization.id, by: Self.caller(admin))
        #expect(promoted.role == .member)
        #expect(await engine.organizations(of: guest.id).map(\.role) == [.member])
    }

    @Test("the last owner is neither demoted nor removed; with a second owner, either may go")
    func lastOwnerStays() async throws {
        let harness = EngineHarness()
        defer { harness.remove() }
        let engine = try harness.open()
        let first = try await Self.register(engine, "first")
        let second = try await Self.register(engine, "second")
        let organization = try await engine.createOrganization(
            NewOrganization(name: "Acme", slug: "acme"), ownerID: first.id)
        let superuser = OrganizationCaller(userID: UUID(), isSuperuser: true)
        for caller in [Self.caller(first), superuser] {
            await #expect(throws: EngineError(.lastOwner, "the last owner cannot be removed or demoted")) {
                _ = try await engine.changeMemberRole(first.id, to: .admin, in: organization.id, by: caller)
            }
            await #expect(throws: EngineError(.lastOwner, "the last owner cannot be removed or demoted")) {
                try await engine.removeMember(first.id, from: organization.id, by: caller)
            }
        }
        _ = try await engine.addMember(second.id, role: .owner, to: organization.id, by: Self.caller(first))
        try await engine.removeMember(first.id, from: organization.id, by: Self.caller(second))
        #expect(
            await engine.organization(id: organization.id)?.members.keys.sorted { $0.uuidString < $1.uuidString }
                == [second.id])
        #expect(await engine.organizations(of: first.id).isEmpty)
    }

    @Test("concurrent demotions of two owners leave one owner: the organization's shard decides both")
    func concurrentDemotions() async throws {
        let harness = EngineHarness()
        defer { harness.remove() }
        let engine = try harness.open()
        let first = try await Self.register(engine, "first")
        let second = try await Self.register(engine, "second")
        let organization = try await engine.createOrganization(
            NewOrganization(name: "Acme", slug: "acme"), ownerID: first.id)
        _ = try await engine.addMember(second.id, role: .owner, to: organization.id, by: Self.caller(first))
        async let a = try? engine.changeMemberRole(first.id, to: .member, in: organization.id, by: Self.caller(second))
        async let b = try? engine.changeMemberRole(second.id, to: .member, in: organization.id, by: Self.caller(first))
        _ = await (a, b)
        #expect(await engine.organization(id: organization.id)?.count(of: .owner) == 1)
    }

    @Test("slugs are unique; deleting an organization or changing its slug frees the old one, also after a restart")
    func slugs() async throws {
        let harness = EngineHarness()
        defer { harness.remove() }
        var engine = try harness.open()
        let owner = try await Self.register(engine, "owner")
        let acme = try await engine.createOrganization(NewOrganization(name: "Acme", slug: "acme"), ownerID: owner.id)
        await #expect(throws: EngineError(.slugTaken, "an organization with this slug exists")) {
            _ = try await engine.createOrganization(NewOrganization(name: "Other", slug: "ACME"), ownerID: owner.id)
        }
        _ = try await engine.updateOrganization(
            OrganizationUpdate(organizationID: acme.id, slug: "acme-2"),
            by: Self.caller(owner))
        let reused = try await engine.createOrganization(NewOrganization(name: "New", slug: "acme"), ownerID: nil)
        await engine.close()

        engine = try harness.open(seed: 2)
        await #expect(throws: EngineError.self) {
            _ = try await engine.createOrganization(NewOrganization(name: "X", slug: "acme-2"), ownerID: nil)
        }
        try await engine.deleteOrganization(reused.id)
        _ = try await engine.createOrganization(NewOrganization(name: "Again", slug: "acme"), ownerID: nil)
        #expect(await engine.organizations(of: owner.id).map(\.organization.slug) == ["acme-2"])
        await engine.close()
    }

    @Test("an update refused for its caller, naming the organization's own slug, leaves that slug taken")
    func refusedUpdateKeepsOwnSlug() async throws {
        let harness = EngineHarness()
        defer { harness.remove() }
        let engine = try harness.open()
        let owner = try await Self.register(engine, "owner")
        let stranger = try await Self.register(engine, "stranger")
        let acme = try await engine.createOrganization(NewOrganization(name: "Acme", slug: "acme"), ownerID: owner.id)
        await #expect(throws: EngineError.self) {
            _ = try await engine.updateOrganization(
                OrganizationUpdate(organizationID: acme.id, slug: "acme"),
                by: Self.caller(stranger))
        }
        await #expect(throws: EngineError(.slugTaken, "an organization with this slug exists")) {
            _ = try await engine.createOrganization(NewOrganization(name: "Copy", slug: "acme"), ownerID: stranger.id)
        }
        // A refused update naming a free slug gives it back.
        await #expect(throws: EngineError.self) {
            _ = try await engine.updateOrganization(
                OrganizationUpdate(organizationID: acme.id, slug: "free"),
                by: Self.caller(stranger))
        }
        _ = try await engine.createOrganization(NewOrganization(name: "Free", slug: "free"), ownerID: stranger.id)
        await engine.close()
    }

    @Test("deleting a user ends its memberships; after a crash between the two, open completes the removal")
    func deletionEndsMemberships() async throws {
        let harness = EngineHarness()
        defer { harness.remove() }
        var engine = try harness.open()
        let owner = try await Self.register(engine, "owner")
        let gone = try await Self.register(engine, "gone")
        let stays = try await Self.register(engine, "stays")
        let organization = try await engine.createOrganization(
            NewOrganization(name: "Acme", slug: "acme"), ownerID: owner.id)
        for user in [gone, stays] {
            _ = try await engine.addMember(user.id, role: .member, to: organization.id, by: Self.caller(owner))
        }
        try await engine.deleteUser(gone.id)
        #expect(await engine.organization(id: organization.id)?.members[gone.id] == nil)
        #expect(await engine.organizations(of: gone.id).isEmpty)

        // The crash: the deletion of `stays` reached the log, the removal of its membership did not.
        let record = EngineRecord.userDeleted(userID: stays.id, atMilliseconds: harness.clock.nowMilliseconds())
        try await engine.log.waitUntilDurable(
            try engine.log.enqueue(type: record.type.rawValue, payload: record.encoded()))
        await engine.close()

        engine = try harness.open(seed: 2)
        #expect(engine.startup.membershipsCompleted == 1)
        #expect(await engine.organization(id: organization.id)?.members.keys.contains(stays.id) == false)
        #expect(await engine.organizations(of: stays.id).isEmpty)
        let state = await engine.canonicalState()
        await engine.close()
        // The completion was logged: the next open has nothing left to do and finds the same state.
        engine = try harness.open(seed: 3)
        #expect(engine.startup.membershipsCompleted == 0)
        #expect(await engine.canonicalState() == state)
        await engine.close()
    }

    @Test("user counters follow registration, deactivation and deletion, and are rebuilt from a snapshot")
    func counters() async throws {
        let harness = EngineHarness()
        defer { harness.remove() }
        var engine = try harness.open()
        let today = UserCounters.day(ofMilliseconds: harness.clock.nowMilliseconds())
        let early = try await Self.register(engine, "early")
        harness.clock.advance(byMilliseconds: 2 * 86_400_000)
        let late = try await Self.register(engine, "late")
        let gone = try await Self.register(engine, "gone")
        _ = try await engine.setActive(userID: late.id, false)
        try await engine.deleteUser(gone.id)
        _ = early

        var counters = await engine.userCounters()
        #expect(counters.liveAndActive == (live: 2, active: 1))
        #expect(counters.registrations(days: 3, endingOn: today + 2).map(\.count) == [1, 0, 2])
        let growth = counters.growth(days: 3, endingOn: today + 2)
        #expect(growth.map(\.total) == [1, 1, 2])
        #expect(growth.map(\.active) == [1, 1, 1])
        _ = try await engine.checkpoint()
        await engine.close()

        engine = try harness.open(seed: 2)
        counters = await engine.userCounters()
        #expect(counters.liveAndActive == (live: 2, active: 1))
        #expect(counters.registrations(days: 3, endingOn: today + 2).map(\.count) == [1, 0, 2])
        await engine.close()
    }
}
