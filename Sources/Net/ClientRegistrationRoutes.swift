package import Auth
import Bytes
import Engine
import Foundation
import NIOHTTP1

/// Dynamic client registration (RFC 7591) and its management (RFC 7592): how an MCP client or any OAuth client
/// registers itself. Errors are RFC 7591 §3.2.2 objects.
extension Endpoints {
    func addClientRegistrationRoutes(to group: RouteGroup) {
        group.post("/register", limit: .clientRegistration) { request, context in
            let initialAccessToken = request.bearerToken
            switch registration.policy {
            case .off: throw OAuthError("access_denied", "this server takes no client registrations", status: 403)
            case .token where initialAccessToken == nil:
                throw OAuthError("invalid_token", "registration needs an initial access token (Bearer)", status: 401)
            case .open where initialAccessToken == nil:
                guard engine.anonymousClientCount() < registration.maxAnonymousClients else {
                    throw OAuthError.unavailable("this server takes no more anonymous client registrations")
                }
            default: break
            }
            let metadata = try ClientMetadataBody.read(from: request).metadata
            let registered = try await provider.register(
                metadata, initialAccessToken: initialAccessToken, from: context.clientAddress)
            context.logger.info(
                "client registered itself",
                metadata: ["client_id": "\(registered.client.id)", "from": "\(context.clientAddress)"])
            let document = RegisteredClientDocument(
                client: registered.client, secret: registered.secret,
                registrationAccessToken: registered.registrationAccessToken,
                registrationClientURI: registrationURI(of: registered.client))
            return .json(.created, JSONBody.encode(document), noStore: true)
        }
        group.get("/register/{client_id}") { request, _ in
            let client = try provider.registeredClient(
                request.parameters["client_id"] ?? "", token: request.bearerToken)
            return .json(.ok, JSONBody.encode(registeredDocument(client)), noStore: true)
        }
        group.put("/register/{client_id}") { request, _ in
            let clientID = request.parameters["client_id"] ?? ""
            let client = try provider.registeredClient(clientID, token: request.bearerToken)
            let body = try ClientMetadataBody.read(from: request)
            // RFC 7592 §2.2: the body names the client it replaces; a secret it sends must be the client's.
            guard body.clientID?.lowercased() == clientID.lowercased() else {
                throw OAuthError("invalid_client_metadata", "client_id must be the client's own")
            }
            if let secret = body.clientSecret, !provider.isSecret(secret, of: client) {
                throw OAuthError("invalid_client_metadata", "client_secret is not the client's")
            }
            let updated = try await provider.updateRegistration(of: client, with: body.metadata)
            return .json(.ok, JSONBody.encode(registeredDocument(updated)), noStore: true)
        }
        group.delete("/register/{client_id}") { request, context in
            let client = try provider.registeredClient(
                request.parameters["client_id"] ?? "", token: request.bearerToken)
            try await engine.deleteClient(client.id)
            context.logger.info("client deleted its registration", metadata: ["client_id": "\(client.id)"])
            return HTTPResponse(status: .noContent, headers: ["cache-control": "no-store"])
        }
    }

    /// Where a registered client reads, replaces and deletes its registration.
    func registrationURI(of client: OAuthClient) -> String {
        let issuer = auth.signer.issuer
        let base = issuer.withoutTrailingSlash
        return base + "/api/v1/oauth/provider/register/" + client.id.uuidString.lowercased()
    }

    private func registeredDocument(_ client: OAuthClient) -> RegisteredClientDocument {
        RegisteredClientDocument(
            client: client, secret: nil, registrationAccessToken: nil,
            registrationClientURI: registrationURI(of: client))
    }
}

/// How clients may register themselves, and the open policy's bound.
package struct RegistrationSettings: Sendable {
    package var policy: ClientRegistrationPolicy
    /// Anonymous registrations kept at once; past it, registration answers 503 until some are deleted.
    package var maxAnonymousClients: Int

    package init(policy: ClientRegistrationPolicy = .open, maxAnonymousClients: Int = 1000) {
        self.policy = policy
        self.maxAnonymousClients = maxAnonymousClients
    }
}

extension ClientMetadataBody {
    static func read(from request: HTTPRequest) throws(OAuthError) -> ClientMetadataBody {
        guard request.headers.first(name: "content-type")?.hasPrefixIgnoringASCIICase("application/json") == true else {
            throw OAuthError("invalid_client_metadata", "the body must be application/json")
        }
        return try ClientMetadataBody.decode(Array(request.body.readableBytesView))
    }
}

/// A registered client as RFC 7591 §3.2.1 and RFC 7592 §3 answer it: the metadata as registered, and — once,
/// at registration — the secret and the registration access token.
struct RegisteredClientDocument: Encodable {
    let client: OAuthClient
    let secret: String?
    let registrationAccessToken: String?
    let registrationClientURI: String

    enum CodingKeys: String, CodingKey {
        case clientID = "client_id", clientSecret = "client_secret", clientIDIssuedAt = "client_id_issued_at"
        case clientSecretExpiresAt = "client_secret_expires_at", registrationAccessToken = "registration_access_token"
        case registrationClientURI = "registration_client_uri", redirectURIs = "redirect_uris"
        case tokenEndpointAuthMethod = "token_endpoint_auth_method", grantTypes = "grant_types"
        case responseTypes = "response_types", clientName = "client_name", clientURI = "client_uri"
        case logoURI = "logo_uri", scope, applicationType = "application_type", softwareID = "software_id"
        case softwareVersion = "software_version"
        case postLogoutRedirectURIs = "post_logout_redirect_uris", backchannelLogoutURI = "backchannel_logout_uri"
        case idTokenSignedResponseAlgorithm = "id_token_signed_response_alg"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        let registration = client.registration
        try container.encode(client.id.uuidString.lowercased(), forKey: .clientID)
        try container.encode(client.createdAtMilliseconds / 1000, forKey: .clientIDIssuedAt)
        try container.encodeIfPresent(secret, forKey: .clientSecret)
        if client.kind == .confidential {
            try container.encode(registration?.secretExpiresAtSeconds ?? 0, forKey: .clientSecretExpiresAt)
        }
        try container.encodeIfPresent(registrationAccessToken, forKey: .registrationAccessToken)
        try container.encode(registrationClientURI, forKey: .registrationClientURI)
        try container.encode(client.redirectURIs, forKey: .redirectURIs)
        try container.encodeIfPresent(registration?.tokenEndpointAuthMethod, forKey: .tokenEndpointAuthMethod)
        try container.encodeIfPresent(registration?.grantTypes, forKey: .grantTypes)
        try container.encodeIfPresent(registration?.responseTypes, forKey: .responseTypes)
        try container.encode(client.name, forKey: .clientName)
        try container.encodeIfPresent(registration?.clientURI, forKey: .clientURI)
        try container.encodeIfPresent(registration?.logoURI, forKey: .logoURI)
        try container.encode(client.scopes.joined(separator: " "), forKey: .scope)
        try container.encodeIfPresent(registration?.applicationType.name, forKey: .applicationType)
        try container.encodeIfPresent(registration?.softwareID, forKey: .softwareID)
        try container.encodeIfPresent(registration?.softwareVersion, forKey: .softwareVersion)
        try container.encode(client.openID.postLogoutRedirectURIs, forKey: .postLogoutRedirectURIs)
        try container.encodeIfPresent(client.openID.backchannelLogoutURI, forKey: .backchannelLogoutURI)
        try container.encode(client.openID.idTokenSignedResponseAlgorithm, forKey: .idTokenSignedResponseAlgorithm)
    }
}
