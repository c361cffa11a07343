package import FoundationEssentials

/// What a member may do in an organization, from most to least.
public enum OrganizationRole: UInt8, Sendable, Hashable, NamedCase, Comparable {
    case owner = 0
    case admin = 1
    case member = 2
    case guest = 3

    /// The name in the API.
    package var name: String {
        switch self {
        case .owner: "owner"
        case .admin: "admin"
        case .member: "member"
        case .guest: "guest"
        }
    }

    /// Owners and admins manage the organization and its members.
    package var manages: Bool { self <= .admin }

    /// Lower raw values rank higher: `owner < admin` reads "owner outranks admin".
    public static func < (left: Self, right: Self) -> Bool { left.rawValue < right.rawValue }
}

/// A user's place in an organization.
public struct Membership: Sendable, Hashable {
    package let userID: UUID
    package var role: OrganizationRole
    package let joinedAtMilliseconds: Int64

    package init(userID: UUID, role: OrganizationRole, joinedAtMilliseconds: Int64) {
        self.userID = userID
        self.role = role
        self.joinedAtMilliseconds = joinedAtMilliseconds
    }
}

/// An organization and its members, kept in the shard its id routes to. The organization's shard owns the
/// memberships, so every membership change — and the "last owner stays" rule — is decided in one actor; the
/// user → organizations view is an index the engine derives from the organizations (see `MembershipIndex`).
public struct Organization: Sendable, Hashable {
    package let id: UUID
    package var name: String
    /// Lower-case; unique among organizations.
    package var slug: String
    package var description: String?
    /// A JSON object, kept as its text.
    package var settings: String?
    package var isActive: Bool
    package let createdAtMilliseconds: Int64
    package var updatedAtMilliseconds: Int64
    package var members: [UUID: Membership]

    package init(
        id: UUID, name: String, slug: String, description: String?, settings: String?, isActive: Bool,
        createdAtMilliseconds: Int64, updatedAtMilliseconds: Int64, members: [UUID: Membership]
    ) {
        self.id = id
        self.name = name
        self.slug = slug
        self.description = description
        self.settings = settings
        self.isActive = isActive
        self.createdAtMilliseconds = createdAtMilliseconds
        self.updatedAtMilliseconds = updatedAtMilliseconds
        self.members = members
    }

    /// How many members hold `role`.
    package func count(of role: OrganizationRole) -> Int { members.values.count { $0.role == role } }

    /// Members ordered by the time they joined, then by id.
    package var membersByJoining: [Membership] {
        members.values.sorted {
            $0.joinedAtMilliseconds != $1.joinedAtMilliseconds
                ? $0.joinedAtMilliseconds < $1.joinedAtMilliseconds : ShardState.uuidOrder($0.userID, $1.userID)
        }
    }

    /// The form every slug is stored and compared in.
    package static func normalizedSlug(_ slug: String) -> String {
        String(slug.drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed()).lowercased()
    }
}

/// The fields of an organization update, each `.unchanged` or nil when left alone.
public struct OrganizationUpdate: Sendable, Hashable {
    package let organizationID: UUID
    package var name: String?
    package var slug: String?
    package var description: Change<String>
    package var settings: Change<String>
    package var isActive: Bool?
    package var atMilliseconds: Int64

    package init(
        organizationID: UUID, name: String? = nil, slug: String? = nil, description: Change<String> = .unchanged,
        settings: Change<String> = .unchanged, isActive: Bool? = nil, atMilliseconds: Int64 = 0
    ) {
        self.organizationID = organizationID
        self.name = name
        self.slug = slug
        self.description = description
        self.settings = settings
        self.isActive = isActive
        self.atMilliseconds = atMilliseconds
    }
}
