package import FoundationEssentials
import WAL

/// What creating an organization needs.
package struct NewOrganization: Sendable {
    package var name: String
    package var slug: String
    package var description: String?
    /// A JSON object, as text.
    package var settings: String?
    package var isActive: Bool

    package init(name: String, slug: String, description: String? = nil, settings: String? = nil, isActive: Bool = true)
    {
        self.name = name
        self.slug = slug
        self.description = description
        self.settings = settings
        self.isActive = isActive
    }
}

/// Who asks for an organization change: a superuser may do anything an owner may; anyone else acts with the
/// role they hold in the organization.
package struct OrganizationCaller: Sendable, Hashable {
    package let userID: UUID
    package let isSuperuser: Bool

    package init(userID: UUID, isSuperuser: Bool) {
        self.userID = userID
        self.isSuperuser = isSuperuser
    }

    /// The role the caller acts with in `organization`, nil when none.
    func role(in organization: Organization) -> OrganizationRole? {
        isSuperuser ? .owner : organization.members[userID]?.role
    }
}

extension Engine {
    /// Creates an organization; `ownerID`, when given, becomes its first owner (it must be a user that is not
    /// deleted). A slug another organization has fails with `slugTaken`.
    package func createOrganization(_ new: NewOrganization, ownerID: UUID?) async throws(EngineError) -> Organization {
        if let ownerID { try await requireLiveUser(ownerID) }
        let id = newID()
        let slug = Organization.normalizedSlug(new.slug)
        guard organizationIndex.withLock({ $0.reserve(slug: slug, for: id) }) == .reserved else {
            throw EngineError(.slugTaken, "an organization with this slug exists")
        }
        let now = clock.nowMilliseconds()
        let members = ownerID.map { [$0: Membership(userID: $0, role: .owner, joinedAtMilliseconds: now)] } ?? [:]
        let organization = Organization(
            id: id, name: new.name, slug: slug, description: new.description,
            settings: new.settings, isActive: new.isActive, createdAtMilliseconds: now,
            updatedAtMilliseconds: now, members: members)
        do {
            return try await commit(on: id) { _ throws(EngineError) in
                (EngineRecord.organizationCreated(organization), ())
            } then: { state, _ in
                self.organizationIndex.withLock { $0.replace(nil, with: state.organizations[id]) }
                return state.organizations[id]!
            }
        } catch {
            organizationIndex.withLock { $0.release(slug: slug, of: id) }
            throw error
        }
    }

    /// Changes an organization's fields; the caller must be an owner or admin of it (or a superuser).
    package func updateOrganization(
        _ update: OrganizationUpdate, by caller: OrganizationCaller
    )
        async throws(EngineError) -> Organization
    {
        var update = update
        update.atMilliseconds = clock.nowMilliseconds()
        update.slug = update.slug.map(Organization.normalizedSlug)
        let id = update.organizationID
        // Only a slug this update newly reserved is given back when it fails: the organization's own slug stays
        // its own whatever happens to the update.
        var reservedSlug: String?
        if let slug = update.slug {
            switch organizationIndex.withLock({ $0.reserve(slug: slug, for: id) }) {
            case .reserved: reservedSlug = slug
            case .alreadyHeld: break
            case .taken: throw EngineError(.slugTaken, "an organization with this slug exists")
            }
        }
        do {
            return try await changeOrganization(id) { [update] organization throws(EngineError) in
                try Self.require(caller, managing: organization)
                return .organizationUpdated(update)
            }!
        } catch {
            if let reservedSlug { organizationIndex.withLock { $0.release(slug: reservedSlug, of: id) } }
            throw error
        }
    }

    /// Deletes an organization and its memberships.
    package func deleteOrganization(_ id: UUID) async throws(EngineError) {
        let now = clock.nowMilliseconds()
        _ = try await changeOrganization(id) { _ throws(EngineError) in
            .organizationDeleted(organizationID: id, atMilliseconds: now)
        }
    }

    /// The organization with this id.
    package func organization(id: UUID) async -> Organization? {
        await shard(of: id).read { $0.organizations[id] }
    }

    /// The organizations `userID` belongs to, with the role held in each, by name.
    package func organizations(of userID: UUID) async -> [(organization: Organization, role: OrganizationRole)] {
        let ids = organizationIndex.withLock { $0.organizationsByUser[userID] ?? [] }
        var found: [(organization: Organization, role: OrganizationRole)] = []
        for id in ids {
            guard let organization = await organization(id: id), let membership = organization.members[userID] else {
                continue
            }
            found.append((organization, membership.role))
        }
        return found.sorted { $0.organization.name < $1.organization.name }
    }

    /// Every organization, one read per shard (an operator's listing).
    package func allOrganizations() async -> [Organization] {
        var organizations: [Organization] = []
        for shard in shards { organizations += await shard.read { Array($0.organizations.values) } }
        return organizations
    }
}

extension Engine {
    /// Adds a user that is not deleted to an organization. Owners and admins add members; only an owner
    /// grants the owner role.
    package func addMember(
        _ userID: UUID, role: OrganizationRole, to organizationID: UUID, by caller: OrganizationCaller
    )
        async throws(EngineError) -> Membership
    {
        try await requireLiveUser(userID)
        let now = clock.nowMilliseconds()
        let membership = try await changeOrganization(organizationID) { organization throws(EngineError) in
            let callerRole = try Self.require(caller, managing: organization)
            if role == .owner && callerRole != .owner { throw Self.ownersOnly }
            guard organization.members[userID] == nil else {
                throw EngineError(.alreadyMember, "the user is a member already")
            }
            return .memberAdded(
                organizationID: organizationID,
                membership: Membership(userID: userID, role: role, joinedAtMilliseconds: now))
        }?.members[userID]
        // A deletion that ran while this was being added has already removed the user's memberships; this one
        // would outlive it, so it goes too (and, after a crash before that, `open` removes it).
        if await user(id: userID)?.isDeleted != false {
            try await removeMemberships(of: userID)
            throw EngineError(.userNotFound, "no such user")
        }
        return membership!
    }

