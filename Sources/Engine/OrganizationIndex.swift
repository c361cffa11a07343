import FoundationEssentials

/// What the engine derives from the organizations of every shard, so that no request scans them: the owner of
/// each slug, and each user's organizations. Never logged; rebuilt by `Engine.open` and kept up to date in the
/// same synchronous step in which the organization's shard applies a change (so an organization's state and
/// the index never disagree for longer than that step).
struct OrganizationIndex: Sendable {
    private(set) var slugs: [String: UUID] = [:]
    private(set) var organizationsByUser: [UUID: Set<UUID>] = [:]

    init(organizations: some Sequence<Organization>) {
        for organization in organizations { replace(nil, with: organization) }
    }

    /// What reserving a slug found.
    enum Reservation {
        /// The slug was free and is now held for the organization: release it if the change does not happen.
        case reserved
        /// The organization holds the slug already (it is its own): nothing to release, whatever happens.
        case alreadyHeld
        /// Another organization has it.
        case taken
    }

    /// Reserves `slug` for `organizationID`.
    mutating func reserve(slug: String, for organizationID: UUID) -> Reservation {
        if let owner = slugs[slug] { return owner == organizationID ? .alreadyHeld : .taken }
        slugs[slug] = organizationID
        return .reserved
    }

    /// Releases a reservation that did not become a change.
    mutating func release(slug: String, of organizationID: UUID) {
        if slugs[slug] == organizationID { slugs[slug] = nil }
    }

    /// Moves the index from an organization's state before a change to its state after (nil: not there).
    mutating func replace(_ before: Organization?, with after: Organization?) {
        if let before, before.slug != after?.slug { release(slug: before.slug, of: before.id) }
        if let after { slugs[after.slug] = after.id }
        let id = (before ?? after)?.id
        guard let id else { return }
        for userID in (before?.members ?? [:]).keys where after?.members[userID] == nil {
            organizationsByUser[userID]?.remove(id)
            if organizationsByUser[userID]?.isEmpty == true { organizationsByUser[userID] = nil }
        }
        for userID in (after?.members ?? [:]).keys where before?.members[userID] == nil {
            organizationsByUser[userID, default: []].insert(id)
        }
    }
}
