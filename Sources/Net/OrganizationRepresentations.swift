import Engine
import Foundation

/// `OrganizationResponse` of the contract; `role` (the caller's) only in `GET /organizations/me`.
struct OrganizationResponse: Encodable {
    let organization: Organization
    var role: OrganizationRole?

    enum CodingKeys: String, CodingKey {
        case id, name, slug, description, settings, isActive = "is_active", createdAt = "created_at"
        case updatedAt = "updated_at", memberCount = "member_count", role
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(organization.id.uuidString.lowercased(), forKey: .id)
        try container.encode(organization.name, forKey: .name)
        try container.encode(organization.slug, forKey: .slug)
        try container.encode(organization.description, forKey: .description)
        let settings = organization.settings.flatMap { try? JSONDecoder().decode(JSONValue.self, from: Data($0.utf8)) }
        try container.encode(settings, forKey: .settings)
        try container.encode(organization.isActive, forKey: .isActive)
        try container.encode(iso8601(milliseconds: organization.createdAtMilliseconds), forKey: .createdAt)
        try container.encode(iso8601(milliseconds: organization.updatedAtMilliseconds), forKey: .updatedAt)
        try container.encode(organization.members.count, forKey: .memberCount)
        try container.encodeIfPresent(role?.name, forKey: .role)
    }
}

/// One entry of a members list.
struct MemberResponse: Encodable {
    let membership: Membership
    let user: User

    enum CodingKeys: String, CodingKey {
        case userID = "user_id", email, firstName = "first_name", lastName = "last_name", role
        case isActive = "is_active", joinedAt = "joined_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(user.id.uuidString.lowercased(), forKey: .userID)
        try container.encode(user.email, forKey: .email)
        try container.encode(user.firstName, forKey: .firstName)
        try container.encode(user.lastName, forKey: .lastName)
        try container.encode(membership.role.name, forKey: .role)
        try container.encode(user.isActive, forKey: .isActive)
        try container.encode(iso8601(milliseconds: membership.joinedAtMilliseconds), forKey: .joinedAt)
    }
}

/// The body that creates an organization (`is_active` only through the admin API).
struct OrganizationCreateBody: Decodable {
    let name: String
    let slug: String
    let description: String?
    let settings: [String: JSONValue]?
    let isActive: Bool?

    enum CodingKeys: String, CodingKey { case name, slug, description, settings, isActive = "is_active" }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        slug = try container.decode(String.self, forKey: .slug)
        description = try container.decodeIfPresent(String.self, forKey: .description)
        settings = try container.decodeIfPresent([String: JSONValue].self, forKey: .settings)
        isActive = try container.decodeUnlessAbsent(Bool.self, forKey: .isActive)
    }

    func validated(allowingStatus: Bool) throws(APIError) -> NewOrganization {
        try OrganizationRules.check(name: name)
        try OrganizationRules.check(slug: slug)
        try OrganizationRules.check(description: description)
        if isActive != nil && !allowingStatus {
            throw APIError(.forbidden, "AUTH_004", "only an administrator sets the status here", field: "is_active")
        }
        let settingsText = try settings.map { object throws(APIError) in try OrganizationRules.settingsText(object) }
        return NewOrganization(
            name: name.trimmingSpaces(), slug: slug, description: description,
            settings: settingsText, isActive: isActive ?? true)
    }
}

/// The body of `PUT /organizations/{id}`: every field optional; `description` and `settings` may be null.
struct OrganizationUpdateBody: Decodable {
    var name: String?
    var slug: String?
    var description: Change<String> = .unchanged
    var settings: [String: JSONValue]??
    var isActive: Bool?

    enum CodingKeys: String, CodingKey { case name, slug, description, settings, isActive = "is_active" }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decodeUnlessAbsent(String.self, forKey: .name)
        slug = try container.decodeUnlessAbsent(String.self, forKey: .slug)
        if container.contains(.description) {
            description =
                try container.decodeNil(forKey: .description)
                ? .cleared : .set(try container.decode(String.self, forKey: .description))
        }
        if container.contains(.settings) {
            settings = .some(
                try container.decodeNil(forKey: .settings)
                    ? nil : try container.decode([String: JSONValue].self, forKey: .settings))
        }
        isActive = try container.decodeUnlessAbsent(Bool.self, forKey: .isActive)
    }

    /// The update; `is_active` is refused (403) unless `allowingStatus` (the admin API): an owner or admin
    /// must not undo a superuser's deactivation.
    func update(of id: UUID, allowingStatus: Bool) throws(APIError) -> OrganizationUpdate {
        if isActive != nil && !allowingStatus {
            throw APIError(.forbidden, "AUTH_004", "only an administrator sets the status here", field: "is_active")
        }
        if let name { try OrganizationRules.check(name: name) }
        if let slug { try OrganizationRules.check(slug: slug) }
        if case .set(let text) = description { try OrganizationRules.check(description: text) }
        let settingsChange: Change<String> =
            switch settings {
            case .none: .unchanged
            case .some(.none): .cleared
            case .some(.some(let object)): .set(try OrganizationRules.settingsText(object))
            }
        return OrganizationUpdate(
            organizationID: id, name: name?.trimmingSpaces(), slug: slug, description: description,
            settings: settingsChange, isActive: isActive)
    }
}

/// `{user_id, role}` to add a member; `role` defaults to member.
struct MemberAddBody: Decodable {
    let userID: String
    let role: String?
    enum CodingKeys: String, CodingKey { case userID = "user_id", role }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        userID = try container.decode(String.self, forKey: .userID)
        role = try container.decodeUnlessAbsent(String.self, forKey: .role)
    }
}

/// `{role}` to change a member's role.
struct MemberRoleBody: Decodable {
    let role: String
}

/// The input rules for organizations.
enum OrganizationRules {
    static func check(name: String) throws(APIError) {
        try Validation.checkText(name.trimmingSpaces(), field: "name", required: true, maxCharacters: 255)
    }

    /// Lower-case letters, digits and single hyphens between them, 2 to 100 characters.
    static func check(slug: String) throws(APIError) {
        let valid =
            (2...100).contains(slug.count) && !slug.hasPrefix("-") && !slug.hasSuffix("-")
            && !slug.contains("--")
            && slug.utf8.allSatisfy { (0x61...0x7a).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2d }
        guard valid else {
            throw APIError(
                .unprocessableEntity, "VAL_001",
                "slug: 2 to 100 lower-case letters, digits and single hyphens inside", field: "slug")
        }
    }

    static func check(description: String?) throws(APIError) {
        if let description {
            try Validation.checkText(
                description, field: "description", required: false, maxCharacters: 2000,
                multiline: true)
        }
    }

    static func settingsText(_ object: [String: JSONValue]) throws(APIError) -> String {
        let text = String(decoding: JSONBody.encode(object), as: UTF8.self)
        guard text.utf8.count <= 16 << 10 else {
            throw APIError(.unprocessableEntity, "VAL_001", "settings too large", field: "settings")
        }
        return text
    }

    static func role(_ name: String?) throws(APIError) -> OrganizationRole {
        guard let name else { return .member }
        guard let role = OrganizationRole(name: name) else {
            throw APIError(.unprocessableEntity, "VAL_001", "role is owner, admin, member or guest", field: "role")
        }
        return role
    }
}
