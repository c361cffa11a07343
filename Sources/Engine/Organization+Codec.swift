import FoundationEssentials

extension BinaryWriter {
    mutating func write(_ organization: Organization) {
        write(organization.id)
        write(organization.name)
        write(organization.slug)
        write(organization.description)
        write(organization.settings)
        write(organization.isActive)
        write(organization.createdAtMilliseconds)
        write(organization.updatedAtMilliseconds)
        writeLength(organization.members.count)
        for membership in organization.membersByJoining { write(membership) }
    }

    mutating func write(_ membership: Membership) {
        write(membership.userID)
        write(membership.role.rawValue)
        write(membership.joinedAtMilliseconds)
    }
}

extension BinaryReader {
    mutating func read(_: Organization.Type) throws(RecordDecodingError) -> Organization {
        var organization = Organization(
            id: try read(UUID.self), name: try read(String.self), slug: try read(String.self),
            description: try readOptional(String.self), settings: try readOptional(String.self),
            isActive: try read(Bool.self), createdAtMilliseconds: try read(Int64.self),
            updatedAtMilliseconds: try read(Int64.self), members: [:])
        let count = try readLength()
        for _ in 0..<count {
            let membership = try read(Membership.self)
            guard organization.members.updateValue(membership, forKey: membership.userID) == nil else {
                throw RecordDecodingError("member \(membership.userID) twice in organization \(organization.id)")
            }
        }
        return organization
    }

    mutating func read(_: Membership.Type) throws(RecordDecodingError) -> Membership {
        Membership(
            userID: try read(UUID.self), role: try read(OrganizationRole.self),
            joinedAtMilliseconds: try read(Int64.self))
    }

    mutating func read(_: OrganizationRole.Type) throws(RecordDecodingError) -> OrganizationRole {
        let raw = try read(UInt8.self)
        guard let role = OrganizationRole(rawValue: raw) else { throw RecordDecodingError("invalid role \(raw)") }
        return role
    }
}
