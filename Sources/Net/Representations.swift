import Auth
import Engine
import Foundation

/// `UserResponse` of the contract.
struct UserResponse: Encodable {
    let user: User

    enum CodingKeys: String, CodingKey {
        case id, email, firstName = "first_name", lastName = "last_name", phoneNumber = "phone_number"
        case isActive = "is_active", isSuperuser = "is_superuser", preferences, locale
        case createdAt = "created_at", updatedAt = "updated_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(user.id.uuidString.lowercased(), forKey: .id)
        try container.encode(user.email, forKey: .email)
        try container.encode(user.firstName, forKey: .firstName)
        try container.encode(user.lastName, forKey: .lastName)
        try container.encode(user.phoneNumber, forKey: .phoneNumber)
        try container.encode(user.isActive, forKey: .isActive)
        try container.encode(user.isSuperuser, forKey: .isSuperuser)
        let preferences = user.preferences.flatMap { try? JSONDecoder().decode(JSONValue.self, from: Data($0.utf8)) }
        try container.encode(preferences, forKey: .preferences)
        try container.encode(user.locale, forKey: .locale)
        try container.encode(iso8601(milliseconds: user.createdAtMilliseconds), forKey: .createdAt)
        try container.encode(iso8601(milliseconds: user.updatedAtMilliseconds), forKey: .updatedAt)
    }
}

/// The answer of login and refresh.
struct TokenResponse: Encodable {
    let accessToken: String
    let refreshToken: String
    let expiresIn: Int64
    let user: UserResponse

    enum CodingKeys: String, CodingKey {
        case accessToken = "access_token", refreshToken = "refresh_token", tokenType = "token_type"
        case expiresIn = "expires_in", user
    }

    init(accessToken: String, refreshToken: String, expiresIn: Int64, user: UserResponse) {
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.expiresIn = expiresIn
        self.user = user
    }

    init(_ pair: TokenPair) {
        self.init(
            accessToken: pair.accessToken, refreshToken: pair.refreshToken, expiresIn: pair.expiresIn,
            user: UserResponse(user: pair.user))
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(accessToken, forKey: .accessToken)
        try container.encode(refreshToken, forKey: .refreshToken)
        try container.encode("bearer", forKey: .tokenType)
        try container.encode(expiresIn, forKey: .expiresIn)
        try container.encode(user, forKey: .user)
    }
}

/// One entry of `GET /sessions/me`.
struct SessionResponse: Encodable {
    let session: Session
    let isCurrent: Bool

    enum CodingKeys: String, CodingKey {
        case id, deviceName = "device_name", deviceID = "device_id", ipAddress = "ip_address"
        case locationCity = "location_city", locationCountry = "location_country", lastUsedAt = "last_used_at"
        case createdAt = "created_at", expiresAt = "expires_at", isCurrent = "is_current"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(session.id.uuidString.lowercased(), forKey: .id)
        try container.encode(session.deviceName, forKey: .deviceName)
        try container.encode(session.deviceID, forKey: .deviceID)
        try container.encode(session.ipAddress, forKey: .ipAddress)
        try container.encodeNil(forKey: .locationCity)
        try container.encodeNil(forKey: .locationCountry)
        try container.encode(iso8601(milliseconds: session.lastUsedAtMilliseconds), forKey: .lastUsedAt)
        try container.encode(iso8601(milliseconds: session.createdAtMilliseconds), forKey: .createdAt)
        try container.encode(iso8601(milliseconds: session.expiresAtMilliseconds), forKey: .expiresAt)
        try container.encode(isCurrent, forKey: .isCurrent)
    }
}

/// `{"success": true, "message": "…"}` and friends.
struct MessageResponse: Encodable {
    let success = true
    let message: String
    var count: Int?
}
