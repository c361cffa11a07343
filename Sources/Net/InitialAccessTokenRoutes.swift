import Auth
import Engine
import Foundation

/// Initial access tokens (superusers): what a client needs to register itself under `--client-registration
/// token`. The token is shown once, at creation.
extension Endpoints {
    func addInitialAccessTokenRoutes(to group: RouteGroup) {
        group.post("") { request, context in
            let body = try JSONBody.decode(InitialAccessTokenRequest.self, from: request)
            let uses = body.uses ?? 1
            let hours = body.expiresInHours ?? 24
            guard (1...1000).contains(uses) else {
                throw APIError(.unprocessableEntity, "VAL_001", "uses: 1 to 1000", field: "uses")
            }
            guard (1...8784).contains(hours) else {
                throw APIError(
                    .unprocessableEntity, "VAL_001", "expires_in_hours: 1 to 8784", field: "expires_in_hours")
            }
            let (token, text) = try await provider.issueInitialAccessToken(
                createdBy: try context.requireIdentity().userID, lifetimeSeconds: Int64(hours) * 3600, uses: uses)
            return .json(.created, JSONBody.encode(InitialAccessTokenResponse(token: token, text: text)), noStore: true)
        }
        group.get("") { _, _ in
            .json(
                .ok,
                JSONBody.encode(
                    await engine.initialAccessTokens().map { InitialAccessTokenResponse(token: $0, text: nil) }))
        }
        group.delete("/{token_id}") { request, _ in
            try await engine.revokeInitialAccessToken(try request.uuidParameter("token_id", what: "token"))
            return .json(.ok, JSONBody.encode(MessageResponse(message: "initial access token revoked")))
        }
    }
}

/// `{uses?, expires_in_hours?}`: 1 use and 24 hours unless said otherwise. A field given must be a number: an
/// explicit `null` is refused, not taken as absent.
struct InitialAccessTokenRequest: Decodable {
    let uses: Int?
    let expiresInHours: Int?

    enum CodingKeys: String, CodingKey { case uses, expiresInHours = "expires_in_hours" }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        uses = container.contains(.uses) ? try container.decode(Int.self, forKey: .uses) : nil
        expiresInHours =
            container.contains(.expiresInHours) ? try container.decode(Int.self, forKey: .expiresInHours) : nil
    }
}

/// A token as listed; its text only in the creation's answer.
struct InitialAccessTokenResponse: Encodable {
    let token: InitialAccessToken
    let text: String?

    enum CodingKeys: String, CodingKey {
        case id, token, usesLeft = "uses_left", createdBy = "created_by", createdAt = "created_at"
        case expiresAt = "expires_at", revokedAt = "revoked_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(token.id.uuidString.lowercased(), forKey: .id)
        try container.encodeIfPresent(text, forKey: .token)
        try container.encode(token.usesLeft, forKey: .usesLeft)
        try container.encode(token.createdBy.uuidString.lowercased(), forKey: .createdBy)
        try container.encode(iso8601(milliseconds: token.createdAtMilliseconds), forKey: .createdAt)
        try container.encode(iso8601(milliseconds: token.expiresAtMilliseconds), forKey: .expiresAt)
        try container.encodeIfPresent(token.revokedAtMilliseconds.map(iso8601(milliseconds:)), forKey: .revokedAt)
    }
}
