import FoundationEssentials

extension ShardState {
    /// Appends the state in canonical form — users, sessions, organizations, each sorted by id — so that two
    /// equal states encode to the same bytes (what the replay tests compare).
    public func encode(into writer: inout BinaryWriter) {
        writer.writeLength(users.count)
        for id in users.keys.sorted(by: Self.uuidOrder) { writer.write(users[id]!) }
        writer.writeLength(sessions.count)
        for id in sessions.keys.sorted(by: Self.uuidOrder) { writer.write(sessions[id]!) }
        writer.writeLength(organizations.count)
        for id in organizations.keys.sorted(by: Self.uuidOrder) { writer.write(organizations[id]!) }
    }

    /// Reads what `encode` wrote; snapshots of format 1 had no organizations.
    static func decodeEntities(from reader: inout BinaryReader, formatVersion: UInt8) throws(DecodingError)
        -> (users: [User], sessions: [Session], organizations: [Organization])
    {
        let userCount = try reader.readLength()
        var users: [User] = []
        users.reserveCapacity(min(userCount, 1 << 20))
        for _ in 0..<userCount { users.append(try reader.read(User.self)) }
        let sessionCount = try reader.readLength()
        var sessions: [Session] = []
        sessions.reserveCapacity(min(sessionCount, 1 << 20))
        for _ in 0..<sessionCount { sessions.append(try reader.read(Session.self)) }
        var organizations: [Organization] = []
        if formatVersion >= 2 {
            let organizationCount = try reader.readLength()
            organizations.reserveCapacity(min(organizationCount, 1 << 16))
            for _ in 0..<organizationCount { organizations.append(try reader.read(Organization.self)) }
        }
        return (users, sessions, organizations)
    }

    /// Adds a user as a snapshot had it (no record, no LSN).
    mutating func restore(user: User) {
        precondition(users[user.id] == nil, "user \(user.id) twice in a snapshot")
        users[user.id] = user
        userCounters.add(user)
    }

    /// Adds an organization as a snapshot had it.
    mutating func restore(organization: Organization) {
        precondition(organizations[organization.id] == nil, "organization \(organization.id) twice in a snapshot")
        organizations[organization.id] = organization
    }

    /// Adds a session as a snapshot had it; its user must be restored first.
    mutating func restore(session: Session) {
        precondition(users[session.userID] != nil, "session \(session.id) without its user in a snapshot")
        precondition(sessions[session.id] == nil, "session \(session.id) twice in a snapshot")
        sessions[session.id] = session
        insertOrdered(session)
    }

    static func uuidOrder(_ left: UUID, _ right: UUID) -> Bool {
        withUnsafeBytes(of: left.uuid) { a in
            withUnsafeBytes(of: right.uuid) { b in a.lexicographicallyPrecedes(b) }
        }
    }
}
