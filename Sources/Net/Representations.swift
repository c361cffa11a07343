import Auth
import Bytes
import Engine
import Foundation

/// `UserResponse` of the contract, written as bytes: it is in every login and refresh answer, where Foundation's
/// encoder cost a tenth of a refresh's CPU. Keys in sorted order, as `JSONBody.encode` writes them; `preferences`
/// is stored as that encoder's text of a validated object and is written as it is.
struct UserResponse {
    let user: User

    /// The object's bytes.
    var json: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(384)
        appendJSON(to: &out)
        return out
    }

    func appendJSON(to out: inout [UInt8]) {
        out.append(contentsOf: #"{"created_at":"#.utf8)
        JSONText.appendString(iso8601(milliseconds: user.createdAtMilliseconds), to: &out)
        out.append(contentsOf: #","email":"#.utf8)
        JSONText.appendString(user.email, to: &out)
        out.append(contentsOf: #","first_name":"#.utf8)
        JSONText.appendString(user.firstName, to: &out)
        out.append(contentsOf: #","id":""#.utf8)
        JSONText.appendUUID(user.id, to: &out)
        out.append(contentsOf: #"","is_active":"#.utf8)
        out.append(contentsOf: user.isActive ? "true".utf8 : "false".utf8)
        out.append(contentsOf: #","is_superuser":"#.utf8)
        out.append(contentsOf: user.isSuperuser ? "true".utf8 : "false".utf8)
        out.append(contentsOf: #","last_name":"#.utf8)
        appendOptional(user.lastName, to: &out)
        out.append(contentsOf: #","locale":"#.utf8)
        appendOptional(user.locale, to: &out)
        out.append(contentsOf: #","phone_number":"#.utf8)
        appendOptional(user.phoneNumber, to: &out)
        out.append(contentsOf: #","preferences":"#.utf8)
        out.append(contentsOf: (user.preferences ?? "null").utf8)
        out.append(contentsOf: #","updated_at":"#.utf8)
        JSONText.appendString(iso8601(milliseconds: user.updatedAtMilliseconds), to: &out)
        out.append(UInt8(ascii: "}"))
    }

    private func appendOptional(_ value: String?, to out: inout [UInt8]) {
        if let value { JSONText.appendString(value, to: &out) } else { out.append(contentsOf: "null".utf8) }
    }
}

/// The answer of login and refresh (`TokenResponse` of the contract), written as bytes; a social sign-in adds
/// `is_new_user`.
struct TokenResponse {
    let accessToken: String
    let refreshToken: String
    let expiresIn: Int64
    let user: UserResponse

    init(_ pair: TokenPair) {
        accessToken = pair.accessToken
        refreshToken = pair.refreshToken
        expiresIn = pair.expiresIn
        user = UserResponse(user: pair.user)
    }

    /// The object's bytes, with `is_new_user` when given.
    func json(isNewUser: Bool? = nil) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(accessToken.utf8.count + refreshToken.utf8.count + 512)
        out.append(contentsOf: #"{"access_token":"#.utf8)
        JSONText.appendString(accessToken, to: &out)
        out.append(contentsOf: #","expires_in":"#.utf8)
        JSONText.appendInteger(expiresIn, to: &out)
        if let isNewUser {
            out.append(contentsOf: #","is_new_user":"#.utf8)
            out.append(contentsOf: isNewUser ? "true".utf8 : "false".utf8)
        }
        out.append(contentsOf: #","refresh_token":"#.utf8)
        JSONText.appendString(refreshToken, to: &out)
        out.append(contentsOf: #","token_type":"bearer","user":"#.utf8)
        user.appendJSON(to: &out)
        out.append(UInt8(ascii: "}"))
        return out
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
