import Engine
import Foundation

/// `GET /api/v1/admin/sessions`: every session with its user, for superusers.
extension Endpoints {
    func addAdminSessionRoutes(to group: RouteGroup) {
        group.get("") { request, _ in
            let page = try PageRequest(
                request.query, sortable: ["created_at", "last_used_at", "expires_at"],
                defaultSort: "created_at")
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            var entries = await engine.allSessions()
            if let text = request.query["is_active"] {
                guard let wanted = Bool(text) else {
                    throw APIError(.unprocessableEntity, "VAL_001", "is_active is true or false", field: "is_active")
                }
                entries = entries.filter { AdminSessionResponse.isActive($0.session, $0.user, at: now) == wanted }
            }
            entries.sort { a, b in
                let key: (Session) -> Int64 =
                    switch page.sortBy {
                    case "last_used_at": { $0.lastUsedAtMilliseconds }
                    case "expires_at": { $0.expiresAtMilliseconds }
                    default: { $0.createdAtMilliseconds }
                    }
                let ordered = (key(a.session), a.session.id.uuidString) < (key(b.session), b.session.id.uuidString)
                return page.descending ? !ordered : ordered
            }
            let (slice, pagination) = page.slice(entries)
            let data = slice.map { AdminSessionResponse(session: $0.session, user: $0.user, nowMilliseconds: now) }
            return .json(.ok, JSONBody.encode(Page(data: data, pagination: pagination)))
        }
    }
}

/// One entry of `GET /admin/sessions`.
struct AdminSessionResponse: Encodable {
    let session: Session
    let user: User
    let nowMilliseconds: Int64

    enum CodingKeys: String, CodingKey {
        case id, userID = "user_id", userEmail = "user_email", userFullName = "user_full_name"
        case deviceName = "device_name", ipAddress = "ip_address", isActive = "is_active"
        case createdAt = "created_at", lastUsedAt = "last_used_at", expiresAt = "expires_at"
    }

    /// Usable now: not revoked, not expired, its user active and not deleted.
    static func isActive(_ session: Session, _ user: User, at now: Int64) -> Bool {
        session.isActive(at: now) && user.isActive && !user.isDeleted
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(session.id.uuidString.lowercased(), forKey: .id)
        try container.encode(user.id.uuidString.lowercased(), forKey: .userID)
        try container.encode(user.email, forKey: .userEmail)
        try container.encode(
            [user.firstName, user.lastName].compactMap { $0 }.joined(separator: " "), forKey: .userFullName)
        try container.encode(session.deviceName, forKey: .deviceName)
        try container.encode(session.ipAddress, forKey: .ipAddress)
        try container.encode(Self.isActive(session, user, at: nowMilliseconds), forKey: .isActive)
        try container.encode(iso8601(milliseconds: session.createdAtMilliseconds), forKey: .createdAt)
        try container.encode(iso8601(milliseconds: session.lastUsedAtMilliseconds), forKey: .lastUsedAt)
        try container.encode(iso8601(milliseconds: session.expiresAtMilliseconds), forKey: .expiresAt)
    }
}