    /// Changes a member's role. Owners and admins change roles; only an owner touches the owner role; the last
    /// owner is never demoted.
    package func changeMemberRole(
        _ userID: UUID, to role: OrganizationRole, in organizationID: UUID,
        by caller: OrganizationCaller
    ) async throws(EngineError) -> Membership {
        let now = clock.nowMilliseconds()
        let organization = try await changeOrganization(organizationID) { organization throws(EngineError) in
            let callerRole = try Self.require(caller, managing: organization)
            guard let current = organization.members[userID] else { throw Self.notAMember }
            if (role == .owner || current.role == .owner) && callerRole != .owner { throw Self.ownersOnly }
            if current.role == .owner && role != .owner && organization.count(of: .owner) == 1 { throw Self.lastOwner }
            guard current.role != role else { return nil }
            return .memberRoleChanged(organizationID: organizationID, userID: userID, role: role, atMilliseconds: now)
        }
        return organization!.members[userID]!
    }

    /// Removes a member. Owners and admins remove members; only an owner removes an owner; the last owner stays.
    package func removeMember(
        _ userID: UUID, from organizationID: UUID, by caller: OrganizationCaller
    )
        async throws(EngineError)
    {
        let now = clock.nowMilliseconds()
        _ = try await changeOrganization(organizationID) { organization throws(EngineError) in
            let callerRole = try Self.require(caller, managing: organization)
            guard let current = organization.members[userID] else { throw Self.notAMember }
            if current.role == .owner && callerRole != .owner { throw Self.ownersOnly }
            if current.role == .owner && organization.count(of: .owner) == 1 { throw Self.lastOwner }
            return .memberRemoved(organizationID: organizationID, userID: userID, atMilliseconds: now)
        }
    }

    /// Ends every membership of a deleted user — the second half of a user's deletion, which `open` completes
    /// when a crash came between the two.
    func removeMemberships(of userID: UUID) async throws(EngineError) {
        let ids = organizationIndex.withLock { $0.organizationsByUser[userID] ?? [] }
        for id in ids {
            let now = clock.nowMilliseconds()
            do {
                _ = try await changeOrganization(id) { organization throws(EngineError) in
                    organization.members[userID] == nil
                        ? nil : .memberRemoved(organizationID: id, userID: userID, atMilliseconds: now)
                }
            } catch  where error.code == .organizationNotFound {
                continue
            }
        }
    }

    /// Removes, before the shards start, memberships whose user is deleted: what a crash between a user's
    /// deletion and the removal of its memberships left. Returns how many.
    static func completeMembershipRemovals(
        in states: inout [ShardState], routing: ShardRouting, log: WriteAheadLog,
        clock: any EngineClock
    ) throws(EngineError) -> Int {
        var orphans: [(organizationID: UUID, userID: UUID)] = []
        for state in states {
            for organization in state.organizations.values {
                for userID in organization.members.keys {
                    let user = states[routing.shard(of: userID)].users[userID]
                    if user?.isDeleted != false { orphans.append((organization.id, userID)) }
                }
            }
        }
        for orphan in orphans {
            let record = EngineRecord.memberRemoved(
                organizationID: orphan.organizationID, userID: orphan.userID,
                atMilliseconds: clock.nowMilliseconds())
            let lsn: LSN
            do { lsn = try log.enqueue(type: record.type.rawValue, payload: record.encoded()) } catch {
                throw EngineError(.logUnavailable, "the log cannot be written: \(error.message)")
            }
            states[routing.shard(of: orphan.organizationID)].apply(record, lsn: lsn)
        }
        return orphans.count
    }
}

extension Engine {
    static let ownersOnly = EngineError(.insufficientRole, "only an owner may change the owner role")
    static let notAMember = EngineError(.notMember, "the user is not a member of this organization")
    static let lastOwner = EngineError(.lastOwner, "the last owner cannot be removed or demoted")

    /// The caller's role, when it lets the caller manage the organization.
    @discardableResult
    static func require(
        _ caller: OrganizationCaller, managing organization: Organization
    )
        throws(EngineError) -> OrganizationRole
    {
        guard let role = caller.role(in: organization), role.manages else {
            throw EngineError(.insufficientRole, "only an owner or admin of the organization may do this")
        }
        return role
    }

    private func requireLiveUser(_ userID: UUID) async throws(EngineError) {
        guard let user = await user(id: userID), !user.isDeleted else {
            throw EngineError(.userNotFound, "no such user")
        }
    }

    /// Runs a change to an existing organization on its shard, keeps the index in step in the same actor step,
    /// waits for durability and returns the organization as the change left it (nil once deleted). A `plan`
    /// that returns nil changes nothing.
    private func changeOrganization(
        _ id: UUID, _ plan: @escaping @Sendable (Organization) throws(EngineError) -> EngineRecord?
    ) async throws(EngineError) -> Organization? {
        try await commit(on: id) { state throws(EngineError) -> (record: EngineRecord?, result: Organization) in
            guard let organization = state.organizations[id] else {
                throw EngineError(.organizationNotFound, "no such organization")
            }
            return (try plan(organization), organization)
        } then: { state, before in
            let after = state.organizations[id]
            if after != before { self.organizationIndex.withLock { $0.replace(before, with: after) } }
            return after
        }
    }
}
