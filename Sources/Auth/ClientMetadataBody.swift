import FoundationEssentials

/// Client metadata as JSON (RFC 7591 §2): a registration request's body, or a client ID metadata document.
/// Unknown fields are ignored, as §2 says; a field of the wrong type is `invalid_client_metadata` naming it.
package struct ClientMetadataBody: Decodable, Sendable {
    package var metadata = ClientMetadata()
    /// RFC 7592 updates name the client, and may repeat its secret; a metadata document names itself.
    package var clientID: String?
    package var clientSecret: String?
    /// Whether the JSON has `client_secret_expires_at` (a metadata document must not).
    package var hasSecretExpiry = false

    enum CodingKeys: String, CodingKey {
        case redirectURIs = "redirect_uris", tokenEndpointAuthMethod = "token_endpoint_auth_method"
        case grantTypes = "grant_types", responseTypes = "response_types", clientName = "client_name"
        case clientURI = "client_uri", logoURI = "logo_uri", scope, applicationType = "application_type"
        case softwareID = "software_id", softwareVersion = "software_version", clientID = "client_id"
        case clientSecret = "client_secret", clientSecretExpiresAt = "client_secret_expires_at"
        case postLogoutRedirectURIs = "post_logout_redirect_uris", backchannelLogoutURI = "backchannel_logout_uri"
        case idTokenSignedResponseAlgorithm = "id_token_signed_response_alg"
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func field<T: Decodable>(_ type: T.Type, _ key: CodingKeys) throws -> T? {
            do { return try container.decodeIfPresent(type, forKey: key) } catch {
                throw OAuthError("invalid_client_metadata", "\(key.rawValue) is not of its type")
            }
        }
        metadata.redirectURIs = try field([String].self, .redirectURIs)
        metadata.tokenEndpointAuthMethod = try field(String.self, .tokenEndpointAuthMethod)
        metadata.grantTypes = try field([String].self, .grantTypes)
        metadata.responseTypes = try field([String].self, .responseTypes)
        metadata.clientName = try field(String.self, .clientName)
        metadata.clientURI = try field(String.self, .clientURI)
        metadata.logoURI = try field(String.self, .logoURI)
        metadata.scope = try field(String.self, .scope)
        metadata.applicationType = try field(String.self, .applicationType)
        metadata.softwareID = try field(String.self, .softwareID)
        metadata.softwareVersion = try field(String.self, .softwareVersion)
        metadata.postLogoutRedirectURIs = try field([String].self, .postLogoutRedirectURIs)
        metadata.backchannelLogoutURI = try field(String.self, .backchannelLogoutURI)
        metadata.idTokenSignedResponseAlgorithm = try field(String.self, .idTokenSignedResponseAlgorithm)
        clientID = try field(String.self, .clientID)
        clientSecret = try field(String.self, .clientSecret)
        hasSecretExpiry = container.contains(.clientSecretExpiresAt)
    }

    /// The metadata in `bytes`, which must be one JSON object.
    package static func decode(_ bytes: [UInt8]) throws(OAuthError) -> ClientMetadataBody {
        do {
            return try JSONDecoder().decode(ClientMetadataBody.self, from: Data(bytes))
        } catch let error as OAuthError {
            throw error
        } catch {
            throw OAuthError("invalid_client_metadata", "the body is not a JSON object")
        }
    }
}
